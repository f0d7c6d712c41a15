"""Stage 2: the typed schema of a parameter file (pydantic), one model per format version.

The models are built from :mod:`kit.spec.formats`, so every field carries its printed
Chinese label as its ``title``; error messages and ``docs/params.md`` use them.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, create_model
from pydantic_core import PydanticCustomError

from kit.spec import formats
from kit.spec.formats import FormatSpec

PART_KEYS = tuple(key for key, _ in formats.SECTION_TITLES)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _to_decimal(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value  # left for pydantic to reject with a type error
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:  # nan / inf
        return value


# Bounds far above any real figure, so that no sum of a file's cells overflows a 64-bit integer.
MAX_FIGURE = 10**12
MAX_EXTRA_SECTIONS = 20

Count = Annotated[int, Field(ge=0, le=MAX_FIGURE, strict=True)]
Delta = Annotated[int, Field(ge=-MAX_FIGURE, le=MAX_FIGURE, strict=True)]
Money = Annotated[Decimal, BeforeValidator(_to_decimal),
                  Field(ge=0, le=MAX_FIGURE, allow_inf_nan=False, description="万元")]
Yuan = Annotated[Decimal, BeforeValidator(_to_decimal),
                 Field(ge=0, le=MAX_FIGURE, allow_inf_nan=False, description="元")]
Text = Annotated[str, Field(strict=True)]

_KIND_TYPES = {"count": Count, "delta": Delta, "money": Money}


class Agency(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", title="单位标识（输出目录名）")]
    name: Annotated[Text, Field(min_length=1, title="单位名称")]
    kind: Annotated[Literal["department", "government"], Field(title="单位类型（department 部门 / government 政府）")]
    self_name: Annotated[Text, Field(title="报告中的自称（如“我局”）")] = "我单位"
    parent: Annotated[str | None, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                                        title="上级政府的单位标识（其报告汇总本单位）")] = None


class Category(Strict):
    name: Annotated[Text, Field(min_length=1, title="类别")]
    count: Annotated[Count, Field(title="条数")]


APPROXIMATE = re.compile(r"^(\d+(?:\.\d+)?)(万)?余条?$")  # 5500余, 18万余, 1.2万余条: as the report gives it


def _count_or_approximate(value: Any) -> Any:
    """A count (integer ≥ 0) or an approximate figure written as the report gives it ("5500余")."""
    if isinstance(value, str) and APPROXIMATE.match(value.strip()):
        return value.strip().removesuffix("条")
    if isinstance(value, str):
        raise PydanticCustomError("approximate", "应为整数，或照报告原文写约数")
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "应为整数")
    if value < 0:
        raise PydanticCustomError("greater_than_equal", "不能为负数", {"ge": 0})
    return value


CountOrApproximate = Annotated[Count | str, PlainValidator(_count_or_approximate)]


class Proactive(Strict):
    channel: Annotated[Text, Field(title="主动公开渠道")] = "政府网站"
    total: Annotated[CountOrApproximate | None, Field(
        title="主动公开信息总条数（列出类别时可不填，由各类别相加）",
        description="约数，如“5500余”“18万余”")] = None
    categories: Annotated[list[Category], Field(title="主动公开信息类别")] = []


class Subsection(Strict):
    title: Annotated[Text, Field(min_length=1, title="小标题")]
    text: Annotated[Text, Field(title="正文（Markdown）")]


class Overview(Strict):
    intro: Annotated[Text, Field(title="总体情况导语（纯文本，与主动公开、依申请公开的数字同为一段）")] = ""
    proactive: Annotated[Proactive, Field(title="主动公开")] = Proactive()
    subsections: Annotated[list[Subsection], Field(title="总体情况小节")] = []


class Acknowledgement(Strict):
    fingerprint: Annotated[str, Field(pattern=r"^N1-[0-9a-f]{10}$", title="差异的指纹（kit validate 在差异旁给出）")]
    reason: Annotated[Text, Field(min_length=1, title="理由（为什么正文与表格不同）")]


class ExtraSection(Strict):
    """An agency's own part, placed after one of the mandated parts."""

    title: Annotated[Text, Field(min_length=1, title="标题（不含序号）")]
    after: Annotated[Literal[PART_KEYS], Field(title="放在哪一部分之后")]  # type: ignore[valid-type]  # keys from formats at run time
    text: Annotated[Text, Field(title="正文（Markdown）")]


