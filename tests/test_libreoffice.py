"""LibreOffice as clerks use it: a draft opens (converted to PDF, its text is all there, on
A4 pages), and a template saved or edited in LibreOffice still renders, checks and cascades.

What a plain LibreOffice 7.4 save of the default template changes (each asserted below where
it matters): the quotes inside tags become ``&apos;``; the header and signature tables lose
their explicit "no border" (without a table style they still have none); runs lose
``w:ascii``/``w:hAnsi`` where they equal the style's Times New Roman; LibreOffice adds its
own unused styles ("Heading" in Liberation Sans / DejaVu Sans). What prints does not change.
An operator who really picks another font or a border does so with a LibreOffice macro here.

Skipped where LibreOffice is not installed; `.ci/run` installs it (libreoffice-writer,
poppler-utils) so CI always runs it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document

from hierarchy.sources import load_hierarchy
from kehoach.cascade.walk import cascade
from kehoach.cli import app
from kehoach.documents.nd30 import check_docx
from kehoach.documents.plan_document import PLAN_TEMPLATE, render_plan
from kehoach.plan.markers import plain
from kehoach.plan.model import load_plan
from tests.conftest import EXAMPLES, plan_dir, runner

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,  # LibreOffice
    pytest.mark.skipif(
        SOFFICE is None or shutil.which("pdftotext") is None,
        reason="LibreOffice/poppler not installed",
    ),
]


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


PLAN_67 = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
#: A LibreOffice Basic macro doing what an operator does by hand: select all, choose Liberation
#: Serif, and give the header table a border; then save as .docx (Word 2007-365).
RESTYLE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1"
 script:language="StarBasic">
Sub SetFont(txt As Object)
  c = txt.createTextCursor()
  c.gotoStart(False)
  c.gotoEnd(True)
  c.CharFontName = &quot;Liberation Serif&quot;
End Sub

Sub Restyle(src As String, dst As String)
  On Error GoTo Failed
  Dim props(0) As New com.sun.star.beans.PropertyValue
  props(0).Name = &quot;Hidden&quot;
  props(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), &quot;_blank&quot;, 0, props())
  SetFont(doc.Text)
  tables = doc.TextTables
  For i = 0 To tables.Count - 1
    t = tables.getByIndex(i)
    cells = t.getCellNames()
    For j = 0 To UBound(cells)
      SetFont(t.getCellByName(cells(j)))
    Next j
  Next i
  Dim rule As New com.sun.star.table.BorderLine2
  rule.OuterLineWidth = 18
  rule.LineWidth = 18
  tb = tables.getByIndex(0).TableBorder2
  tb.TopLine = rule
  tb.BottomLine = rule
  tb.LeftLine = rule
  tb.RightLine = rule
  tb.VerticalLine = rule
  tb.IsTopLineValid = True
  tb.IsBottomLineValid = True
  tb.IsLeftLineValid = True
  tb.IsRightLineValid = True
  tb.IsVerticalLineValid = True
  tables.getByIndex(0).TableBorder2 = tb
  Dim filter(0) As New com.sun.star.beans.PropertyValue
  filter(0).Name = &quot;FilterName&quot;
  filter(0).Value = &quot;MS Word 2007 XML&quot;
  doc.storeToURL(ConvertToURL(dst), filter())
  doc.close(True)
  Exit Sub
Failed:
  n = FreeFile
  Open dst &amp; &quot;.error&quot; For Output As #n
  Print #n, Error$ &amp; &quot; at line &quot; &amp; Erl
  Close #n
End Sub
</script:module>
"""


def _soffice(profile: Path, *args: str) -> None:
    """Run LibreOffice headless with its own profile (no lock shared with another run).

    On a timeout its whole process group goes: the wrapper script, oosplash, soffice.bin.
    """
    assert SOFFICE is not None
    command = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, err.decode(errors="replace")


