"""The plan model: seed plans validate, printed forms follow ND30, bad files are named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from kehoach.io.errors import InputFileError, PlanError
from kehoach.plan.deadline import Deadline, Quota, QuotaPeriod, Recurrence, parse_deadline
from kehoach.plan.markers import plain
from kehoach.plan.model import Assignee, Group, Plan, load_plan
from tests.conftest import EXAMPLES, REPO

Write = Callable[[str, str], Path]
SEED_001 = next((REPO.parent / "shared" / "seeds").glob("001_*.txt"), None)
SEED_PLANS = ["ha-noi-145-kh-ubnd.yaml", "hoang-mai-67-kh-ubnd.yaml", "yen-so-55-kh-ubnd.yaml"]


@pytest.mark.parametrize("name", SEED_PLANS)
def test_seed_plans_validate(name: str) -> None:
    plan = load_plan(EXAMPLES / name)
    assert plan.tasks, "a seed plan has a task annex"
    assert plan.recipients[-1].name.startswith("Lưu")
    assert not plan.is_draft


def test_yen_so_header_lines() -> None:
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    assert plan.number_line == "Số: 55/KH-UBND"
    # ND30: leading zero for months 1 and 2 (the seed itself prints "tháng 2": a slip).
    assert plan.dateline == "Yên Sở, ngày 20 tháng 02 năm 2024"
    assert plan.issuer.body.lines == ("ỦY BAN NHÂN DÂN", "PHƯỜNG YÊN SỞ")
    assert plan.references[0].citation == (
        "Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai về thông tin, "
        "tuyên truyền về cải cách hành chính nhà nước của quận Hoàng Mai năm 2024"
    )


def _seed_annex_rows(text: str) -> list[list[str]]:
    """The tab-separated annex rows of seed 001 (after the TT header row)."""
    lines = text[text.index("TT\tNhiệm vụ") :].splitlines()[1:]
    return [line.split("\t") for line in lines if line.count("\t") == 4]


def _printed(a: Assignee) -> str:
    assert a.label is not None, "seed rows keep the name as printed"
    return a.label


@pytest.mark.skipif(SEED_001 is None, reason="../shared/seeds not beside the repo")
def test_yen_so_annex_is_exactly_the_seed() -> None:
    assert SEED_001 is not None
    rows = _seed_annex_rows(SEED_001.read_text(encoding="utf-8"))
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    assert len(rows) == 8
    counter = 0
    ours = []
    for task in plan.tasks:
        if task.stt is None:
            counter += 1
        ours.append(
            [
                str(counter) if task.stt is None else task.stt,
                plain(task.title),
                _printed(task.lead),
                ", ".join(_printed(c) for c in task.coordinating),
                task.deadline.text,
            ]
        )
    assert ours == rows


def test_yen_so_quotas_and_recurrences() -> None:
    tasks = {t.id: t for t in load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml").tasks}
    assert tasks["2"].quota == Quota(
        count=12, per=QuotaPeriod.NAM, channel="Trang thông tin điện tử của phường"
    )
    assert tasks["2"].deadline.due == dt.date(2024, 12, 31)
    assert tasks["3"].quota is not None and tasks["3"].quota.per_year() == 24
    assert tasks["3"].deadline.recurrence is Recurrence.HANG_THANG
    assert tasks["5"].deadline.recurrence is Recurrence.KY_BAO_CAO
    assert tasks["1b"].deadline.due == dt.date(2024, 3, 14)  # "Trước ngày 15/3/2024"


def test_draft_number_and_dateline() -> None:
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    draft = plan.model_copy(update={"number": None, "date": None})
    assert draft.number_line == "Số:      /KH-UBND"
    assert draft.dateline == "Yên Sở, ngày      tháng      năm 2024"
    # A draft is cited with blanks for the number and date the clerk will write in.
    assert draft.as_reference().citation.startswith(
        "Kế hoạch số      /KH-UBND ngày      /      /2024 của UBND phường Yên Sở về thông tin"
    )
    early = plan.model_copy(update={"number": 5, "date": dt.date(2020, 3, 5)})
    assert early.number_line == "Số: 05/KH-UBND"
    assert early.dateline == "Yên Sở, ngày 05 tháng 3 năm 2020"


@pytest.mark.parametrize(
    ("text", "due", "recurrence"),
    [
        ("Chậm nhất ngày 20/2/2024", dt.date(2024, 2, 20), None),
        ("Trước ngày 15/3/2024", dt.date(2024, 3, 14), None),
        ("Trong năm 2024", dt.date(2024, 12, 31), None),
        ("Tháng 9/2024 (theo Kế hoạch của quận)", dt.date(2024, 9, 30), None),
        ("Quý II/2024", dt.date(2024, 6, 30), None),
        ("2024-03-15", dt.date(2024, 3, 15), None),
        ("Định kỳ hàng tháng", None, Recurrence.HANG_THANG),
        ("hằng quý", None, Recurrence.HANG_QUY),
        ("Định kỳ quý 1, 6 tháng, 9 tháng, năm", None, Recurrence.KY_BAO_CAO),
        ("Thường xuyên", None, Recurrence.THUONG_XUYEN),
    ],
)
def test_deadline_wordings(text: str, due: dt.date | None, recurrence: Recurrence | None) -> None:
    d = parse_deadline(text)
    assert (d.due, d.recurrence) == (due, recurrence)
    assert Deadline.model_validate(text) == d


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30/02/2024", "30/02/2024 is not a date"),
        ("Tháng 13/2024", "month 13 does not exist"),
        ("khi nào xong", "cannot read the deadline"),
    ],
)
def test_bad_deadlines(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_deadline(text)


def test_assignee_shorthands() -> None:
    assert Assignee.model_validate("van-hoa-thong-tin").role == "van-hoa-thong-tin"
    assert Assignee.model_validate("don-vi:00340").unit == "00340"
    assert Assignee.model_validate("cac-phong-ban").group is Group.CAC_PHONG_BAN
    with pytest.raises(ValueError, match="not a role"):
        Assignee.model_validate("Bộ phận Văn phòng")


MINIMAL = """\
number: 55
issuer:
  name: UBND phường Yên Sở
  body: {{lines: [ỦY BAN NHÂN DÂN, PHƯỜNG YÊN SỞ]}}
