"""Fuzzing the loaders: no input file makes them fail with anything but their typed error.

An operator's plan, hierarchy or report file is refused with one :class:`KehoachError`
naming the file (and line, row or cell), never a traceback. Random bytes only reach the
first check, so most strategies start from the real files: the example plans and hierarchy
and a generated report sheet, mutated one field, line or cell at a time, plus the YAML
constructs that break naive loaders (alias bombs, self-referring anchors, ``!!python``
tags, duplicate keys, tabs, deep nesting).

The whole file runs in about half a minute. ``KEHOACH_FUZZ_SCALE=20`` multiplies every
budget for a long local run; a failure prints the input that caused it.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import itertools
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from hierarchy.departments import DATA_DIR, known_roles
from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import UnitKind
from kehoach.cascade.walk import plans_by_unit
from kehoach.io.errors import HierarchyError, InputFileError, KehoachError, PlanError
from kehoach.io.reading import MAX_DEPTH
from kehoach.plan.model import Plan, load_plan
from kehoach.status.intake import (
    CSV_COLUMNS,
    IntakeError,
    read_csv,
    read_files,
    read_sheet,
    reported_tasks,
    sheet_bytes,
)
from kehoach.status.models import TaskState
from kehoach.status.periods import Period
from tests.conftest import EXAMPLES, TINY

PLAN_FILES = sorted(EXAMPLES.glob("*.yaml"))
HOANG_MAI = EXAMPLES / "hierarchies" / "hoang-mai.yaml"
RULES_2024 = DATA_DIR / "departments-2024.yaml"
PLAN_67 = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
KEY = "67/KH-UBND"
Q1 = Period.parse("2024-Q1")
# Sheets with quotas at three levels, and one with no task at all (the ward itself).
SHEET_UNITS = ["00340-van-hoa-thong-tin", "00337-van-phong", "008-phong-van-hoa-thong-tin", "00340"]

SCALE = float(os.environ.get("KEHOACH_FUZZ_SCALE", "1"))


def budget(examples: int) -> settings:
    """Hypothesis settings for one test: ``examples`` inputs, no deadline, no database.

    Loading a workbook takes tens of milliseconds, so per-example deadlines would only be
    noise; the example database stays off so that nothing is written beside the repo.
    """
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# -- running a loader -------------------------------------------------------------------

_serial = itertools.count()


def fresh(folder: Path, suffix: str) -> Path:
    """A new file name per example: rule sets are cached by path, so names are not reused."""
    return folder / f"f{next(_serial)}{suffix}"


def refused_cleanly(
    load: Callable[[], object], allowed: type[KehoachError], names: str | None
) -> KehoachError | None:
    """Run ``load``: a refusal must be an ``allowed`` error, on one line, naming the place.

    Any other exception propagates and fails the test with its traceback, which is the
    point. ``names`` is a file name the error's place must contain, where one is known.
    """
    try:
        load()
    except allowed as exc:
        assert exc.where, f"{type(exc).__name__} names no place: {exc}"
        assert "\n" not in str(exc), f"the CLI prints errors as one line: {exc}"
        if names is not None:
            assert names in exc.where, f"{exc.where!r} does not name {names}"
        # An error listing several problems prints one line each, each naming its file.
        for line in exc.lines():
            assert "\n" not in line, f"one line per problem: {line!r}"
            assert names is None or names in line.split(": ", 1)[0], line
        # How deep inputs get, in --hypothesis-show-statistics: which check refused them.
        event(f"{type(exc).__name__}: {' '.join(exc.what.split()[:3])[:40]}")
        return exc
    event("accepted")
    return None


# -- values -----------------------------------------------------------------------------

NASTY_TEXT = [
    "",
    " ",
    "/",
    "..",
    "../../etc/passwd",
    "/dev/null",
    "{{ plan.summary }}",
    "{% for t in tasks %}",
    "{{",
    "a & b < c > d",
    "<w:p>",
    "&amp;",
    "\x00",
    "\x07bell",
    "tab\there",
    "line\nbreak",
    "\r\n",
    "\u2028",
    "\ufeff",
    "\x85",
    "Hoa\u0300",  # decomposed "Hoà"
    "Nguye\u0302\u0303n",
    "\U0001f600",
    "١٢٣٤",  # Arabic-Indic digits, which Python's \d and int() accept
    "don-vi:",
    "don-vi:00340",
    "cac-phong-ban",
    "ubnd-cap-duoi",
    "van-hoa-thong-tin",
    "KH-UBND",
    "00340",
    "0",
    "-1",
    "1e999",
    "nan",
    "~",
    "null",
    "yes",
    "2024-02-30",
    "0001-01-01",
    "9999-12-31",
    "x" * 70,
]
DEADLINE_WORDS = [
    "Định kỳ hàng tháng",
    "Định kỳ hàng quý",
    "Định kỳ quý 1, 6 tháng, 9 tháng, năm",
    "Hằng năm",
    "Thường xuyên",
]


def _digits(n: int, width: int) -> str:
    return str(n).zfill(width)


numbers = st.one_of(st.integers(0, 99), st.sampled_from([0, 1, 12, 13, 29, 30, 31, 32]))
years = st.one_of(st.sampled_from([0, 1, 1945, 2024, 2100, 9999]), st.integers(0, 9999))
# Deadline wordings with edge-case days, months and years reach every branch of
# parse_deadline, where random text stops at its first regular expression.
deadline_text = st.one_of(
    st.builds(
        "{}{}/{}/{}".format,
        st.sampled_from(["", "Chậm nhất ngày ", "Trước ngày ", "Hạn chót ", "ngày "]),
        numbers,
        numbers,
        years.map(lambda y: _digits(y, 4)),
    ),
    st.builds("Tháng {}/{}".format, numbers, years.map(lambda y: _digits(y, 4))),
    st.builds(
        "Quý {}/{}".format,
        st.sampled_from(["1", "4", "I", "IV", "iii", "5"]),
        years.map(lambda y: _digits(y, 4)),
    ),
    st.builds("Trong năm {}".format, years.map(lambda y: _digits(y, 4))),
    st.builds(
        "{}-{}-{}".format,
        years.map(lambda y: _digits(y, 4)),
        numbers.map(lambda n: _digits(n, 2)),
        numbers.map(lambda n: _digits(n, 2)),
    ),
    st.sampled_from(DEADLINE_WORDS),
)
short_text = st.text(max_size=30)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NASTY_TEXT),
    short_text,
    st.integers(60, 5000).map(lambda n: "y" * n),
    deadline_text,
    st.dates(),
    st.datetimes(),
)


def jsonish(keys: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Scalars, lists and mappings of them, a few levels deep, with ``keys`` as keys."""
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=10,
    )


