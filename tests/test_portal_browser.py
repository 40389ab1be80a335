"""The portal in headless Chromium, as its operators use it: `kehoach web` on a free port, the
city's administrator downloading the drafts, a ward's operator reporting and seeing the
roll-up change, another ward's operator refused. The process is stopped by pid.

Runs when Debian's chromium and the playwright package are installed; never
`playwright install`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from flows.server import stop
from hierarchy.sources import load_hierarchy
from kehoach.cascade.run import prepare, running
from kehoach.plan.model import load_plan
from kehoach.status.store.db import connect
from kehoach.status.store.users import Role, add_user
from kehoach.web.auth import hash_password
from tests.conftest import EXAMPLES, REPO, free_port, poll
from tests.test_browser import BROWSER_ARGS, CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
HIERARCHY = str(EXAMPLES / "hierarchies" / "hoang-mai.yaml")
PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
PASSWORD = "mat-khau-dai-1"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("portal-browser")
    h = load_hierarchy(HIERARCHY)
    with running(prepare(load_plan(PLAN), h, HIERARCHY, tmp / "out"), h) as run:
        run.finish(run.draft_here())
    db = f"sqlite:///{tmp / 'kehoach.sqlite3'}"
    engine = connect(db)
    for name, unit, role in [
        ("admin", "01", Role.QUAN_TRI),
        ("yenso", "00340", Role.CAN_BO),
        ("tranphu", "00337", Role.CAN_BO),
    ]:
        add_user(engine, name, unit, role, hash_password(PASSWORD))
    port = free_port()
    kehoach = str(Path(sys.executable).with_name("kehoach"))
    process = subprocess.Popen(
        [
            kehoach,
            "web",
            *("--port", str(port), "--out", str(tmp / "out"), "--data", str(tmp / "data")),
            *("--plan", str(PLAN), "--hierarchy", HIERARCHY, "--db", db, "--period", "2024-Q1"),
        ],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=(tmp / "web.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError((tmp / "web.log").read_text())
        try:
            with urllib.request.urlopen(f"{url}/dang-nhap", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    try:
        poll(up, timeout=60)
        yield url
    finally:
        stop(process)  # type: ignore[arg-type]
    assert process.poll() is not None


def _login(page: object, url: str, username: str) -> None:
    page.goto(f"{url}/dang-nhap")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Mật khẩu").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Đăng nhập").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{url}/")  # type: ignore[attr-defined]


def test_operators_use_the_portal_in_a_browser(portal: str, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    shots = tmp_path / "shots"
    shots.mkdir()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        # The city's administrator downloads every draft and opens one.
        admin = browser.new_context(accept_downloads=True, viewport={"width": 1300, "height": 900})
        page = admin.new_page()
        _login(page, portal, "admin")
        page.get_by_role("link", name="Dự thảo", exact=True).first.click()
        page.get_by_role("link", name="67/KH-UBND").click()
        page.get_by_text("Phường Trần Phú").first.wait_for()
        page.screenshot(path=str(shots / "du-thao.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Tải tất cả (zip)").click()
        zipped = download.value.path()
        with zipfile.ZipFile(zipped) as z:
            assert len(z.namelist()) == 16
            ward = next(n for n in z.namelist() if n.endswith("00340-phuong-yen-so.docx"))
            document = docx.Document(io.BytesIO(z.read(ward)))
        assert any("phường Yên Sở" in para.text for para in document.paragraphs)
        admin.close()

        # A ward's operator downloads the ward's sheet, fills it in, uploads it.
        ward = browser.new_context(accept_downloads=True, viewport={"width": 1300, "height": 900})
        page = ward.new_page()
        _login(page, portal, "yenso")
        page.goto(f"{portal}/tong-hop?ky=2024-Q1")
        row = page.locator('tr[data-unit="00340-tu-phap"]')
        assert row.locator("td.reports").inner_text() == "0/1"
        page.goto(f"{portal}/bao-cao-tien-do")
        with page.expect_download() as download:
            page.locator('tr[data-unit="00340-tu-phap"] a').click()
        assert download.value.suggested_filename == "00340-tu-phap.2024-Q1.xlsx"
        sheet = tmp_path / "tu-phap.xlsx"
        download.value.save_as(sheet)
        wb = load_workbook(sheet)
        wb["BaoCao"]["E11"] = "Hoàn thành"
        wb["BaoCao"]["F11"] = dt.date(2024, 3, 1)
        wb.save(sheet)
        page.set_input_files('input[type="file"]', str(sheet))
        page.get_by_role("button", name="Nộp báo cáo").click()
        page.get_by_text("Đã lưu 1 báo cáo").wait_for()
        page.goto(f"{portal}/tong-hop?ky=2024-Q1")
        row = page.locator('tr[data-unit="00340-tu-phap"]')
        assert row.locator("td.reports").inner_text() == "1/1"
        assert row.locator("td.pct").inner_text() == "100,0"
        page.screenshot(path=str(shots / "tong-hop.png"), full_page=True)
        ward.close()

        # Another ward's operator is refused the first ward's drafts and sheets.
        other = browser.new_context()
        page = other.new_page()
        _login(page, portal, "tranphu")
        folder = f"{portal}/du-thao/008-67-kh-ubnd-2024/hoang-mai"
        assert page.request.get(f"{folder}/tep/00340").status == 403
        assert page.request.get(f"{folder}/zip/00340").status == 403
        assert page.request.get(f"{portal}/bao-cao-tien-do/mau/00340-tu-phap").status == 403
        assert page.request.get(f"{folder}/tep/00337").status == 200
        other.close()
        browser.close()
    keep = os.environ.get("KEHOACH_SCREENSHOTS")
    if keep:  # pictures for a person (docs/portal/ holds a set)
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, Path(keep) / shot.name)
