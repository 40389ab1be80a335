"""Reading operator-written YAML: UTF-8 only, Unicode NFC, and line numbers kept for errors.

Operators hand-edit these files; an error must point at the line. PyYAML knows each node's
line, so the loader records the line of every mapping under a private key that
:func:`line_of` reads and :func:`strip_lines` removes before validation.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kehoach.errors import InputFileError

LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that stores each mapping's 1-based line under ``LINE_KEY``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


def _construct_str(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Decomposed Unicode ("Hoà" typed on some keyboards) must match the composed form the
    # national data uses, so every string is normalised to NFC on the way in.
    return unicodedata.normalize("NFC", str(loader.construct_scalar(node)))


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int | str:
    # Administrative codes have leading zeros ("01", "008", "00340"); YAML 1.1 would read
    # 00340 as the octal number 224. A number written with a leading zero stays text.
    text = str(loader.construct_scalar(node))
    if len(text) > 1 and text.startswith("0") and text.isdigit():
        return text
    return int(loader.construct_yaml_int(node))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates stay text so that an impossible one (2024-02-30) reaches pydantic, whose error
    # carries the field and line, instead of failing inside the YAML parser.
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG, _construct_str)


def read_text(path: Path) -> str:
    """Read a file as UTF-8, with an error naming the file and byte offset if it is not."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError("file not found", where=path) from None
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc.strerror}", where=path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", where=f"{path}:{line}"
        ) from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; mappings carry their line under ``LINE_KEY``."""
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputFileError(f"malformed YAML: {exc.problem or exc}", where=where) from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"malformed YAML: {exc}", where=path) from None


def strip_lines(data: Any) -> Any:
    """A copy of ``data`` without the line markers, ready for pydantic."""
    if isinstance(data, dict):
        return {k: strip_lines(v) for k, v in data.items() if k != LINE_KEY}
    if isinstance(data, list):
        return [strip_lines(v) for v in data]
    return data


def line_of(data: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest mapping along ``loc`` (a pydantic error location)."""
    line: int | None = data.get(LINE_KEY) if isinstance(data, dict) else None
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and LINE_KEY in node:
            line = node[LINE_KEY]
    return line


def describe_validation_error(exc: ValidationError, data: Any, path: Path | str) -> tuple[str, str]:
    """Turn pydantic's first error into (where, what) naming the file, line and field."""
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    line = line_of(data, loc)
    field = ".".join(str(p) for p in loc)
    where = f"{path}:{line}" if line else str(path)
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    msg = err["msg"].removeprefix("Value error, ")
    return where, f"{field}: {msg}{more}" if field else f"{msg}{more}"
