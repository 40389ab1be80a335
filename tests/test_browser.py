"""End to end as an operator sees it: a real Prefect server, the served deployments, a run
started through a deployment, and the UI in headless Chromium showing it Completed with its
artifacts. Every process started here is stopped by pid.

Runs when Debian's chromium and the playwright package are installed (`.ci/run` installs
chromium); never `playwright install`, which downloads a browser and fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.server import ServerConfig, start_server, stop
from tests.conftest import EXAMPLES, REPO, api_post, free_port, plan_dir, poll

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_operator_runs_a_cascade_from_a_deployment_and_sees_it_in_the_ui(tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    config = ServerConfig(port=free_port(), data=tmp_path / "data")
    env = config.environment() | {
        "KEHOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'status.sqlite3'}"
    }
    server = start_server(config, log=tmp_path / "server.log")
    kehoach = str(Path(sys.executable).with_name("kehoach"))
    serving = None
    try:
        serving = subprocess.Popen(
            [kehoach, "serve", "--api", config.api_url, "--out", str(tmp_path / "out")],
            cwd=REPO,
            env=env,
            stdout=(tmp_path / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wanted = {
            "cascade",
            "rollup-nd09",
            "reminders-weekly",
            "report",
            "issue-plan",
            "import-plan",
        }

        def names() -> set[str]:
            found = api_post(f"{config.api_url}/deployments/filter", {})
            return {str(d["name"]) for d in found}  # type: ignore[union-attr, index]

        poll(lambda: wanted <= names(), timeout=90)

        triggered = subprocess.run(
            [
                kehoach,
                "cascade",
                str(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"),
                "--from",
                "00340",
                "--out",
                str(tmp_path / "out"),
                "--server",
                "--watch",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert triggered.returncode == 0, triggered.stdout + triggered.stderr
        assert "COMPLETED" in triggered.stdout
        url = triggered.stdout.strip().split(" — ")[-1].split()[0]
        assert url.startswith(config.ui_url)
        folder = plan_dir(tmp_path / "out", EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert len(manifest["drafts"]) == 6

        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="networkidle")
            page.get_by_text("Completed").first.wait_for(timeout=30_000)
            assert "cascade 67/KH-UBND" in page.inner_text("body")
            page.goto(
                f"{config.ui_url}/artifacts/key/cascade-drafts-008-67-kh-ubnd-2024-hanoi-2024",
                wait_until="networkidle",
            )
            page.locator("a[href*='/artifacts/artifact/']").first.click()
            page.wait_for_load_state("networkidle")
            page.get_by_text("phong-ban").first.wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "artifact.png"), full_page=True)
            page.goto(url, wait_until="networkidle")
            page.get_by_text("Completed").first.wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "flow-run.png"), full_page=True)
            # An operator starts a report from the deployment's form, with its defaults.
            report_id = next(
                str(d["id"])
                for d in api_post(f"{config.api_url}/deployments/filter", {})  # type: ignore[union-attr]
                if d["name"] == "report"  # type: ignore[index]
            )
            page.goto(
                f"{config.ui_url}/deployments/deployment/{report_id}", wait_until="networkidle"
            )
            page.get_by_role("button", name="Run", exact=True).first.click()
            page.get_by_text("Quick run").first.click()
            page.get_by_text("Validate parameters").first.wait_for(timeout=30_000)
            page.get_by_role("button", name="Run", exact=True).last.wait_for(state="visible")
            page.screenshot(path=str(tmp_path / "form.png"))
            page.get_by_role("button", name="Run", exact=True).last.click()
            page.get_by_text("Validate parameters").first.wait_for(state="hidden", timeout=30_000)

            def states() -> list[str]:
                runs = api_post(
                    f"{config.api_url}/flow_runs/filter",
                    {"deployments": {"id": {"any_": [report_id]}}},
                )
                return [str(r["state"]["type"]) for r in runs]  # type: ignore[union-attr, index]

            ended = poll(lambda: (s := states()) and s[-1] in ("COMPLETED", "FAILED") and s, 180)
            browser.close()
        assert ended == ["COMPLETED"]
        reports = plan_dir(tmp_path / "out", EXAMPLES / "ha-noi-145-kh-ubnd.yaml") / "reports"
        assert list(reports.glob("01-thanh-pho-ha-noi.*.docx"))
        assert (tmp_path / "flow-run.png").stat().st_size > 10_000
        shots = os.environ.get("KEHOACH_SCREENSHOTS")
        if shots:  # keep the pictures for a person to look at
            Path(shots).mkdir(parents=True, exist_ok=True)
            for name in ("flow-run.png", "artifact.png", "form.png"):
                shutil.copy(tmp_path / name, Path(shots) / name)
    finally:
        if serving is not None:
            stop(serving)  # type: ignore[arg-type]
        stop(server)
    assert server.poll() is not None and (serving is None or serving.poll() is not None)
