"""Batches grouped into tasks: every batch once, in order, in tasks of about equal size."""

from __future__ import annotations

import pytest

from kehoach.cascade.partition import task_groups


@pytest.mark.parametrize(
    ("sizes", "slots", "tasks"),
    [
        ([340] * 10, 2, 4),  # Hà Nội: too few units for full tasks; still two per slot
        ([350] * 188, 2, 22),  # national: about 3,000 units a task
        ([350] * 188, 16, 32),  # a cluster: two tasks per slot, whatever their size
        ([5], 2, 1),  # one batch: one task
        ([], 2, 0),
    ],
)
def test_every_batch_once_in_order_in_tasks_of_about_equal_size(
    sizes: list[int], slots: int, tasks: int
) -> None:
    groups = task_groups(sizes, slots)
    assert [i for g in groups for i in g] == list(range(len(sizes)))
    assert len(groups) == tasks
    units = [sum(sizes[i] for i in g) for g in groups]
    if len(groups) > 1:
        assert max(units) <= 1.6 * min(units), units  # no worker left waiting on one task
        assert max(units) <= 3000 + max(sizes)


def test_a_large_batch_closes_its_task() -> None:
    assert task_groups([100, 900, 100, 100, 100, 100], 2) == [[0, 1], [2], [3], [4, 5]]
