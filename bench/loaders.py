"""How long a hostile file takes to be refused, against loading a real plan, in one run.

    python bench/loaders.py [--json]

A YAML alias bomb ("billion laughs") or a file nested 200,000 levels deep must be refused
about as fast as a seed plan is read, never by expanding it: the loaders count alias
expansions and depth before building anything (kehoach/io/reading.py). The fuzz tests check
that such files are refused with the right one-line error; this prints how long it takes, as
a ratio to loading examples/ha-noi-145-kh-ubnd.yaml measured in the same run (timings do not
belong in tests, where a busy machine makes them fail).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` runs, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from hierarchy.sources import load_hierarchy
    from kehoach.io.errors import KehoachError
    from kehoach.plan.model import load_plan

    def refused(load: Callable[[Path], object], path: Path) -> Callable[[], None]:
        def run() -> None:
            try:
                load(path)
            except KehoachError:
                return
            raise SystemExit(f"{path.name} was not refused")

        return run

    seed = REPO / "examples" / "ha-noi-145-kh-ubnd.yaml"
    baseline = best_of(5, lambda: load_plan(seed))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bomb = folder / "bomb.yaml"
        lines = ["l0: &l0 [" + ", ".join(["lol"] * 12) + "]"]
        lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 12) + "]" for i in range(1, 12)]
        bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
        deep = folder / "deep.yaml"
        deep.write_text("content: " + "[" * 200_000 + "x\n", encoding="utf-8")
        cases = {
            "alias bomb (12^12 values), plan": refused(load_plan, bomb),
            "200,000 levels deep, plan": refused(load_plan, deep),
            "200,000 levels deep, hierarchy": refused(load_hierarchy, deep),
        }
        figures = {name: best_of(3, run) for name, run in cases.items()}
    report = {
        "baseline_seconds": round(baseline, 4),
        "cases": {
            k: {"seconds": round(v, 4), "ratio": round(v / baseline, 2)} for k, v in figures.items()
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"baseline: loading {seed.name}: {baseline * 1000:.1f} ms")
    for name, value in figures.items():
        print(
            f"{name:36} refused in {value * 1000:8.1f} ms  ({value / baseline:6.2f}× the baseline)"
        )


if __name__ == "__main__":
    main()
