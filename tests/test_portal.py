"""The operators' portal over HTTP (the real application, in process): logging in, scope by
unit, drafts, intake sheets, the roll-up, and each protection the issue asks for."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from hierarchy.sources import load_hierarchy
from kehoach.cascade.run import prepare, running
from kehoach.cli import app as cli
from kehoach.plan.model import load_plan
from kehoach.status.store.db import connect
from kehoach.status.store.users import Role, add_user, disable_user
from kehoach.web.app import create_app
from kehoach.web.auth import hash_password
from kehoach.web.settings import PortalConfig
from tests.conftest import EXAMPLES

HIERARCHY = str(EXAMPLES / "hierarchies" / "hoang-mai.yaml")
PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
FOLDER = "/du-thao/008-67-kh-ubnd-2024/hoang-mai"
PASSWORD = "mat-khau-dai-1"
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cascade of 67/KH-UBND over the hand-written Hoàng Mai hierarchy, and a store with
    three users: the city's administrator and the operators of two wards (made once; each
    test gets its own copy of the store)."""
    root = tmp_path_factory.mktemp("portal")
    h = load_hierarchy(HIERARCHY)
    with running(prepare(load_plan(PLAN), h, HIERARCHY, root / "out"), h) as run:
        run.finish(run.draft_here())
    engine = connect(f"sqlite:///{root / 'kehoach.sqlite3'}")
    hashed = hash_password(PASSWORD)
    for name, unit, role in [
        ("admin", "01", Role.QUAN_TRI),
        ("yenso", "00340", Role.CAN_BO),
        ("tranphu", "00337", Role.CAN_BO),
    ]:
        add_user(engine, name, unit, role, hashed)
    engine.dispose()
    return root


@pytest.fixture
def config(prepared: Path, tmp_path: Path) -> PortalConfig:
    shutil.copy(prepared / "kehoach.sqlite3", tmp_path / "kehoach.sqlite3")
    return PortalConfig(
        out=prepared / "out",
        data=tmp_path / "data",
        plan=PLAN,
        hierarchy=HIERARCHY,
        database_url=f"sqlite:///{tmp_path / 'kehoach.sqlite3'}",
        period="2024-Q1",
        max_upload_bytes=LIMIT,
        secret="secret-for-tests-only",
    )


@pytest.fixture
def client(config: PortalConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config), follow_redirects=False) as c:
        yield c


def token(client: TestClient, path: str = "/dang-nhap") -> str:
    """The CSRF token of the form on ``path`` (its cookie comes with it)."""
    page = client.get(path)
    found = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> int:
    form = {"csrftoken": token(client), "username": username, "password": password}
    return client.post("/dang-nhap", data=form).status_code


def test_login_leads_to_the_pages_and_logout_ends_the_session(client: TestClient) -> None:
    assert client.get("/du-thao").status_code == 303  # to the login form
    assert login(client, "admin") == 303
    home = client.get("/")
    assert home.status_code == 200
    assert "Thành phố Hà Nội" in home.text and "Quản trị" in home.text
    client.post("/dang-xuat", data={"csrftoken": token(client, "/")})
    assert client.get("/").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(client: TestClient) -> None:
    token(client)  # the CSRF cookie is set, the field left out
    refused = client.post("/dang-nhap", data={"username": "admin", "password": PASSWORD})
    assert refused.status_code == 403
    forged = client.post(
        "/dang-nhap", data={"csrftoken": "forged", "username": "admin", "password": PASSWORD}
    )
    assert forged.status_code == 403
    assert login(client, "admin") == 303
    no_token = client.post("/bao-cao-tien-do", files={"files": ("a.xlsx", b"x")})
    assert no_token.status_code == 403


