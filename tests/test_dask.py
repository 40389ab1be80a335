"""The cascade on a real Dask cluster: a scheduler and two workers, each a process of its own.

The same flow, given a scheduler's address, runs its drafting batches on the cluster's
workers (prefect-dask's DaskTaskRunner) instead of this machine's process pool. The drafts
must be the same bytes as a run on this machine, and Prefect must have recorded every batch
as a task run of the flow run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cascade import cascade_flow
from tests.conftest import EXAMPLES, REPO, api_post, files, free_port, plan_dir, poll

pytestmark = pytest.mark.usefixtures("prefect_api")

PLAN = EXAMPLES / "ha-noi-145-kh-ubnd.yaml"
DASK = Path(sys.executable).parent / "dask"


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        args, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; stopped by pid."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
    worker = [str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1"]
    procs = [_start([*scheduler, "--no-dashboard"], tmp_path / "scheduler.log")]
    procs += [
        _start([*worker, "--no-dashboard", "--name", f"w{i}"], tmp_path / f"worker{i}.log")
        for i in (1, 2)
    ]
    try:

        def two_workers() -> bool:
            try:
                with Client(address, timeout=5) as client:
                    return len(client.scheduler_info()["workers"]) == 2
            except OSError:
                return False

        poll(two_workers, timeout=120)
        yield address
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _tasks_per_worker(address: str) -> dict[str, int]:
    """How many task state changes each worker of the cluster has made, by worker name."""
    from distributed import Client

    def executed(dask_worker) -> int:  # type: ignore[no-untyped-def]
        return int(dask_worker.state.transition_counter)  # > 0 once it has run a task

    with Client(address, timeout=10) as client:
        counts = client.run(executed)
        names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
    return {str(names[a]): n for a, n in counts.items()}


def test_hoang_mai_drafted_on_two_dask_workers_is_byte_identical_to_a_local_run(
    tmp_path: Path, cluster: str
) -> None:
    local = cascade_flow(
        plan=PLAN, out=tmp_path / "local", start="008", batch_size=10, workers=1, lint=False
    )
    state = cascade_flow(
        plan=PLAN,
        out=tmp_path / "dask",
        start="008",
        batch_size=10,
        dask=cluster,
        lint=False,
        return_state=True,
    )
    dask = state.result()
    assert dask.total == local.total == 91
    here, there = plan_dir(tmp_path / "local", PLAN), plan_dir(tmp_path / "dask", PLAN)
    drafts_here, drafts_there = files(here / "drafts"), files(there / "drafts")
    assert len(drafts_there) == 91
    assert drafts_there == drafts_here
    manifest = json.loads((there / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["drafts"] == json.loads((here / "manifest.json").read_text("utf-8"))["drafts"]

    # The batches ran as task runs of this flow run, and both workers ran some of them.
    from prefect.settings import PREFECT_API_URL

    runs = api_post(
        f"{PREFECT_API_URL.value()}/task_runs/filter",
        {"flow_runs": {"id": {"any_": [str(state.state_details.flow_run_id)]}}},
    )
    batches = [r for r in runs if r["name"].startswith("draft-subtrees")]
    assert len(batches) >= 2
    assert {r["state_type"] for r in batches} == {"COMPLETED"}
    per_worker = _tasks_per_worker(cluster)
    assert sorted(per_worker) == ["w1", "w2"]
    assert all(n > 0 for n in per_worker.values()), per_worker


def test_an_unreachable_scheduler_fails_the_run_in_one_line(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    state = cascade_flow(
        plan=PLAN,
        out=tmp_path / "out",
        start="008",
        batch_size=10,
        dask=address,
        lint=False,
        return_state=True,
    )
    assert state.is_failed()
    assert state.message is not None
    assert state.message.startswith(f"cannot reach the Dask scheduler at {address}")
    assert "\n" not in state.message


def test_a_process_that_drafts_without_dask_does_not_import_it() -> None:
    # What a task run does in the flow's process and in each drafting worker: look a Block
    # class up, which loads Prefect's collections. Without Dask, prefect-dask (distributed,
    # numpy) stays out; a core block is still found; and the Dask runner still imports.
    code = (
        "import sys\n"
        "from flows.runners import start_worker, drafting_runner\n"
        "import os; start_worker(os.getppid())\n"
        "from prefect.blocks.core import Block\n"
        "found = Block.get_block_class_from_key('local-file-system').__name__\n"
        "before = sorted(m for m in ('prefect_dask', 'distributed', 'numpy') if m in sys.modules)\n"
        "runner = drafting_runner(2, 'tcp://127.0.0.1:1')\n"
        "print(found, before, type(runner).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert out.split("\n")[0] == "LocalFileSystem [] DaskTaskRunner"
