"""Importing a received plan (DOCX, PDF or TXT laid out under ND 30) into the plan model.

``import_plan(path, hierarchy)`` reads the file (:mod:`.sources`), its structure
(:mod:`.structure`) and the bodies it names (:mod:`.bodies`), and returns the plan with every
warning about what it kept as text or assumed. Pure: no Prefect, no files written.
"""

from __future__ import annotations

from pathlib import Path

from hierarchy.graph import Hierarchy
from kehoach.documents.importing.sources import PlanImportError, ScannedPdfError, read_source
from kehoach.documents.importing.structure import ImportedPlan, ImportWarning, build_plan


def import_plan(path: Path, hierarchy: Hierarchy | None = None) -> ImportedPlan:
    """The plan in ``path`` (.docx, .pdf or .txt), its bodies resolved at the issuer's level
    in ``hierarchy`` (when given: unit ids, and the hierarchy's names of its departments).

    Raises a :class:`~kehoach.io.errors.KehoachError` (one line naming the file) when the
    file cannot be read, is not a plan, or is a scanned PDF without a text layer.
    """
    return build_plan(read_source(path), str(path), hierarchy)


__all__ = [
    "ImportWarning",
    "ImportedPlan",
    "PlanImportError",
    "ScannedPdfError",
    "import_plan",
    "plan_yaml",
]


def plan_yaml(imported: ImportedPlan, source: str) -> str:
    """The imported plan as a plan file ``kehoach plan check`` and ``cascade`` read, with the
    warnings as comments at its top, where the operator correcting it looks first."""
    import yaml  # the YAML writer is only needed here

    head = [f"# Imported from {source} by `kehoach plan import`."]
    if imported.warnings:
        head.append(f"# {len(imported.warnings)} warnings (kept as text or assumed; check them):")
        head += [f"#   {w}" for w in imported.warnings]
    data = imported.plan.model_dump(mode="json", exclude_defaults=True)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return "\n".join(head) + "\n\n" + body
