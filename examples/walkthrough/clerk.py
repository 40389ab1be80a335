"""What Hoàng Mai's clerk does to the district's draft in Word, as a script for the README's
walk-through (and its test): types the number and date the plan got at issue, the name of the
chairman who signed it, and moves one deadline in the annex. Saved over the draft, as Word
saves it. Usage: python clerk.py DRAFT.docx NUMBER DD/MM/YYYY "SIGNER" TASK_ROW "DEADLINE"
"""

from __future__ import annotations

import re
import sys

import docx
from docx.text.paragraph import Paragraph


def retype(paragraph: Paragraph, pattern: str, text: str) -> bool:
    """Replace what ``pattern`` matches in the paragraph, as typing over it does: the first
    run keeps its formatting and takes the new text."""
    whole = "".join(r.text for r in paragraph.runs)
    new, n = re.subn(pattern, text, whole, count=1)
    if not n or not paragraph.runs:
        return False
    paragraph.runs[0].text = new
    for run in paragraph.runs[1:]:
        run.text = ""
    return True


def main(path: str, number: str, date: str, signer: str, row: int, deadline: str) -> None:
    day, month, year = (int(x) for x in date.split("/"))
    document = docx.Document(path)
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for r in table.rows:
            for cell in r.cells:
                paragraphs += cell.paragraphs
    typed = {"number": 0, "date": 0, "signer": 0}
    for p in paragraphs:
        if retype(p, r"^Số:\s*/", f"Số: {number}/"):
            typed["number"] += 1
        if retype(p, r"ngày\s+tháng\s+năm \d{4}$", f"ngày {day} tháng {month} năm {year}"):
            typed["date"] += 1
        if retype(p, r"Kế hoạch số\s+/(\S+) ngày\s+tháng\s+năm \d{4}",
                  rf"Kế hoạch số {number}/\1 ngày {day:02d} tháng {month:02d} năm {year}"):  # fmt: skip
            typed["number"] += 1
    # The signer's name goes on the last line of the signature cell (room left above it).
    signature = document.tables[1].rows[0].cells[1]
    signature.paragraphs[-1].text = signer
    typed["signer"] = 1
    annex = document.tables[-1]
    retype(annex.rows[row].cells[-1].paragraphs[0], r".+", deadline)
    document.save(path)
    print(f"typed into {path}: {typed}, task row {row} due {deadline!r}")


if __name__ == "__main__":
    main(*sys.argv[1:5], int(sys.argv[5]), sys.argv[6])
