"""The README's walk-through, run as written: import the city's plan, cascade a district,
the clerk edits and signs the district's draft, issue it, cascade again, and the ward's draft
cites the issued plan and carries the edit (issue 13's "done when")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")


def walkthrough() -> str:
    """The shell block after the README's ``<!-- walkthrough -->`` marker."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- walkthrough -->\n```sh\n(.*?)```", text, re.S)
    assert m, "README has no walk-through block"
    return m.group(1)


@pytest.mark.usefixtures("prefect_api")  # the commands use this API, not one each
def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    for name in ("examples", ".venv"):
        (tmp_path / name).symlink_to(REPO / name)
    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "HOME": str(tmp_path)}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "recorded 162/KH-UBND of 28/06/2021, UBND quận Hoàng Mai (008)" in done.stdout
    assert "20 drafts implement the plans units issued: 162/KH-UBND (008)" in done.stdout
    assert "1 kept: edited by hand" in done.stdout
    ward = tmp_path / (
        "walk/out/01-145-kh-ubnd-2021/hanoi-2024/drafts/01-ha-noi/008-hoang-mai/"
        "00340-yen-so/00340-phuong-yen-so.docx"
    )
    document = docx.Document(str(ward))
    assert any(
        p.text.startswith(
            "Thực hiện Kế hoạch số 162/KH-UBND ngày 28/06/2021 của UBND quận Hoàng Mai"
        )
        for p in document.paragraphs
    )
    row = next(r for r in document.tables[-1].rows if r.cells[0].text == "10")
    assert row.cells[-1].text == "Chậm nhất ngày 24/9/2021"
