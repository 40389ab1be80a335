"""The periodic report (BÁO CÁO) of one unit for one period: words, chart and document.

A unit reports upward each period (ND 09/2019) on how the plan is going below it. The
roll-up (``kehoach.rollup``) has the figures; this module turns one unit's line and its
children's lines into what ``templates/docx/bao-cao.docx`` prints: the ND30 header, a body
stating the four buckets, the quotas, the plans issued and the reports in, a chart of
completion per child and a table of the children, and the signature block. The clerk edits
the draft before signing, so the wording is plain and every figure is in the text.

Unlike plans (``kehoach.documents``), reports are rendered one at a time with a picture in
each, which the compile-once renderer cannot embed; docxtpl renders them directly here with
the same safety settings (sandboxed, autoescaped, undefined names are errors).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.deadline import Quota, format_date
from kehoach.documents import TEMPLATES, Block
from kehoach.docx_render import TemplateError, clean_text
from kehoach.periods import Period
from kehoach.plan import Plan
from kehoach.rollup import Figures, QuotaFigure, Rollup, UnitRollup
from kehoach.wording import cited_name, in_sentence

REPORT_TEMPLATE = TEMPLATES / "bao-cao.docx"
CHART_MAX_UNITS = 60
NAMED_MAX = 10
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_BLANK = " " * 6  # a draft leaves the number and the day blank (ND30 PL1 II.3.c, II.4.c)


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


def pct_text(value: float | None) -> str:
    """A percentage as Vietnamese documents print it: "66,7", "100"; "-" when undefined."""
    if value is None:
        return "-"
    text = f"{value:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def _share(part: int, whole: int) -> str:
    return pct_text(None if whole == 0 else 100 * part / whole)


def _task_key(task_id: str) -> tuple[int, int, str]:
    """Task ids in reading order: "2" before "10"."""
    return (0, int(task_id), "") if task_id.isdigit() else (1, 0, task_id)


def _bucket_blocks(who: str, f: Figures, as_of: date, period: Period) -> list[Block]:
    window = f"từ ngày {format_date(period.start)} đến ngày {format_date(period.end)}"
    if f.tasks == 0:
        return [
            Block(
                kind="para",
                text=f"Tính đến ngày {format_date(as_of)} (số liệu {window}), {who} không có "
                "nhiệm vụ phải thực hiện trong kỳ.",
            )
        ]
    done = f.done_on_time + f.done_late
    lines = [
        ("Hoàn thành đúng hạn", f.done_on_time),
        ("Hoàn thành quá hạn", f.done_late),
        ("Chưa hoàn thành, còn trong hạn", f.open_on_time),
        ("Chưa hoàn thành, đã quá hạn", f.open_overdue),
    ]
    blocks = [
        Block(
            kind="para",
            text=f"Tính đến ngày {format_date(as_of)} (số liệu {window}), {who} có tổng số "
            f"{f.tasks} nhiệm vụ, trong đó:",
        )
    ]
    for i, (label, n) in enumerate(lines):
        end = "." if i == len(lines) - 1 else ";"
        blocks.append(
            Block(kind="para", text=f"- {label}: {n} nhiệm vụ ({_share(n, f.tasks)}%){end}")
        )
    blocks.append(
        Block(
            kind="para",
            text=f"Tỷ lệ hoàn thành chung đạt {pct_text(f.pct_done)}% ({done}/{f.tasks} nhiệm vụ).",
        )
    )
    return blocks


def _quota_blocks(quotas: Mapping[str, QuotaFigure], named: Mapping[str, Quota]) -> list[Block]:
    if not quotas:
        return [Block(kind="para", text="Kế hoạch không giao chỉ tiêu định lượng trong kỳ.")]
    blocks = [Block(kind="para", text="Kết quả thực hiện các chỉ tiêu (lũy kế đến kỳ báo cáo):")]
    ids = sorted(quotas, key=_task_key)
    for i, task_id in enumerate(ids):
        q = quotas[task_id]
        quota = named.get(task_id)
        item = quota.item if quota is not None else ""
        what = f"Nhiệm vụ số {task_id}"
        if quota is not None and quota.channel:
            what += f" ({quota.item} trên {quota.channel})"
        count = f"{q.actual}/{q.target} {item}".rstrip()
        result = (
            f"thực hiện {f'{q.actual} {item}'.rstrip()}, chỉ tiêu kỳ này bằng 0"
            if q.attainment is None
            else f"thực hiện {count}, đạt {pct_text(100 * q.attainment)}% chỉ tiêu kỳ báo cáo"
        )
        end = "." if i == len(ids) - 1 else ";"
        blocks.append(Block(kind="para", text=f"- {what}: {result}{end}"))
    return blocks


def _plans_reports_blocks(f: Figures, own: Figures) -> list[Block]:
    """Plans of the whole subtree; reports of the units below only (this one is the report)."""
    plans = [
        (f.plans_on_time, "ban hành đúng hạn"),
        (f.plans_late, "ban hành chậm"),
        (f.plans_missing, "chưa ban hành (đã quá hạn)"),
        (f.plans_pending, "chưa đến hạn ban hành"),
    ]
    if sum(n for n, _ in plans) == 0:
        plan_text = "- Ban hành kế hoạch thực hiện: không có đơn vị phải ban hành kế hoạch;"
    else:
        parts = ", ".join(f"{n} đơn vị {label}" for n, label in plans)
        plan_text = f"- Ban hành kế hoạch thực hiện: {parts};"
    submitted = f.reports_submitted - own.reports_submitted
    missing = f.reports_missing - own.reports_missing
    if submitted + missing == 0:
        report_text = "- Báo cáo kỳ này: không có đơn vị trực thuộc phải gửi báo cáo."
    else:
        report_text = (
            f"- Báo cáo kỳ này của các đơn vị trực thuộc: {submitted} đơn vị đã gửi, "
            f"{missing} đơn vị chưa gửi."
        )
    return [Block(kind="para", text=plan_text), Block(kind="para", text=report_text)]


def _names(names: list[str]) -> str:
    """Up to ten names, then "và N đơn vị khác"."""
    if len(names) <= NAMED_MAX:
        return ", ".join(names)
    return f"{', '.join(names[:NAMED_MAX])} và {len(names) - NAMED_MAX} đơn vị khác"


def _proposal(unit: Unit, children: list[UnitRollup]) -> str:
    late = [
        c.unit_name for c in children if c.subtree.open_overdue > 0 or c.subtree.reports_missing > 0
    ]
    if not late:
        return (
            "Các đơn vị đã thực hiện nhiệm vụ đúng tiến độ và gửi báo cáo đầy đủ; đề nghị tiếp "
            "tục duy trì, triển khai các nhiệm vụ còn lại theo đúng kế hoạch."
        )
    return (
        f"Đề nghị các đơn vị còn nhiệm vụ quá hạn hoặc chưa gửi báo cáo ({_names(late)}) "
        "tập trung chỉ đạo, khẩn trương hoàn thành các nhiệm vụ còn tồn đọng và gửi báo cáo "
        f"về {cited_name(unit)} đầy đủ, đúng thời hạn."
    )


def child_rows(children: list[UnitRollup]) -> list[ChildRow]:
    """The table rows: each child's whole subtree, in the order given."""
    rows = []
    for i, c in enumerate(children):
        f = c.subtree
        rows.append(
            ChildRow(
                stt=str(i + 1),
                name=clean_text(c.unit_name),
                tasks=f.tasks,
                done_on_time=f.done_on_time,
                done_late=f.done_late,
                open_on_time=f.open_on_time,
                open_overdue=f.open_overdue,
                pct_done=pct_text(f.pct_done),
                plans=f"{f.plans_on_time} / {f.plans_late} / {f.plans_missing + f.plans_pending}",
                reports=f"{f.reports_submitted} / {f.reports_missing}",
            )
        )
    return rows


