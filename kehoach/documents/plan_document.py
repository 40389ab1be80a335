"""What a plan document says, laid out for the template: the context of ``ke-hoach.docx``.

The template (``templates/docx/ke-hoach.docx``) owns the layout; this module owns the words:
the header lines, the numbered body (I., 1., a)), the recipients as ND30 prints them, and the
annex rows. The context is a pydantic model, so the sample beside the template and every
render are checked against the same fields.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from hierarchy.departments import role_descriptions
from kehoach.documents.docx import TEMPLATES, TemplateError, clean_text, compile_template
from kehoach.documents.formatting import restore_fonts_and_borders
from kehoach.documents.nd30 import check_docx
from kehoach.plan.markers import plain
from kehoach.plan.model import Assignee, Plan, Section
from kehoach.plan.wording import lower_first

PLAN_TEMPLATE = TEMPLATES / "ke-hoach.docx"

_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_NUMBERED = re.compile(r"^([0-9]+|[IVX]+|[a-zđ])[.)]\s")
_GROUP_LABEL = {"cac-phong-ban": "Các phòng, ban, đơn vị", "ubnd-cap-duoi": "UBND cấp dưới"}


class Block(BaseModel):
    """One paragraph of the body: a heading (I.), a sub-heading (1., a)) or text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["heading", "subheading", "para"]
    text: str


class AnnexRow(BaseModel):
    """One row of the PHỤ LỤC table, as printed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stt: str
    title: str
    lead: str
    coordinating: str
    deadline: str


class PlanContext(BaseModel):
    """Everything ``ke-hoach.docx`` prints; the names are the template's tags."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer_superior: str | None
    issuer_lines: list[str]
    number_line: str
    dateline: str
    summary: str
    blocks: list[Block]
    recipients: list[str]
    signer_authority: str | None
    signer_title: str
    signer_name: str
    annex_title: str
    annex_caption: str
    tasks: list[AnnexRow]


def printed(text: str) -> str:
    """A plan's text as the document prints it: markers as their words, safe for the XML."""
    return clean_text(plain(text))


def assignee_text(a: Assignee) -> str:
    """The name printed for an assignee: its label, else the role's name from the catalogue."""
    if a.label:
        return a.label
    if a.group is not None:
        return _GROUP_LABEL[a.group.value]
    if a.level is not None:
        return {"huyen": "UBND cấp huyện", "xa": "UBND cấp xã"}.get(a.level.value, "UBND cấp dưới")
    if a.role:
        return role_descriptions().get(a.role, a.role).split(" — ")[0]
    return a.unit or ""


class _Raw(NamedTuple):
    """A paragraph of the body before it is printed (:func:`_printed_block`)."""

    kind: Literal["heading", "subheading", "para"]
    text: str


@lru_cache(maxsize=1 << 12)  # pure, and a Block is frozen: siblings share most paragraphs
def _printed_block(kind: Literal["heading", "subheading", "para"], text: str) -> Block:
    """The block as the document prints it. One model per distinct paragraph: building
    them was a tenth of a national cascade's drafting (each draft's ~100 blocks, twice)."""
    return Block(kind=kind, text=printed(text))


def _section_blocks(sections: tuple[Section, ...], depth: int) -> list[_Raw]:
    out: list[_Raw] = []
    for i, s in enumerate(sections):
        if s.title:
            marker = f"{i + 1}." if depth == 0 else f"{'abcdefghiklmnopq'[i % 16]})"
            title = s.title if _NUMBERED.match(s.title) else f"{marker} {s.title}"
            out.append(_Raw(kind="subheading", text=title))
        out += [_Raw(kind="para", text=p) for p in s.paragraphs]
        out += _section_blocks(s.sections, depth + 1)
    return out