def test_a_wrong_password_repeated_is_rate_limited(client: TestClient) -> None:
    codes = [login(client, "yenso", "sai-mat-khau") for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert login(client, "yenso") == 429  # the right password waits too
    assert login(client, "tranphu") == 303  # another user from the same address does not


def test_a_session_cookie_altered_by_hand_is_rejected(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    cookie = client.cookies["kehoach_phien"]
    client.cookies.set("kehoach_phien", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert client.get("/du-thao").status_code == 303
    # The same signature on another user's name
    payload, _, signature = cookie.partition(".")
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"u": "yenso"}
    admin = base64.urlsafe_b64encode(b'{"u":"admin"}').rstrip(b"=").decode()
    client.cookies.set("kehoach_phien", f"{admin}.{signature}")
    assert client.get("/du-thao").status_code == 303
    client.cookies.set("kehoach_phien", cookie)
    assert client.get("/du-thao").status_code == 200


def test_a_disabled_user_is_out_at_the_next_click(client: TestClient, config: PortalConfig) -> None:
    assert login(client, "yenso") == 303
    assert client.get("/du-thao").status_code == 200
    disable_user(connect(config.database_url), "yenso")
    assert client.get("/du-thao").status_code == 303
    assert login(client, "yenso") == 401


def test_the_administrator_downloads_every_draft_as_one_zip(client: TestClient) -> None:
    assert login(client, "admin") == 303
    page = client.get(FOLDER)
    assert page.status_code == 200
    assert "Phường Yên Sở" in page.text and "Phường Trần Phú" in page.text
    zipped = client.get(f"{FOLDER}/zip")
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as z:
        names = z.namelist()
        assert len(names) == 16
        ward = next(n for n in names if n.endswith("00340-phuong-yen-so.docx"))
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(z.read(ward))).paragraphs)
    assert "của phường Yên Sở năm 2024" in text
    one = client.get(f"{FOLDER}/tep/00340")
    assert one.status_code == 200 and one.content.startswith(b"PK")
    district = client.get(f"{FOLDER}/zip/00340")
    with zipfile.ZipFile(io.BytesIO(district.content)) as z:
        assert len(z.namelist()) == 6  # the ward and its five departments


def test_a_ward_operator_sees_only_the_ward(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    page = client.get(FOLDER)
    assert "Phường Yên Sở" in page.text and "Phường Trần Phú" not in page.text
    with zipfile.ZipFile(io.BytesIO(client.get(f"{FOLDER}/zip").content)) as z:
        assert all("/00340-yen-so/" in n for n in z.namelist()) and len(z.namelist()) == 6
    assert client.get(f"{FOLDER}/tep/00340-tu-phap").status_code == 200
    assert client.get(f"{FOLDER}/tep/00337").status_code == 403
    assert client.get(f"{FOLDER}/zip/00337").status_code == 403
    assert client.get(f"{FOLDER}/tep/008-phong-tu-phap").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        f"{FOLDER}/tep/..%2F..%2Fmanifest.json",
        f"{FOLDER}/tep/%2E%2E%2Fmanifest.json",
        f"{FOLDER}/tep/00340%2F..%2F00337",
        "/du-thao/008-67-kh-ubnd-2024/..%2Fhoang-mai/tep/00340",
        "/du-thao/../../etc/passwd",
        f"{FOLDER}/tep/00337",
        "/bao-cao-tien-do/mau/..%2F00337-vhtt",
        "/bao-cao-tien-do/mau/00337-vhtt",
    ],
)
def test_a_path_from_a_request_never_reaches_a_file_it_should_not(
    client: TestClient, path: str
) -> None:
    assert login(client, "yenso") == 303
    answer = client.get(path)
    assert answer.status_code in (403, 404), (path, answer.status_code)
    assert not answer.content.startswith(b"PK")


