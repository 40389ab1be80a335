"""The layout is the architecture: layers that import only downwards, and no import cycles.

The layers, lowest first (README "Layout"):

    kehoach.io         errors, reading YAML, writing files: what every layer stands on
    hierarchy          units and their tree
    kehoach.plan       the plan model, deadlines, wording
    kehoach.documents  DOCX templates, plan and report documents, ND30 check
    kehoach.cascade    derivation rules, the walker, batches, journal, manifest
    kehoach.status     reports in, store, roll-up, reminders, the BÁO CÁO's words
    flows              Prefect flows and tasks over the core
    kehoach.web        the operators' portal, thin over the core and the flows
    kehoach.cli        the commands, thin over both

Everything below ``flows`` is the pure core: it imports no Prefect, Typer or Rich, so it runs
in a worker process, a test or another orchestrator as it is.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

from tests.conftest import REPO

LAYERS = [
    "kehoach.io",
    "hierarchy",
    "kehoach.plan",
    "kehoach.documents",
    "kehoach.cascade",
    "kehoach.status",
    "flows",
    "kehoach.web",
    "kehoach.cli",
]
CORE = LAYERS[: LAYERS.index("flows")]
FORBIDDEN_IN_CORE = {"prefect", "typer", "rich", "flows"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module(p): p
    for top in ("kehoach", "hierarchy", "flows")
    for p in (REPO / top).rglob("*.py")
    if "migrations" not in p.parts
}


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (a cycle held together
    by a function-level import is still a cycle)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from kehoach.cli import app` imports the module kehoach.cli.app
            submodules = {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
            names |= submodules
            if len(submodules) < len(node.names):
                names.add(node.module)
    return names


def _layer(module: str) -> str | None:
    matches = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for name in _imports(path):
            if name in MODULES and name != module:
                graph.add_edge(module, name)
    return graph


def test_every_module_belongs_to_a_layer() -> None:
    assert len(MODULES) > 40
    loose = sorted(m for m in MODULES if _layer(m) is None and m not in ("kehoach",))
    assert not loose, f"modules outside every layer: {loose}"


def test_no_import_cycle_between_modules() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, " ; ".join(" → ".join([*c, c[0]]) for c in cycles[:5])


def test_layers_import_only_downwards() -> None:
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    wrong = []
    for a, b in _graph().edges:
        la, lb = _layer(a), _layer(b)
        if la and lb and rank[lb] > rank[la]:
            wrong.append(f"{a} ({la}) imports {b} ({lb})")
    assert not wrong, "\n".join(wrong)


def test_the_core_imports_no_prefect_typer_or_rich() -> None:
    for module, path in MODULES.items():
        if _layer(module) not in CORE:
            continue
        for name in _imports(path):
            assert name.split(".")[0] not in FORBIDDEN_IN_CORE, f"{module} imports {name}"
            assert not name.startswith("kehoach.cli"), f"{module} imports {name}"


def test_loading_the_whole_core_loads_no_orchestration() -> None:
    """The same, as Python sees it: no Prefect, Typer or Rich even through a dependency."""
    core = sorted(m for m in MODULES if _layer(m) in CORE)
    code = (
        "import importlib, sys\n"
        f"for m in {core!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_IN_CORE!r}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", run.stdout