def report_context(
    unit: Unit,
    parent: Unit | None,
    plan_ref_text: str,
    period: Period,
    line: UnitRollup,
    children: list[UnitRollup],
    as_of: date,
    *,
    quotas: Mapping[str, Quota] | None = None,
) -> ReportContext:
    """The draft report of ``unit`` on ``plan_ref_text`` for ``period``, as of ``as_of``.

    ``line`` is the unit's own roll-up line (its subtree figures are reported), ``children``
    the lines of the units directly below it, printed in the order given. ``plan_ref_text``
    names the plan as the summary cites it ("Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND
    quận Hoàng Mai"). ``quotas`` (task id → the plan's quota) lets the text say what each
    quota counts; without it quotas are named by task id only.
    """
    body = unit.issuing_body
    who = f"{in_sentence(unit)} (bao gồm các đơn vị trực thuộc)" if children else in_sentence(unit)
    f = line.subtree
    blocks = [
        Block(kind="heading", text="I. KẾT QUẢ THỰC HIỆN"),
        Block(kind="subheading", text="1. Kết quả thực hiện nhiệm vụ"),
        *_bucket_blocks(who, f, as_of, period),
        Block(kind="subheading", text="2. Kết quả thực hiện chỉ tiêu"),
        *_quota_blocks(f.quotas, quotas or {}),
        Block(kind="subheading", text="3. Việc ban hành kế hoạch và gửi báo cáo"),
        *_plans_reports_blocks(f, line.own),
        Block(kind="heading", text="II. KẾT QUẢ CỦA CÁC ĐƠN VỊ"),
    ]
    if children:
        blocks.append(
            Block(
                kind="para",
                text=f"Kết quả thực hiện của {len(children)} đơn vị trực thuộc (tính cả các "
                "đơn vị cấp dưới của từng đơn vị) được thể hiện tại biểu đồ và bảng dưới đây.",
            )
        )
    else:
        blocks.append(Block(kind="para", text="Không có đơn vị trực thuộc."))
    ref = clean_text(plan_ref_text).strip().rstrip(".")
    # The reference usually names the issuer already ("… của UBND quận Hoàng Mai"): the
    # closing names who reports to whom instead of repeating it.
    last = f"Trên đây là báo cáo kết quả thực hiện {ref} {period.words}"
    if parent is not None:
        last += f", {cited_name(unit)} kính báo cáo {cited_name(parent)}"
    closing = [
        Block(kind="heading", text="III. ĐỀ XUẤT, KIẾN NGHỊ"),
        Block(kind="para", text=_proposal(unit, children)),
        Block(kind="para", text=f"{last}./."),
    ]
    recipients = [f"- {cited_name(parent)}: Để báo cáo;"] if parent is not None else []
    recipients.append("- Lưu: VT.")
    return ReportContext(
        issuer_superior=body.superior,
        issuer_lines=list(body.lines),
        number_line=f"Số:{_BLANK}/BC-{unit.symbol}",
        dateline=f"{unit.place}, ngày{_BLANK}tháng{_BLANK}năm {as_of.year}",
        summary=f"Kết quả thực hiện {ref} {period.words}",
        blocks=[b.model_copy(update={"text": clean_text(b.text)}) for b in blocks],
        table_caption=f"Kết quả thực hiện của các đơn vị trực thuộc (tính đến ngày "
        f"{format_date(as_of)})",
        children=child_rows(children),
        closing_blocks=[b.model_copy(update={"text": clean_text(b.text)}) for b in closing],
        recipients=[clean_text(r) for r in recipients],
        signer_authority=unit.signer.authority,
        signer_title=unit.signer.title,
        signer_name=unit.signer.name or "",
    )


