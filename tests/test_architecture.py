"""One import direction: the pure core never imports Prefect, flows or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

CORE = [p for p in (REPO / "hierarchy").rglob("*.py")] + [
    p for p in (REPO / "kehoach").rglob("*.py") if "cli" not in p.relative_to(REPO).parts
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_prefect_flows_or_cli() -> None:
    assert CORE
    for path in CORE:
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in {"prefect", "flows", "typer", "rich"}, f"{path}: imports {name}"
            assert not name.startswith("kehoach.cli"), f"{path}: imports {name}"


def test_flows_do_not_import_the_cli() -> None:
    for path in (REPO / "flows").rglob("*.py"):
        assert not any(n.startswith("kehoach.cli") for n in _imports(path)), path
