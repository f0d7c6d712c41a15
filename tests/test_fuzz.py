"""Fuzz (hypothesis): random YAML documents, random text and random bytes as a parameter file.

``kit validate`` (the library function and the CLI) and the batch's preparation step answer
each with a result or the kit's own message — never a traceback, never the kit's internal-error
message — within a bounded CPU time and memory per file. Run with
``--hypothesis-show-statistics`` to see how many of each kind were tried; ``KIT_FUZZ_EXAMPLES``
sets the number of examples per test (150).
"""

from __future__ import annotations

import os
import resource
import tracemalloc
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kit import cli
from kit.api import RunOptions
from kit.batch import Outcome
from kit.check.validate import INTERNAL_ERROR, Validated, validate_file
from kit.exceptions import ParamsError
from tests.factories import balanced_2021
from tests.helpers import prepared

MAX_CPU_SECONDS = 2.0
MAX_MEMORY = 200 * 1024 * 1024
INTERNAL = INTERNAL_ERROR.split("（")[0]  # 校验时发生内部错误
FUZZ = settings(max_examples=int(os.environ.get("KIT_FUZZ_EXAMPLES", "150")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

KEYS = ["year", "format", "agency", "id", "name", "kind", "self_name", "overview", "intro", "proactive", "channel",
        "categories", "count", "subsections", "title", "text", "table2", "table3", "table4", "new", "carry_in",
        "outcomes", "granted", "partial", "refused", "state_secret", "total", "natural", "commercial", "amount",
        "fees", "licensing", "decisions", "review", "upheld", "extra_sections", "after", "problems", "other",
        "processing_fee", "carry_out"]
TRICKY = ["/", "—", "不适用", "12万", "5元", "1e3", "100", "$\\frac$", "a$b$c", "{{ x }}", "{% if %}", "url(//a)",
          "\u202e反转", "\u200b", "\x07", "\t", "：", "\u3000", "2022", "-1", "99999999999999999999999", "department",
          "other", "*a", "&a", "? [a, b]", "- ", "!!python/object:os.system", "0x1A", "012", "yes", "~", ""]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, 2**64, 10**30, -(2**63), 10**12, 10**12 + 1]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.sampled_from(TRICKY),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                      max_leaves=25)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


BASE = balanced_2021(2022)
BASE_PATHS = [p for p in _paths(BASE) if p]


SNIPPETS = ["? [a, b]\n: 1", "x: *a", "x: &a 1", "\tx: 1", "x：1", "\u3000x: 1", "x:1", "x: \"1", "- 1", "---",
            "x: [", "x: {", "%YAML 1.1", "x: !!binary aGk=", "x: !!set {a}", "x: !!omap [a: 1]", "<<: {a: 1}",
            "x: !!timestamp 2022-01-01", "x: |\n  a", "x: >-\n b", "'x': 1", "? x\n: 1", "x: 1 # c"]


@st.composite
def spliced(draw) -> str:
    """A valid file with a line of tricky YAML spliced in at a random line, indented at random."""
    lines = yaml.safe_dump(BASE, allow_unicode=True).splitlines()
    at = draw(st.integers(0, len(lines)))
    snippet = " " * draw(st.sampled_from([0, 2, 4, 6])) + draw(st.sampled_from(SNIPPETS))
    return "\n".join([*lines[:at], snippet, *lines[at:]]) + "\n"


@st.composite
def mutated(draw) -> str:
    """A valid file with one to three places replaced (or a key added) by something random."""
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(BASE_PATHS))
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent[draw(keys)] = draw(values)
            else:
                parent[path[-1]] = draw(st.one_of(scalars, values))
        except (KeyError, IndexError, TypeError):  # an earlier change removed the way there
            continue
    return yaml.safe_dump(data, allow_unicode=True)


yaml_documents = st.one_of(
    mutated(),
    spliced(),
    values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=6).map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
)
yaml_like_text = st.text(alphabet=st.sampled_from(list(":-?[]{}&*!|>'\"#%@`,\n \t\u3000：测试年2022abc\x07\u202e\\0.")),
                         max_size=200)

HOSTILE = [
    # the billion laughs at nine levels: 9**9 values if expanded
    "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
    "x: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "x: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
    "table3:\n  ? [a, b]\n  : 1\n",
    "year: 2022\ntable3: {new: {natural: 9223372036854775807, commercial: 9223372036854775807}}\n",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_one(project: Path, content: bytes, monkeypatch) -> None:
    monkeypatch.setenv("KIT_ROOT", str(project))
    f = project / "params" / "test-agency" / "2022.yaml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_bytes(content)
    before = resource.getrusage(resource.RUSAGE_SELF)
    tracemalloc.start()
    try:
        try:
            result = validate_file(f)
        except ParamsError as exc:
            result = exc
        cli_result = CliRunner().invoke(cli.main, ["validate", str(f)])
        refused, todo = prepared([f], RunOptions(output=project / "output"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    assert isinstance(result, Validated | ParamsError)
    assert INTERNAL not in str(result) and INTERNAL not in cli_result.output
    assert cli_result.exit_code in (0, 3), cli_result.output
    assert cli_result.exception is None or isinstance(cli_result.exception, SystemExit), cli_result.exception
    assert "Traceback" not in cli_result.output
    assert len(refused) + len(todo) == 1 and all(isinstance(o, Outcome) for o in refused)
    assert all(INTERNAL not in o.message for o in refused)
    assert cpu < MAX_CPU_SECONDS, f"{cpu:.2f} s CPU"
    assert peak < MAX_MEMORY, f"{peak / 2**20:.0f} MB"


@FUZZ
@given(text=yaml_documents)
@example(text=HOSTILE[0])
@example(text=HOSTILE[1])
@example(text=HOSTILE[2])
@example(text=HOSTILE[3])
@example(text=HOSTILE[4])
def test_random_yaml_documents(project, text, monkeypatch_session):
    check_one(project, text.encode("utf-8"), monkeypatch_session)


@FUZZ
@given(text=yaml_like_text)
def test_random_yaml_like_text(project, text, monkeypatch_session):
    check_one(project, text.encode("utf-8"), monkeypatch_session)


@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes(project, content, monkeypatch_session):
    check_one(project, content, monkeypatch_session)


@pytest.fixture(scope="module")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as mp:
        yield mp
