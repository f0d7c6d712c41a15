"""Readers: a parameter source (YAML, an Excel workbook, a published page, a Word file) into plain data,
behind one small interface (:mod:`kit.read.base`)."""

from kit.read import base, page, params, worddoc, workbook

# The readers the kit ships, registered in the order they are tried by suffix.
base.register(params.YamlReader())
base.register(workbook.WorkbookReader())
base.register(page.PageReader())
base.register(worddoc.WordReader())
