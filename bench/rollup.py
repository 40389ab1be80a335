"""Benchmark of the roll-up over the national hierarchy with generated statuses.

    python bench/rollup.py [--source vn-2024] [--json]

Builds every unit's plan by cascading 145/KH-UBND from a national root (≈65k units), generates
one status per task a unit reports on (≈2 per unit), and times the roll-up against a baseline
measured in the same run: one plain pass over the same statuses counting done tasks per unit
and summing up the tree — the least work any roll-up must do. Not a test; figures are ratios
on this machine.

A roll-up reads its plans through an index (``kehoach.status.rollup.rollup_index``: the units
in order, their parents, each unit's tasks and deadlines), built once per hierarchy, root and
plans and reused by every roll-up over them (the portal's on each request, a new period or
snapshot). Two figures, each also as a ratio to the baseline:

- ``rollup_index_s``: building that index, what the first roll-up over new plans pays once
  (the plans' 360k tasks read);
- ``rollup_compute_s``: a roll-up with the index built (``roll_up(..., index=...)``): reading
  the statuses, all figures own and subtree, the output models — what every roll-up pays.
  ``rollup_other_period_s`` is one more, for 2024-6M over the same index and statuses.

Also reported: loading the hierarchy (``load_s``, part of ``setup_s``) and the process's peak
resident memory once it is loaded (``load_peak_mb``, imports included), with the load's time
as a ratio to the same baseline, so runs on a shared machine compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="vn-2024")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from hierarchy.sources import load_hierarchy
    from kehoach.cascade.walk import plans_by_unit
    from kehoach.plan.model import Plan, load_plan
    from kehoach.status.intake import reported_tasks
    from kehoach.status.models import Snapshot, TaskState, TaskStatus
    from kehoach.status.periods import Period
    from kehoach.status.rollup import check_sums, roll_up, rollup_index

    t = time.perf_counter()
    h = load_hierarchy(args.source)
    load = time.perf_counter() - t
    load_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    base = load_plan(REPO / "examples" / "ha-noi-145-kh-ubnd.yaml")
    issuer = {**base.issuer.model_dump(), "unit_id": h.root_id}
    plan = Plan.model_validate({**base.model_dump(), "issuer": issuer})
    plans = plans_by_unit(plan, h)
    setup = time.perf_counter() - t
    period = Period.parse("2024-Q1")
    rng = random.Random(7)
    statuses = []
    for unit_id in plans:
        for task in reported_tasks(h.unit(unit_id), plans, h):
            r = rng.random()
            state = (
                TaskState.HOAN_THANH
                if r < 0.6
                else TaskState.DANG_THUC_HIEN
                if r < 0.8
                else TaskState.CHUA_THUC_HIEN
            )
            done = (
                period.start + dt.timedelta(days=rng.randint(0, 89))
                if state is TaskState.HOAN_THANH
                else None
            )
            statuses.append(
                TaskStatus(
                    unit_id=unit_id,
                    task_id=task.id,
                    period=period.key,
                    state=state,
                    done_on=done,
                    count=rng.randint(0, 10),
                )
            )
    snap = Snapshot(statuses=statuses, reported=[u for u in plans if rng.random() < 0.7])

    t = time.perf_counter()
    done_per_unit: dict[str, int] = {}
    for s in statuses:
        if s.state is TaskState.HOAN_THANH:
            done_per_unit[s.unit_id] = done_per_unit.get(s.unit_id, 0) + 1
    total: dict[str, int] = {}
    for level in reversed(h.levels(h.root_id)):
        for u in level:
            below = sum(total.get(c.id, 0) for c in h.children(u.id))
            total[u.id] = done_per_unit.get(u.id, 0) + below
    baseline = time.perf_counter() - t

    t = time.perf_counter()
    index = rollup_index(h, plans, h.root_id)
    indexing = time.perf_counter() - t

    t = time.perf_counter()
    result = roll_up(h, plans, snap, period, period.end, "145/KH-UBND", h.root_id, index=index)
    compute = time.perf_counter() - t
    assert check_sums(result) == []

    later = Period.parse("2024-6M")
    t = time.perf_counter()
    roll_up(h, plans, snap, later, later.end, "145/KH-UBND", h.root_id, index=index)
    other_period = time.perf_counter() - t
    out = {
        "source": args.source,
        "units": len(plans),
        "statuses": len(statuses),
        "load_s": round(load, 2),
        "load_peak_mb": round(load_peak_mb),
        "setup_s": round(setup, 1),
        "baseline_s": round(baseline, 3),
        "rollup_index_s": round(indexing, 3),
        "rollup_compute_s": round(compute, 3),
        "rollup_other_period_s": round(other_period, 3),
        "ratio_index_over_baseline": round(indexing / baseline, 2),
        "ratio_rollup_over_baseline": round(compute / baseline, 2),
        "ratio_load_over_baseline": round(load / baseline, 1),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{args.source}: {out['units']} units, {out['statuses']} statuses, set-up {setup:.1f} s")
    print(f"  load of the hierarchy: {load:6.2f} s, peak memory then {load_peak_mb:.0f} MB")
    print(f"  baseline (one pass, done counts up the tree): {baseline:6.3f} s")
    print(f"  roll-up index (once per hierarchy and plans): {indexing:6.3f} s")
    print(f"  roll-up compute (all figures, own + subtree): {compute:6.3f} s")
    print(f"  roll-up compute, another period (2024-6M):    {other_period:6.3f} s")
    print(f"  ratio index / baseline: {out['ratio_index_over_baseline']}")
    print(f"  ratio roll-up / baseline: {out['ratio_rollup_over_baseline']}")
    print(f"  ratio load / baseline: {out['ratio_load_over_baseline']}")


if __name__ == "__main__":
    main()
