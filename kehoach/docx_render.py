"""Rendering operators' docxtpl templates to DOCX bytes: compiled once, rendered per unit.

A template is a Word file with docxtpl tags (``{{ x }}``, ``{%p for %}``, ``{%tr for %}``) that
operators edit in Word, where tags often end up split across runs. docxtpl cleans that XML
(``patch_xml``) and renders it with Jinja. Doing all of it per document costs ~38 ms; here the
cleaning and compiling happen once per template (recompiled when the file's hash changes), and
each document only renders the XML parts with tags and zips them with the unchanged parts.
Rendering is autoescaped (an "&" in data must not truncate the document) and sandboxed (a tag
cannot reach Python internals), undefined names are errors, and output is byte-for-byte
deterministic for the same input (fixed zip timestamps), so re-runs can compare hashes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from kehoach.errors import KehoachError

_TAG = re.compile(rb"\{[{%#]")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class TemplateError(KehoachError):
    """A template cannot be compiled or rendered (syntax error, unknown name, forbidden tag)."""


def clean_text(value: str) -> str:
    """Text safe inside WordprocessingML: no control characters, no raw line breaks."""
    return _CONTROL.sub("", value.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


@dataclass(frozen=True)
class _Part:
    name: str
    info: zipfile.ZipInfo
    data: bytes
    template: jinja2.Template | None


class CompiledTemplate:
    """A DOCX template ready to render many documents.

    ``render(context)`` returns the bytes of a complete .docx; writing it is the caller's job.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise TemplateError(f"cannot read template: {exc.strerror}", where=path) from None
        self.sha256 = hashlib.sha256(raw).hexdigest()
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
        except zipfile.BadZipFile:
            raise TemplateError("not a .docx (zip) file", where=path) from None
        cleaner = DocxTemplate(io.BytesIO(raw))
        env = _environment()
        parts = []
        for info in archive.infolist():
            data = archive.read(info)
            template = None
            if (
                info.filename.startswith("word/")
                and info.filename.endswith(".xml")
                and _TAG.search(data)
            ):
                xml = cleaner.patch_xml(data.decode("utf-8"))
                try:
                    template = env.from_string(xml)
                except jinja2.TemplateSyntaxError as exc:
                    text = re.sub(r"<[^>]+>", "", xml.splitlines()[exc.lineno - 1])[:80]
                    raise TemplateError(
                        f"{info.filename}: template syntax error: {exc.message} (near {text!r})",
                        where=path,
                    ) from None
            clone = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            clone.compress_type = zipfile.ZIP_DEFLATED
            clone.external_attr = 0o644 << 16
            parts.append(_Part(info.filename, clone, data, template))
        if not any(p.template for p in parts):
            raise TemplateError("the template has no {{ }} tags", where=path)
        self._parts = tuple(parts)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The complete .docx for ``context``; TemplateError names an unknown name."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for part in self._parts:
                data = part.data
                if part.template is not None:
                    try:
                        xml = part.template.render(context)
                    except jinja2.UndefinedError as exc:
                        raise TemplateError(
                            f"{part.name}: {exc.message}; the context has: "
                            f"{', '.join(sorted(context))}",
                            where=self.path,
                        ) from None
                    except jinja2.exceptions.SecurityError as exc:
                        raise TemplateError(
                            f"{part.name}: forbidden in a template: {exc}", where=self.path
                        ) from None
                    data = xml.encode("utf-8")
                archive.writestr(part.info, data, compresslevel=6)
        return out.getvalue()


@cache
def _compiled(path: Path, sha256: str) -> CompiledTemplate:
    template = CompiledTemplate(path)
    if template.sha256 != sha256:  # the file changed between hashing and reading
        return CompiledTemplate(path)
    return template


def compile_template(path: Path) -> CompiledTemplate:
    """The compiled template for ``path``, cached by the file's content hash."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise TemplateError(f"cannot read template: {exc.strerror}", where=path) from None
    return _compiled(path.resolve(), digest)
