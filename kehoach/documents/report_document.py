"""What a report document (BÁO CÁO) prints, and rendering it with ``bao-cao.docx``.

Unlike plans, reports are rendered one at a time with a picture in each, which the
compile-once renderer cannot embed; docxtpl renders them here with the same safety settings
(the one sandbox of :mod:`kehoach.documents.jinja`) and the same zip writer.
"""

from __future__ import annotations

import io
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import InlineImage
from pydantic import BaseModel, ConfigDict

from kehoach.documents.docx import TEMPLATES, OfficeTemplate, TemplateError, repack
from kehoach.documents.jinja import sandbox
from kehoach.documents.plan_document import Block

REPORT_TEMPLATE = TEMPLATES / "bao-cao.docx"


def pct_text(value: float | None) -> str:
    """A percentage as Vietnamese documents print it: "66,7", "100"; "-" when undefined."""
    if value is None:
        return "-"
    text = f"{value:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


class ChildRow(BaseModel):
    """One row of the children's table, as printed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stt: str
    name: str
    tasks: int
    done_on_time: int
    done_late: int
    open_on_time: int
    open_overdue: int
    pct_done: str
    plans: str
    reports: str


class ReportContext(BaseModel):
    """Everything ``bao-cao.docx`` prints except the chart; the names are the template's tags.

    The body is split in two (``blocks`` before the chart and the table, ``closing_blocks``
    after) so the table sits in section II and the body still ends with "./.".
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer_superior: str | None
    issuer_lines: list[str]
    number_line: str
    dateline: str
    summary: str
    blocks: list[Block]
    table_caption: str
    children: list[ChildRow]
    closing_blocks: list[Block]
    recipients: list[str]
    signer_authority: str | None
    signer_title: str
    signer_name: str


def render_report(context: ReportContext, chart: bytes, template: Path = REPORT_TEMPLATE) -> bytes:
    """The .docx bytes of a report: ``context`` and the ``chart`` PNG in ``template``.

    Sandboxed and autoescaped like every render: "&", "<" or "{{" in a unit's name print as
    written and cannot break the XML or run as a tag. A template an operator broke in Word
    raises TemplateError naming the template, as the plan renderer does.
    """
    if not template.is_file():
        raise TemplateError("cannot read template: no such file", where=template)
    tpl = OfficeTemplate(str(template))
    env = sandbox()
    values = context.model_dump()
    values["chart"] = InlineImage(tpl, io.BytesIO(chart), width=Mm(150))
    try:
        tpl.render(values, jinja_env=env, autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}", where=template) from None
    except jinja2.UndefinedError as exc:
        names = ", ".join(["chart", *sorted(ReportContext.model_fields)])
        raise TemplateError(f"{exc.message}; the context has: {names}", where=template) from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"forbidden in a template: {exc}", where=template) from None
    buf = io.BytesIO()
    tpl.save(buf)
    return repack(buf.getvalue())