def saved_by_libreoffice(tmp_path: Path, template: Path = PLAN_TEMPLATE) -> Path:
    """``template`` opened and saved as .docx by LibreOffice, as an operator's edit would."""
    out = tmp_path / "libreoffice"
    _soffice(tmp_path / "profile", "--convert-to", "docx", "--outdir", str(out), str(template))
    saved = out / template.name
    assert saved.is_file()
    return saved


def restyled_in_libreoffice(tmp_path: Path) -> Path:
    """The default template after an operator chose Liberation Serif for everything and gave
    the header table a border in LibreOffice (the macro above)."""
    saved = saved_by_libreoffice(tmp_path)  # also sets up the profile the macro goes in
    module = tmp_path / "profile" / "user" / "basic" / "Standard" / "Module1.xba"
    assert module.is_file()
    module.write_text(RESTYLE, encoding="utf-8")
    restyled = tmp_path / "restyled.docx"
    _soffice(tmp_path / "profile", f'macro:///Standard.Module1.Restyle("{saved}","{restyled}")')
    error = restyled.with_name(restyled.name + ".error")
    assert not error.exists(), error.read_text()
    assert restyled.is_file()
    return restyled


def _text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_a_template_saved_by_libreoffice_checks_clean(tmp_path: Path) -> None:
    saved = saved_by_libreoffice(tmp_path)
    with zipfile.ZipFile(saved) as z:
        document = z.read("word/document.xml").decode("utf-8")
        styles = z.read("word/styles.xml").decode("utf-8")
    # What LibreOffice changed: entities in the tags, no explicit borders, its own styles.
    assert "{%p if b.kind == &apos;heading&apos; %}" in document
    assert "<w:tblBorders>" not in document
    assert 'w:ascii="Liberation Sans"' in styles
    result = runner.invoke(app, ["template", "check", str(saved)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok {saved}: renders the sample and follows ND30\n"


def test_a_plan_renders_with_a_template_saved_by_libreoffice(tmp_path: Path) -> None:
    saved = saved_by_libreoffice(tmp_path)
    plan = load_plan(EXAMPLES / "yen-so-55-kh-ubnd.yaml")
    data = render_plan(plan, saved)
    text = _text(data)
    assert plain(plan.summary) in text
    assert all(plain(t.title) in text for t in plan.tasks)
    assert "{{" not in text and "{%" not in text and "&apos;" not in text
    assert check_docx(data) == []


def test_fonts_and_borders_set_in_libreoffice_are_named_with_their_fix(tmp_path: Path) -> None:
    restyled = restyled_in_libreoffice(tmp_path)
    result = runner.invoke(app, ["template", "check", str(restyled)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{restyled}: font is Liberation Serif in ")
    assert lines[0].endswith(
        " runs; ND 30 requires Times New Roman: in Word/LibreOffice select all (Ctrl+A) and "
        "choose Times New Roman, also in Styles → Default Paragraph Style (Word: Normal)"
    )
    assert lines[1] == (
        f"{restyled}: the header table has visible borders: select the table → Borders → No "
        "Border (LibreOffice: Table → Properties → Borders → no borders)"
    )
    assert result.stderr.startswith(f"error: {restyled}: 2 ND30 problems, each listed above")
    fixed = runner.invoke(app, ["template", "check", str(restyled), "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stdout.splitlines()[-1] == (
        f"ok {tmp_path / 'restyled.fixed.docx'}: renders the sample and follows ND30"
    )


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_cascade_drafts_with_a_template_saved_by_libreoffice(tmp_path: Path) -> None:
    saved = saved_by_libreoffice(tmp_path)
    out = tmp_path / "out"
    args = ["cascade", str(PLAN_67), "--from", "00340", "--out", str(out)]
    result = runner.invoke(app, [*args, "--template", str(saved)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    folder = plan_dir(out, PLAN_67)
    drafts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["drafts"]
    ward = next(d for d in drafts if d["unit_id"] == "00340")
    data = (folder / ward["path"]).read_bytes()
    assert "UBND phường Yên Sở ban hành Kế hoạch" in _text(data)
    assert check_docx(data) == []
    assert all((folder / d["path"]).is_file() for d in drafts)