# -- structure-aware mutation ------------------------------------------------------------

PathKey = str | int
Doc = Any


def paths_in(doc: Doc, prefix: tuple[PathKey, ...] = ()) -> Iterator[tuple[PathKey, ...]]:
    """Every path to a value inside ``doc`` (not the root itself)."""
    items: list[tuple[PathKey, Any]]
    if isinstance(doc, dict):
        items = list(doc.items())
    elif isinstance(doc, list):
        items = list(enumerate(doc))
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from paths_in(value, (*prefix, key))


def values_in(doc: Doc) -> list[Any]:
    """Every scalar value of ``doc``: swapping one for another makes "almost right" files."""
    if isinstance(doc, dict):
        return [v for value in doc.values() for v in values_in(value)]
    if isinstance(doc, list):
        return [v for value in doc for v in values_in(value)]
    return [doc]


def keys_in(doc: Doc) -> set[str]:
    if isinstance(doc, dict):
        return set(doc) | {k for value in doc.values() for k in keys_in(value)}
    if isinstance(doc, list):
        return {k for value in doc for k in keys_in(value)}
    return set()


MUTATIONS = ["drop", "replace", "replace", "swap", "wrap", "add-key", "duplicate", "empty"]


@st.composite
def mutated(draw: st.DrawFn, base: Doc, extra: list[Any]) -> Doc:
    """``base`` after one to four random edits, each at a random place in the tree.

    An edit drops a key or item, replaces a value by a random one (or one taken from
    elsewhere in the file, or from ``extra``), wraps it in a list, adds a key, duplicates
    a list item or empties a container.
    """
    doc = copy.deepcopy(base)
    known_keys = sorted(keys_in(base))
    own_values = values_in(base) + extra
    keys = st.one_of(st.sampled_from(known_keys), short_text, st.integers(-5, 5))
    values = st.one_of(jsonish(keys), st.sampled_from(own_values))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(list(paths_in(doc))))
        *up, last = where
        parent = doc
        for key in up:
            parent = parent[key]
        op = draw(st.sampled_from(MUTATIONS))
        if op == "drop":
            del parent[last]
        elif op in ("replace", "swap"):
            parent[last] = draw(values) if op == "replace" else draw(st.sampled_from(own_values))
        elif op == "wrap":
            parent[last] = [parent[last]]
        elif op == "add-key" and isinstance(parent[last], dict):
            parent[last][draw(keys)] = draw(values)
        elif op == "duplicate" and isinstance(parent[last], list) and parent[last]:
            parent[last].append(copy.deepcopy(draw(st.sampled_from(parent[last]))))
        elif op == "empty" and isinstance(parent[last], dict | list):
            parent[last] = type(parent[last])()
        if not list(paths_in(doc)):
            break
    return doc


def dump(doc: Doc) -> str:
    return yaml.dump(doc, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=100)


