"""Kinds 4 and 5, in a draft's annex (phụ lục) and the body that describes its tasks.

A task is an annex row and its continuation rows (a blank TT, as 55/KH-UBND prints its row 1
twice: "Chậm nhất ngày 20/2/2024" and "Trước ngày 15/3/2024"). The body describes the same
tasks in words; a date it sets for one must be a date the annex gives that task.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kehoach.cascade.lint.findings import Finding, FindingKind
from kehoach.cascade.lint.phrases import dated_clauses, dates_in, key_words, same_day, short
from kehoach.cascade.lint.voice import name_form
from kehoach.documents.plan_document import AnnexRow
from kehoach.documents.plan_text import PlanText

_ISSUES_PLAN = re.compile(r"(?:ban hành|xây dựng)\b.{0,80}?\bkế hoạch", re.I)
_DEPARTMENTS_PLAN = re.compile(
    r"của cơ quan|cơ quan, đơn vị|các phòng|các bộ phận|các sở|phòng, ban", re.I
)


@dataclass
class AnnexTask:
    """The annex rows of one task: a numbered row and its continuation rows (blank TT)."""

    stt: str  # the TT printed (the task's number in the annex)
    title: str
    dates: list[tuple[int, int, int]]  # every row's deadline that is a date or a month
    shown: list[str]  # those dates as printed
    words: frozenset[str]  # the title's key words, to recognise the task in the body
    issues_plan: bool  # "ban hành Kế hoạch …": a plan to issue
    departments: bool  # … the departments' own plans, not the unit's


def annex_tasks(rows: list[AnnexRow]) -> list[AnnexTask]:
    """The tasks of an annex, each with all its rows' dates."""
    tasks: list[AnnexTask] = []
    for row in rows:
        dates, shown = dates_in(row.deadline)
        if row.stt.strip() == "" and tasks:
            tasks[-1].dates += dates
            tasks[-1].shown += shown
            continue
        tasks.append(
            AnnexTask(
                stt=row.stt.strip(),
                title=row.title,
                dates=list(dates),
                shown=list(shown),
                words=key_words(row.title),
                issues_plan=bool(_ISSUES_PLAN.search(row.title)),
                departments=bool(_DEPARTMENTS_PLAN.search(row.title)),
            )
        )
    return tasks


def check_annex_twice(
    tasks: list[AnnexTask], path: str, table: str = "annex row"
) -> Iterator[Finding]:
    """Kind 4 within the annex: two numbered rows of one task (the same TT, or the same
    title) due on different dates. A continuation row (blank TT) is the same task's second
    line, as 55/KH-UBND prints its row 1."""
    seen: dict[str, AnnexTask] = {}
    for task in tasks:
        for seen_as in (f"TT {task.stt}", f"title {name_form(task.title)}"):
            first = seen.get(seen_as)
            if first is None:
                seen[seen_as] = task
                continue
            if task.dates and first.dates and set(task.dates) != set(first.dates):
                yield Finding(
                    kind=FindingKind.TWO_DEADLINES,
                    path=path,
                    where=f"{table} {task.stt}",
                    text=(
                        f"“{short(task.title)}” is due {', '.join(task.shown)} here and "
                        f"{', '.join(first.shown)} in {table} {first.stt}"
                    ),
                )
                break


def _departments_plan(context: str) -> bool:
    """Whether a clause on a plan to issue is about the departments' own plans: it, or the
    paragraph before it, says whose ("kế hoạch … của cơ quan", "các bộ phận chuyên môn")."""
    return bool(_DEPARTMENTS_PLAN.search(context))


def _matching(clause: str, context: str, tasks: list[AnnexTask]) -> list[AnnexTask]:
    """The annex tasks a body clause describes: plan issuance by its wording (whose plan: the
    unit's own, or its departments', read in ``context``, the paragraph up to the clause's
    end), any other task by most of its title's words."""
    if _ISSUES_PLAN.search(clause):
        departments = _departments_plan(context)
        plans = [t for t in tasks if t.issues_plan and t.dates]
        same = [t for t in plans if t.departments == departments]
        return same or plans
    words = key_words(clause)
    best: list[AnnexTask] = []
    best_share = 0.75
    for t in tasks:
        if len(t.words) < 4 or not t.dates:
            continue
        share = len(t.words & words) / len(t.words)
        if share > best_share:
            best, best_share = [t], share
        elif share == best_share and best:
            best.append(t)
    return best


def check_deadlines(
    text: PlanText,
    tasks: list[AnnexTask],
    path: str,
    labels: list[str],
    findings: list[Finding],
    table: str = "annex row",
) -> None:
    """Kind 4 between the body and the annex: a clause that sets a date for a task the annex
    also dates, with another date; two clauses on the unit's (or its departments') plan
    with different dates where the annex has no row for it."""
    unmatched: dict[bool, tuple[str, tuple[int, int, int], str]] = {}  # whose → first date
    for block, where in zip(text.body, labels, strict=True):
        if block.kind != "para":
            continue
        for dated in dated_clauses(block.text):
            context = block.text[: block.text.find(dated.clause) + len(dated.clause)]
            candidates = _matching(dated.clause, context, tasks)
            if candidates:
                due = [d for t in candidates for d in t.dates]
                for day, shown in zip(dated.dates, dated.shown, strict=True):
                    if not any(same_day(day, d) for d in due):
                        rows = ", ".join(
                            f"{table} {t.stt}: {', '.join(t.shown)}" for t in candidates
                        )
                        findings.append(
                            Finding(
                                kind=FindingKind.TWO_DEADLINES,
                                path=path,
                                where=where,
                                text=f"{shown} for “{short(candidates[0].title)}”, but {rows}",
                            )
                        )
                        break
            elif _ISSUES_PLAN.search(dated.clause):
                whose = _departments_plan(context)
                day, shown = dated.dates[-1], dated.shown[-1]
                if whose not in unmatched:
                    unmatched[whose] = (where, day, shown)
                elif not same_day(unmatched[whose][1], day):
                    first_where, _, first_shown = unmatched[whose]
                    findings.append(
                        Finding(
                            kind=FindingKind.TWO_DEADLINES,
                            path=path,
                            where=where,
                            text=f"{shown} for a plan to issue, but {first_shown} in {first_where}",
                        )
                    )


# -- kind 5: a lead listed as its own coordinator --------------------------------------------


def check_leads(rows: list[AnnexRow], path: str, table: str = "annex row") -> Iterator[Finding]:
    """Kind 5: the chủ trì (lead) of a row is not also among its phối hợp (coordinating)."""
    last = ""
    for row in rows:
        label = f"{table} {row.stt}" if row.stt.strip() else f"{table} {last} (continued)"
        last = row.stt.strip() or last
        lead = name_form(row.lead)
        coordinating = name_form(row.coordinating)
        if not lead:
            continue
        if (
            coordinating == lead
            or coordinating.startswith(lead + ", ")
            or coordinating.endswith(", " + lead)
            or f", {lead}, " in coordinating
        ):
            yield Finding(
                kind=FindingKind.LEAD_COORDINATES,
                path=path,
                where=label,
                text=f"“{row.lead}” leads and coordinates “{short(row.title)}”",
            )
