"""The drafts of a plan folder checked, each against its unit and its parent's plan.

The manifest lists every draft with its unit and the unit above it; the hierarchy it names
says who each unit is. Drafts are read parents first, so a draft's citations are compared
with its parent's draft as the clerk will see both; the drafts right below the issuer are
compared with the issuer's plan (its file, when given, else its number, date and summary
from the manifest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import Unit
from kehoach.cascade.lint.citations import ParentPlan
from kehoach.cascade.lint.draft import Memo, lint_draft
from kehoach.cascade.lint.findings import Finding, LintReport
from kehoach.cascade.lint.voice import Voice
from kehoach.cascade.manifest import MANIFEST, Manifest, PlanSummary, read_manifest
from kehoach.documents.plan_text import DocxReadError, plan_text_of, read_plan_text
from kehoach.io.errors import KehoachError
from kehoach.plan.model import Plan
from kehoach.plan.wording import cited_name


def lint_folder(
    folder: Path,
    *,
    plan: Plan | None = None,
    hierarchy: Hierarchy | None = None,
    prefix: str = "",
) -> LintReport:
    """The findings in every draft of the plan folder ``folder`` (``out/<plan>/<hierarchy>``).

    ``plan`` is the issuer's plan (its text is what the drafts right below it cite);
    ``hierarchy`` the hierarchy the drafts were made over, loaded from the source the manifest
    names when not given. Paths are the manifest's (relative to ``folder``), after ``prefix``.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        raise KehoachError(f"no {MANIFEST} here: not the folder of a cascade", where=folder)
    h = hierarchy if hierarchy is not None else load_hierarchy(manifest.hierarchy)
    notes: list[str] = []
    top = ParentPlan.of_summary(manifest.plan)
    if plan is not None:
        if PlanSummary.of(plan) != manifest.plan:
            raise KehoachError(
                f"the drafts here implement {manifest.plan.number or manifest.plan.summary}, "
                f"not {plan.number_symbol.strip()} of {plan.issuer.name}",
                where=folder,
            )
        top = ParentPlan.of_text(plan_text_of(plan), plan.issuer.name)
    else:
        notes.append(
            f"{folder}: citations in the drafts right below the issuer were compared with "
            "the plan's number, date and summary only (give the plan to compare its text)"
        )
    findings, drafts = _lint_drafts(folder, manifest, h, top, notes, prefix)
    return LintReport(folders=[str(folder)], drafts=drafts, findings=findings, notes=notes)


def _lint_drafts(
    folder: Path,
    manifest: Manifest,
    h: Hierarchy,
    top: ParentPlan,
    notes: list[str],
    prefix: str,
) -> tuple[list[Finding], int]:
    entries = [e for e in manifest.drafts if e.unit_id in h]
    for e in manifest.drafts:
        if e.unit_id not in h:
            notes.append(f"{e.path}: unit {e.unit_id} is not in the hierarchy {h.source}")
    # Depth first, a parent's draft before its children's, so that only the parents' texts
    # on the current path are held: level by level, every commune's plan text was held
    # while its departments were read (~1 GB over the national hierarchy).
    position = {u.id: i for i, u in enumerate(_depth_first(h))}
    entries.sort(key=lambda e: position[e.unit_id])
    parents: dict[str, ParentPlan] = {}
    path: list[str] = []  # the admin units above the current draft whose texts are held
    voices: dict[str, Voice] = {}
    memo: Memo = {}
    findings: list[Finding] = []
    read = 0
    for e in entries:
        unit = h.unit(e.unit_id)
        above = {u.id for u in h.path(unit.id)[:-1]}
        while path and path[-1] not in above:  # left that unit's subtree: let its text go
            gone = path.pop()
            parents.pop(gone, None)
            voices.pop(gone, None)
        try:
            text = read_plan_text((folder / e.path).read_bytes(), where=e.path)
        except (OSError, DocxReadError) as exc:
            notes.append(f"{e.path}: not checked: {getattr(exc, 'what', exc)}")
            continue
        read += 1
        admin = unit.parent if unit.is_department and unit.parent else unit.id
        if admin not in voices:
            voices[admin] = Voice(h, h.unit(admin))
        voice = voices[admin].speaking_as(unit)
        parent = parents.get(e.parent_unit_id or "", top)
        findings += lint_draft(text, voice, prefix + e.path, parent, memo)
        if not unit.is_department:
            parents[unit.id] = ParentPlan.of_text(text, cited_name(unit))
            path.append(unit.id)
    return findings, read


def _depth_first(h: Hierarchy) -> Iterator[Unit]:
    """Every unit, each before the units below it, a subtree finished before the next."""
    stack = [h.root]
    while stack:
        unit = stack.pop()
        yield unit
        stack.extend(reversed(h.children(unit.id)))


def plan_folders(out: Path) -> list[Path]:
    """The plan folders under ``out``: ``out`` itself if it holds a manifest, else every
    ``out/<plan>/<hierarchy>/`` with one."""
    if (out / MANIFEST).is_file():
        return [out]
    return sorted(p.parent for p in out.glob(f"*/*/{MANIFEST}"))


def lint_out(
    out: Path, *, plan: Plan | None = None, hierarchy: Hierarchy | None = None
) -> LintReport:
    """:func:`lint_folder` over every plan folder under ``out``, in one report; ``plan`` is
    used for the folder of its own drafts. Paths are relative to ``out``: the draft's own when
    ``out`` is a plan folder, ``<plan>/<hierarchy>/drafts/…`` when it holds several."""
    folders = plan_folders(out)
    if not folders:
        raise KehoachError(
            f"no {MANIFEST} here nor in <plan>/<hierarchy>/ below: not an output folder",
            where=out,
        )
    reports = []
    loaded: dict[str, Hierarchy] = {}
    used = False  # whether ``plan`` is the plan of one of the folders
    for folder in folders:
        manifest = read_manifest(folder)
        if manifest is None:
            continue
        h = hierarchy
        if h is None:
            h = loaded.get(manifest.hierarchy) or load_hierarchy(manifest.hierarchy)
            loaded[manifest.hierarchy] = h
        mine = plan if plan is not None and PlanSummary.of(plan) == manifest.plan else None
        used = used or mine is not None
        prefix = "" if folder == out else f"{folder.relative_to(out).as_posix()}/"
        reports.append(lint_folder(folder, plan=mine, hierarchy=h, prefix=prefix))
    if plan is not None and not used:
        raise KehoachError(
            f"no drafts here implement {plan.number_symbol.strip()} of {plan.issuer.name}",
            where=out,
        )
    return LintReport(
        folders=[f for r in reports for f in r.folders],
        drafts=sum(r.drafts for r in reports),
        findings=[f for r in reports for f in r.findings],
        notes=[n for r in reports for n in r.notes],
    )