place: Yên Sở
date: 2024-02-20
summary: Thông tin, tuyên truyền về CCHC
term: {{start: 2024, end: 2024}}
signer: {{title: CHỦ TỊCH}}
tasks:
  - id: "1"
    title: Ban hành Kế hoạch
    lead: van-phong
    deadline: {deadline}
    {extra}
"""

BAD_PLANS = {
    "bad-date": (
        MINIMAL.format(deadline="30/02/2024", extra=""),
        r"plan\.yaml:11: tasks\.0\.deadline: '30/02/2024': 30/02/2024 is not a date",
    ),
    "bad-recurrence": (
        MINIMAL.format(deadline="mỗi khi rảnh", extra=""),
        r"plan\.yaml:11: tasks\.0\.deadline: cannot read the deadline 'mỗi khi rảnh'",
    ),
    "negative-quota": (
        MINIMAL.format(deadline="Trong năm 2024", extra="quota: {count: -1, per: nam}"),
        r"plan\.yaml:15: tasks\.0\.quota\.count: Input should be greater than or equal to 0",
    ),
    "unknown-quota-period": (
        MINIMAL.format(deadline="Trong năm 2024", extra="quota: {count: 2, per: tuan}"),
        r"plan\.yaml:15: tasks\.0\.quota\.per: Input should be 'thang', 'quy' or 'nam'",
    ),
    "bad-lead": (
        MINIMAL.format(deadline="Trong năm 2024", extra="").replace(
            "lead: van-phong", "lead: Bộ phận Văn phòng"
        ),
        r"plan\.yaml:11: tasks\.0\.lead: 'Bộ phận Văn phòng' is not a role",
    ),
    "missing-summary": (
        MINIMAL.format(deadline="Trong năm 2024", extra="").replace(
            "summary: Thông tin, tuyên truyền về CCHC\n", ""
        ),
        r"plan\.yaml:1: summary: Field required",
    ),
    "number-without-date": (
        MINIMAL.format(deadline="Trong năm 2024", extra="").replace("date: 2024-02-20\n", ""),
        r"plan\.yaml:1: an issued plan has both number and date",
    ),
    "impossible-issue-date": (
        MINIMAL.format(deadline="Trong năm 2024", extra="").replace("2024-02-20", "2024-02-30"),
        r"plan\.yaml:1: date: Input should be a valid date",
    ),
    "recurrence-ending-before-the-plan": (
        MINIMAL.format(deadline="{recurrence: hang-thang, due: 2023-12-31}", extra=""),
        # A deadline written as a mapping has a line of its own: the error points there.
        r"plan\.yaml:14: tasks\.0\.deadline: task 1 is due 31/12/2023, before the plan's own "
        r"date 20/02/2024",
    ),
    "two-tasks-before-the-plan": (
        MINIMAL.format(deadline="Tháng 1/2024", extra="")
        + '  - {id: "2", title: Y, lead: van-phong, deadline: "Quý IV/2023"}\n',
        r"plan\.yaml:11: tasks\.0\.deadline: task 1 is due 31/01/2024 \('Tháng 1/2024'\), "
        r"before the plan's own date 20/02/2024; .* \(and 1 more\)",
    ),
    "malformed": ("number: 55\nissuer: [unclosed\n", r"plan\.yaml:3: malformed YAML"),
    "not-a-mapping": ("- just a list\n", r"plan\.yaml: a plan file is a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_bad_plan_names_file_line_and_field(case: str, write: Write) -> None:
    text, pattern = BAD_PLANS[case]
    with pytest.raises((PlanError, InputFileError), match=pattern):
        load_plan(write("plan.yaml", text))


def test_minimal_plan_loads(write: Write) -> None:
    plan = load_plan(write("plan.yaml", MINIMAL.format(deadline="Trong năm 2024", extra="")))
    assert isinstance(plan, Plan)
    assert plan.tasks[0].lead.role == "van-phong"


@pytest.mark.parametrize(
    "deadline",
    [
        "Chậm nhất ngày 20/2/2024",  # the day the plan is signed
        "Tháng 2/2024",  # a window that opened before the plan and is still open
        "Định kỳ hàng tháng",  # a recurrence has no single date
        "{recurrence: hang-quy, due: 2024-12-31}",
    ],
)
def test_deadlines_on_or_after_the_plans_date_load(write: Write, deadline: str) -> None:
    plan = load_plan(write("plan.yaml", MINIMAL.format(deadline=deadline, extra="")))
    assert plan.date == dt.date(2024, 2, 20)
    assert plan.after_term() == []


def test_a_draft_has_no_date_to_be_before(write: Write) -> None:
    text = MINIMAL.format(deadline="Trong năm 2023", extra="")
    draft = load_plan(
        write("plan.yaml", text.replace("number: 55\n", "").replace("date: 2024-02-20\n", ""))
    )
    assert draft.is_draft and draft.tasks[0].deadline.due == dt.date(2023, 12, 31)


def test_tasks_after_the_term(write: Write) -> None:
    plan = load_plan(
        write(
            "plan.yaml",
            MINIMAL.format(deadline="15/01/2025", extra="").replace(
                "term: {start: 2024, end: 2024}", "term: {start: 2023, end: 2024}"
            ),
        )
    )
    assert [t.id for t in plan.after_term()] == ["1"]
    assert plan.term.text == "2023–2024"
