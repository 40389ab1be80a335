"""The cascades under --out as the portal shows them, each draft found by its unit's id.

A folder is named in URLs by its plan and hierarchy keys, and a draft by its unit id; both are
looked up in what is on disk (the folders with a manifest, the manifest's entries), so a
request can only ever name a file the manifest lists. A unit is in a user's scope when the
user's unit is on its chain of parents (the manifest's ``parent_unit_id``s, up to the issuer).
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hierarchy.sources import load_hierarchy
from kehoach.cascade.lint import lint_folder
from kehoach.cascade.lint.findings import Finding
from kehoach.cascade.lint.folder import plan_folders
from kehoach.cascade.manifest import Manifest, ManifestEntry, read_manifest
from kehoach.io.errors import KehoachError
from kehoach.io.writing import inside


@dataclass
class Cascade:
    """One plan folder ``out/<plan>/<hierarchy>`` and its manifest."""

    folder: Path
    manifest: Manifest
    entries: dict[str, ManifestEntry] = field(init=False)

    def __post_init__(self) -> None:
        self.entries = {e.unit_id: e for e in self.manifest.drafts}

    @property
    def plan_key(self) -> str:
        return self.folder.parent.name

    @property
    def hierarchy_key(self) -> str:
        return self.folder.name

    def chain(self, unit_id: str) -> list[str]:
        """``unit_id`` and its parents up to the issuer, as the manifest records them, then
        the issuer's own parents up to the root (a city's user sees a district's cascade)."""
        out = [unit_id]
        while (entry := self.entries.get(out[-1])) and entry.parent_unit_id:
            out.append(entry.parent_unit_id)
        return out + self.above.get(out[-1], [])

    @functools.cached_property
    def above(self) -> dict[str, list[str]]:
        """The issuer's parents, nearest first, from the hierarchy the manifest names."""
        issuers = {e.parent_unit_id for e in self.manifest.drafts} - set(self.entries)
        return {i: _ancestors(self.manifest.hierarchy, i) for i in issuers if i}

    def in_scope(self, unit_id: str, scope_unit: str) -> bool:
        return unit_id in self.entries and scope_unit in self.chain(unit_id)

    def visible(self, scope_unit: str) -> list[ManifestEntry]:
        """The drafts of ``scope_unit``'s subtree, in the manifest's order."""
        return [e for e in self.manifest.drafts if scope_unit in self.chain(e.unit_id)]

    def children(self, scope_unit: str) -> dict[str | None, list[ManifestEntry]]:
        """The visible drafts by parent; the tops of the visible tree under None."""
        seen = self.visible(scope_unit)
        ids = {e.unit_id for e in seen}
        tree: dict[str | None, list[ManifestEntry]] = {}
        for e in seen:
            parent = e.parent_unit_id if e.parent_unit_id in ids else None
            tree.setdefault(parent, []).append(e)
        return tree

    def draft_file(self, entry: ManifestEntry) -> Path:
        return inside(self.folder, Path(entry.path))

    def findings(self) -> dict[str, list[Finding]]:
        """The draft checker's findings by the draft's path (relative to the folder), read
        again only when the manifest changed (a city's 3,000 drafts take a while)."""
        stamp = (self.folder / "manifest.json").stat().st_mtime_ns
        return _findings(str(self.folder.resolve()), stamp)


@functools.lru_cache(maxsize=8)
def _findings(folder: str, _stamp: int) -> dict[str, list[Finding]]:
    by_path: dict[str, list[Finding]] = {}
    for f in lint_folder(Path(folder)).findings:
        by_path.setdefault(f.path, []).append(f)
    return by_path


@functools.cache
def _ancestors(source: str, unit_id: str) -> list[str]:
    """The parents of ``unit_id`` in the hierarchy ``source``, nearest first (none if the
    hierarchy cannot be read: then only users at the issuer and below see the cascade)."""
    try:
        h = load_hierarchy(source)
    except KehoachError:
        return []
    return [u.id for u in h.path(unit_id)][-2::-1] if unit_id in h else []


def cascades(out: Path) -> list[Cascade]:
    """Every cascade under ``out`` with a readable manifest."""
    found = []
    for folder in plan_folders(out) if out.is_dir() else []:
        manifest = read_manifest(folder)
        if manifest is not None:
            found.append(Cascade(folder, manifest))
    return found


def find_cascade(out: Path, plan_key: str, hierarchy_key: str) -> Cascade | None:
    """The cascade a URL names, looked up among those on disk (never joined into a path)."""
    for c in cascades(out):
        if c.plan_key == plan_key and c.hierarchy_key == hierarchy_key:
            return c
    return None


class _Sink:
    """A write-only stream whose bytes are taken out as they come (for a streamed zip)."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes, /) -> int:
        self.buffer += data
        return len(data)

    def tell(self) -> int:
        raise OSError("not seekable")  # zipfile then writes data descriptors, as streams need

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def zip_stream(cascade: Cascade, entries: list[ManifestEntry]) -> Iterator[bytes]:
    """A zip of ``entries``' drafts at their paths in the folder, one file at a time: the
    whole city's 3,000 drafts never sit in memory at once."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        for entry in entries:
            path = cascade.draft_file(entry)
            if path.is_file():
                z.write(path, entry.path)
                yield sink.take()
    yield sink.take()