def test_an_upload_over_the_limit_gets_413(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    form = {"csrftoken": token(client, "/bao-cao-tien-do")}
    big = b"PK" + b"0" * (LIMIT + 10)
    answer = client.post("/bao-cao-tien-do", data=form, files={"files": ("big.xlsx", big)})
    assert answer.status_code == 413


def _filled(client: TestClient, unit: str, **cells: object) -> bytes:
    sheet = client.get(f"/bao-cao-tien-do/mau/{unit}?ky=2024-Q1")
    assert sheet.status_code == 200
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb["BaoCao"]
    for ref, value in cells.items():
        ws[ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client: TestClient, data: bytes, name: str = "bao-cao.xlsx") -> tuple[int, str]:
    form = {"csrftoken": token(client, "/bao-cao-tien-do")}
    answer = client.post("/bao-cao-tien-do", data=form, files={"files": (name, data)})
    return answer.status_code, answer.text


def _ward_row(client: TestClient, unit: str) -> str:
    page = client.get("/tong-hop?ky=2024-Q1")
    assert page.status_code == 200
    row = re.search(rf'<tr data-unit="{unit}">(.*?)</tr>', page.text, re.S)
    assert row, page.text
    return row.group(1)


def test_a_ward_reports_and_its_row_in_the_rollup_changes(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    sheets = client.get("/bao-cao-tien-do")
    assert "00340-tu-phap" in sheets.text and "00337" not in sheets.text
    before = _ward_row(client, "00340-tu-phap")
    assert "0/1" in before  # its report is owed
    bad = _filled(client, "00340-tu-phap", E11="Xong rồi", F11=dt.date(2024, 3, 1))
    status, text = _upload(client, bad, "yen-so-tu-phap.xlsx")
    assert status == 422
    assert "yen-so-tu-phap.xlsx" in text and "E11" in text
    assert _ward_row(client, "00340-tu-phap") == before  # nothing stored
    good = _filled(client, "00340-tu-phap", E11="Hoàn thành", F11=dt.date(2024, 3, 1))
    status, text = _upload(client, good)
    assert status == 200 and "Đã lưu 1 báo cáo" in text
    after = _ward_row(client, "00340-tu-phap")
    assert after != before and "1/1" in after and "100,0" in after
    status, text = _upload(client, good)
    assert status == 200 and "đã được nộp trước đó" in text
    export = client.get("/tong-hop.xlsx?ky=2024-Q1")
    ws = load_workbook(io.BytesIO(export.content))["TongHop"]
    assert ws["A4"].value == "Phường Yên Sở"


def test_a_ward_cannot_report_for_another_ward(client: TestClient) -> None:
    assert login(client, "admin") == 303
    other = _filled(client, "00337-vhtt")
    client.post("/dang-xuat", data={"csrftoken": token(client, "/")})
    assert login(client, "yenso") == 303
    assert client.get("/bao-cao-tien-do/mau/00337-vhtt").status_code == 403
    status, text = _upload(client, other)
    assert status == 422 and "không thuộc phạm vi" in text
    assert client.get("/tong-hop?don_vi=00337").status_code == 403


def test_an_upload_is_checked_by_its_content_not_its_name(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    status, text = _upload(client, b"%PDF-1.4 not a sheet", "bao-cao.xlsx")
    assert status == 422 and "không phải tệp Excel" in text


def test_the_user_commands(config: PortalConfig) -> None:
    runner = CliRunner()
    db = ["--db", str(config.database_url)]
    added = runner.invoke(
        cli,
        ["user", "add", "hoangmai", "--unit", "Quận Hoàng Mai", "--hierarchy", HIERARCHY, *db],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert "Quận Hoàng Mai (008)" in added.stdout
    again = runner.invoke(
        cli,
        ["user", "add", "hoangmai", "--unit", "008", "--hierarchy", HIERARCHY, *db],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert again.exit_code == 1 and "already exists" in again.stderr
    ward_admin = runner.invoke(
        cli,
        ["user", "add", "x", "--unit", "00340", "--role", "quan-tri", "--hierarchy", HIERARCHY],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert ward_admin.exit_code == 1 and "top unit" in ward_admin.stderr
    assert runner.invoke(cli, ["user", "disable", "hoangmai", *db]).exit_code == 0
    listed = runner.invoke(cli, ["user", "list", *db])
    assert re.search(r"hoangmai .*008.*no", listed.stdout), listed.stdout


def test_the_secret_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    config = PortalConfig(data=tmp_path / "data")
    first = config.signing_secret()
    assert len(first) > 40 and config.signing_secret() == first
    assert (tmp_path / "data" / "portal-secret").stat().st_mode & 0o777 == 0o600


def test_a_received_plan_is_uploaded_reviewed_and_cascaded_on_the_server(
    client: TestClient, config: PortalConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import trigger as triggering
    from flows.trigger import RunProgress, Triggered
    from kehoach.documents.plan_document import render_plan

    started: list[tuple[str, dict[str, object]]] = []

    def fake_trigger(deployment: str, parameters: dict[str, object], watch: bool) -> Triggered:
        started.append((deployment, parameters))
        url = f"http://127.0.0.1:4200/runs/flow-run/{RUN}"
        return Triggered(id=RUN, name="cascade 67/KH-UBND", state="SCHEDULED", url=url)

    def fake_progress(api: str, run_id: str) -> RunProgress | None:
        if run_id != RUN:
            return None
        params = {"start": started[-1][1]["start"], "out": str(config.out.resolve())}
        return RunProgress(
            id=RUN, name="cascade 67/KH-UBND", state="RUNNING", ended=False, percent=40.0,
            parameters=params,
        )  # fmt: skip

    RUN = "6a0c2a3e-6d1b-4d2e-9a55-0d0b7f3c9e11"
    monkeypatch.setattr(triggering, "trigger", fake_trigger)
    monkeypatch.setattr(triggering, "run_progress", fake_progress)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert login(client, "admin") == 303
    form = {"csrftoken": token(client, "/ke-hoach")}
    not_a_plan = client.post("/ke-hoach", data=form, files={"file": ("kh.docx", b"PK\x03\x04")})
    assert not_a_plan.status_code == 422 and "không phải tệp Word" in not_a_plan.text
    docx_bytes = render_plan(load_plan(PLAN))
    uploaded = client.post(
        "/ke-hoach", data={"csrftoken": form["csrftoken"]}, files={"file": ("67.docx", docx_bytes)}
    )
    assert uploaded.status_code == 303
    review_url = uploaded.headers["location"]
    review = client.get(review_url)
    assert review.status_code == 200
    assert "67/KH-UBND" in review.text and "cảnh báo" in review.text
    assert 'value="00340"' in review.text
    confirm = client.post(
        f"{review_url}/xac-nhan", data={"csrftoken": token(client, review_url), "start": "00340"}
    )
    assert confirm.status_code == 200
    assert re.search(r'class="count">6<', confirm.text), confirm.text
    run = client.post(
        f"{review_url}/chay", data={"csrftoken": token(client, review_url), "start": "00340"}
    )
    assert run.status_code == 303 and run.headers["location"] == f"/ke-hoach/luot-chay/{RUN}"
    progress = client.get(run.headers["location"])
    assert progress.status_code == 200 and f"runs/flow-run/{RUN}" in progress.text
    assert "đang chạy" in progress.text and 'value="40.0"' in progress.text
    assert '<meta http-equiv="refresh" content="3">' in progress.text  # followed live
    assert client.get("/ke-hoach/luot-chay/not-a-run").status_code == 404
    assert client.get("/ke-hoach/luot-chay/" + RUN.replace("6", "7")).status_code == 404
    [(deployment, params)] = started
    assert deployment == "cascade/cascade" and params["start"] == "00340"
    assert str(params["plan"]).endswith(".yaml") and Path(str(params["plan"])).is_file()
    # A ward's officer cannot start from a unit outside the ward, nor name a file
    client.post("/dang-xuat", data={"csrftoken": token(client, "/")})
    assert login(client, "yenso") == 303
    outside = client.post(
        f"{review_url}/xac-nhan", data={"csrftoken": token(client, review_url), "start": "00337"}
    )
    assert outside.status_code == 403
    assert client.get(f"/ke-hoach/luot-chay/{RUN}").status_code == 200  # a run of the ward
    client.post("/dang-xuat", data={"csrftoken": token(client, "/")})
    assert login(client, "tranphu") == 303
    assert client.get(f"/ke-hoach/luot-chay/{RUN}").status_code == 403  # another ward's run
    assert client.get("/ke-hoach/..%2F..%2Fportal-secret").status_code == 404
    assert client.get("/ke-hoach/" + "0" * 32).status_code == 404


def test_reminders_are_filtered_by_kind_and_unit_and_paginated(client: TestClient) -> None:
    assert login(client, "admin") == 303
    page = client.get("/nhac-viec?ky=2024-Q1")
    assert page.status_code == 200
    total = int(re.search(r"(\d+) việc còn nợ", page.text).group(1))  # type: ignore[union-attr]
    assert total > 0
    rows = re.findall(r'<tr data-unit="([^"]+)">', page.text)
    assert len(rows) == min(total, 50)
    missing = client.get("/nhac-viec?ky=2024-Q1&loai=report-missing&don_vi=00340")
    units = re.findall(r'<tr data-unit="([^"]+)">', missing.text)
    assert units and all(u.startswith("00340") for u in units)
    assert "Chưa nộp báo cáo" in missing.text
    assert login(client, "tranphu") == 303
    ward = client.get("/nhac-viec?ky=2024-Q1")
    assert all(u.startswith("00337") for u in re.findall(r'<tr data-unit="([^"]+)">', ward.text))


def test_a_units_report_is_drafted_on_demand(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    listing = client.get("/bao-cao?ky=2024-Q1")
    assert 'data-unit="00340"' in listing.text and 'data-unit="008"' not in listing.text
    report = client.get("/bao-cao/00340?ky=2024-Q1")
    assert report.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(report.content)).paragraphs)
    assert "BÁO CÁO" in text
    assert client.get("/bao-cao/00337?ky=2024-Q1").status_code == 403


def test_a_ward_records_the_plan_it_issued(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    draft = client.get(f"{FOLDER}/tep/00340").content
    url = f"{FOLDER}/ban-hanh/00340"
    form = client.get(url)
    assert form.status_code == 200 and "Phường Yên Sở" in form.text

    def send(data: bytes, **fields: str) -> tuple[int, str]:
        body = {"csrftoken": token(client, url), **fields}
        answer = client.post(url, data=body, files={"file": ("55-kh-ubnd.docx", data)})
        return answer.status_code, answer.text

    status, text = send(draft, number="55", date="10/02/2024")
    assert status == 422 and "before 67/KH-UBND" in text  # dated before the plan it implements
    status, text = send(b"%PDF-1.4", number="55", date="01/03/2024")
    assert status == 422 and "không phải tệp Word" in text
    status, text = send(draft, number="55", date="01/03/2024")
    assert status == 422 and "due 29/02/2024, before" in text  # a task due before the plan
    assert "/tmp/" not in text  # no server paths shown
    status, text = send(draft, number="55", date="20/02/2024", signer="Trương Thành Tâm")
    assert status == 200, text
    assert "Đã ghi nhận" in text and "55/KH-UBND" in text and "20/02/2024" in text
    assert client.get(f"{FOLDER}/ban-hanh/00337").status_code == 403


def test_the_draft_checker_findings_of_the_drafts_in_scope(client: TestClient) -> None:
    assert login(client, "yenso") == 303
    page = client.get(f"{FOLDER}/kiem-tra")
    assert page.status_code == 200
    assert "Đã kiểm tra 6 dự thảo" in page.text
    assert "Phường Trần Phú" not in page.text


def test_the_rollup_drills_down_and_sorts(client: TestClient) -> None:
    assert login(client, "admin") == 303
    # The plan is the district's: the city's administrator starts at its issuer
    district = client.get("/tong-hop?ky=2024-Q1&sap_xep=ten")
    rows = re.findall(r'<tr data-unit="([^"]+)">', district.text)
    assert rows[0] == "008" and {"00340", "00337"} <= set(rows)
    names = re.findall(r'sap_xep=ten">([^<]+)</a>', district.text)
    assert names == sorted(names) and len(names) == len(rows) - 1
    ward = client.get("/tong-hop?ky=2024-Q1&don_vi=00340")
    rows = re.findall(r'<tr data-unit="([^"]+)">', ward.text)
    assert rows[0] == "00340" and all(r.startswith("00340-") for r in rows[1:])
    assert 'href="/tong-hop?don_vi=008&' in ward.text  # the way back up
    behind = re.findall(r'class="num overdue-count">(\d+)<', ward.text)[1:]
    assert behind == sorted(behind, key=int, reverse=True)  # the furthest behind first


def test_sessions_expire_and_login_goes_only_to_this_site(client: TestClient) -> None:
    from kehoach.web.auth import Sessions

    sessions = Sessions("s", max_age=-1)
    assert sessions.username(sessions.cookie("yenso")) is None  # expired at once
    assert Sessions("s", max_age=60).username(sessions.cookie("yenso")) == "yenso"
    form = {
        "csrftoken": token(client),
        "username": "yenso",
        "password": PASSWORD,
        "tiep": "//evil.example/",
    }
    assert client.post("/dang-nhap", data=form).headers["location"] == "/"
