"""The periodic report (BÁO CÁO) of one unit for one period: what it says.

A unit reports upward each period (ND 09/2019) on how the plan is going below it. The
roll-up (:mod:`kehoach.status.rollup`) has the figures; this module turns one unit's line and
its children's lines into what ``bao-cao.docx`` prints (:mod:`kehoach.documents.report_document`):
the ND30 header, a body stating the four buckets, the quotas, the plans issued and the
reports in, a chart of completion per child and a table of the children, and the signature
block. The clerk edits the draft before signing, so the wording is plain and every figure is
in the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from hierarchy.graph import Hierarchy
from hierarchy.units import Unit
from kehoach.documents.chart import chart_png
from kehoach.documents.docx import clean_text
from kehoach.documents.plan_document import Block
from kehoach.documents.report_document import ChildRow, ReportContext, pct_text, render_report
from kehoach.plan.deadline import Quota, format_date
from kehoach.plan.model import Plan
from kehoach.plan.wording import cited_name, in_sentence
from kehoach.status.periods import Period
from kehoach.status.rollup import Figures, QuotaFigure, Rollup, UnitRollup

NAMED_MAX = 10
_BLANK = " " * 6  # a draft leaves the number and the day blank (ND30 PL1 II.3.c, II.4.c)


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
    return render_report(context, chart_png(completion_bars(children)))


def completion_bars(children: list[UnitRollup]) -> list[tuple[float, str]]:
    """What the chart draws: each child's completion (%) of its whole subtree, and its name."""
    return [(c.subtree.pct_done or 0.0, c.unit_name) for c in children]
