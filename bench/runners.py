"""The cascade's drafting batches on each task runner, in one run: Dask next to the process pool.

    python bench/runners.py [--source hanoi-2024] [--workers 2] [--json]

The same cascade (145/KH-UBND over Hà Nội, 3,373 drafts) three times, each into a fresh
folder, after a warm-up that pays the embedded API's start-up:

- ``in-process``: ``workers=1``, every batch in the flow's own process (the baseline);
- ``process-pool``: Prefect's ProcessPoolTaskRunner with ``--workers`` processes (the default);
- ``dask``: prefect-dask's DaskTaskRunner on a local cluster, ``dask scheduler`` and
  ``--workers`` ``dask worker`` processes of one thread each, started here and stopped by pid
  (the cluster's start-up is reported, not counted).

Prints seconds, milliseconds per draft and each runner's ratio to the in-process baseline,
and checks that the three folders hold the same drafts, byte for byte. Not a test: numbers
depend on the machine; the ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PLAN = REPO / "examples" / "ha-noi-145-kh-ubnd.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _digest(folder: Path) -> str:
    """One hash over every draft's path and bytes (the folders must be identical)."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.docx")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _cluster(workers: int, logs: Path) -> tuple[str, list[subprocess.Popen[bytes]], float]:
    """A local Dask cluster: its address, its processes and how long it took to be ready."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    began = time.perf_counter()

    def start(args: list[str], name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [dask, *args, "--no-dashboard"],
            cwd=REPO,
            stdout=(logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    procs = [start(["scheduler", "--host", "127.0.0.1", "--port", str(port)], "scheduler")]
    procs += [
        start(["worker", address, "--nworkers", "1", "--nthreads", "1"], f"worker{i}")
        for i in range(workers)
    ]
    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout=5) as client:
                if len(client.scheduler_info()["workers"]) == workers:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the Dask cluster did not come up; see {logs}")
        time.sleep(0.2)
    return address, procs, time.perf_counter() - began


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="hanoi-2024")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from flows.cascade import cascade_flow
    from flows.runtime import quiet_prefect

    work = Path(tempfile.mkdtemp(prefix="kehoach-bench-runners-"))
    results: dict[str, Any] = {"source": args.source, "workers": args.workers}
    runs: dict[str, dict[str, Any]] = {}
    with quiet_prefect(lambda line: print(line, file=sys.stderr)):
        began = time.perf_counter()
        cascade_flow(
            plan=REPO / "examples" / "hoang-mai-67-kh-ubnd.yaml",
            out=work / "warm",
            start="00340",
            workers=1,
            lint=False,
        )
        results["startup_s"] = round(time.perf_counter() - began, 2)
        address, procs, ready = _cluster(args.workers, work)
        results["dask_cluster_startup_s"] = round(ready, 2)
        try:
            cases = {
                "in-process": {"workers": 1},
                "process-pool": {"workers": args.workers},
                "dask": {"workers": args.workers, "dask": address},
            }
            for name, options in cases.items():
                began = time.perf_counter()
                outcome = cascade_flow(
                    plan=PLAN,
                    hierarchy=args.source,
                    out=work / name,
                    xac_nhan=True,
                    lint=False,
                    **options,
                )
                seconds = time.perf_counter() - began
                runs[name] = {
                    "seconds": round(seconds, 2),
                    "ms_per_draft": round(1000 * seconds / outcome.total, 3),
                    "drafts": outcome.total,
                    "digest": _digest(work / name),
                }
        finally:
            _stop(procs)
    base = runs["in-process"]["seconds"]
    for run in runs.values():
        run["ratio_to_in_process"] = round(run["seconds"] / base, 2)
    results["runs"] = runs
    results["identical"] = len({r["digest"] for r in runs.values()}) == 1
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"{args.source}: {runs['in-process']['drafts']} drafts; start-up "
            f"{results['startup_s']} s and the Dask cluster's {ready:.1f} s not counted"
        )
        for name, run in runs.items():
            print(
                f"  {name:13} {run['seconds']:7.1f} s  {run['ms_per_draft']:6.2f} ms/draft  "
                f"{run['ratio_to_in_process']:5.2f}× in-process"
            )
        print(f"  drafts identical in all three: {results['identical']}")
    import shutil

    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
