"""A draft opens in LibreOffice: converted to PDF, its text is all there, on A4 pages.

Skipped where LibreOffice is not installed; `.ci/run` installs it (libreoffice-writer,
poppler-utils) so CI always runs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hierarchy.sources import load_hierarchy
from kehoach.cascade.walk import cascade
from kehoach.documents.plan_document import render_plan
from kehoach.plan.model import load_plan
from tests.conftest import EXAMPLES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None, reason="LibreOffice/poppler not installed"
)


def test_ward_draft_converts_to_a4_pdf_with_its_text(tmp_path: Path) -> None:
    assert SOFFICE is not None
    h = load_hierarchy("hanoi-2024")
    plan = load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml")
    ward = next(
        d for level in cascade(plan, h, start="00340") for d in level if d.unit.id == "00340"
    )
    docx = tmp_path / "yen-so.docx"
    docx.write_bytes(render_plan(ward.plan))
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "yen-so.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "(A4)" in info
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert "KẾ HOẠCH" in flat and "PHỤ LỤC" in flat
    assert "Thực hiện Kế hoạch số 67/KH-UBND ngày 19/02/2024 của UBND quận Hoàng Mai" in flat
    assert "UBND phường Yên Sở ban hành Kế hoạch" in flat
    assert "Lưu: VT." in flat
