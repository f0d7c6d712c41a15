"""audit.html: the executed notebook as a reviewer reads it, without Jupyter.

Built by nbconvert from the executed notebook itself with the kit's ``audit`` template
(it inherits nbconvert's ``base``): every cell's code (Pygments, colours as CSS classes)
and output, the markdown cells as the report's outline. Around the cells the template
prints what this module gathers: the injected parameter values by field with their
Chinese labels, the tables as data (the pandas frames, computed totals marked), every
rule with its result, the provenance, and the changes against last year's report.
Offline, no script; the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from pygments.formatters import HtmlFormatter

from kit.audit import diff
from kit.audit.record import AUDIT_NAME, Record
from kit.check import checks, partchecks
from kit.content import tables
from kit.content.report import Report, load_report
from kit.exceptions import KitError
from kit.paths import TEMPLATES_DIR
from kit.spec import formats
from kit.spec.model import label_for

TEMPLATE = "audit"
FILENAME = AUDIT_NAME
# Rule codes in the order they run (taken from the rules themselves), with what each checks.
RULE_TITLES = {
    "schema": "字段、类型与取值范围（参数文件的结构）",
    "R1": "表三每列：一、本年新收 + 二、上年结转 = 三（七）总计 + 四、结转下年度",
    "R2": "表三：填写的（七）总计 = （一）至（六）各项之和",
    "R3": "表三：填写的总计列 = 自然人 + 五类法人或其他组织",
    "R4": "表四：填写的总计 = 维持 + 纠正 + 其他结果 + 尚未审结",
    "P1": "主动公开：填写的总条数 = 各类别之和",
    "X1": "跨年度：本年二、上年结转 = 上年四、结转下年度（需上年参数文件）",
    "X2": "跨年度：现行有效件数 = 上年现行有效件数 + 本年制发 − 本年废止（警告）",
    "N1": "正文中的数字与表格一致（已确认的差异列出理由）",
    "M1": "万元金额至多两位小数（警告）",
    "P2": "主动公开总条数或类别已填写（警告）",
    "E1": "报告不是空的（警告）",
    "S5": "五、存在的主要问题及改进情况有实质内容",
    "S6": "六、其他需要报告的事项与信息处理费一致",
    "X0": "上年参数文件有效（否则不做跨年度检查，警告）",
}


def rule_codes() -> list[str]:
    """Every rule the validation runs, by code, in order: from the rules' own docstrings."""
    codes = ["schema"]
    for rule in (*checks.RULES, *partchecks.RULES):
        code = (rule.__doc__ or rule.__name__).split()[0].rstrip(":")
        codes.append(code)
    return [*codes, "X0"]


@dataclass(frozen=True)
class RuleResult:
    code: str
    title: str
    result: str  # 通过 / 错误 n / 警告 n / 已确认 n
    findings: list[str] = field(default_factory=list)


def rule_results(run: Record) -> list[RuleResult]:
    """Each rule with its result from the record's validation: passed, or its findings."""
    v = run.validation
    out = []
    for code in rule_codes():
        tag = f"[{code}]"
        errors = [e for e in v.errors if tag in e]
        warnings = [w for w in v.warnings if tag in w]
        acked = [f"{a.finding}（{a.fingerprint}）；确认理由：{a.reason}" for a in v.acknowledged
                 if a.fingerprint.startswith(f"{code}-")]
        parts = [f"{label} {len(items)}" for label, items in (("错误", errors), ("警告", warnings),
                                                               ("已确认", acked)) if items]
        out.append(RuleResult(code, RULE_TITLES.get(code, code), "，".join(parts) or "通过",
                              [*errors, *warnings, *acked]))
    return out


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def parameter_rows(params: Any, model: type, prefix: tuple[Any, ...] = ()) -> list[tuple[str, str, str]]:
    """Every value of the injected parameters: (field path, Chinese label, value as text)."""
    if isinstance(params, dict) and params:
        return [row for key, value in params.items() for row in parameter_rows(value, model, (*prefix, key))]
    if isinstance(params, list) and params and all(isinstance(v, dict) for v in params):
        return [row for i, value in enumerate(params) for row in parameter_rows(value, model, (*prefix, i))]
    try:
        label = label_for(model, prefix)
    except (KeyError, AttributeError, IndexError, TypeError):  # a key the model doesn't title (acknowledged …)
        label = ""
    return [(".".join(map(str, prefix)), label, _text(params))]


