"""Benchmark of the cascade: the product against the limit path and the naive path, one run.

    python bench/cascade.py [--scale hanoi|vn] [--sample 60] [--json]

(a) product: the `cascade` flow end to end (derivation, rendering, writing, Prefect tasks),
    on the embedded Prefect API, after a warm-up run that pays the API's start-up;
(b) limit: the same drafts through a minimal reference renderer in this file — template
    cleaned and compiled once, only word/document.xml rendered per unit, the package's static
    parts compressed once — writing the same files, no orchestration, one process;
(c) naive: docxtpl's DocxTemplate(...).render(...) + save per unit, on a sample, extrapolated
    (and labelled so).

Prints per-draft milliseconds and the ratios a/b and c/a, and peak memory (this process and
the largest worker). Not a test: numbers depend on the machine, so they are reported as
ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PLAN = REPO / "examples" / "ha-noi-145-kh-ubnd.yaml"


class LimitRenderer:
    """The reference 'limit' path: compile once, render document.xml, static parts pre-packed."""

    def __init__(self, template: Path) -> None:
        import zipfile

        from docxtpl import DocxTemplate
        from jinja2.sandbox import SandboxedEnvironment

        archive = zipfile.ZipFile(template)
        cleaner = DocxTemplate(template)
        env = SandboxedEnvironment(autoescape=True)
        self.parts: list[tuple[str, Any]] = []
        for info in archive.infolist():
            data = archive.read(info)
            if b"{{" in data or b"{%" in data:
                self.parts.append(
                    (info.filename, env.from_string(cleaner.patch_xml(data.decode())))
                )
            else:
                self.parts.append((info.filename, self._pack(info.filename, data)))

    @staticmethod
    def _pack(name: str, data: bytes) -> tuple[bytes, int, int, bytes]:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = c.compress(data) + c.flush()
        return name.encode(), zlib.crc32(data), len(data), raw

    def render(self, context: dict[str, Any]) -> bytes:
        out, central = bytearray(), bytearray()
        for name, part in self.parts:
            packed = (
                part if isinstance(part, tuple) else self._pack(name, part.render(context).encode())
            )
            raw_name, crc, size, raw = packed
            offset = len(out)
            out += struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 33, crc, len(raw), size, len(raw_name), 0
            )
            out += raw_name + raw
            central += struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                33,
                crc,
                len(raw),
                size,
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            central += raw_name
        end = struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            len(self.parts),
            len(self.parts),
            len(central),
            len(out),
            0,
        )
        return bytes(out + central + end)


def task_overhead_ms(n: int = 50) -> float:
    """What one Prefect task run costs here: n empty tasks in one flow, per task."""
    from prefect import flow, task

    @task
    def nothing() -> None:
        return None

    @flow
    def many() -> None:
        for _ in range(n):
            nothing()

    many()  # warm
    t = time.perf_counter()
    many()
    return 1000 * (time.perf_counter() - t) / n


def peak_mb() -> dict[str, float]:
    return {
        "self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "largest_child": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["hanoi", "vn"], default="hanoi")
    parser.add_argument("--sample", type=int, default=60, help="naive path: drafts rendered")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    source = {"hanoi": "hanoi-2024", "vn": "vn-2024"}[args.scale]
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from docxtpl import DocxTemplate
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.cascade import cascade_flow
    from hierarchy.sources import load_hierarchy
    from kehoach.cascade.manifest import draft_path
    from kehoach.cascade.walk import plans_by_unit
    from kehoach.documents.plan_document import PLAN_TEMPLATE, plan_context
    from kehoach.io.writing import write_if_changed
    from kehoach.plan.model import Plan, load_plan

    work = Path(tempfile.mkdtemp(prefix="kehoach-bench-"))
    results: dict[str, Any] = {
        "scale": args.scale,
        "hierarchy": source,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    plan = load_plan(PLAN)
    if args.scale == "vn":  # the national root is Việt Nam: the plan is issued there
        plan = Plan.model_validate(
            {**plan.model_dump(), "issuer": {**plan.issuer.model_dump(), "unit_id": "VN"}}
        )
        PLAN_VN = work / "plan-vn.yaml"
        import yaml

        PLAN_VN.write_text(
            yaml.safe_dump(plan.model_dump(mode="json"), allow_unicode=True), encoding="utf-8"
        )
        plan_file = PLAN_VN
    else:
        plan_file = PLAN
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        t = time.perf_counter()
        cascade_flow(
            plan=REPO / "examples" / "hoang-mai-67-kh-ubnd.yaml",
            hierarchy="hanoi-2024",
            out=work / "warm",
            start="00340",
            workers=1,
        )
        results["startup_s"] = round(time.perf_counter() - t, 2)
        # What one Prefect task run costs here, measured before the API is loaded by the run.
        results["prefect_task_ms"] = round(task_overhead_ms(), 2)
        t = time.perf_counter()
        product = cascade_flow(
            plan=plan_file, hierarchy=source, out=work / "product", xac_nhan=True
        )
        a = time.perf_counter() - t
    n = sum(product.drafts_per_level.values())
    results["drafts"] = n
    results["a_product_s"] = round(a, 2)
    results["a_product_ms_per_draft"] = round(1000 * a / n, 3)
    results["peak_mb_after_product"] = peak_mb()
    results["peak_mb_worker"] = product.worker_peak_mb
    results["peak_mb_note"] = (
        "self = the flow's process (with the hierarchy); worker = the largest drafting process; "
        "largest_child also counts the temporary Prefect server, which is not ours"
    )

    h = load_hierarchy(source)
    plans = plans_by_unit(plan, h)
    contexts = [(u, plan_context(plans[u]).model_dump()) for u in plans if u != plan.issuer.unit_id]
    limit = LimitRenderer(PLAN_TEMPLATE)
    t = time.perf_counter()
    for unit_id, ctx in contexts:
        write_if_changed(work / "limit", draft_path(h, h.unit(unit_id)), limit.render(ctx))
    b = time.perf_counter() - t
    results["b_limit_ms_per_draft"] = round(1000 * b / len(contexts), 3)
    results["b_limit_note"] = (
        "render + write only (contexts derived beforehand, untimed), one process"
    )

    sample = contexts[:: max(1, len(contexts) // args.sample)][: args.sample]
    t = time.perf_counter()
    for unit_id, ctx in sample:
        doc = DocxTemplate(PLAN_TEMPLATE)
        doc.render(ctx, autoescape=True)
        buf = io.BytesIO()
        doc.save(buf)
        write_if_changed(work / "naive", draft_path(h, h.unit(unit_id)), buf.getvalue())
    c_per = (time.perf_counter() - t) / len(sample)
    results["c_render_only_ms_per_draft"] = round(1000 * c_per, 3)
    task_ms = results["prefect_task_ms"]
    c_per += task_ms / 1000  # the naive path runs one Prefect task per unit
    results["c_naive_ms_per_draft"] = round(1000 * c_per, 3)
    results["c_naive_total_s_extrapolated"] = round(c_per * n, 1)
    results["c_naive_note"] = (
        f"docxtpl render+save per unit on {len(sample)} drafts, plus one Prefect task per unit "
        f"(measured on 50 empty tasks), extrapolated to {n}"
    )
    results["ratio_a_over_b"] = round(
        results["a_product_ms_per_draft"] / results["b_limit_ms_per_draft"], 2
    )
    results["ratio_c_over_a"] = round(
        results["c_naive_ms_per_draft"] / results["a_product_ms_per_draft"], 1
    )
    results["ratio_c_render_only_over_a"] = round(
        results["c_render_only_ms_per_draft"] / results["a_product_ms_per_draft"], 1
    )
    results["peak_mb"] = peak_mb()
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    r = results
    print(f"{source}: {n} drafts, {os.cpu_count()} cores; start-up {r['startup_s']} s not counted")
    print(f"  (a) product, end to end:  {a:7.1f} s  {r['a_product_ms_per_draft']:7.2f} ms/draft")
    print(f"  (b) limit path:                   {r['b_limit_ms_per_draft']:7.2f} ms/draft")
    print(
        f"  (c) naive (extrapolated): {r['c_naive_total_s_extrapolated']:7.1f} s  "
        f"{r['c_naive_ms_per_draft']:7.2f} ms/draft"
    )
    print(
        f"      of which docxtpl render+save {r['c_render_only_ms_per_draft']:.2f} ms, "
        f"a Prefect task {r['prefect_task_ms']:.2f} ms"
    )
    print(
        f"  a/b = {r['ratio_a_over_b']}  c/a = {r['ratio_c_over_a']} "
        f"(render only: {r['ratio_c_render_only_over_a']})"
    )
    mem = r["peak_mb_after_product"]
    print(f"  peak MB: flow process {mem['self']}, largest drafting worker {r['peak_mb_worker']}")


if __name__ == "__main__":
    main()
