"""Kinds 3 and 6: a draft cites documents as its parent plan does, and its parent by number.

A child plan copies its parent's citations ("Kế hoạch số 136/KH-UBND ngày 01/6/2021 của UBND
Thành phố về CCHC nhà nước giai đoạn 2021-2025"); rewording the parent's text into the
child's words must not reach inside them ("… mô hình chính quyền đô thị quận Hoàng Mai"
became "… phường Yên Sở"). A citation is compared with the parent's citation of the same
number, and a citation of the parent itself with the parent's number, date, issuer and
summary (trích yếu).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from kehoach.cascade.lint.phrases import Citation, citations, same_words, short, unnumbered
from kehoach.cascade.manifest import PlanSummary
from kehoach.documents.plan_text import PlanText
from kehoach.plan.deadline import format_date
from kehoach.plan.wording import lower_first

_NUMBER = re.compile(r"^Số:\s*(\S*)")
_DATELINE = re.compile(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})")
_CITED_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass
class ParentPlan:
    """What a draft's citations are compared with: how its parent plan is cited (number,
    date, issuer, summary) and, where its text is known, every citation in it by number."""

    number: str | None  # "67/KH-UBND"; None while the parent is a draft
    date: dt.date | None
    issuer: str  # as cited: "UBND quận Hoàng Mai"
    summary: str
    cited: dict[str, list[str]] | None = field(default=None)  # number → its citations
    #: Names this parent in :func:`~kehoach.cascade.lint.draft.lint_draft`'s memo. Not its
    #: ``id()``: a parent let go is freed, and the next one may get its address, and with it
    #: the findings of the paragraphs it shares with the first; nor a counter, as parents
    #: made in the flow's process and in a worker meet in one batch.
    key: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False, repr=False)

    @classmethod
    def of_text(cls, text: PlanText, issuer: str) -> ParentPlan:
        m = _NUMBER.match(text.number_line)
        number = m.group(1) if m and m.group(1)[:1].isdigit() else None
        d = _DATELINE.search(text.dateline)
        date = dt.date(int(d[3]), int(d[2]), int(d[1])) if d else None
        cited: dict[str, list[str]] = {}
        for block in [*(b.text for b in text.body), *(r.title for r in text.annex)]:
            for c in citations(block):
                if not c.blank:
                    cited.setdefault(c.number, []).append(c.words)
        return cls(number, date, issuer, text.summary, cited)

    @classmethod
    def of_summary(cls, plan: PlanSummary) -> ParentPlan:
        return cls(plan.number, plan.date, plan.issuer, plan.summary)


def _diverging(ours: str, theirs: str) -> tuple[str, str]:
    """The two texts from the word where they part, a few words of context before."""
    a, b = ours.split(), theirs.split()
    i = 0
    while i < min(len(a), len(b)) and same_words(a[i]) == same_words(b[i]):
        i += 1
    start = max(0, i - 3)
    lead = "…" if start else ""
    return lead + " ".join(a[start : i + 8]), lead + " ".join(b[start : i + 8])


def check_citation(c: Citation, parent: ParentPlan) -> str | None:
    """Why citation ``c`` in a draft is not its parent's words, or None."""
    is_parent = (c.number and c.number == parent.number) or (
        c.blank and parent.number is None and same_words(c.issuer) == same_words(parent.issuer)
    )
    if is_parent:
        problems = []
        if same_words(lower_first(c.title)) != same_words(lower_first(parent.summary)):
            ours, theirs = _diverging(c.title, lower_first(parent.summary))
            problems.append(f"about “{ours}”, and the plan is about “{theirs}”")
        d = _CITED_DATE.match(c.date)
        if d and parent.date and dt.date(int(d[3]), int(d[2]), int(d[1])) != parent.date:
            problems.append(f"dated {c.date}, and the plan is of {format_date(parent.date)}")
        if c.issuer and same_words(c.issuer) != same_words(parent.issuer):
            problems.append(f"issued by {c.issuer}, and the plan by {parent.issuer}")
        if problems:
            return f"cites the parent plan {c.number or '(blank number)'} " + "; ".join(problems)
        return None
    if c.blank or parent.cited is None or c.number not in parent.cited:
        return None
    versions = parent.cited[c.number]
    if any(same_words(c.words) == same_words(t) for t in versions):
        return None
    ours, parents = _diverging(c.words, versions[0])
    return f"cites {c.kind} số {c.number} as “{ours}”, where the parent plan has “{parents}”"


def unnumbered_problems(text: str) -> list[str]:
    """Kind 6 in one paragraph: each plan it cites without "số"."""
    return [
        f"“{short(u.words, 90)}”: cite it with its number and date (“{u.kind} số …”), or blanks "
        "for the clerk while it is a draft"
        for u in unnumbered(text)
    ]
