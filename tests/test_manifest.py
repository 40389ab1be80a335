"""manifest.json as a cascade writes it: streamed entry by entry, the bytes pydantic gives the
whole, and a file left untouched when a rerun has nothing new to say."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from pathlib import Path

from hierarchy.sources import load_hierarchy
from kehoach.cascade.manifest import MANIFEST, Manifest, read_manifest, write_manifest
from kehoach.cascade.run import prepare, running
from kehoach.plan.model import load_plan
from tests.conftest import EXAMPLES


def _cascade(out: Path) -> Path:
    """Quận Hoàng Mai's subtree from 67/KH-UBND, in this process; its plan folder."""
    h = load_hierarchy("hanoi-2024")
    prepared = prepare(load_plan(EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"), h, "hanoi-2024", out)
    with running(prepared, h) as run:
        run.finish(run.draft_here())
    return prepared.folder


def _whole(manifest: Manifest) -> bytes:
    return manifest.__pydantic_serializer__.to_json(manifest, indent=2) + b"\n"


def test_the_streamed_manifest_is_the_json_of_the_whole(tmp_path: Path) -> None:
    folder = _cascade(tmp_path / "out")
    manifest = read_manifest(folder)
    assert manifest is not None and len(manifest.drafts) > 50
    assert (folder / MANIFEST).read_bytes() == _whole(manifest)
    # The lists empty, one entry, and drafts gone stale read back as they were written.
    for other in (
        manifest.model_copy(update={"drafts": [], "stale": manifest.drafts[:2]}),
        manifest.model_copy(update={"drafts": manifest.drafts[:1]}),
    ):
        assert write_manifest(folder, other) is True
        assert (folder / MANIFEST).read_bytes() == _whole(other)
        assert read_manifest(folder) == other


def test_a_rerun_with_nothing_new_leaves_the_manifest_file_as_it_was(tmp_path: Path) -> None:
    folder = _cascade(tmp_path / "out")
    before = (folder / MANIFEST).stat()
    again = _cascade(tmp_path / "out")
    after = (again / MANIFEST).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not [p.name for p in (folder / MANIFEST).parent.glob(".*.tmp")]  # nothing left over


def test_writing_a_manifest_never_holds_it_whole(tmp_path: Path) -> None:
    """A national manifest is ~42 MB: made at once, plus its newline, it was twice that at the
    flow's peak. Streamed, what writing it holds at once is a small part of the file."""
    folder = _cascade(tmp_path / "out")
    manifest = read_manifest(folder)
    assert manifest is not None
    many = [
        replace(e, unit_id=f"{e.unit_id}-{k}", path=f"{e.path}.{k}")
        for k in range(40)
        for e in manifest.drafts
    ]
    big = manifest.model_copy(update={"drafts": many})
    tracemalloc.start()
    try:
        write_manifest(tmp_path / "big", big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = (tmp_path / "big" / MANIFEST).stat().st_size
    assert size > 2_000_000
    assert peak < size / 10, (peak, size)
    assert (tmp_path / "big" / MANIFEST).read_bytes() == _whole(big)
