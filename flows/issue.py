"""Prefect flow ``issue-plan``: a unit's signed plan recorded, so the units below implement it.

The core checks and records (:func:`kehoach.status.store.db.issue_plan`); this flow adds what
Prefect is for: a typed form in the UI (the number must look like 67 or 67/KH-UBND, the date
is a date), a run named for the document, one-line failures, and a table artifact of the plan
as recorded. Reading the DOCX is one task over :func:`kehoach.cascade.issued.read_issued`.

Flow ``import-plan`` beside it: a received plan (DOCX, PDF, TXT) read into a plan file, with
its warnings as a table artifact, for an operator who has the document on the server's disk.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, WithJsonSchema

from flows.form import DATABASE, Day, FilePath, Text, form
from flows.runtime import one_line_errors, opaque
from hierarchy.sources import load_hierarchy
from kehoach.cascade.issued import NUMBER_PATTERN, Overrides, read_issued
from kehoach.documents.importing import ImportedPlan, ImportWarning, import_plan, plan_yaml
from kehoach.io.errors import InputFileError
from kehoach.io.writing import OutputError, slug, write_new
from kehoach.plan.deadline import format_date
from kehoach.plan.markers import plain
from kehoach.plan.model import Plan
from kehoach.status.store.db import Issued, connect, issue_plan


def issue_run_name() -> Callable[[], str]:
    """ "issue-plan 008-quan-hoang-mai.docx № 67": the document, and the number typed."""

    def name() -> str:
        from prefect.runtime import flow_run

        params = flow_run.parameters
        number = params.get("number")
        return f"issue-plan {Path(str(params.get('draft', '?'))).name}" + (
            f" № {number}" if number else ""
        )

    return name


@task(name="read-document", cache_policy=NO_CACHE)
def read_document(path: Path, folder: Path | None = None) -> tuple[Plan, bytes]:
    """The signed DOCX as a plan, and its bytes (for its SHA-256)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read the document: {exc.strerror}", where=path) from None
    return read_issued(path, folder), data


