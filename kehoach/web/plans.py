"""Received plans uploaded to the portal: imported, kept by a token, cascaded on the server.

An upload is kept as ``<token>.docx|pdf`` under the portal's data folder with the plan file
the importer made of it beside it (``<token>.yaml``, the warnings as comments, as ``kehoach
plan import`` writes it). A URL names an upload by its token only, and a token is 32
lowercase hex digits or nothing: it never carries a path.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.cascade.run import prepare
from kehoach.documents.importing import ImportedPlan, import_plan, plan_yaml
from kehoach.plan.model import Plan, load_plan
from kehoach.web.files import FileKind

_TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Received:
    """An uploaded plan as imported: its token, plan file, the plan and the warnings."""

    token: str
    plan_file: Path
    plan: Plan
    warnings: list[str]


def receive(folder: Path, data: bytes, kind: FileKind, shown: str, h: Hierarchy) -> Received:
    """Keep the upload, import it in ``h`` and write its plan file; the importer's one-line
    error (not a plan, a scanned PDF) propagates with nothing kept."""
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    source = folder / f"{token}.{kind.value}"
    source.write_bytes(data)
    try:
        imported: ImportedPlan = import_plan(source, h)
    except Exception:
        source.unlink(missing_ok=True)
        raise
    plan_file = folder / f"{token}.yaml"
    warnings = [str(w) for w in imported.warnings]
    plan_file.write_text(plan_yaml(imported, shown), encoding="utf-8")
    (folder / f"{token}.warnings.json").write_text(
        json.dumps(warnings, ensure_ascii=False), encoding="utf-8"
    )
    return Received(token, plan_file, imported.plan, warnings)


def received(folder: Path, token: str) -> Received | None:
    """The upload a URL's token names, or None (a malformed token names nothing)."""
    if not _TOKEN.fullmatch(token):
        return None
    plan_file = folder / f"{token}.yaml"
    if not plan_file.is_file():
        return None
    warnings = json.loads((folder / f"{token}.warnings.json").read_text(encoding="utf-8"))
    return Received(token, plan_file, load_plan(plan_file), warnings)


def start_units(h: Hierarchy, plan: Plan, scope_unit: str) -> list[Unit]:
    """The administrative units a cascade of ``plan`` can start from (``--from``) for a user
    at ``scope_unit``: the issuer's units below it, within the user's subtree."""
    issuer = plan.issuer.unit_id
    if issuer is None or issuer not in h:
        return []
    below = [u for level in h.levels(issuer) for u in level if not u.is_department]
    return [u for u in below if scope_unit in {p.id for p in h.path(u.id)}]


def drafts_to_write(plan: Plan, h: Hierarchy, hierarchy: str, out: Path, start: str | None) -> int:
    """How many drafts the cascade will write: the run planned and checked, nothing written."""
    return prepare(plan, h, hierarchy, out, start=start).parts.total
