"""The drafts of a plan folder checked, each against its unit and its parent's plan.

The manifest lists every draft with its unit and the unit above it; the hierarchy it names
says who each unit is. Drafts are read parents first, so a draft's citations are compared
with its parent's draft as the clerk will see both; the drafts right below the issuer are
compared with the issuer's plan (its file, when given, else its number, date and summary
from the manifest).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from hierarchy.units import Unit
from kehoach.cascade.lint.citations import ParentPlan
from kehoach.cascade.lint.draft import Memo, lint_draft
from kehoach.cascade.lint.findings import DraftFindings, LintReport
from kehoach.cascade.lint.voice import Voice
from kehoach.cascade.manifest import MANIFEST, ManifestEntry, PlanSummary, read_manifest
from kehoach.documents.plan_text import DocxReadError, PlanText, plan_text_of, read_plan_text
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
        top = issuer_text(plan)
    else:
        notes.append(
            f"{folder}: citations in the drafts right below the issuer were compared with "
            "the plan's number, date and summary only (give the plan to compare its text)"
        )
    entries = [e for e in manifest.drafts if e.unit_id in h]
    for e in manifest.drafts:
        if e.unit_id not in h:
            notes.append(f"{e.path}: unit {e.unit_id} is not in the hierarchy {h.source}")
    position = depth_first_positions(h)
    entries.sort(key=lambda e: position[e.unit_id])
    checks = check_entries(DraftChecker(h, top, prefix=prefix), folder, entries)
    read = sum(1 for c in checks if c.note is None)
    return report_of(folder, checks, position, notes, read=read)


def issuer_text(plan: Plan) -> ParentPlan:
    """What the drafts right below the issuer are compared with: the issuer's plan's text."""
    return ParentPlan.of_text(plan_text_of(plan), plan.issuer.name)


class DraftChecker:
    """Drafts checked one after another, each parent's before the drafts below it (depth
    first): as :func:`lint_folder` reads a plan folder, and as a cascade's batch writes its
    drafts (:func:`kehoach.cascade.drafting.draft_subtrees`).

    The one place that holds the parents' texts on the current path: a draft's citations are
    compared with its parent's draft, and only the texts of the administrative units above
    the current draft are held (level by level, every commune's plan text was held while its
    departments were read: ~1 GB over the national hierarchy). ``top`` is what the drafts
    right below the issuer are compared with. ``parents`` and ``voices`` are the texts and
    voices of units above the first drafts that this checker does not check itself (a
    batch's roots' parents, whose drafts the flow wrote): given, and held to the end.
    ``keep`` names units whose texts :attr:`kept` keeps after their subtree is left (the
    flow's top drafts, for the batches below them). ``memo`` lives as long as the checker.
    """

    def __init__(
        self,
        h: Hierarchy,
        top: ParentPlan,
        *,
        parents: Mapping[str, ParentPlan] | None = None,
        voices: Mapping[str, Voice] | None = None,
        prefix: str = "",
        keep: Collection[str] = (),
    ) -> None:
        self.h = h
        self.top = top
        self.prefix = prefix
        self.kept: dict[str, ParentPlan] = {}
        self._given = dict(parents or {})
        self._given_voices = dict(voices or {})
        self._keep = set(keep)
        self._parents: dict[str, ParentPlan] = {}
        self._path: list[str] = []  # the admin units above the current draft whose texts are held
        self._voices: dict[str, Voice] = {}
        self._memo: Memo = {}

    def voice(self, admin: str) -> Voice:
        """The voice of the administrative unit ``admin`` (its departments speak in it),
        built once and held to the end, to give a batch whose roots are its departments."""
        voice = self._voices.get(admin) or self._given_voices.get(admin)
        if voice is None:
            voice = self._given_voices[admin] = Voice(self.h, self.h.unit(admin))
        return voice

    def check(
        self, unit: Unit, parent_unit_id: str | None, path: str, source: bytes | Path | PlanText
    ) -> DraftFindings:
        """The findings in the draft of ``unit`` at ``path`` (relative to its plan folder):
        ``source`` is its DOCX, the bytes or the file to read them from, or its words as
        that DOCX reads (a batch's own draft, rendered from them)."""
        above = {u.id for u in self.h.path(unit.id)[:-1]}
        while self._path and self._path[-1] not in above:  # left its subtree: let it go
            gone = self._path.pop()
            self._parents.pop(gone, None)
            self._voices.pop(gone, None)
        if isinstance(source, PlanText):
            text = source
        else:
            try:
                data = source.read_bytes() if isinstance(source, Path) else source
                text = read_plan_text(data, where=path)
            except (OSError, DocxReadError) as exc:
                return DraftFindings(
                    unit_id=unit.id, note=f"{path}: not checked: {getattr(exc, 'what', exc)}"
                )
        admin = unit.parent if unit.is_department and unit.parent else unit.id
        if admin not in self._voices:
            self._voices[admin] = self._given_voices.get(admin) or Voice(self.h, self.h.unit(admin))
        voice = self._voices[admin].speaking_as(unit)
        key = parent_unit_id or ""
        parent = self._parents.get(key) or self._given.get(key) or self.top
        findings = lint_draft(text, voice, self.prefix + path, parent, self._memo)
        if not unit.is_department:
            mine = ParentPlan.of_text(text, cited_name(unit))
            self._parents[unit.id] = mine
            self._path.append(unit.id)
            if unit.id in self._keep:
                self.kept[unit.id] = mine
        return DraftFindings(unit_id=unit.id, findings=findings)


def check_entries(
    checker: DraftChecker, folder: Path, entries: Iterable[ManifestEntry]
) -> list[DraftFindings]:
    """The drafts of ``entries`` (in depth-first order) checked as they are on disk."""
    h = checker.h
    return [
        checker.check(h.unit(e.unit_id), e.parent_unit_id, e.path, folder / e.path) for e in entries
    ]


def report_of(
    folder: Path,
    checks: Iterable[DraftFindings],
    position: Mapping[str, int],
    notes: Sequence[str] = (),
    *,
    read: int,
) -> LintReport:
    """One report of drafts checked wherever they were, in the order :func:`lint_folder`
    reads them (``position``: :func:`depth_first_positions`), after ``notes``. ``checks``
    may leave out drafts with nothing to say; ``read`` counts every draft read."""
    ordered = sorted(checks, key=lambda c: position[c.unit_id])
    return LintReport(
        folders=[str(folder)],
        drafts=read,
        findings=[f for c in ordered for f in c.findings],
        notes=[*notes, *(c.note for c in ordered if c.note is not None)],
    )


def depth_first_positions(h: Hierarchy) -> dict[str, int]:
    """Each unit's place in the depth-first order drafts are checked in (see
    :class:`DraftChecker`): a parent before its children, a subtree before the next."""
    return {u.id: i for i, u in enumerate(_depth_first(h))}


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
