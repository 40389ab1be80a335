"""An installed wheel works on its own: the default templates and migrations ship inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO

pytestmark = pytest.mark.slow
UV = Path(sys.executable).with_name("uv")


@pytest.mark.skipif(not UV.exists(), reason="uv is installed by `make`")
def test_a_wheel_renders_plans_and_reports_away_from_the_source_tree(tmp_path: Path) -> None:
    build = subprocess.run(
        [str(UV), "build", "--wheel", "-q", "-o", str(tmp_path / "dist")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("kehoach-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(site)
    shipped = ("ke-hoach.docx", "ke-hoach.sample.json", "bao-cao.docx")
    for name in (*shipped, "danh-sach-nhiem-vu.docx", "danh-sach-nhiem-vu.sample.json"):
        assert f"kehoach/documents/templates/{name}" in names
    assert "kehoach/status/store/migrations/versions/0001_initial.py" in names
    # The portal's pages and style sheet, so `kehoach web` works from the wheel
    assert {"kehoach/web/templates/login.html", "kehoach/web/static/portal.css"} <= names

    code = f"""
import kehoach
from pathlib import Path
from kehoach.documents.nd30 import check_docx
from kehoach.documents.plan_document import lint_plan_template, PLAN_TEMPLATE, render_plan
from kehoach.plan.model import load_plan
assert Path(kehoach.__file__).is_relative_to({str(site)!r}), kehoach.__file__
assert Path(PLAN_TEMPLATE).resolve().is_relative_to({str(site)!r}), PLAN_TEMPLATE
data = render_plan(load_plan(Path({str(EXAMPLES / "yen-so-55-kh-ubnd.yaml")!r})))
assert check_docx(data) == [], check_docx(data)
assert lint_plan_template(PLAN_TEMPLATE) == []
from kehoach.documents.task_list import TASK_LIST_TEMPLATE, lint_task_list_template
assert Path(TASK_LIST_TEMPLATE).resolve().is_relative_to({str(site)!r}), TASK_LIST_TEMPLATE
assert lint_task_list_template() == []
print(len(data))
"""
    env = os.environ | {"PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 10_000