@task(name="record-issued", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def record_task(
    database_url: str | None,
    plan: Plan,
    data: bytes,
    path: Path,
    overrides: Overrides,
    folder: Path | None,
    entered_by: str,
) -> Issued:
    """Check and record it in one transaction (a refusal is input, never retried: it fails
    the run at once with its line)."""
    return issue_plan(
        connect(database_url),
        plan,
        data,
        path,
        entered_by=entered_by,
        folder=folder,
        overrides=overrides,
    )


def summary_rows(done: Issued) -> list[dict[str, str]]:
    """The plan as recorded, one row per fact an operator checks."""
    i = done.issued
    return [
        {"": "unit", "value": i.issuer},
        {"": "number", "value": i.number},
        {"": "date", "value": format_date(i.date)},
        {"": "signer", "value": i.signer or "(not named)"},
        {"": "implements", "value": i.implements},
        {"": "cascade", "value": f"{i.plan_key} over {i.hierarchy}"},
        {"": "tasks", "value": str(len(i.plan.tasks))},
        {"": "file", "value": i.source_name},
        {"": "SHA-256", "value": i.sha256},
        {"": "recorded", "value": "yes" if done.recorded else "already in the store"},
    ]


@flow(name="issue-plan", flow_run_name=issue_run_name())
@one_line_errors
def issue_plan_flow(
    draft: Annotated[
        Path,
        form(
            "Kế hoạch đã ký (tệp DOCX)",
            "Dự thảo của đơn vị đã ghi số, ngày, ký, lưu đè lên dự thảo "
            "(out/<kế hoạch>/<danh mục>/drafts/…)",
        ),
    ],
    number: Annotated[
        Text,
        WithJsonSchema({"type": "string", "pattern": f"^$|{NUMBER_PATTERN}"}),
        form("Số", "67 hoặc 67/KH-UBND. Để trống: như văn bản ghi", blank="", examples=["67"]),
    ] = None,
    date: Annotated[
        Day, form("Ngày ban hành", "Ngày/tháng/năm. Để trống: như văn bản ghi", blank="")
    ] = None,
    signer: Annotated[
        Text, form("Người ký", "Họ tên người ký. Để trống: như văn bản ghi", blank="")
    ] = None,
    folder: Annotated[
        FilePath,
        form(
            "Thư mục của kế hoạch",
            "out/<kế hoạch>/<danh mục>. Để trống: thư mục có manifest.json phía trên dự thảo",
            blank="",
        ),
    ] = None,
    database_url: Annotated[Text, DATABASE] = None,
    entered_by: Annotated[
        Text, form("Người nhập", "Để trống: tên đăng nhập của tiến trình", blank="")
    ] = None,
) -> Issued:
    """Record the plan a unit issued: its draft numbered, dated and signed.

    The file must be the unit's draft from a cascade (saved over it, or byte for byte one the
    product wrote, with ``folder``) and issued by that unit; its date must not be before the
    plan it implements, and its number not one the unit used that year. Then the next
    cascade drafts the units below from it. Nothing is recorded when any check fails.

    Args:
        draft: The signed DOCX, saved over the unit's draft (out/<plan>/<hierarchy>/drafts/…).
        number: The number it was given (67 or 67/KH-UBND); empty = as the document says.
        date: The date it was signed; empty = as the document says.
        signer: Who signed it; empty = as the document says.
        folder: The cascade's plan folder (out/<plan>/<hierarchy>); empty = the folder
            above the draft holding manifest.json.
        database_url: Status database; empty = KEHOACH_DATABASE_URL or the SQLite default.
        entered_by: Who records it; empty = the login name of the process.
    """
    overrides = Overrides.typed(number, date, signer)
    plan, data = read_document(draft, folder)
    done = record_task(
        database_url,
        opaque(plan),
        data,
        draft,
        overrides,
        folder,
        entered_by or getpass.getuser(),
    )
    i = done.issued
    create_table_artifact(
        summary_rows(done),
        key=f"issued-{slug(i.unit_id)}-{slug(i.number)}-{i.date.year}",
        description=f"{i.number} of {format_date(i.date)}, {i.plan.issuer.name}",
    )
    get_run_logger().info(
        "%s %s of %s recorded%s",
        i.issuer,
        i.number,
        format_date(i.date),
        "" if done.recorded else " (already in the store)",
    )
    return done


class ImportOutcome(BaseModel):
    """What an import-plan run did: the plan file written and what to check in it."""

    model_config = ConfigDict(frozen=True)

    plan_file: Path
    summary: str
    tasks: int
    warnings: tuple[ImportWarning, ...]


def import_run_name() -> Callable[[], str]:
    """ "import-plan KH-145.docx": the received document."""

    def name() -> str:
        from prefect.runtime import flow_run

        return f"import-plan {Path(str(flow_run.parameters.get('file', '?'))).name}"

    return name


@task(name="import-document", cache_policy=NO_CACHE)
def import_task(file: Path, hierarchy: str | None) -> ImportedPlan:
    """The received document read into the plan model (pure core; one task: milliseconds)."""
    return import_plan(file, load_hierarchy(hierarchy) if hierarchy else None)


@flow(name="import-plan", flow_run_name=import_run_name())
@one_line_errors
def import_plan_flow(
    file: Annotated[
        Path,
        form("Kế hoạch nhận được", "Tệp DOCX, PDF (có lớp chữ) hoặc TXT trên máy chủ"),
    ],
    hierarchy: Annotated[
        Text,
        form(
            "Danh mục đơn vị",
            "hanoi-2024, hanoi-2025 hoặc tệp YAML. Để trống: theo tên văn bản ghi",
            blank="",
        ),
    ] = None,
    plan_file: Annotated[
        FilePath,
        form("Tệp kế hoạch (YAML) ghi ra", "Để trống: cạnh văn bản, cùng tên", blank=""),
    ] = None,
    replace: Annotated[
        bool,
        form("Ghi đè tệp đã có", "Tệp kế hoạch đã có (có thể đã sửa tay) được giữ nếu không chọn"),
    ] = False,
) -> ImportOutcome:
    """Read a received plan (DOCX, PDF with a text layer, or TXT laid out under ND 30) into a
    plan file the cascade takes, and list what could not be mapped.

    Nothing is written when the document cannot be read; an existing plan file (an operator
    may have corrected it) is kept unless ``replace`` is set.

    Args:
        file: The received document on the server's disk (.docx, .pdf or .txt).
        hierarchy: Resolve its bodies in this hierarchy (hanoi-2024, hanoi-2025, a file);
            empty = by the names the document prints.
        plan_file: Where to write the plan (YAML); empty = beside the document, same name.
        replace: Replace an existing plan file.
    """
    target = plan_file or file.with_suffix(".yaml")
    if target.exists() and not replace:
        raise OutputError("exists; choose another plan_file or set replace", where=target)
    imported = import_task(file, hierarchy)
    write_new(target, plan_yaml(imported, file.name).encode("utf-8"), replace=replace)
    plan = imported.plan
    create_table_artifact(
        [{"nơi": w.where, "nội dung": w.what} for w in imported.warnings]
        or [{"nơi": "", "nội dung": "không có cảnh báo"}],
        key=f"import-{slug(file.stem)}",
        description=f"{plan.doc_type} {'(dự thảo)' if plan.is_draft else plan.number_symbol}: "
        f"{plain(plan.summary)}; "
        f"{len(plan.tasks)} nhiệm vụ, {len(imported.warnings)} cảnh báo → {target}",
    )
    get_run_logger().info(
        "%s → %s: %d tasks, %d warnings", file, target, len(plan.tasks), len(imported.warnings)
    )
    return ImportOutcome(
        plan_file=target,
        summary=plain(plan.summary),
        tasks=len(plan.tasks),
        warnings=imported.warnings,
    )