def chart_png(children: list[UnitRollup]) -> bytes:
    """A horizontal bar chart of completion (%) per child, lowest first, as PNG bytes.

    Lowest first because the report is read to find who lags; beyond 60 children only the
    60 lowest are drawn (the title says so), as more bars would not fit a page. Output is
    byte-for-byte the same for the same input (no timestamps or version in the PNG), so
    rendered reports can be compared by hash.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = sorted(
        ((c.subtree.pct_done or 0.0, c.unit_name) for c in children),
        key=lambda bar: (bar[0], bar[1]),
    )
    title = "Tỷ lệ hoàn thành nhiệm vụ của các đơn vị trực thuộc (%)"
    if len(bars) > CHART_MAX_UNITS:
        title = (
            f"Tỷ lệ hoàn thành nhiệm vụ (%): {CHART_MAX_UNITS} đơn vị thấp nhất "
            f"trong tổng số {len(bars)} đơn vị"
        )
        bars = bars[:CHART_MAX_UNITS]
    n = max(len(bars), 1)
    # A bar per 0.3 in up to 25 units, then thinner bars, so the picture (150 mm wide in
    # the document) stays under ~210 mm tall with 60 units.
    per_bar = min(0.3, 7.6 / n)
    font = min(9.0, max(6.0, per_bar * 72 * 0.75))
    # parse_math off: a "$" in a unit's name is printed, not read as a formula.
    with plt.rc_context(
        {"font.family": "DejaVu Sans", "font.size": font, "text.parse_math": False}
    ):
        # Constrained layout makes room for the names and centres the title on the figure
        # (over the axes alone it runs off the right edge).
        height = max(1.8, 1.0 + per_bar * n)
        fig, ax = plt.subplots(figsize=(6.3, height), layout="constrained")
        try:
            names = [_wrap(name) for _, name in bars]
            values = [v for v, _ in bars]
            ys = list(range(len(bars)))
            ax.barh(ys, values, height=0.65, color="#2f5d8a")
            ax.set_yticks(ys, names)
            ax.set_ylim(n - 0.4, -0.6)  # lowest at the top, little padding
            ax.set_xlim(0, 112)
            ax.set_xticks([0, 20, 40, 60, 80, 100])
            ax.xaxis.grid(True, color="#cccccc", linewidth=0.6)
            ax.set_axisbelow(True)
            for y, v in zip(ys, values, strict=True):
                ax.text(v + 1, y, pct_text(v), va="center", fontsize=font)
            if not bars:
                ax.set_yticks([])
                ax.text(50, 0, "Không có đơn vị trực thuộc", ha="center", va="center")
            fig.suptitle(title, fontsize=font + 1, fontweight="bold")
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
        finally:
            plt.close(fig)
    return buf.getvalue()


def _wrap(name: str, width: int = 34) -> str:
    """Long unit names on two lines, so the bars keep their room."""
    if len(name) <= width:
        return name
    cut = name.rfind(" ", 0, width)
    if cut <= 0:
        return name
    return f"{name[:cut]}\n{name[cut + 1 :]}"


def _fixed_times(data: bytes) -> bytes:
    """The same .docx with fixed zip timestamps: the same report gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            clone = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            clone.compress_type = zipfile.ZIP_DEFLATED
            clone.external_attr = 0o644 << 16
            dst.writestr(clone, src.read(info), compresslevel=6)
    return out.getvalue()


