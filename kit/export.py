"""Stage 5: export the executed notebook to the published HTML (nbconvert, our template)."""

from __future__ import annotations

import re
from functools import cache

import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import TagRemovePreprocessor

from kit.exceptions import ExportError
from kit.paths import TEMPLATES_DIR

TEMPLATE = "govreport"
REMOVED_TAGS = {"parameters", "injected-parameters", "remove-cell", "provenance"}
# Template syntax left over, or anything that would make the browser fetch from the network.
_LEFTOVER = re.compile(r"\{\{|\{%|(?:src|href|action|srcset)\s*=\s*[\"']?\s*(?:https?:)?//|url\(\s*[\"']?\s*(?:https?:)?//|@import", re.I)


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter without the pass it makes over every page it writes.

    HTMLExporter re-parses its output with BeautifulSoup (pure Python) to add alt texts
    to ``<img>`` and ``tabindex`` to JupyterLab's cell classes. Our template prints neither
    (charts are inline SVG with their own text alternative), so that pass only re-serialised
    the page, and cost more than rendering it."""

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@cache
def exporter() -> HTMLExporter:
    """One exporter per process: building it loads and compiles the templates."""
    exp = ReportExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exp.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=REMOVED_TAGS, enabled=True), enabled=True)
    return exp


def to_html(nb: nbformat.NotebookNode, show_version: bool = False) -> str:
    """The published page for an executed notebook; the version line is in its metadata, and on the
    page only when the project asks for it (``show_version``)."""
    html, _ = exporter().from_notebook_node(nb, resources={"kit_page": {"show_version": show_version}})
    leftover = _LEFTOVER.search(html)
    if leftover:
        raise ExportError(f"导出的 HTML 含有不应出现的内容：{leftover.group(0)!r}（位置 {leftover.start()}）")
    return html
