"""Uploaded files: their type told by their content, kept under names the server chooses.

Nothing a request sends becomes a path: an upload is written as ``<random>.<kind>`` under
the portal's uploads folder, whatever it was called, and only its original name (for the
messages and the store's provenance) is kept as text.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from enum import StrEnum
from pathlib import Path


class FileKind(StrEnum):
    DOCX = "docx"
    XLSX = "xlsx"
    PDF = "pdf"


def file_kind(data: bytes) -> FileKind | None:
    """What ``data`` is, by its content: a Word or Excel zip by the part it must hold, a PDF
    by its signature; None for anything else (whatever its name says)."""
    if data.startswith(b"%PDF-"):
        return FileKind.PDF
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "word/document.xml" in names:
        return FileKind.DOCX
    if "xl/workbook.xml" in names:
        return FileKind.XLSX
    return None


def keep_upload(folder: Path, data: bytes, kind: FileKind) -> Path:
    """Write ``data`` under ``folder`` with a name the server chose; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}.{kind.value}"
    path.write_bytes(data)
    return path