def body_blocks(plan: Plan) -> list[Block]:
    """The numbered body of a plan, in the order of Phụ lục III of ND 30/2020."""
    blocks: list[_Raw] = []
    if plan.preamble:
        blocks.append(_Raw(kind="para", text=plan.preamble))
    elif plan.references:
        cites = "; ".join(r.citation for r in plan.references)
        blocks.append(
            _Raw(
                kind="para",
                text=f"Thực hiện {cites}, {plan.issuer.name} ban hành Kế hoạch như sau:",
            )
        )
    parts: list[tuple[str, list[_Raw]]] = []
    purposes = [_Raw(kind="para", text=p) for p in plan.purposes]
    requirements = [_Raw(kind="para", text=p) for p in plan.requirements]
    if purposes or requirements:
        parts.append(
            (
                "MỤC ĐÍCH, YÊU CẦU",
                [
                    _Raw(kind="subheading", text="1. Mục đích"),
                    *purposes,
                    _Raw(kind="subheading", text="2. Yêu cầu"),
                    *requirements,
                ],
            )
        )
    self_numbered = any(s.title and re.match(r"^\d+\.", s.title) for s in plan.content)
    if self_numbered:
        # The plan numbers its own content items (145/KH-UBND: "1. Quan điểm…"): content and
        # forms are then parts of their own, as that plan prints them.
        parts.append(("NỘI DUNG", _section_blocks(plan.content, 0)))
        if plan.forms:
            parts.append(("HÌNH THỨC", _section_blocks(plan.forms, 0)))
    elif plan.content or plan.forms:
        content: list[_Raw] = []
        if plan.content:
            content += [_Raw(kind="subheading", text="1. Nội dung")]
            content += _section_blocks(plan.content, 1)
        if plan.forms:
            content += [_Raw(kind="subheading", text=f"{2 if plan.content else 1}. Hình thức")]
            content += _section_blocks(plan.forms, 1)
        parts.append(("NỘI DUNG, HÌNH THỨC", content))
    if plan.implementation:
        parts.append(("TỔ CHỨC THỰC HIỆN", _section_blocks(plan.implementation, 0)))
    if plan.budget:
        parts.append(("KINH PHÍ THỰC HIỆN", [_Raw(kind="para", text=p) for p in plan.budget]))
    for i, (title, inner) in enumerate(parts):
        blocks.append(_Raw(kind="heading", text=f"{_ROMAN[i]}. {title}"))
        blocks += inner
    closing = plan.closing or f"Trên đây là Kế hoạch {lower_first(plain(plan.summary))}."
    closing = closing.rstrip()
    if not closing.endswith("./."):
        closing = closing.rstrip(".") + "./."
    blocks.append(_Raw(kind="para", text=closing))
    return [_printed_block(b.kind, b.text) for b in blocks]


def recipient_lines(plan: Plan) -> list[str]:
    """ "- UBND quận Hoàng Mai: Để báo cáo;" … "- Lưu: VT." (ND30 PL1 II.9.d)."""
    lines = []
    for i, r in enumerate(plan.recipients):
        last = i == len(plan.recipients) - 1
        text = f"- {r.name}: {r.purpose}" if r.purpose else f"- {r.name}"
        text = text.rstrip(";.")
        lines.append(clean_text(text + ("." if last else ";")))
    return lines


def annex_rows(plan: Plan) -> list[AnnexRow]:
    rows, counter = [], 0
    for t in plan.tasks:
        if t.stt is None:
            counter += 1
        rows.append(
            AnnexRow(
                stt=str(counter) if t.stt is None else t.stt,
                title=printed(t.title),
                lead=clean_text(assignee_text(t.lead)),
                coordinating=clean_text(", ".join(assignee_text(c) for c in t.coordinating)),
                deadline=clean_text(t.deadline.text),
            )
        )
    return rows


def plan_context(plan: Plan) -> PlanContext:
    """The template context of a plan (issued or draft)."""
    when = plan.dateline.split(", ", 1)[1] if ", " in plan.dateline else ""
    caption = f"(Kèm theo Kế hoạch số {plan.number_symbol} {when} của {plan.issuer.name})"
    return PlanContext(
        issuer_superior=plan.issuer.body.superior,
        issuer_lines=list(plan.issuer.body.lines),
        number_line=plan.number_line,
        dateline=plan.dateline,
        summary=printed(plan.summary),
        blocks=body_blocks(plan),
        recipients=recipient_lines(plan),
        signer_authority=plan.signer.authority,
        signer_title=plan.signer.title,
        signer_name=plan.signer.name or "",
        annex_title=clean_text(plan.annex_title),
        annex_caption=clean_text(caption),
        tasks=annex_rows(plan),
    )


def render_plan(plan: Plan, template: Path = PLAN_TEMPLATE) -> bytes:
    """The .docx bytes of ``plan`` rendered with ``template``."""
    return compile_template(template).render(plan_context(plan).model_dump())


def lint_plan_template(template: Path) -> list[str]:
    """Render ``template`` with the sample beside the default one; the ND30 problems found.

    A template an operator edited in Word or LibreOffice is checked before a cascade uses it
    (``kehoach template check``) and by the cascade itself, which warns instead of stopping:
    a broken tag raises TemplateError naming it (nothing can be drafted), a layout ND30 does
    not allow is one line each, with the fix.
    """
    return check_docx(compile_template(template).render(sample_context().model_dump()))


def sample_context() -> PlanContext:
    """The sample beside the default template (what a template check renders)."""
    sample = json.loads((TEMPLATES / "ke-hoach.sample.json").read_text(encoding="utf-8"))
    return PlanContext.model_validate(sample)


def fixed_plan_template(template: Path) -> bytes:
    """The bytes of a copy of ``template`` in Times New Roman with borderless header and
    signature tables (what LibreOffice or a stray click changes); the caller writes it.

    A template that cannot render raises TemplateError first: fonts cannot mend a tag.
    """
    compile_template(template)
    try:
        return restore_fonts_and_borders(template.read_bytes())
    except OSError as exc:
        raise TemplateError(f"cannot read template: {exc.strerror}", where=template) from None