YAML_FRAGMENTS = [
    "- ",
    ": ",
    ":",
    "\n",
    "  ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "*undefined",
    "<<: *a",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:example.com,2000:\n",
    "|",
    ">-",
    '"',
    "'",
    "#",
    "~",
    ".nan",
    "-.inf",
    "0x1F",
    "0o17",
    "0b102",
    "1_000",
    "190:20:30",
    "00340",
    "2024-02-30",
    "!!python/object:os.system",
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!int abc",
    "!!int ''",
    "!!float x",
    "!!float ''",
    "!!bool maybe",
    "!!binary ~~~",
    "!!binary é",
    "!!timestamp nope",
    "!!set {a, b}",
    "!!omap [a]",
    "!!pairs x",
    "!!str [1]",
    "!!map x",
    "!!seq x",
    "!!merge x",
    "!local x",
    "!<tag:yaml.org,2002:str> x",
    "\x00",
    "\x07",
    "\ufeff",
    "\u2028",
    "e\u0301",
    "1" * 5000,
    "z" * 20000,
]
fragment = st.one_of(st.sampled_from(YAML_FRAGMENTS), short_text, deadline_text)
LINE_EDITS = ["insert", "replace", "splice", "delete", "duplicate", "indent", "tab", "truncate"]


@st.composite
def edited_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three line edits: YAML syntax spliced into a real file."""
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(LINE_EDITS))
        if op == "insert":
            lines.insert(i, draw(fragment) + "\n")
        elif op == "replace":
            lines[i] = draw(fragment) + "\n"
        elif op == "splice":
            col = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:col] + draw(fragment) + lines[i][col:]
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        elif op == "tab":
            lines[i] = "\t" + lines[i].lstrip(" ")
        elif op == "truncate":
            lines = [*lines[:i], lines[i][: draw(st.integers(0, len(lines[i])))]]
    return "".join(lines)


# Files that are not YAML at all: bytes, invalid UTF-8, control characters, long lines.
raw_bytes = st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=200).map(lambda b: b"\xef\xbb\xbf" + b),  # a BOM, then anything
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=100).map(str.encode),
    st.builds(
        lambda c, n: (c * n).encode(),
        st.sampled_from(["a", "é", "-", "[", "\t"]),
        st.integers(1, 200_000),
    ),
)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@dataclass(frozen=True)
class Reports:
    """Hoàng Mai's hierarchy, the drafts of 67/KH-UBND and a generated sheet per unit.

    Built once per module; the short repr keeps Hypothesis's failure reports readable.
    """

    h: Hierarchy
    plans: dict[str, Plan]
    sheets: dict[str, bytes]

    def __repr__(self) -> str:
        return f"Reports({HOANG_MAI.name}, {KEY})"

    def tasks(self, unit: str) -> list[str]:
        """The task ids ``unit`` reports on (all of the plan's, if it reports on none)."""
        own = [t.id for t in reported_tasks(self.h.unit(unit), self.plans, self.h)]
        return own or sorted({t.id for p in self.plans.values() for t in p.tasks})


@pytest.fixture(scope="module")
def reports() -> Reports:
    h = load_hierarchy(HOANG_MAI)
    plans = plans_by_unit(load_plan(PLAN_67), h)
    sheets = {u: sheet_bytes(h.unit(u), plans, h, KEY, Q1) for u in SHEET_UNITS}
    return Reports(h, plans, sheets)


def _yaml_dict(path: Path) -> Doc:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


PLAN_DOCS = {p.name: _yaml_dict(p) for p in PLAN_FILES}
HIERARCHY_DOC = _yaml_dict(HOANG_MAI)
TINY_DOC = yaml.safe_load(TINY.format(departments="rules-2024"))
RULES_DOC = _yaml_dict(RULES_2024)
HIERARCHY_VALUES = [
    *(k.value for k in UnitKind),
    *sorted(known_roles()),
    "rules-2024",
    "rules-2025",
    "none",
    "missing.yaml",
    "/",
    ".",
    "../x.yml",
    "a\x00b.yaml",
    "x" * 60,  # an id that leaves no room for "-van-phong"
    "01",
    "008",
    "00340",
    "00340-van-hoa-thong-tin",
]
PLAN_VALUES = [*DEADLINE_WORDS, "don-vi:00340", "cac-phong-ban", "ubnd-cap-duoi", "xa", "huyen"]


# -- plans ------------------------------------------------------------------------------


def _load_plan_file(workdir: Path, data: bytes | str) -> None:
    path = fresh(workdir, ".yaml")
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(data)
    refused_cleanly(lambda: load_plan(path), KehoachError, path.name)


@budget(120)
@given(data=raw_bytes)
def test_plan_from_any_bytes(workdir: Path, data: bytes) -> None:
    _load_plan_file(workdir, data)


@budget(150)
@given(name=st.sampled_from(sorted(PLAN_DOCS)), data=st.data())
def test_plan_with_mutated_fields(workdir: Path, name: str, data: st.DataObject) -> None:
    doc = data.draw(mutated(PLAN_DOCS[name], PLAN_VALUES), label="plan")
    _load_plan_file(workdir, dump(doc))


@budget(150)
@given(name=st.sampled_from([p.name for p in PLAN_FILES]), data=st.data())
def test_plan_with_edited_lines(workdir: Path, name: str, data: st.DataObject) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    _load_plan_file(workdir, data.draw(edited_text(text), label="text"))


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_decomposed_unicode_plan_loads_as_the_composed_one(workdir: Path, path: Path) -> None:
    nfd = fresh(workdir, ".yaml")
    nfd.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")), "utf-8")
    assert load_plan(nfd) == load_plan(path)


# -- hierarchies ------------------------------------------------------------------------


def _load_hierarchy_file(workdir: Path, text: str | bytes) -> None:
    path = fresh(workdir, ".yaml")
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(text)
    # No file name is asserted: a generated department's error names its unit, and a rule
    # set's error names the rule set file.
    refused_cleanly(lambda: load_hierarchy(path), KehoachError, None)


@budget(80)
@given(data=raw_bytes)
def test_hierarchy_from_any_bytes(workdir: Path, data: bytes) -> None:
    _load_hierarchy_file(workdir, data)


@budget(150)
@given(base=st.sampled_from([HIERARCHY_DOC, TINY_DOC]), data=st.data())
def test_hierarchy_with_mutated_fields(workdir: Path, base: Doc, data: st.DataObject) -> None:
    doc = data.draw(mutated(base, HIERARCHY_VALUES), label="hierarchy")
    _load_hierarchy_file(workdir, dump(doc))


@budget(100)
@given(data=st.data())
def test_hierarchy_with_edited_lines(workdir: Path, data: st.DataObject) -> None:
    text = HOANG_MAI.read_text(encoding="utf-8")
    _load_hierarchy_file(workdir, data.draw(edited_text(text), label="text"))


@budget(60)
@given(data=st.data())
def test_hierarchy_with_a_mutated_rule_set(workdir: Path, data: st.DataObject) -> None:
    rules = fresh(workdir, ".yaml")
    rules.write_text(dump(data.draw(mutated(RULES_DOC, HIERARCHY_VALUES), label="rules")))
    _load_hierarchy_file(workdir, TINY.format(departments=rules.name))


def test_unit_below_a_loop_of_parents_names_the_loop(workdir: Path) -> None:
    # Found by this file: the graph looked for the loop from the stray unit "C" by
    # following children, found none and raised networkx's NetworkXNoCycle.
    text = (
        "units:\n"
        '  - {id: "01", name: Thành phố Hà Nội, kind: thanh-pho}\n'
        '  - {id: "C", name: Phường C, kind: phuong, parent: "A"}\n'
        '  - {id: "A", name: Quận A, kind: quan, parent: "B"}\n'
        '  - {id: "B", name: Quận B, kind: quan, parent: "A"}\n'
    )
    path = fresh(workdir, ".yaml")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HierarchyError, match=r"\.yaml:4: cycle of parents: A → B → A"):
        load_hierarchy(path)


