"""Importing a received plan (DOCX, PDF, TXT) into the plan model: round trips and warnings.

"Equal" for a plan read back from a document means equal in everything the document carries:
the text it prints (``plan_text_of``: header, body, recipients, signer, annex rows — markers
compared by their printed words, as the document prints them) and what those words mean (the
number and date, the issuer's unit, each cited document, each task's deadline, quota and
bodies resolved to units or groups). Task ids, ``origin`` and ``levels`` are the cascade's
bookkeeping and no document prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.drafting import render_draft
from kehoach.cascade.walk import cascade
from kehoach.documents.importing import import_plan
from kehoach.documents.plan_text import plan_text_of
from kehoach.io.errors import KehoachError
from kehoach.plan.model import Assignee, Plan, load_plan
from tests.conftest import EXAMPLES, REPO

SEEDS = REPO.parent / "shared" / "seeds"
SEED_55 = SEEDS / "001_c5fe6b3679043b49.txt"
SEED_145 = SEEDS / "004_ebfe5832c1dc6bb6.txt"
HOANG_MAI = EXAMPLES / "hierarchies" / "hoang-mai.yaml"


def _body(a: Assignee) -> tuple[str | None, str | None]:
    return (a.unit, a.group.value if a.group else None)


def meaning(plan: Plan) -> dict[str, Any]:
    """What a document's words mean, beyond the words (see the module's docstring)."""
    return {
        "number": plan.number_symbol.strip() if plan.number else None,
        "date": plan.date,
        "unit": plan.issuer.unit_id,
        "issuer": plan.issuer.name,
        "term": plan.term,
        "references": plan.references,
        "tasks": [
            (
                t.deadline.due,
                t.deadline.opens,
                t.deadline.recurrence,
                t.deadline.text,
                # the channel is the plan's data, not always the words of the title
                t.quota and (t.quota.count, t.quota.per, t.quota.item),
                _body(t.lead),
                [_body(c) for c in t.coordinating],
            )
            for t in plan.tasks
        ],
        "parts": [s.assignee and _body(s.assignee) for s in plan.implementation],
        "signer": plan.signer,
    }


def assert_same_plan(imported: Plan, expected: Plan, where: str) -> None:
    """The imported plan prints the same document and means the same (module docstring)."""
    got, want = plan_text_of(imported).model_dump(), plan_text_of(expected).model_dump()
    for key in want:
        assert got[key] == want[key], f"{where}: {key} differs"
    assert meaning(imported) == meaning(expected), where


def _drafts(plan: Path, h: Hierarchy, start: str | None = None) -> list[tuple[Any, bytes]]:
    return [
        (d, render_draft(d)) for level in cascade(load_plan(plan), h, start=start) for d in level
    ]


def _round_trip(drafts: list[tuple[Any, bytes]], h: Hierarchy, tmp_path: Path) -> dict[str, int]:
    counts = {"plans": 0, "task lists": 0}
    for draft, data in drafts:
        path = tmp_path / f"{draft.unit.id}.docx"
        path.write_bytes(data)
        if draft.task_list is not None:
            # A section's DANH SÁCH NHIỆM VỤ is not an ND 30 plan: refused, by name.
            with pytest.raises(KehoachError, match="DANH SÁCH NHIỆM VỤ"):
                import_plan(path, h)
            counts["task lists"] += 1
            continue
        result = import_plan(path, h)
        assert_same_plan(result.plan, draft.plan, f"{draft.unit.id} {draft.unit.name}")
        assert result.warnings == (), (draft.unit.id, result.warnings)
        counts["plans"] += 1
    return counts


def test_every_draft_of_hoang_mai_imports_back_to_its_plan(tmp_path: Path) -> None:
    """All drafts of 67/KH-UBND over the hand-written Hoàng Mai hierarchy: the district's
    five offices with a seal (their own KẾ HOẠCH) and the two wards import back equal; the
    wards' sections' task lists (DANH SÁCH NHIỆM VỤ) are refused as what they are."""
    h = load_hierarchy(HOANG_MAI)
    counts = _round_trip(_drafts(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml", h), h, tmp_path)
    assert counts == {"plans": 7, "task lists": 9}


@pytest.mark.slow
def test_every_draft_of_a_district_cascade_imports_back(tmp_path: Path) -> None:
    """145/KH-UBND cascaded from Quận Hoàng Mai (008) on the real Hà Nội hierarchy: the
    district's plan, its offices' plans (phòng, with a seal), every ward's plan."""
    h = load_hierarchy("hanoi-2024")
    counts = _round_trip(_drafts(EXAMPLES / "ha-noi-145-kh-ubnd.yaml", h, "008"), h, tmp_path)
    assert counts["plans"] >= 14 + 6 and counts["task lists"] > 50
