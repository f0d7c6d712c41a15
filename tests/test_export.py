"""Stage 5 on its own: the published page holds the cells' HTML outputs, and nothing that
would make a browser fetch from the network gets out."""

from __future__ import annotations

import nbformat
import pytest

from kit.exceptions import ExportError
from kit.write.export import to_html


def notebook(html: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("kit.show.part(report, 'overview')")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    nb.cells = [nbformat.v4.new_markdown_cell("# 分析人员的说明"), cell]
    return nb


def test_outputs_only_no_code_no_markdown():
    page = to_html(notebook("<p>一、总体情况</p>"))
    assert "<p>一、总体情况</p>" in page
    assert "kit.show.part" not in page and "分析人员的说明" not in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


@pytest.mark.parametrize(
    ("html", "found"),
    [('<img src="//cdn.example/x.png">', 'src="//'),
     ('<img src="https://cdn.example/x.png">', 'src="https://'),
     ('<link rel="stylesheet" href="http://cdn.example/a.css">', 'href="http://'),
     ('<div style="background: url(//cdn.example/x.png)"></div>', "url(//")],
    ids=["protocol-relative", "https", "stylesheet", "css-url"],
)
def test_anything_fetched_from_the_network_is_refused(html, found):
    # (the cells' HTML comes from the kit's own fragments; free text in it is escaped, so a URL an
    # analyst typed is text, never an attribute: tests/test_reading.py)
    with pytest.raises(ExportError) as info:
        to_html(notebook(html))
    assert f"导出的 HTML 含有不应出现的内容：{found!r}" in str(info.value)
