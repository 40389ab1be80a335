"""Which Prefect task runner drafts a cascade's batches: one machine, or a Dask cluster.

A batch (whole subtrees, ~400 units) is CPU work: deriving plans, rendering and compressing
DOCX. The flow hands its batches to a task runner Prefect knows, so every batch is a task run
Prefect records, retries and cancels, wherever it runs:

- :class:`~prefect.task_runners.ProcessPoolTaskRunner` by default, one process per core on
  this machine (spawned: the flow process runs Prefect's threads, and a fork could copy a held
  lock). Each worker exits by itself if the flow process dies, ``kill -9`` included
  (:func:`kehoach.io.processes.guard_worker`).
- :class:`~prefect_dask.DaskTaskRunner` when a Dask scheduler's address is given (``--dask
  tcp://HOST:8786``, the flow's ``dask`` parameter or ``KEHOACH_DASK_ADDRESS``): the same tasks
  then run on the cluster's workers, on as many machines as it has.
- In-process (a thread pool of one) for ``workers=1``: tests and small runs without the cost of
  starting processes.

A Dask worker runs the task with the flow's Prefect settings (the API's address among them),
so it must reach that API, and it writes the drafts into the flow's output folder: the README
("Một cụm Dask") says what a cluster needs.
"""

from __future__ import annotations

import os
from importlib.metadata import EntryPoints, entry_points
from typing import Any

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from kehoach.io.errors import KehoachError
from kehoach.io.processes import guard_worker, skip_teardown

#: The environment variable naming a Dask scheduler to draft on, when no address is passed.
DASK_ADDRESS = "KEHOACH_DASK_ADDRESS"

#: Prefect collections that Prefect would import into every process a task or flow runs in,
#: and that drafting needs only when it runs on Dask (where :func:`drafting_runner` imports
#: prefect-dask itself).
UNUSED_COLLECTIONS = frozenset({"prefect_dask"})


def skip_unused_collections() -> None:
    """Load Prefect's collections now, all but :data:`UNUSED_COLLECTIONS`.

    A task run looks a Block class up, which makes Prefect import every installed collection
    (entry points ``prefect.collections``) once per process: prefect-dask, with distributed
    and numpy, into the flow's process and each drafting worker, ~0.4 s of CPU and ~30 MB
    each, for a run that never touches Dask. Prefect has no setting for it, so its cache of
    loaded collections is filled here, without those; any other collection (a storage
    block's, say) still loads. Prefect is pinned (constraints.txt); without that cache (an
    upgrade that moved it) nothing is changed, and a test says so.
    """
    try:
        from prefect._internal.plugins import collections
    except ImportError:  # a Prefect that moved it
        return
    if getattr(collections, "_collections", False) is not None:
        return  # already loaded in this process, or a Prefect without the cache
    wanted = EntryPoints(
        ep for ep in entry_points(group="prefect.collections") if ep.name not in UNUSED_COLLECTIONS
    )
    collections._collections = collections.safe_load_entrypoints(wanted)


# Here, on import: the flow's process and each drafting worker import this module (through
# flows.cascade) before their first task run looks a Block up.
skip_unused_collections()

#: Drafting processes by default: one per core, at most four (a run is also bound by the disk).
WORKERS = max(1, min(os.cpu_count() or 1, 4))


def dask_address(given: str | None) -> str | None:
    """The Dask scheduler to draft on: ``given``, else ``KEHOACH_DASK_ADDRESS``, else None."""
    address = (given or os.environ.get(DASK_ADDRESS) or "").strip()
    if not address:
        return None
    if "://" not in address:  # "10.0.0.5:8786", as `dask scheduler` prints it without scheme
        address = f"tcp://{address}"
    return address


def drafting_runner(workers: int, dask: str | None = None) -> TaskRunner[Any]:
    """The task runner for the drafting batches (see the module docstring); not started."""
    address = dask_address(dask)
    if address is not None:
        from prefect_dask.task_runners import DaskTaskRunner

        # A scheduler that does not answer is reported after 10 s, not Dask's 30.
        return DaskTaskRunner(address=address, client_kwargs={"timeout": "10s"})
    if workers < 1:
        raise KehoachError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        return ThreadPoolTaskRunner(max_workers=1)
    return ProcessPoolTaskRunner(
        max_workers=workers, initializer=start_worker, initargs=(os.getpid(),)
    )


def start_worker(parent: int) -> None:
    """What a drafting worker does first: exit with ``parent`` (the flow's process,
    :func:`~kehoach.io.processes.guard_worker`), end without the interpreter's teardown when
    the pool shuts it down (:func:`~kehoach.io.processes.skip_teardown`: the flow waited for
    it), and leave out Prefect's unused collections (already done when this module was
    imported to unpickle this function; repeated here, a no-op, where a reader looks).
    Never called in the flow's own process, whose exit status a command returns."""
    guard_worker(parent)
    skip_teardown()
    skip_unused_collections()


def slots(runner: TaskRunner[Any], workers: int) -> int:
    """How many batches ``runner`` (started) drafts at once: a Dask cluster's threads, else
    ``workers``."""
    client = getattr(runner, "_client", None)  # a started DaskTaskRunner's connection
    if client is not None:
        return max(1, int(sum(client.nthreads().values())))
    return max(1, workers)


def describe(runner: TaskRunner[Any]) -> str:
    """How the batches run, for the run's log: "2 processes", "Dask at tcp://…:8786"."""
    address = getattr(runner, "address", None)
    if address:
        return f"Dask at {address}"
    workers = getattr(runner, "_max_workers", None) or getattr(runner, "max_workers", 1)
    if isinstance(runner, ProcessPoolTaskRunner):
        return f"{workers} processes"
    return "this process"
