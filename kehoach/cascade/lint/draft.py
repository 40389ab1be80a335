"""One draft checked: every kind, in the order of the document, each with where it is."""

from __future__ import annotations

import re

from kehoach.cascade.lint.citations import ParentPlan, check_citation, unnumbered_problems
from kehoach.cascade.lint.findings import Finding, FindingKind
from kehoach.cascade.lint.phrases import citations, mentions
from kehoach.cascade.lint.tasks import annex_tasks, check_annex_twice, check_deadlines, check_leads
from kehoach.cascade.lint.voice import Voice, check_headings, voice_problems
from kehoach.documents.plan_text import PlanText

_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_LETTERED = re.compile(r"^([a-zđ])\)\s")
_ROMAN = re.compile(r"^([IVX]+)\.\s+(.*)$")
_ORDER = {k: i for i, k in enumerate(FindingKind)}  # a paragraph's findings: the order


#: What was found in a paragraph, by its text and whom it is judged against: the
#: administrative unit (kinds 2 and 6) or the parent plan (kind 3), or, for kinds 2 and 6 in
#: a paragraph that names no unit by its kind, nobody (``""``: the same for every voice). The
#: drafts of a committee and of its departments share most paragraphs; sibling committees
#: share the paragraphs that do not name them (7 in 10 of those a national batch checks).
Memo = dict[tuple[str, str], list[tuple[FindingKind, str]]]


def voice_findings(words: str, voice: Voice) -> list[tuple[FindingKind, str]]:
    """Kinds 2 and 6 in one paragraph (or annex title)."""
    found = [(FindingKind.FOREIGN_SELF_REFERENCE, p) for p in voice_problems(words, voice)]
    found += [(FindingKind.UNNUMBERED_CITATION, p) for p in unnumbered_problems(words)]
    return found


def citation_findings(words: str, parent: ParentPlan) -> list[tuple[FindingKind, str]]:
    """Kind 3 in one paragraph (or annex title)."""
    found = []
    for c in citations(words):
        problem = check_citation(c, parent)
        if problem is not None:
            found.append((FindingKind.CITATION_CHANGED, problem))
    return found


def lint_draft(
    text: PlanText,
    voice: Voice,
    path: str,
    parent: ParentPlan | None = None,
    memo: Memo | None = None,
) -> list[Finding]:
    """Every finding in one draft, in the order of the document.

    ``parent`` is the plan the draft implements (its citations are compared with it);
    ``memo`` keeps what was found in each paragraph for the next draft of the same unit.
    """
    memo = {} if memo is None else memo
    findings: list[Finding] = []
    judged_by = f"parent {parent.key}" if parent is not None else ""
    labels = body_labels(text)
    headings = check_headings(text, voice, path)  # by index in text.body
    blocks = [(text.summary, "summary", -1)]
    blocks += [
        (b.text, where, i) for i, (b, where) in enumerate(zip(text.body, labels, strict=True))
    ]
    table = "annex row" if text.type_name == "KẾ HOẠCH" else "table row"
    blocks += [(r.title, f"{table} {r.stt or '(continued)'}", -1) for r in text.annex]
    for words, where, index in blocks:
        if index in headings:  # a part of III judged by who heads it: its words are the name
            findings.append(headings[index])
            continue
        by_voice = memo.get(("", words))
        if by_voice is None:
            by_voice = memo.get((voice.admin.id, words))
        if by_voice is None:
            by_voice = voice_findings(words, voice)
            memo["" if not mentions(words) else voice.admin.id, words] = by_voice
        by_parent: list[tuple[FindingKind, str]] = []
        if parent is not None:
            key = (judged_by, words)
            if key not in memo:
                memo[key] = citation_findings(words, parent)
            by_parent = memo[key]
        if not (by_voice or by_parent):
            continue
        found = sorted(by_voice + by_parent, key=lambda f: _ORDER[f[0]])
        findings += [Finding(kind=k, path=path, where=where, text=t) for k, t in found]
    tasks = annex_tasks(text.annex)
    check_deadlines(text, tasks, path, labels, findings, table)
    findings += check_annex_twice(tasks, path, table)
    findings += check_leads(text.annex, path, table)
    return findings


def body_labels(text: PlanText) -> list[str]:
    """Where each body block is, as a clerk refers to it: "preamble", "III.2.a", "I.1 ¶2"
    (the second unlettered paragraph of I.1, where it has several), "closing"."""
    labels: list[str] = []
    parts: list[str | None] = []  # the part an unlettered paragraph is in (None: labelled)
    roman = number = letter = ""
    for i, block in enumerate(text.body):
        lettered = _LETTERED.match(block.text)
        if block.kind == "heading" and (m := _ROMAN.match(block.text)):
            roman, number, letter = m.group(1), "", ""
            labels.append(roman)
        elif not (roman or number) and not (
            block.kind == "subheading" and _NUMBERED.match(block.text)
        ):
            labels.append("preamble")  # a task list's parts are "1.", "2." without a roman
        elif i == len(text.body) - 1 and block.text.endswith("./."):
            labels.append("closing")
        elif block.kind == "subheading" and (m := _NUMBERED.match(block.text)):
            number, letter = m.group(1), ""
            labels.append(f"{roman}.{number}")
        elif lettered is not None:
            if block.kind == "subheading":
                letter = lettered.group(1)  # "a) Cải cách thể chế": its paragraphs follow
            labels.append(".".join(p for p in (roman, number, lettered.group(1)) if p))
        else:
            labels.append(".".join(p for p in (roman, number, letter) if p))
            parts.extend([None] * (len(labels) - 1 - len(parts)))
            parts.append(labels[-1])
            continue
        parts.extend([None] * (len(labels) - len(parts)))
    sizes: dict[str, int] = {}
    for part in parts:
        if part is not None:
            sizes[part] = sizes.get(part, 0) + 1
    seen: dict[str, int] = {}
    for i, part in enumerate(parts):
        if part is not None and sizes[part] > 1:
            seen[part] = seen.get(part, 0) + 1
            labels[i] = f"{part} ¶{seen[part]}"
    return labels
