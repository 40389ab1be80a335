"""DOCX packages: templates compiled once and rendered per unit, and the one zip writer.

A template is a Word file with docxtpl tags (``{{ x }}``, ``{%p for %}``, ``{%tr for %}``) that
operators edit in Word, where tags often end up split across runs. docxtpl cleans that XML
(``patch_xml``) and renders it with Jinja. Doing all of it per document costs ~38 ms; here the
cleaning and compiling happen once per template (recompiled when the file's hash changes), and
each document only renders the XML parts with tags and zips them with the unchanged parts.
Rendering is autoescaped (an "&" in data must not truncate the document) and sandboxed (a tag
cannot reach Python internals), undefined names are errors, and output is byte-for-byte
deterministic for the same input (fixed zip timestamps), so re-runs can compare hashes.

Every DOCX the product writes (plans, reports, the default template itself) goes through the
zip writer here, :func:`repack` for documents built by another library.

Both renderers clean a template's XML through :class:`OfficeTemplate`, which also reads the
tags as an office suite saved them (``&apos;`` from LibreOffice, curly quotes from AutoCorrect).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from kehoach.documents.jinja import sandbox
from kehoach.io.errors import KehoachError

#: The default templates, shipped inside the package (links to templates/docx/ in the source).
TEMPLATES = Path(__file__).resolve().parent / "templates"

_TAG = re.compile(rb"\{[{%#]")
# A Jinja tag after docxtpl merged it back into one run: up to the first closing delimiter,
# which is also where Jinja's lexer ends it.
_TAG_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_ENTITY = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|(amp|lt|gt|apos|quot));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "apos": "'", "quot": '"'}
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
#: Deflate level of the parts rendered per document. At zlib's default 6, compressing
#: word/document.xml cost more than rendering it (~1 ms a draft here); levels 1-3 use zlib's
#: fast matcher, 2-3x quicker, for that part ~16 % larger at 3 (~+0.6 kB on a ~22 kB draft,
#: whose static parts stay compressed once at 9). Any DOCX reader takes any level, and the
#: same input still gives the same bytes (bench/cascade.py measures levels 1, 3, 6, 9).
LEVEL = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class TemplateError(KehoachError):
    """A template cannot be compiled or rendered (syntax error, unknown name, forbidden tag)."""


@lru_cache(maxsize=1 << 12)  # pure; most texts repeat between siblings (see markers.plain)
def clean_text(value: str) -> str:
    """Text safe inside WordprocessingML: no control characters, no raw line breaks."""
    return _CONTROL.sub("", value.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def _character(m: re.Match[str]) -> str:
    if m.group(3):
        return _NAMED[m.group(3)]
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF  # no NUL, no lone surrogate
    return chr(code) if valid else m.group(0)


def unescape_tags(xml: str) -> str:
    """``xml`` with the XML escapes and curly quotes *inside* Jinja tags read as characters.

    Jinja reads a tag's text as code, but the XML holds it escaped: LibreOffice writes
    ``{% if b.kind == &apos;heading&apos; %}`` where Word wrote ``'heading'``, any editor
    writes ``&amp;`` for an "&" in a string literal, and AutoCorrect turns quotes into ‘ ’ “ ”.
    Outside the tags nothing changes: the document's text stays escaped XML.
    """

    def clean(m: re.Match[str]) -> str:
        return _ENTITY.sub(_character, m.group(0)).translate(_QUOTES)

    return _TAG_SPAN.sub(clean, xml)


class OfficeTemplate(DocxTemplate):  # type: ignore[misc]  # docxtpl has no type hints
    """docxtpl's template whose XML cleaning also reads tags as office suites save them.

    The one place a template's XML is prepared for Jinja: the compiled plan renderer (which
    cleans the parts' bytes as saved, ``&apos;`` included) and the report renderer (docxtpl's
    own ``render``, which cleans the body, headers and footers with this same ``patch_xml``
    after lxml re-wrote their XML: quotes come back plain there, an "&" stays ``&amp;``).
    """

    def patch_xml(self, src_xml: str) -> str:
        return unescape_tags(str(super().patch_xml(src_xml)))


@dataclass(frozen=True)
class _Part:
    """One file of the package: either a template, or bytes compressed once for all documents."""

    name: str
    data: bytes
    template: jinja2.Template | None
    entry: _Entry | None  # the compressed static part, None for a template


@dataclass(frozen=True)
class _Entry:
    """A zip member ready to write: name, CRC, sizes and raw deflate bytes."""

    name: bytes
    crc: int
    size: int
    compressed: bytes

    @classmethod
    def of(cls, name: str, data: bytes, level: int) -> _Entry:
        packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        raw = packer.compress(data) + packer.flush()
        return cls(name.encode("utf-8"), zlib.crc32(data), len(data), raw)


_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01: fixed, so the same input gives the same bytes
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def _zip(entries: list[_Entry]) -> bytes:
    """A zip archive of already-compressed entries (deflate), with fixed timestamps.

    The one zip writer: the same input always gives the same bytes.

    ``zipfile`` cannot take pre-compressed data, and compressing the template's static parts
    (styles, theme, …) again for every document cost more than rendering it.
    """
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        out += _LOCAL.pack(
            0x04034B50, 20, 0x800, 8, 0, _DOS_DATE, e.crc, len(e.compressed), e.size, len(e.name), 0
        )
        out += e.name
        out += e.compressed
        central += _CENTRAL.pack(
            0x02014B50,
            0x031E,
            20,
            0x800,
            8,
            0,
            _DOS_DATE,
            e.crc,
            len(e.compressed),
            e.size,
            len(e.name),
            0,
            0,
            0,
            0,
            0o100644 << 16,
            offset,
        )
        central += e.name
    start = len(out)
    out += central
    out += _END.pack(0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)


def repack(data: bytes, edit: Callable[[str, bytes], bytes | None] | None = None) -> bytes:
    """The package ``data`` (built by docxtpl or python-docx) rewritten by the one zip writer.

    Fixed timestamps make the same document the same bytes. ``edit(name, body)`` may change a
    part, or drop it by returning None. Compressed at zlib's default 6, not :data:`LEVEL`:
    these documents are built one at a time (a report, a template), not by the thousand.
    """
    archive = zipfile.ZipFile(io.BytesIO(data))
    entries = []
    for info in archive.infolist():
        raw = archive.read(info)
        body = edit(info.filename, raw) if edit is not None else raw
        if body is not None:
            entries.append(_Entry.of(info.filename, body, 6))
    return _zip(entries)


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
        cleaner = OfficeTemplate(io.BytesIO(raw))
        env = sandbox()
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
            entry = None if template is not None else _Entry.of(info.filename, data, 9)
            parts.append(_Part(info.filename, data, template, entry))
        if not any(p.template for p in parts):
            raise TemplateError("the template has no {{ }} tags", where=path)
        self._parts = tuple(parts)
        self._templated = tuple(p for p in parts if p.template is not None)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The complete .docx for ``context``; TemplateError names an unknown name."""
        return self.package(self.render_xml(context))

    def render_xml(self, context: Mapping[str, Any]) -> list[bytes]:
        """The XML of each templated part for ``context``, in package order (UTF-8).

        The first half of :meth:`render`, apart so the benchmark can time rendering and
        compression separately with the product's own code.
        """
        rendered = []
        for part in self._templated:
            assert part.template is not None
            try:
                xml = part.template.render(context)
            except jinja2.UndefinedError as exc:
                raise TemplateError(
                    f"{part.name}: {exc.message}; the context has: {', '.join(sorted(context))}",
                    where=self.path,
                ) from None
            except jinja2.exceptions.SecurityError as exc:
                raise TemplateError(
                    f"{part.name}: forbidden in a template: {exc}", where=self.path
                ) from None
            rendered.append(xml.encode("utf-8"))
        return rendered

    def package(self, rendered: list[bytes], level: int = LEVEL) -> bytes:
        """The .docx of the parts :meth:`render_xml` gave: each compressed at ``level``,
        zipped with the static parts (compressed once, when the template was compiled)."""
        produced = iter(rendered)
        entries = [
            part.entry if part.entry is not None else _Entry.of(part.name, next(produced), level)
            for part in self._parts
        ]
        return _zip(entries)


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