def test_generated_department_id_too_long_is_the_units_error(workdir: Path) -> None:
    path = fresh(workdir, ".yaml")
    path.write_text(
        f"departments: rules-2024\nunits:\n  - {{id: {'x' * 60}, name: Tỉnh X, kind: tinh}}\n",
        encoding="utf-8",
    )
    with pytest.raises(HierarchyError, match=r"unit x{60}: the department 'van-phong'.* id"):
        load_hierarchy(path)


# -- YAML constructs --------------------------------------------------------------------


def _bomb(levels: int, width: int) -> str:
    """width**levels values from a few lines of anchors and aliases ("billion laughs")."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@budget(40)
@given(levels=st.integers(1, 12), width=st.integers(2, 12))
def test_alias_bombs_are_refused_quickly(workdir: Path, levels: int, width: int) -> None:
    path = fresh(workdir, ".yaml")
    path.write_text(_bomb(levels, width), encoding="utf-8")
    # Refused before anything is expanded; how fast is measured by bench/loaders.py.
    err = refused_cleanly(lambda: load_plan(path), KehoachError, path.name)
    if width**levels > 1_000_000:
        assert isinstance(err, InputFileError) and "aliases expand" in err.what


@budget(60)
@given(
    depth=st.one_of(st.integers(1, 300), st.integers(1, 200_000)),
    shape=st.sampled_from(["[", "{", "{a: ", "- ", "a: !!seq [", "? "]),
    inside=st.sampled_from(["", "content: ", "tasks: ", "units: "]),
)
def test_deep_nesting_is_refused_not_a_recursion_error(
    workdir: Path, depth: int, shape: str, inside: str
) -> None:
    text = inside + shape * depth + "x\n"
    for load in (load_plan, load_hierarchy):
        path = fresh(workdir, ".yaml")
        path.write_text(text, encoding="utf-8")
        err = refused_cleanly(lambda: load(path), KehoachError, path.name)  # noqa: B023
        # Block nesting right after "content: " ("content: - - x") is a syntax error first.
        if depth > MAX_DEPTH + 1 and (not inside or shape[0] in "[{"):
            assert isinstance(err, InputFileError) and "levels deep" in err.what, err


@pytest.mark.parametrize(
    "text",
    [
        "tasks: &a [*a]\n",
        "issuer: &a {body: *a}\n",
        "a: &a [&b [*a, *b]]\n",
        "content: &s [{title: x, sections: *s}]\n",
    ],
)
def test_an_anchor_inside_itself_is_refused(workdir: Path, text: str) -> None:
    path = fresh(workdir, ".yaml")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=r"\.yaml:1: malformed YAML: .*(alias|recursive)"):
        load_plan(path)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/object:os.system {{}}",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/tuple [1, 2]",
    ],
)
def test_python_tags_are_refused_and_never_run(workdir: Path, tag: str) -> None:
    marker = workdir / f"ran-{next(_serial)}"
    path = fresh(workdir, ".yaml")
    path.write_text(f"number: 1\nsummary: {tag.format(marker=marker)}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"\.yaml:2: malformed YAML: could not determine"):
        load_plan(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("number: 1\nsummary: x\nnumber: 2\n", 3, "found the key 'number' twice"),
        ("number: !!int abc\n", 1, "'abc' is not a whole number"),
        ("number: " + "9" * 5000 + "\n", 1, r"\(5000 characters\) is not a whole number"),
        ("number: !!float ''\n", 1, "'' is not a number"),
        ("issues_plan: !!bool maybe\n", 1, "'maybe' is not true or false"),
        ("summary: ok\nplace: \x07\n", 2, "U\\+0007 is not allowed"),
        ("summary:\n\t- x\n", 2, "found character '\\\\t' that cannot start any token"),
        ("!!map x\n", 1, "expected a mapping node, but found scalar"),
        ("summary: ok\nplace: !!map [1]\n", 2, "expected a mapping node, but found sequence"),
    ],
)
def test_yaml_errors_name_their_line(workdir: Path, text: str, line: int, what: str) -> None:
    path = fresh(workdir, ".yaml")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=rf"\.yaml:{line}: malformed YAML: .*{what}"):
        load_plan(path)


def test_deadline_before_the_first_day_is_a_plan_error(workdir: Path) -> None:
    text = (EXAMPLES / "yen-so-55-kh-ubnd.yaml").read_text(encoding="utf-8")
    path = fresh(workdir, ".yaml")
    path.write_text(text.replace("Trong năm 2024", "Trước ngày 1/1/0001", 1), encoding="utf-8")
    with pytest.raises(PlanError, match=r"deadline: 'Trước ngày 1/1/0001': there is no day"):
        load_plan(path)


def test_merge_keys_still_work(workdir: Path) -> None:
    # The duplicate-key check must leave YAML's "<<" merges alone: a key written beside a
    # merge overrides the merged one, as YAML says.
    original = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
    term = "term: {start: 2024, end: 2024}"
    text = original.read_text(encoding="utf-8")
    assert term in text
    path = fresh(workdir, ".yaml")
    merged = "term: {<<: &t {start: 1999, end: 2024}, start: 2024}"
    path.write_text(text.replace(term, merged, 1), encoding="utf-8")
    assert load_plan(path) == load_plan(original)


# -- report sheets (XLSX) ---------------------------------------------------------------


def _cell_text(text: str) -> str:
    # openpyxl refuses control characters in cells (IllegalCharacterError) when the test
    # writes them, so they cannot reach the importer through an .xlsx file anyway.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


STATES = [s.label for s in TaskState] + [s.value for s in TaskState] + ["hoàn thành ", "xong"]
FORMULAS = ["=1/0", "=A1", "=SUM(G11:G20)", "=G12*2", '=HYPERLINK("x","y")', "=NA()"]
DATE_TEXTS = ["01/03/2024", "2024-03-01", "31/02/2024", "1/2/3/4", "--", "2024-3-1", "١/٣/٢٠٢٤"]


def _any_cell_value(reports: Reports) -> st.SearchStrategy[Any]:
    """What a person (or another program) might type into any cell of the report sheet."""
    plans = reports.plans
    task_ids = sorted({t.id for p in plans.values() for t in p.tasks})
    plausible = [*sorted(plans), *task_ids, *STATES, *DATE_TEXTS, KEY, "145/KH-UBND"]
    plausible += ["2024-Q1", "2024-6M", "2024-Q3", "12/KH"]
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**15), 10**15),
        st.sampled_from([0, -1, 3, 2**53]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.dates(min_value=dt.date(1900, 3, 1)),
        st.dates(min_value=Q1.start, max_value=Q1.end),
        st.datetimes(min_value=dt.datetime(1900, 3, 1)),
        st.times(),
        st.sampled_from(FORMULAS),
        st.sampled_from(plausible),
        st.sampled_from(NASTY_TEXT).map(_cell_text),
        short_text.map(_cell_text),
        st.integers(1, 40_000).map(lambda n: "x" * n),
    )


def _cell_values(reports: Reports, unit: str) -> dict[str, st.SearchStrategy[Any]]:
    """Values that pass a column's first check, so the importer's later checks are reached."""
    plans = reports.plans
    in_period = st.one_of(
        st.dates(min_value=Q1.start, max_value=Q1.end),
        st.datetimes(min_value=dt.datetime(2023, 12, 1), max_value=dt.datetime(2024, 4, 1)),
    )
    return {
        "A": st.sampled_from(reports.tasks(unit)),
        "E": st.sampled_from(STATES),
        "F": st.one_of(in_period, st.sampled_from(DATE_TEXTS)),
        "H": st.one_of(st.integers(-3, 30), st.floats(-1, 30), st.sampled_from(["3", "=H11"])),
        "B3": st.sampled_from(sorted(plans)),
        "B5": st.sampled_from(["2024-Q1", "2024-q1 ", "2024-6M", "2023-Y", "1999-Q1"]),
        "B7": st.one_of(st.none(), st.sampled_from(["12/KH-VHTT", " ", "0"]), st.integers()),
        "B8": st.one_of(
            st.none(), st.dates(min_value=dt.date(1900, 3, 1)), st.sampled_from(DATE_TEXTS)
        ),
    }


# Most sheets keep their layout, so that the cell checks behind the layout checks are run.
STRUCTURE_EDITS = ["none"] * 8 + [
    "merge",
    "rename",
    "remove",
    "chartsheet",
    "insert-rows",
    "second",
]


def edited_sheet(
    data: st.DataObject,
    base: bytes,
    anything: st.SearchStrategy[Any],
    typed: dict[str, st.SearchStrategy[Any]],
) -> bytes:
    """A generated sheet with cells of rows 1..30, columns A..H set to random values.

    Half the edits go anywhere with any value; the other half go where a person fills the
    sheet in (state, date, count; the unit's own number and date) with values of the kind
    the column expects, sometimes out of range. Drawn in the test's body, not as a strategy:
    openpyxl uses the random module, which Hypothesis does not allow inside strategies.
    """
    draw = data.draw
    wb = load_workbook(io.BytesIO(base))
    ws = wb["BaoCao"]
    assert isinstance(ws, Worksheet)
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            ref = f"{draw(st.sampled_from('ABCDEFGH'))}{draw(st.integers(1, 30))}"
            ws[ref] = draw(anything)
        else:
            col = draw(st.sampled_from(["A", "E", "E", "F", "F", "H", "H", "B3", "B5", "B7", "B8"]))
            ref = col if len(col) > 1 else f"{col}{draw(st.integers(11, 20))}"
            ws[ref] = draw(typed[col])
    edit = draw(st.sampled_from(STRUCTURE_EDITS))
    if edit == "merge":
        top, left = draw(st.integers(1, 30)), draw(st.integers(1, 8))
        ws.merge_cells(start_row=top, start_column=left, end_row=top + 1, end_column=left)
    elif edit == "rename":
        ws.title = draw(st.sampled_from(["Sheet1", "baocao", "BaoCao ", "Báo cáo"]))
    elif edit == "remove":
        wb.create_sheet("Khac")
        wb.remove(ws)
    elif edit == "chartsheet":
        ws.title = "Cu"
        wb.create_chartsheet("BaoCao")
    elif edit == "insert-rows":
        ws.insert_rows(draw(st.integers(1, 15)), draw(st.integers(1, 3)))
    elif edit == "second":
        wb.create_sheet("BaoCao2")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on dates out of range
@budget(100)
@given(
    unit=st.sampled_from(SHEET_UNITS),
    suffix=st.sampled_from([".xlsx", ".XLSX", ".xlsm"]),
    data=st.data(),
)
def test_sheet_with_random_cells(
    workdir: Path,
    reports: Reports,
    unit: str,
    suffix: str,
    data: st.DataObject,
) -> None:
    h, plans = reports.h, reports.plans
    edited = edited_sheet(
        data, reports.sheets[unit], _any_cell_value(reports), _cell_values(reports, unit)
    )
    path = fresh(workdir, suffix)
    path.write_bytes(edited)
    accepted: list[tuple[str, list[str]]] = []

    def read() -> None:
        for prov, statuses, _ in read_files([path], plans, h, KEY, "fuzz"):
            accepted.append((prov.unit_id, [s.task_id for s in statuses]))

    if refused_cleanly(read, IntakeError, path.name) is None:
        # Accepted: the report holds every task its unit owes, once (a row cleared or written
        # over would otherwise roll up as a task not owed).
        [(unit_id, reported)] = accepted
        owed = [t.id for t in reported_tasks(h.unit(unit_id), plans, h)]
        assert sorted(reported) == sorted(owed)


def _truncated(sheet: bytes, cut: int) -> bytes:
    return sheet[: cut % (len(sheet) + 1)]


def _zip_without(sheet: bytes, member: int) -> bytes:
    """The sheet's zip with one member left out (the workbook, a sheet, the styles ...)."""
    src = zipfile.ZipFile(io.BytesIO(sheet))
    names = src.namelist()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for i, name in enumerate(names):
            if i != member % len(names):
                out.writestr(name, src.read(name))
    return buf.getvalue()


def _zip_with_garbage(sheet: bytes, member: int, junk: bytes) -> bytes:
    """The sheet's zip with one member's XML replaced by ``junk``."""
    src = zipfile.ZipFile(io.BytesIO(sheet))
    names = src.namelist()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for i, name in enumerate(names):
            out.writestr(name, junk if i == member % len(names) else src.read(name))
    return buf.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on a missing stylesheet
@budget(80)
@given(data=st.data(), suffix=st.sampled_from([".xlsx", ".xlsm"]))
def test_sheet_that_is_not_a_workbook(
    workdir: Path,
    reports: Reports,
    data: st.DataObject,
    suffix: str,
) -> None:
    h, plans = reports.h, reports.plans
    sheet = reports.sheets[SHEET_UNITS[0]]
    content = data.draw(
        st.one_of(
            raw_bytes,
            st.integers(0, 10**6).map(lambda cut: _truncated(sheet, cut)),
            st.integers(0, 100).map(lambda m: _zip_without(sheet, m)),
            st.builds(
                lambda m, junk: _zip_with_garbage(sheet, m, junk),
                st.integers(0, 100),
                st.one_of(st.binary(max_size=100), st.sampled_from([b"", b"<x/>", b"<?xml"])),
            ),
        ),
        label="content",
    )
    path = fresh(workdir, suffix)
    path.write_bytes(content)
    refused_cleanly(lambda: read_sheet(path, plans, h, KEY, "fuzz"), IntakeError, path.name)


MARKER = 987654321
CELL_TYPES = ["n", "s", "str", "b", "e", "d", "inlineStr", "x"]
RAW_CELL_VALUES = ["1e999", "-1e999", "nan", "NaN", "inf", "1e-999", "-0", "0x10", "", " ", "١"]
RAW_CELL_VALUES += ["2024-13-45", "2024-03-01", "2024-03-01T25:00", "#DIV/0!", "99999999999", "1.5"]


def _with_raw_cell(sheet: bytes, ref: str, cell_type: str, text: str) -> bytes:
    """The sheet with cell ``ref`` written straight into the XML, as another program might.

    openpyxl never writes NaN or 1e999 itself (it leaves the cell empty), but it reads
    them from a file that has them, and so does the importer.
    """
    wb = load_workbook(io.BytesIO(sheet))
    wb["BaoCao"][ref] = MARKER
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    cell = f'<c r="{ref}" t="{cell_type}"><v>{xml_escape(text)}</v>'.encode()
    out_buf = io.BytesIO()
    with zipfile.ZipFile(out_buf, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name.startswith("xl/worksheets/"):
                data = re.sub(rf'<c r="{ref}"[^>]*><v>{MARKER}</v>'.encode(), lambda _: cell, data)
            out.writestr(name, data)
    return out_buf.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on dates out of range
@budget(40)
@given(
    unit=st.sampled_from(SHEET_UNITS),
    ref=st.builds("{}{}".format, st.sampled_from("ABCDEFGH"), st.integers(1, 20)),
    cell_type=st.sampled_from(CELL_TYPES),
    text=st.one_of(st.sampled_from(RAW_CELL_VALUES), short_text.map(_cell_text)),
)
def test_sheet_with_raw_cell_xml(
    workdir: Path,
    reports: Reports,
    unit: str,
    ref: str,
    cell_type: str,
    text: str,
) -> None:
    h, plans = reports.h, reports.plans
    path = fresh(workdir, ".xlsx")
    path.write_bytes(_with_raw_cell(reports.sheets[unit], ref, cell_type, text))
    refused_cleanly(lambda: read_sheet(path, plans, h, KEY, "fuzz"), IntakeError, path.name)


# -- report CSV files -------------------------------------------------------------------


def _csv_junk(reports: Reports) -> st.SearchStrategy[str]:
    """Any field of any column."""
    plans = reports.plans
    task_ids = sorted({t.id for p in plans.values() for t in p.tasks})
    plausible = [*sorted(plans), *task_ids, *STATES, *DATE_TEXTS, "2024-Q1", "2024-Y", "nan"]
    return st.one_of(
        st.sampled_from(plausible),
        st.sampled_from(NASTY_TEXT),
        short_text,
        st.integers(-(10**40), 10**40).map(str),
    )


@st.composite
def csv_row(draw: st.DrawFn, reports: Reports, junk: st.SearchStrategy[str]) -> list[str]:
    """A row that is mostly right: a unit with a plan, one of its tasks, then any column off.

    Each column is its plausible value or, now and then, junk; a row may also be cut short,
    run long, or hold one field longer than the csv module accepts.
    """
    plans = reports.plans
    unit = draw(st.sampled_from(sorted(plans)))
    tasks = reports.tasks(unit)
    plausible = {
        "unit_id": st.just(unit),
        "task_id": st.sampled_from(tasks),
        "period": st.sampled_from(["2024-Q1", " 2024-q1", "2024-9M", "2024-Q5", ""]),
        "state": st.sampled_from(STATES),
        "done_on": st.one_of(
            st.dates(min_value=Q1.start, max_value=Q1.end).map(str),
            st.sampled_from(["", *DATE_TEXTS]),
        ),
        "count": st.one_of(
            st.integers(-3, 30).map(str), st.sampled_from(["", "+5", "1_000", "3.0", "١٢", "=1"])
        ),
    }
    row = [
        draw(st.one_of(plausible[c], junk) if draw(st.integers(0, 5)) == 0 else plausible[c])
        for c in CSV_COLUMNS
    ]
    shape = draw(st.sampled_from(["keep"] * 6 + ["short", "long", "huge"]))
    if shape == "short":
        row = row[: draw(st.integers(0, len(row) - 1))]
    elif shape == "long":
        row += draw(st.lists(junk, min_size=1, max_size=3))
    elif shape == "huge":
        row[draw(st.integers(0, len(row) - 1))] = "f" * 200_000  # over the csv field limit
    return row


headers = st.one_of(
    st.just(CSV_COLUMNS),
    st.just([f" {c} " for c in CSV_COLUMNS]),
    st.sampled_from(
        [[c.upper() for c in CSV_COLUMNS], CSV_COLUMNS[:-1], [*CSV_COLUMNS, "note"], ["", ""]]
    ),
    st.permutations(CSV_COLUMNS),
    st.lists(short_text, max_size=8),
)


@budget(200)
@given(data=st.data(), quoted=st.booleans(), bom=st.booleans())
def test_csv_with_random_rows(
    workdir: Path,
    reports: Reports,
    data: st.DataObject,
    quoted: bool,
    bom: bool,
) -> None:
    h, plans = reports.h, reports.plans
    # The right header most of the time: a wrong one ends the import at row 1.
    header = (
        data.draw(headers, label="header") if data.draw(st.integers(0, 3)) == 0 else CSV_COLUMNS
    )
    junk = _csv_junk(reports)
    rows = data.draw(
        st.lists(st.one_of(csv_row(reports, junk), st.lists(junk, max_size=8)), max_size=6),
        label="rows",
    )
    if quoted:
        buf = io.StringIO()
        csv.writer(buf).writerows([header, *rows])
        text = buf.getvalue()
    else:  # written by hand: commas, quotes and line breaks inside fields left as they are
        text = "\n".join(",".join(r) for r in [header, *rows])
    path = fresh(workdir, ".csv")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass"))
    accepted = []

    def read() -> None:
        accepted.extend(read_csv(path, plans, h, KEY, "fuzz"))

    if refused_cleanly(read, IntakeError, path.name) is None:
        # Accepted: each unit and period it reports on has every task the unit owes, once.
        for prov, statuses, _ in accepted:
            owed = [t.id for t in reported_tasks(h.unit(prov.unit_id), plans, h)]
            assert sorted(s.task_id for s in statuses) == sorted(owed)


@budget(60)
@given(data=raw_bytes, suffix=st.sampled_from([".csv", ".CSV", ".txt", ""]))
def test_csv_from_any_bytes(
    workdir: Path,
    reports: Reports,
    data: bytes,
    suffix: str,
) -> None:
    h, plans = reports.h, reports.plans
    path = fresh(workdir, suffix)
    path.write_bytes(data)
    refused_cleanly(lambda: read_files([path], plans, h, KEY, "fuzz"), IntakeError, path.name)


def test_good_csv_with_padded_header_imports(workdir: Path, reports: Reports) -> None:
    # Found by this file: " unit_id" passed the header check (it strips) and then failed
    # with KeyError 'unit_id' on the first row.
    h, plans = reports.h, reports.plans
    tasks = [t.id for t in reported_tasks(h.unit(SHEET_UNITS[0]), plans, h)]
    path = fresh(workdir, ".csv")
    path.write_text(
        ", ".join(CSV_COLUMNS)
        + "".join(f"\n{SHEET_UNITS[0]},{t},2024-Q1,Đang thực hiện,," for t in tasks),
        encoding="utf-8",
    )
    [(prov, statuses, _)] = read_csv(path, plans, h, KEY, "fuzz")
    assert prov.unit_id == SHEET_UNITS[0] and [s.task_id for s in statuses] == tasks


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_sheet_count_infinite_is_not_a_whole_number(
    workdir: Path, reports: Reports, number: str
) -> None:
    # Found by this file: an infinite count reached int() and raised OverflowError.
    h, plans = reports.h, reports.plans
    path = fresh(workdir, ".xlsx")
    path.write_bytes(_with_raw_cell(reports.sheets[SHEET_UNITS[0]], "H11", "n", number))
    with pytest.raises(IntakeError, match=r"cell H11: -?inf is not a whole number"):
        read_sheet(path, plans, h, KEY, "fuzz")
