"""Readers: a parameter source (YAML, an Excel workbook) into plain data, behind one small interface
(:mod:`kit.read.base`)."""

from kit.read import base, params, workbook

# The readers the kit ships, registered in the order they are tried by suffix.
base.register(params.YamlReader())
base.register(workbook.WorkbookReader())
