"""Reading operator-written YAML: UTF-8 only, Unicode NFC, and line numbers kept for errors.

Operators hand-edit these files; an error must point at the line. PyYAML knows each node's
line, so the loader records the line of every mapping under a private key that
:func:`line_of` reads and :func:`strip_lines` removes before validation.

No file, however malformed, gets past :func:`load_yaml` as anything but an
:class:`InputFileError`: a key written twice, a value its explicit tag cannot hold
(``!!int abc``), nesting deep enough to exhaust Python's stack, and anchors that expand
exponentially ("billion laughs") or refer to themselves are all refused with their line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kehoach.io.errors import InputFileError

LINE_KEY = "__line__"

#: Deepest nesting of lists and mappings accepted (a plan needs about a dozen levels). The
#: composer, constructor, :func:`strip_lines` and pydantic all recurse once per level.
MAX_DEPTH = 100
#: Most values aliases may add to a document once expanded. Every consumer walks the
#: expanded tree, so ten nested aliases of ten items each would otherwise hang the loader;
#: a large file without aliases is not limited.
MAX_ALIAS_VALUES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that stores each mapping's 1-based line under ``LINE_KEY``, within bounds."""

    _depth = 0

    def fetch_flow_collection_start(self, token_class: type[yaml.Token]) -> None:
        # The scanner keeps a possible key per open "[" or "{" and checks them all at each
        # token: a file of 100 000 "[" would take minutes before the composer saw it.
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(
                None,
                None,
                f"nested more than {MAX_DEPTH} levels deep",
                self.get_mark(),
            )
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # PyYAML composes recursively, several frames per level: refuse deep nesting here,
        # at its line, before Python's recursion limit turns it into a RecursionError.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None:
            _check_expansion(node)
        return node


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases loop, nest too deep or add too many values.

    Aliases share nodes, so the graph is small while the tree it stands for may be huge or
    infinite. Sizes and depths are memoised per node: the walk is linear in the file. An
    alias can only name an anchor composed before it, so in document order every alias
    target is already measured unless it encloses the alias, which is a loop.
    """
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) expanded
    open_nodes: set[int] = set()

    def refuse(problem: str, node: yaml.Node) -> yaml.composer.ComposerError:
        return yaml.composer.ComposerError(None, None, problem, node.start_mark)

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in open_nodes:
            raise refuse("an alias refers to a node that contains it", node)
        open_nodes.add(key)
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        values, depth = 1, 1
        for child in children:
            child_values, child_depth = measure(child)
            values += child_values
            depth = max(depth, child_depth + 1)
        open_nodes.discard(key)
        if depth > MAX_DEPTH:
            raise refuse(f"aliases nest this more than {MAX_DEPTH} levels deep", node)
        # Without aliases a subtree holds at most the nodes measured so far.
        if values > len(measured) + 1 + MAX_ALIAS_VALUES:
            raise refuse(f"aliases expand this to more than {MAX_ALIAS_VALUES} values", node)
        measured[key] = (values, depth)
        return values, depth

    measure(root)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # PyYAML keeps the last of two equal keys without a word; an operator who pasted a
    # block twice would lose the first silently, so a repeated key is refused at its line.
    if not isinstance(node, yaml.MappingNode):  # "!!map x": a mapping's tag on a scalar
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a mapping node, but found {node.id}", node.start_mark
        )
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # construct_mapping below refuses it, with its line
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice",
                key_node.start_mark,
            )
        seen.add(key)
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_Constructor = Callable[[_LineLoader, yaml.ScalarNode], Any]


def _checked(construct: _Constructor, what: str) -> _Constructor:
    """``construct``, with the ValueError/KeyError an explicit tag can cause made a YAML error.

    ``!!int abc``, ``!!float ""``, ``!!bool maybe`` and an integer longer than Python
    converts (4300 digits) raise plain Python errors inside PyYAML, which no caller expects.
    """

    def checked(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, IndexError, OverflowError):
            text = str(node.value)
            shown = f"{text[:20]!r}... ({len(text)} characters)" if len(text) > 40 else repr(text)
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} is not {what}", node.start_mark
            ) from None

    return checked


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
_LineLoader.add_constructor(
    "tag:yaml.org,2002:float",
    _checked(yaml.constructor.SafeConstructor.construct_yaml_float, "a number"),
)
_LineLoader.add_constructor(
    "tag:yaml.org,2002:bool",
    _checked(yaml.constructor.SafeConstructor.construct_yaml_bool, "true or false"),
)


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates stay text so that an impossible one (2024-02-30) reaches pydantic, whose error
    # carries the field and line, instead of failing inside the YAML parser.
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor("tag:yaml.org,2002:int", _checked(_construct_int, "a whole number"))
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
    except ValueError:  # a NUL or unencodable character in the name (from another file)
        raise InputFileError(
            "cannot read file: not a valid file name", where=repr(str(path))
        ) from None
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
        problem = exc.problem or exc.context or type(exc).__name__
        raise InputFileError(f"malformed YAML: {problem}", where=where) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (NUL, most control characters), by line.
        line = text[: exc.position].count("\n") + 1
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        raise InputFileError(
            f"malformed YAML: the character {shown} is not allowed; delete or retype it",
            where=f"{path}:{line}",
        ) from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"malformed YAML: {' '.join(str(exc).split())}", where=path) from None


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
    # A key is the operator's text: one with a line break or control character is quoted,
    # so that the error stays one line.
    field = ".".join(p if isinstance(p, str) and p.isprintable() else repr(p) for p in loc)
    where = f"{path}:{line}" if line else str(path)
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    msg = err["msg"].removeprefix("Value error, ")
    return where, f"{field}: {msg}{more}" if field else f"{msg}{more}"