def render_report(context: ReportContext, chart: bytes, template: Path = REPORT_TEMPLATE) -> bytes:
    """The .docx bytes of a report: ``context`` and the ``chart`` PNG in ``template``.

    Sandboxed and autoescaped like every render: "&", "<" or "{{" in a unit's name print as
    written and cannot break the XML or run as a tag. A template an operator broke in Word
    raises TemplateError naming the template, as the plan renderer does.
    """
    if not template.is_file():
        raise TemplateError("cannot read template: no such file", where=template)
    tpl = DocxTemplate(str(template))
    env = SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
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
    return _fixed_times(buf.getvalue())


def build_report(h: Hierarchy, plan: Plan, rollup: Rollup, unit_id: str, period: Period) -> bytes:
    """The BÁO CÁO draft of one unit for one period, from a computed roll-up."""
    unit = h.unit(unit_id)
    ref = plan.as_reference()
    cite = f"{ref.kind} số {ref.number}" if ref.number else ref.kind
    if ref.date:
        cite += f" ngày {ref.date:%d/%m/%Y}"
    cite += f" của {ref.issuer}"
    children = [u for u in rollup.units if u.parent_unit_id == unit_id]
    quotas = {t.id: t.quota for t in plan.tasks if t.quota is not None}
    context = report_context(
        unit,
        h.parent(unit_id),
        cite,
        period,
        rollup.unit(unit_id),
        children,
        rollup.as_of,
        quotas=quotas,
    )
    return render_report(context, chart_png(children))
