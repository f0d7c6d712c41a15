"""The two mandated format versions (国办公开办函〔2019〕60号 and 〔2021〕30号).

Every printed label lives here, once. A small registry maps a version name to its
spec; the version of a report follows from its year.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.exceptions import UnknownFormatError
from kit.registry import Registry

SECTION_TITLES = (
    ("overview", "总体情况"),
    ("proactive", "主动公开政府信息情况"),
    ("requests", "收到和处理政府信息公开申请情况"),
    ("review", "政府信息公开行政复议、行政诉讼情况"),
    ("problems", "存在的主要问题及改进情况"),
    ("other", "其他需要报告的事项"),
)

TABLE3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
TABLE3_TOP = "申请人情况"
TABLE3_ORG_GROUP = "法人或其他组织"

# Applicant columns of 表三, in print order; "total" is always computed.
TABLE3_COLUMNS = (
    ("natural", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("public_interest", "社会公益组织"),
    ("legal_services", "法律服务机构"),
    ("other", "其他"),
)
TOTAL_LABEL = "总计"

# 表四: three groups of the same five result columns (the fifth, 总计, is computed).
TABLE4_GROUPS = (
    ("review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
TABLE4_LITIGATION = "行政诉讼"
TABLE4_RESULTS = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
)


@dataclass(frozen=True)
class Column:
    """One value column of a 表二 block."""

    key: str
    label: str
    kind: str = "count"  # count | delta (may be negative) | money (万元)
    suffix: str = ""  # printed after the value, e.g. 万元 where the header has no unit


@dataclass(frozen=True)
class Block:
    """One 第二十条 block of 表二: a caption, its columns, its rows (key, label)."""

    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Row3:
    """One data row of 表三: its key path under ``table3`` and its label path."""

    path: tuple[str, ...]
    labels: tuple[str, ...]
    computed: bool = False  # （七）总计 is the sum of the outcome rows

    @property
    def key(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class FormatSpec:
    """One mandated format version: the years it covers and every label it prints."""

    version: str
    document: str
    first_year: int
    last_year: int | None
    table2: tuple[Block, ...]
    table3: tuple[Row3, ...]
    notice: str = ""  # the notice's title, cited with its number in the opening paragraph

    def table3_outcomes(self) -> tuple[Row3, ...]:
        """The outcome rows （一）…（六）, which add up to （七）总计 (rule R2)."""
        return tuple(r for r in self.table3 if r.path[0] == "outcomes" and not r.computed)

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


_OUTCOME = "三、本年度办理结果"


def _outcome_rows(other: tuple[Row3, ...]) -> tuple[Row3, ...]:
    def group(key: str, label: str, items: tuple[tuple[str, str], ...]) -> tuple[Row3, ...]:
        return tuple(Row3(("outcomes", key, k), (_OUTCOME, label, lab)) for k, lab in items)

    return (
        Row3(("new",), ("一、本年新收政府信息公开申请数量",)),
        Row3(("carry_in",), ("二、上年结转政府信息公开申请数量",)),
        Row3(("outcomes", "granted"), (_OUTCOME, "（一）予以公开")),
        Row3(("outcomes", "partial"), (_OUTCOME, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")),
        *group(
            "refused",
            "（三）不予公开",
            (
                ("state_secret", "1.属于国家秘密"),
                ("prohibited_by_law", "2.其他法律行政法规禁止公开"),
                ("security_stability", "3.危及“三安全一稳定”"),
                ("third_party", "4.保护第三方合法权益"),
                ("internal_affairs", "5.属于三类内部事务信息"),
                ("process_info", "6.属于四类过程性信息"),
                ("enforcement_files", "7.属于行政执法案卷"),
                ("query_matters", "8.属于行政查询事项"),
            ),
        ),
        *group(
            "unavailable",
            "（四）无法提供",
            (
                ("not_held", "1.本机关不掌握相关政府信息"),
                ("needs_creation", "2.没有现成信息需要另行制作"),
                ("still_unclear", "3.补正后申请内容仍不明确"),
            ),
        ),
        *group(
            "not_processed",
            "（五）不予处理",
            (
                ("complaints", "1.信访举报投诉类申请"),
                ("repeated", "2.重复申请"),
                ("publications", "3.要求提供公开出版物"),
                ("excessive", "4.无正当理由大量反复申请"),
                ("confirmation", "5.要求行政机关确认或重新出具已获取信息"),
            ),
        ),
        *other,
        Row3(("outcomes", "total"), (_OUTCOME, "（七）总计"), computed=True),
        Row3(("carry_out",), ("四、结转下年度继续办理",)),
    )


_OTHER = "（六）其他处理"

FORMAT_2019 = FormatSpec(
    version="2019",
    document="国办公开办函〔2019〕60号",
    notice="《国务院办公厅政府信息与政务公开办公室关于印发<中华人民共和国政府信息公开工作年度报告格式（试行）>的通知》",
    first_year=2019,
    last_year=2020,
    table2=(
        Block(
            "第二十条第（一）项",
            (Column("made", "本年新制作数量"), Column("published", "本年新公开数量"),
             Column("total_public", "对外公开总数量")),
            (("regulations", "规章"), ("normative_documents", "规范性文件")),
        ),
        Block(
            "第二十条第（五）项",
            (Column("previous", "上一年项目数量"), Column("change", "本年增/减", "delta"),
             Column("decisions", "处理决定数量")),
            (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")),
        ),
        Block(
            "第二十条第（六）项",
            (Column("previous", "上一年项目数量"), Column("change", "本年增/减", "delta"),
             Column("decisions", "处理决定数量")),
            (("penalties", "行政处罚"), ("enforcement", "行政强制")),
        ),
        Block(
            "第二十条第（八）项",
            (Column("previous", "上一年项目数量"), Column("change", "本年增/减", "delta")),
            (("fees", "行政事业性收费"),),
        ),
        Block(
            "第二十条第（九）项",
            (Column("projects", "采购项目数量"), Column("amount", "采购总金额", "money", suffix="万元")),
            (("procurement", "政府集中采购"),),
        ),
    ),
    table3=_outcome_rows((Row3(("outcomes", "other"), (_OUTCOME, _OTHER)),)),
)

FORMAT_2021 = FormatSpec(
    version="2021",
    document="国办公开办函〔2021〕30号",
    notice="《国务院办公厅政府信息与政务公开办公室关于印发<中华人民共和国政府信息公开工作年度报告格式>的通知》",
    first_year=2021,
    last_year=None,
    table2=(
        Block(
            "第二十条第（一）项",
            (Column("issued", "本年制发件数"), Column("repealed", "本年废止件数"), Column("in_force", "现行有效件数")),
            (("regulations", "规章"), ("normative_documents", "行政规范性文件")),
        ),
        Block("第二十条第（五）项", (Column("decisions", "本年处理决定数量"),), (("licensing", "行政许可"),)),
        Block(
            "第二十条第（六）项",
            (Column("decisions", "本年处理决定数量"),),
            (("penalties", "行政处罚"), ("enforcement", "行政强制")),
        ),
        Block(
            "第二十条第（八）项",
            (Column("amount", "本年收费金额（单位：万元）", "money"),),
            (("fees", "行政事业性收费"),),
        ),
    ),
    table3=_outcome_rows(
        tuple(
            Row3(("outcomes", "other", k), (_OUTCOME, _OTHER, lab))
            for k, lab in (
                ("no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
                ("unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
                ("other", "3.其他"),
            )
        )
    ),
)

_REGISTRY: Registry[FormatSpec] = Registry(lambda spec: spec.version, UnknownFormatError)
register, get, versions = _REGISTRY.register, _REGISTRY.get, _REGISTRY.names


def for_year(year: int) -> FormatSpec:
    """The format version that governs reports on ``year``."""
    for spec in _REGISTRY:
        if spec.covers(year):
            return spec
    raise UnknownFormatError(f"year {year}", versions())


register(FORMAT_2019)
register(FORMAT_2021)
