"""Stage 5: export the executed notebook to the published HTML (nbconvert, our template)."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

import nbformat
from markupsafe import escape
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import TagRemovePreprocessor

from kit.exceptions import ExportError
from kit.paths import TEMPLATES_DIR
from kit.show import ANALYST_ONLY  # an output the notebook shows the analyst only, never the page

TEMPLATE = "govreport"
REMOVED_TAGS = {"parameters", "injected-parameters", "remove-cell", "provenance"}
# Anything that would make the browser fetch from the network.
_FETCH = r"(?:src|href|action|srcset)\s*=\s*[\"']?\s*(?:https?:)?//|url\(\s*[\"']?\s*(?:https?:)?//|@import"
# ... or template syntax left over: searched in what the template emits, not in the cells' outputs.
_LEFTOVER = re.compile(r"\{\{|\{%|" + _FETCH, re.I)
_FETCH_RE = re.compile(_FETCH, re.I)
_URL_ATTRIBUTES = {"src", "href", "action", "srcset", "style"}


class _Fetches(HTMLParser):
    """Where real markup fetches from the network: attributes that load, and style sheets.

    Text is never looked at: an analyst's "url(https://…)" or "{{ }}" in free text is printed
    escaped, as text, and fetches nothing."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, tuple[int, int]]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if name.rsplit(":", 1)[-1] in _URL_ATTRIBUTES:
                self._search(f'{name}="{value or ""}"')

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._search(data)

    def _search(self, text: str) -> None:
        match = _FETCH_RE.search(text)
        if match:
            self.found.append((match.group(0), self.getpos()))


def _outputs(nb: nbformat.NotebookNode) -> list[str]:
    """What the page holds that the template didn't write: the HTML and SVG the cells displayed,
    and the run's facts from the metadata (the title names the agency), as the page prints them."""
    out = [str(escape(v)) for v in nb.metadata.get("kit", {}).values() if isinstance(v, str) and v]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for mime in ("text/html", "image/svg+xml"):
                data = output.get("data", {}).get(mime)
                if data:
                    out.append("".join(data) if isinstance(data, list) else data)
    return out


def guard(nb: nbformat.NotebookNode, html: str) -> None:
    """Refuse a page that would fetch from the network, or that the template left syntax in.

    Template syntax is searched for in the page with the cells' outputs and the metadata's texts
    blanked out (they hold the analyst's words, where "{{" is harmless); network fetches in the
    whole page's markup."""
    template_part = html
    for fragment in sorted(set(_outputs(nb)), key=len, reverse=True):
        template_part = template_part.replace(fragment, " " * len(fragment))
    leftover = _LEFTOVER.search(template_part)
    if leftover:
        raise ExportError(f"导出的 HTML 含有不应出现的内容：{leftover.group(0)!r}（位置 {leftover.start()}）")
    parser = _Fetches()
    parser.feed(html)
    parser.close()
    if parser.found:
        found, (line, column) = parser.found[0]
        raise ExportError(f"导出的 HTML 含有不应出现的内容：{found!r}（第 {line} 行第 {column + 1} 列）")


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
    exp.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=REMOVED_TAGS,
                                                    remove_single_output_tags={ANALYST_ONLY}, enabled=True),
                              enabled=True)
    return exp


def to_html(nb: nbformat.NotebookNode, show_version: bool = False) -> str:
    """The published page for an executed notebook; the version line is in its metadata, and on the
    page only when the project asks for it (``show_version``)."""
    html, _ = exporter().from_notebook_node(nb, resources={"kit_page": {"show_version": show_version}})
    guard(nb, html)
    return html