def _iso_date(value: str) -> str:
    if value:
        date.fromisoformat(value)  # ValueError: not a calendar day (2023-02-30)
    return value


IsoDate = Annotated[Text, Field(pattern=r"^(\d{4}-\d{2}-\d{2})?$"), AfterValidator(_iso_date)]


class Contact(Strict):
    """Who compiled the report and whom to ask (the opening paragraph's last sentences)."""

    office: Annotated[Text, Field(title="编制机构（如“县政府办公室”，也是联系单位）")] = ""
    address: Annotated[Text, Field(title="联系地址")] = ""
    postcode: Annotated[Text, Field(pattern=r"^(\d{6})?$", title="邮编（6位数字）")] = ""
    phone: Annotated[Text, Field(title="联系电话")] = ""
    email: Annotated[Text, Field(title="电子邮箱（可不填）")] = ""
    website: Annotated[Text, Field(title="发布本报告的网站（可不填）")] = ""


class Signoff(Strict):
    """The 落款 at the end: a name and the publication date."""

    name: Annotated[Text, Field(title="落款（单位名称，或代为发布的办公室名称；不填则为单位名称）")] = ""
    date: Annotated[IsoDate, Field(title="发布日期（YYYY-MM-DD，如 2025-01-20；不填则落款不写日期）")] = ""


class Opening(Strict):
    """The analyst's own text for a sentence of the opening paragraph (empty: the kit's sentence)."""

    basis: Annotated[Text, Field(title="依据与编制（“本报告根据……编制而成。”）")] = ""
    parts: Annotated[Text, Field(title="组成部分（“本报告由……个部分组成。”）")] = ""
    period: Annotated[Text, Field(title="统计期限（“本报告中所列数据的统计期限……”）")] = ""
    contact: Annotated[Text, Field(title="网站与联系方式（“对本报告如有疑问……”）")] = ""


class UnitFigures(Strict):
    """One unit's main figures, as the roll-up summed them (the annex's row; filled in by the kit)."""

    id: Annotated[str, Field(title="单位标识")]
    name: Annotated[Text, Field(title="单位名称")]
    received: Annotated[Count, Field(title="新收申请")] = 0
    closed: Annotated[Count, Field(title="办结")] = 0
    carried: Annotated[Count, Field(title="结转下年度")] = 0
    review: Annotated[Count, Field(title="行政复议")] = 0
    litigation: Annotated[Count, Field(title="行政诉讼")] = 0
    proactive: Annotated[Count, Field(title="主动公开")] = 0


class LeftOut(Strict):
    """A unit the roll-up left out (the office published without it), and why."""

    id: Annotated[str, Field(title="单位标识")]
    name: Annotated[Text, Field(title="单位名称")] = ""
    reason: Annotated[Text, Field(title="原因")]


class Rollup(Strict):
    """A government's report summed from its units' files (表二、表三、表四 and 主动公开)."""

    units: Annotated[list[str] | None, Field(title="汇总的单位（单位标识；不填则为以本政府为上级的全部单位）")] = None
    include_own: Annotated[bool, Field(strict=True, title="是否计入本级（本文件表二至表四为本级办公室的数字）")] = False
    annex: Annotated[bool, Field(strict=True, title="是否附各单位主要数据表（附表）")] = True
    annex_order: Annotated[Literal["id", "name", "received"], Field(
        title="附表排序（id 单位标识 / name 单位名称 / received 新收申请数从多到少）")] = "id"
    publish_without: Annotated[list[str], Field(
        title="明确不待其报告而发布：无效或缺少的单位（单位标识）")] = []
    summed: Annotated[list[UnitFigures], Field(title="已汇总的单位（由 kit 汇总时填写）")] = []
    left_out: Annotated[list[LeftOut], Field(title="未汇总的单位（由 kit 汇总时填写）")] = []


