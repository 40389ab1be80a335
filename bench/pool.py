"""What Prefect's process pool costs a cascade before and after its batches, in one run.

    python bench/pool.py [--workers 2] [--json]

A cascade's drafting runs as Prefect tasks on a ``ProcessPoolTaskRunner`` (see
``flows/runners.py``). Each of its processes is spawned, imports Prefect and our code, and
hydrates the flow's context before its first task; the pool waits for them to exit at the end.
This times those fixed costs with tasks that do nothing, inside a flow on the embedded API, as
the CLI runs it, against a bare ``ProcessPoolExecutor`` (spawn) running the same function
without Prefect (the baseline):

- ``first_s``: from the pool's start until each process has run one task;
- ``warm_s``: a second round, one task per process;
- ``exit_s``: shutting the pool down.

At a city's size (3,373 drafts, ~5 s of drafting per process) these fixed costs are most of
the distance between the product and the limit measured by ``bench/cascade.py``. Not a test:
numbers depend on the machine; the ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def nothing(x: int) -> int:
    """The work of each task: none, so only the pool's own costs are timed."""
    return x


def _rounds(submit: Any, workers: int) -> tuple[float, float]:
    """Seconds for a first and a second round of one task per process."""
    spent = []
    for _ in range(2):
        t = time.perf_counter()
        futures = [submit(i) for i in range(workers)]
        for f in futures:
            f.result()
        spent.append(time.perf_counter() - t)
    return spent[0], spent[1]


def _our_code() -> None:
    """What the limit's processes in ``bench/cascade.py`` import: our drafting, no Prefect."""
    import kehoach.cascade.drafting  # noqa: F401


def bare(workers: int) -> dict[str, float]:
    """The baseline: the standard library's pool of spawned processes that import our
    drafting code, as the limit's processes do, and no Prefect."""
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_our_code
    )
    first, warm = _rounds(lambda i: pool.submit(nothing, i), workers)
    t = time.perf_counter()
    pool.shutdown(wait=True)
    return {
        "first_s": round(first, 3),
        "warm_s": round(warm, 3),
        "exit_s": round(time.perf_counter() - t, 3),
    }


def prefect_pool(workers: int) -> dict[str, float]:
    """The product's runner, as ``flows.runners.drafting_runner`` makes it, inside a flow."""
    from prefect import flow, task

    from flows.runners import drafting_runner

    step = task(name="nothing")(nothing)
    out: dict[str, float] = {}

    @flow(name="pool-bench")
    def run() -> None:
        runner = drafting_runner(workers)
        runner.__enter__()
        try:
            first, warm = _rounds(lambda i: runner.submit(step, {"x": i}), workers)
        finally:
            t = time.perf_counter()
            runner.__exit__(None, None, None)
        out.update(first_s=round(first, 3), warm_s=round(warm, 3))
        out["exit_s"] = round(time.perf_counter() - t, 3)

    run()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args()

    from flows.runtime import quiet_prefect

    r: dict[str, Any] = {"workers": args.workers, "bare": bare(args.workers)}
    with quiet_prefect(lambda line: print(line, file=sys.stderr)):
        prefect_pool(args.workers)  # warm-up: the embedded API's start-up, not counted
        r["prefect"] = prefect_pool(args.workers)
    r["ratio"] = {
        k: round(r["prefect"][k] / max(r["bare"][k], 1e-3), 1)
        for k in ("first_s", "warm_s", "exit_s")
    }
    for k in ("first_s", "warm_s", "exit_s"):
        bare_s, pool_s, ratio = r["bare"][k], r["prefect"][k], r["ratio"][k]
        print(f"{k:8} bare {bare_s:6.2f} s   Prefect's pool {pool_s:6.2f} s   ({ratio}x)")
    if args.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