@dataclass(frozen=True)
class Frame:
    """One table as data: its caption, column headings, rows of (label, cells); a cell is (text, computed)."""

    name: str
    caption: str
    columns: list[str]
    rows: list[tuple[str, list[tuple[str, bool]]]]


def _cell(value: Any) -> str:
    return tables.format_value(value) if isinstance(value, (int, Decimal)) or hasattr(value, "item") else _text(value)


def frames(report: Report) -> list[Frame]:
    """The report's pandas frames as the notebook computed them, the computed totals marked."""
    t2 = report.table2
    out = [Frame("report.table2", "表二（长表：每格一行）", ["栏目", "项目", "指标", "数值"],
                 [(str(i), [(str(r.caption), False), (str(r.item), False), (str(r.label), False),
                            (_cell(r.value), False)]) for i, r in enumerate(t2.itertuples())])]
    t3_columns = [label for _, label in formats.TABLE3_COLUMNS] + [formats.TOTAL_LABEL]
    computed_rows = {row.key for row in report.spec.table3 if row.computed}
    out.append(Frame("report.table3", "表三", t3_columns,
                     [(" › ".join(row.labels),
                       [(_cell(report.table3.loc[row.key, key]), key == tables.TOTAL or row.key in computed_rows)
                        for key in [*tables.COLUMN_KEYS, tables.TOTAL]]) for row in report.spec.table3]))
    t4_columns = [label for _, label in formats.TABLE4_RESULTS] + [formats.TOTAL_LABEL]
    out.append(Frame("report.table4", "表四", t4_columns,
                     [(group, [(_cell(report.table4.loc[key, col]), col == tables.TOTAL)
                               for col in [*tables.RESULT_KEYS, tables.TOTAL]])
                      for key, group in formats.TABLE4_GROUPS]))
    return out


def changes(nb: nbformat.NotebookNode, report: Report) -> diff.Difference | None:
    """Against last year's report, when the run had last year's file: figures and text similarity."""
    injected = nb.metadata.get("papermill", {}).get("parameters", {})
    if not injected.get("previous"):
        return None
    try:
        last = load_report(injected.get("previous_file") or "previous", injected["previous"])
    except KitError:  # last year's file is invalid: the report was made without it (X0)
        return None
    return diff.compare(last, report, injected.get("previous_file") or "上年", injected.get("params_file") or "本年")


def context(nb: nbformat.NotebookNode, report: Report, run: Record) -> dict[str, Any]:
    """What the audit template prints around the cells."""
    injected = nb.metadata.get("papermill", {}).get("parameters", {})
    return {
        "run": run.as_dict(),
        "parameters": parameter_rows(injected.get("params") or {}, type(report.model)),
        "rules": rule_results(run),
        "frames": frames(report),
        "changes": changes(nb, report),
        "similarity_limit": diff.SIMILARITY_LIMIT,
        "pygments_css": HtmlFormatter(style="default").get_style_defs(".highlight"),
    }


class AuditExporter(HTMLExporter):
    """nbconvert's HTML exporter with the audit template, without the BeautifulSoup pass (see
    :class:`kit.write.export.ReportExporter`)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        info = nb.metadata.get("language_info", {})
        self.register_filter("highlight_code", Highlight2HTML(pygments_lexer=info.get("pygments_lexer", "ipython3"),
                                                              parent=self))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@cache
def exporter() -> HTMLExporter:
    return AuditExporter(template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES_DIR)])


def to_html(nb: nbformat.NotebookNode, report: Report, run: Record) -> str:
    """The audit view of an executed notebook."""
    html, _ = exporter().from_notebook_node(nb, resources={"kit_audit": context(nb, report, run)})
    return html
