"""The whole operator setup in headless Chromium: `kehoach server` (Prefect server, served
deployments and the portal in one command), the city's administrator uploading a plan DOCX on
Kế hoạch, starting its cascade through the deployment and waiting for it, then downloading
the drafts it wrote. Every process is stopped by pid (the command stops its children).
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import docx
import pytest

from kehoach.documents.plan_document import render_plan
from kehoach.plan.model import load_plan
from kehoach.status.store.db import connect
from kehoach.status.store.users import Role, add_user
from kehoach.web.auth import hash_password
from tests.conftest import EXAMPLES, REPO, api_post, free_port, poll
from tests.test_browser import BROWSER_ARGS, CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
HIERARCHY = str(EXAMPLES / "hierarchies" / "hoang-mai.yaml")
PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
PASSWORD = "mat-khau-dai-1"


def test_the_administrator_uploads_a_plan_and_cascades_it_from_the_portal(tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    db = f"sqlite:///{tmp_path / 'kehoach.sqlite3'}"
    add_user(connect(db), "admin", "01", Role.QUAN_TRI, hash_password(PASSWORD))
    port, portal_port = free_port(), free_port()
    api, portal = f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{portal_port}"
    env = os.environ | {"KEHOACH_DATABASE_URL": db}
    env.pop("PREFECT_API_URL", None)
    out = tmp_path / "out"
    output = tmp_path / "server.out"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("kehoach")),
            "server",
            *("--port", str(port), "--portal-port", str(portal_port)),
            *("--data", str(tmp_path / "data"), "--out", str(out)),
            *("--plan", str(PLAN), "--hierarchy", HIERARCHY),
        ],
        cwd=REPO,
        env=env,
        stdout=output.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    plan_docx = tmp_path / "67-kh-ubnd.docx"
    plan_docx.write_bytes(render_plan(load_plan(PLAN)))
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(output.read_text())
            try:
                names = {str(d["name"]) for d in api_post(f"{api}/deployments/filter", {})}
                with urllib.request.urlopen(f"{portal}/dang-nhap", timeout=2):
                    return "cascade" in names
            except OSError:
                return False

        poll(ready, timeout=180)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.goto(f"{portal}/dang-nhap")
            page.get_by_label("Tên đăng nhập").fill("admin")
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(f"{portal}/")
            page.get_by_role("link", name="Kế hoạch", exact=True).click()
            page.set_input_files('input[type="file"]', str(plan_docx))
            page.get_by_role("button", name="Tải lên và đọc").click()
            page.get_by_text("cảnh báo khi đọc").wait_for()
            assert "67/KH-UBND" in page.inner_text("h1")
            page.select_option('select[name="start"]', "00340")
            page.get_by_role("button", name="Xem số dự thảo sẽ viết").click()
            assert page.locator("strong.count").inner_text() == "6"
            page.get_by_role("button", name="Bắt đầu triển khai").click()
            link = page.locator("a.run")
            link.wait_for()
            href = str(link.get_attribute("href"))
            assert href.startswith(f"http://127.0.0.1:{port}/runs/flow-run/")
            run_id = href.rsplit("/", 1)[-1]

            def ended() -> str | None:
                runs = api_post(
                    f"{api}/flow_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}}
                )
                state = str(runs[0]["state"]["type"])  # type: ignore[index]
                return state if state in ("COMPLETED", "FAILED", "CRASHED") else None

            assert poll(ended, timeout=240) == "COMPLETED"
            # The page follows the run by itself (it reloads every 3 s until the run ends).
            page.get_by_role("heading", name="Đã triển khai xong").wait_for(timeout=30_000)
            assert page.locator("span.percent").inner_text() == "100 %"
            summary = page.locator("pre.summary").inner_text()
            assert "số dự thảo: 6" in summary and "/tmp" not in summary  # no server folders
            if keep := os.environ.get("KEHOACH_SCREENSHOTS"):  # pictures for a person
                page.screenshot(path=str(Path(keep) / "ke-hoach.png"), full_page=True)
            page.goto(f"{portal}/du-thao")
            page.get_by_role("link", name="67/KH-UBND").click()
            with page.expect_download() as download:
                page.get_by_role("link", name="Tải tất cả (zip)").click()
            with zipfile.ZipFile(download.value.path()) as z:
                names = z.namelist()
                assert len(names) == 6 and all("/00340-yen-so/" in n for n in names)
                ward = next(n for n in names if n.endswith("00340-phuong-yen-so.docx"))
                text = "\n".join(
                    para.text for para in docx.Document(io.BytesIO(z.read(ward))).paragraphs
                )
            assert re.search("phường Yên Sở", text)
            browser.close()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    assert process.poll() is not None
