"""The task a drafting worker runs: batches of whole subtrees, derived, rendered, written.

A module of its own so that what a worker runs is in one short place, apart from the flow's
orchestration. A worker still imports :mod:`flows.cascade` (Prefect sends the flow with each
task's context), which therefore imports the status store (SQLAlchemy, alembic) only inside
the task that reads it.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State

from hierarchy.graph import Hierarchy
from kehoach.cascade.drafting import SubtreeJob, draft_subtrees
from kehoach.cascade.journal import BatchResult, PackedBatch
from kehoach.io.writing import OutputError


def transient_io(_task: object, _run: object, state: State) -> bool:
    """Retry a task only when the disk hiccupped (EIO, EAGAIN …), never on bad input or a
    refusal that would recur (read-only, no space): those fail at once with their message."""
    exc = state.data
    return isinstance(exc, OutputError) and exc.transient


# Writes are idempotent, so a task that hit a transient I/O error is simply run again.
@task(
    name="draft-subtrees",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=transient_io,
)
def draft_subtrees_task(jobs: list[SubtreeJob], h: Hierarchy) -> PackedBatch:
    """Derive, render and write batches of whole subtrees one after another, wherever the
    task runner runs them (``h`` is their slice of the hierarchy:
    :func:`kehoach.cascade.partition.slice_for`).

    Several batches to a task (:func:`kehoach.cascade.partition.task_groups`): a task run
    costs its worker a fixed part of a second; each batch is still journalled on its own. A
    batch an earlier run finished (its journal entry and drafts intact) is skipped. Returned
    packed (:class:`~kehoach.cascade.journal.PackedBatch`): the flow unpacks it once.
    """
    return PackedBatch.of(BatchResult.merged([draft_subtrees(job, h) for job in jobs]))
