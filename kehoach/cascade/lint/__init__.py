"""The draft checker: every draft a cascade wrote, read as a clerk reads it (issue 12, item 9).

:func:`lint_folder` reads the manifest of a plan folder, the hierarchy it names, and every
draft listed, and returns a :class:`LintReport`: one :class:`Finding` per problem, with the
draft's path and the place in it, and the counts per kind. What each kind means is in
:class:`FindingKind`::

    report = lint_folder(prepared.folder, plan=prepared.plan, hierarchy=h)
    report.counts  # {"foreign-assignee": 12, "foreign-self-reference": 0, …}

A cascade run checks each draft as its batch writes it instead, with the same
:class:`DraftChecker`, and gathers the same report (:meth:`kehoach.cascade.run.Run.report`).

The modules: :mod:`~kehoach.cascade.lint.phrases` finds citations, mentions of units and
dates in a paragraph; :mod:`~kehoach.cascade.lint.voice` (kinds 1, 2),
:mod:`~kehoach.cascade.lint.citations` (3, 6) and :mod:`~kehoach.cascade.lint.tasks` (4, 5)
judge them; :mod:`~kehoach.cascade.lint.draft` checks one draft,
:mod:`~kehoach.cascade.lint.folder` a plan folder or an output folder of several.
"""

from kehoach.cascade.lint.citations import ParentPlan
from kehoach.cascade.lint.draft import lint_draft
from kehoach.cascade.lint.findings import DraftFindings, Finding, FindingKind, LintReport
from kehoach.cascade.lint.folder import DraftChecker, lint_folder, lint_out, plan_folders
from kehoach.cascade.lint.voice import Voice

__all__ = [
    "DraftChecker",
    "DraftFindings",
    "Finding",
    "FindingKind",
    "LintReport",
    "ParentPlan",
    "Voice",
    "lint_draft",
    "lint_folder",
    "lint_out",
    "plan_folders",
]