def _row_model(name: str, columns: tuple[tuple[str, str, Any], ...], total: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {key: (Annotated[typ, Field(title=label)], Decimal(0) if typ is Money else 0)
                              for key, label, typ in columns}  # money is a Decimal, also when none is typed
    if total:
        fields["total"] = (Annotated[Count | None, Field(title=formats.TOTAL_LABEL)], None)
    return create_model(name, __base__=Strict, **fields)


Table3Row = _row_model("Table3Row", tuple((k, lab, Count) for k, lab in formats.TABLE3_COLUMNS), True)
Table4Group = _row_model("Table4Group", tuple((k, lab, Count) for k, lab in formats.TABLE4_RESULTS), True)
_TABLE4_FIELDS: dict[str, Any] = {
    key: (
        Annotated[Table4Group, Field(title=label if key == "review" else f"{formats.TABLE4_LITIGATION} › {label}")],
        Table4Group(),
    )
    for key, label in formats.TABLE4_GROUPS
}
Table4 = create_model("Table4", __base__=Strict, **_TABLE4_FIELDS)


def _table2_model(spec: FormatSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for block in spec.table2:
        cols = tuple((c.key, c.label, _KIND_TYPES[c.kind]) for c in block.columns)
        for key, label in block.rows:
            row = _row_model(f"Table2_{spec.version}_{key}", cols, False)
            fields[key] = (Annotated[row, Field(title=f"{block.caption} › {label}")], row())
    return create_model(f"Table2_{spec.version}", __base__=Strict, **fields)


def _table3_model(spec: FormatSpec) -> type[BaseModel]:
    """Nested models following the row paths: outcomes › refused › state_secret …"""

    def build(prefix: tuple[str, ...], depth: int, name: str) -> type[BaseModel]:
        fields: dict[str, Any] = {}
        for row in spec.table3:
            if row.path[:depth] != prefix or row.path[depth] in fields:
                continue
            key, label = row.path[depth], row.labels[min(depth, len(row.labels) - 1)]
            if depth == 0 and len(row.path) > 1:
                label = row.labels[0]
            if len(row.path) == depth + 1:
                typ: Any = Table3Row | None if row.computed else Table3Row
                fields[key] = (Annotated[typ, Field(title=label)], None if row.computed else Table3Row())
            else:
                sub = build((*prefix, key), depth + 1, f"{name}_{key}")
                fields[key] = (Annotated[sub, Field(title=label)], sub())
        return create_model(name, __base__=Strict, **fields)

    return build((), 0, f"Table3_{spec.version}")


class _Opening(Strict):
    """The fields before the tables and the parts that every format version has, in the file's order."""

    # Narrowed per version to Literal[version] | None (schema_for); the field keeps this place.
    format: Annotated[str | None, Field(title="报告格式版本（可不填，由年度决定）")] = None
    year: Annotated[int, Field(strict=True, ge=2008, le=2100, title="报告年度")]
    agency: Annotated[Agency, Field(title="单位")]
    contact: Annotated[Contact, Field(title="编制与联系")] = Contact()
    opening: Annotated[Opening, Field(title="开头段落（自行撰写的句子）")] = Opening()
    signoff: Annotated[Signoff, Field(title="落款")] = Signoff()
    overview: Annotated[Overview, Field(title="一、总体情况")] = Overview()
    # The tables' rows and columns come from the format version (kit.spec.formats), so their models are
    # built at run time (schema_for) and the type checker cannot know their fields: honestly Any here.
    table2: Annotated[Any, Field(title="表二")] = None
    table3: Annotated[Any, Field(title="表三")] = None
    table4: Annotated[Any, Field(title="表四")] = None
    problems: Annotated[Text, Field(title="五、存在的主要问题及改进情况（Markdown）")] = ""
    other: Annotated[Text, Field(title="六、其他需要报告的事项（Markdown）")] = ""


class _Closing(Strict):
    """The fields every format version ends with."""

    extra_sections: Annotated[list[ExtraSection], Field(max_length=MAX_EXTRA_SECTIONS, title="本单位增加的部分")] = []
    rollup: Annotated[Rollup | None, Field(title="汇总（政府报告由所属单位汇总）")] = None
    acknowledged: Annotated[list[Acknowledgement], Field(title="已确认的正文与表格差异（N1；每年重新确认）")] = []


class ReportParams(_Closing, _Opening):
    """A validated parameter file: the fields every format version has; ``schema_for`` builds one subclass per version.

    pydantic orders fields base class first (reversed MRO), hence two bases: a version's own fields
    (2021's ``processing_fee``) go between them, where docs/params.md and the messages list them.
    """

    format_spec: ClassVar[FormatSpec]


class ProcessingFee(_Opening):
    """国办函〔2020〕109号: part 六 of the 2021 format states the 信息处理费, also when none."""

    processing_fee: Annotated[Yuan, Field(title="本年收取的信息处理费（单位：元）")] = Decimal(0)


class _WithProcessingFee(ReportParams, ProcessingFee):
    """The base of the 2021 model: its fee between the common fields (_Opening … _Closing)."""


@cache
def schema_for(version: str) -> type[ReportParams]:
    """The parameter-file model of one format version."""
    spec = formats.get(version)
    base: type[ReportParams] = _WithProcessingFee if version == "2021" else ReportParams
    table2, table3 = _table2_model(spec), _table3_model(spec)
    fields: dict[str, Any] = {  # narrowing the base's fields: each keeps its place
        "format": (Annotated[Literal[version] | None, Field(title="报告格式版本（可不填，由年度决定）")], None),
        "table2": (Annotated[table2, Field(title="表二")], table2()),
        "table3": (Annotated[table3, Field(title="表三")], table3()),
        "table4": (Annotated[Table4, Field(title="表四")], Table4()),
    }
    model: type[ReportParams] = create_model(f"Params_{version}", __base__=base, **fields)
    model.format_spec = spec
    return model


def spec_of(params: ReportParams) -> FormatSpec:
    """The format spec a validated parameter model was built for."""
    return type(params).format_spec


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None`` / ``list[X]`` / ``Annotated[...]``, if any."""
    args = getattr(annotation, "__args__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in args or ():
        found = _unwrap(arg)
        if found is not None:
            return found
    return None


def field_at(model: type[BaseModel], loc: tuple) -> tuple[list[str], type[BaseModel] | None]:
    """Walk ``loc`` through the model: the titles on the way, and the model reached."""
    titles: list[str] = []
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            break
        if isinstance(part, int):
            titles.append(f"第{part + 1}项")
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return titles, None
        if info.title:
            titles.extend(info.title.split(" › "))
        current = _unwrap(info.annotation)
    return titles, current


def label_for(model: type[BaseModel], loc: tuple) -> str:
    """The Chinese label path of a field, e.g. 表三 › 三、本年度办理结果 › （七）总计 › 自然人."""
    return " › ".join(field_at(model, loc)[0])


def unit_at(model: type[BaseModel], loc: tuple) -> str | None:
    """The unit a money field is written in (万元 or 元), from its description; None elsewhere."""
    parent = field_at(model, loc[:-1])[1]
    info = parent.model_fields.get(str(loc[-1])) if parent is not None and loc else None
    return info.description if info is not None else None
