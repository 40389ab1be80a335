"""The batch journal: which batches of a cascade are finished, so a re-run skips them.

A finished batch leaves an entry (``out/.kehoach/batches/<key>.json``: its manifest entries)
after its last draft is in place. The key hashes everything the batch's drafts depend on, so
a re-run after a crash, or with nothing changed, skips each batch whose entry is there and
whose drafts are still on disk as written, and drafts only what is missing.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

import hierarchy
import kehoach
from hierarchy.graph import Hierarchy
from kehoach.cascade.lint.findings import DraftFindings
from kehoach.cascade.manifest import ManifestEntry
from kehoach.io.writing import STATE, inside, sha256, write_if_changed

JOURNAL = STATE / "batches"
T = TypeVar("T")
_CODE = (Path(kehoach.__file__).parent, Path(hierarchy.__file__).parent)


class BatchResult(BaseModel):
    """What a batch wrote: its manifest entries, and how many files actually changed; and,
    when it was asked to check them, what the draft check found in each of its drafts (not
    journalled: a skipped batch checks its drafts again, as they are on disk)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: list[ManifestEntry]
    written: int
    kept: int = 0  # drafts edited by hand since the product wrote them, left as they are
    skipped: int = 0  # drafts of batches a previous run had finished
    peak_mb: float = 0.0  # the peak memory of the process that drafted it
    peaks: dict[str, float] = {}  # "host:pid" → peak MB, of every process that drafted
    journal_keys: list[str] = []  # the journal entries of the batches
    checked: int = 0  # drafts the draft check read and checked
    #: the drafts it found something in, or could not read (only those: nationally, an entry
    #: per draft would be tens of MB held in the flow's process)
    checks: list[DraftFindings] = []
    check_s: float = 0.0  # seconds spent checking, summed over the processes that checked

    @classmethod
    def merged(cls, results: Sequence[BatchResult]) -> BatchResult:
        """The results of several batches as one, in their order: each list joined once (a
        result added to a running total one at a time copies the total each time)."""
        peaks: dict[str, float] = {}
        for r in results:
            for k, v in r.peaks.items():
                peaks[k] = max(peaks.get(k, 0.0), v)
        return cls(
            entries=[e for r in results for e in r.entries],
            written=sum(r.written for r in results),
            kept=sum(r.kept for r in results),
            skipped=sum(r.skipped for r in results),
            peak_mb=max((r.peak_mb for r in results), default=0.0),
            peaks=peaks,
            journal_keys=[k for r in results for k in r.journal_keys],
            checked=sum(r.checked for r in results),
            checks=[c for r in results for c in r.checks],
            check_s=sum(r.check_s for r in results),
        )


@dataclass(frozen=True)
class PackedBatch:
    """A :class:`BatchResult` on its way from a drafting worker to the flow, pickled once, by
    the worker.

    Prefect's process pool unpickles what a task returns twice in the flow's process (once to
    learn whether it failed, once for ``result()``). Nationally that is 65,000 manifest entries
    and 130,000 findings each time, on a CPU the drafting workers need. Bytes unpickle at
    once: :meth:`unpack` builds the models, once.

    The flow holds every entry and finding of the run until it ends, so they are packed to
    unpickle small: each pydantic model carries the set of its fields given, its own set
    (~730 bytes for ten fields). Packed, the models of a kind with the same fields (the
    entries' references to their parents' plans, the findings) share one set (pickle stores
    it once). Sharing is safe for frozen models: pydantic never changes a frozen model's set,
    and a copy gets its own. (The entries themselves are slotted dataclasses, without one.)
    """

    data: bytes

    @classmethod
    def of(cls, result: BatchResult) -> PackedBatch:
        """``result`` packed (its models' field sets shared: it is not to be used after)."""
        shared: dict[tuple[type[BaseModel], frozenset[str]], set[str]] = {}
        for entry in result.entries:
            if entry.derived_from is not None:
                _share_fields(entry.derived_from, shared)
        for check in result.checks:
            _share_fields(check, shared)
            for finding in check.findings:
                _share_fields(finding, shared)
        return cls(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self) -> BatchResult:
        """The result, as the worker had it (its own bytes: as trusted as the task itself)."""
        result = pickle.loads(self.data)
        assert isinstance(result, BatchResult)
        return result


class SharedValues:
    """One object for each value a run's results repeat, in the process that holds them all.

    The flow's process keeps every manifest entry and finding of a run until it ends
    (nationally 65,000 entries, ~60 MB). Unpickled batch by batch, each entry had strings
    of its own for what the hierarchy already holds (its unit's id and name, its level, its
    parent's id) and for what its siblings share (the parent plan's text and reference, a
    finding's words). :meth:`share` points them at the hierarchy's objects, or at the first
    equal one seen, changing no value: the models are frozen, so nothing writes to them and
    only ``is`` could tell (and a copy gets its own). Like :meth:`PackedBatch.of`, it
    rewrites the results' models and entries in place.
    """

    def __init__(self, h: Hierarchy) -> None:
        self.h = h
        self._seen: dict[object, object] = {}
        self._fields: dict[tuple[type[BaseModel], frozenset[str]], set[str]] = {}

    def _one(self, value: T) -> T:
        return value if value is None else self._seen.setdefault(value, value)  # type: ignore[return-value]

    def share(self, result: BatchResult) -> BatchResult:
        """``result``, its entries' and findings' repeated values shared (in place)."""
        h, one, fields = self.h, self._one, self._fields
        put = object.__setattr__  # into the slots of a frozen dataclass
        for entry in result.entries:
            if entry.unit_id in h:
                unit = h.unit(entry.unit_id)
                put(entry, "unit_id", unit.id)
                if entry.unit_name == unit.name:
                    put(entry, "unit_name", unit.name)
                if entry.level == unit.level.value:
                    put(entry, "level", unit.level.value)
                parent = h.parent(unit.id)
                if parent is not None and entry.parent_unit_id == parent.id:
                    put(entry, "parent_unit_id", parent.id)
            put(entry, "parent_plan", one(entry.parent_plan))
            put(entry, "derived_from", one(entry.derived_from))
            if entry.derived_from is not None:
                _share_fields(entry.derived_from, fields)
        for check in result.checks:
            values = check.__dict__
            if values["unit_id"] in h:
                values["unit_id"] = h.unit(values["unit_id"]).id
            _share_fields(check, fields)
            for finding in check.findings:
                _share_fields(finding, fields)
                values = finding.__dict__
                values["where"] = one(values["where"])
                values["text"] = one(values["text"])
        return result


def _share_fields(
    model: BaseModel, shared: dict[tuple[type[BaseModel], frozenset[str]], set[str]]
) -> None:
    """Give ``model`` (frozen) the one set of its fields given that its kind with the same
    fields uses (each model has its own: ~200 bytes for a set of ten)."""
    assert model.model_config.get("frozen"), type(model)
    key = (type(model), frozenset(model.model_fields_set))
    object.__setattr__(model, "__pydantic_fields_set__", shared.setdefault(key, {*key[1]}))


@cache
def code_fingerprint() -> str:
    """A hash of the code and data that shape a draft (kehoach and hierarchy packages)."""
    digest = hashlib.sha256()
    for folder in _CODE:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(folder).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def finished(out: Path, key: str) -> BatchResult | None:
    """The journal entry of a finished batch, if it is there and its drafts are intact."""
    try:
        entry = inside(out, JOURNAL / f"{key}.json").read_bytes()
        done = BatchResult.model_validate_json(entry)
        for e in done.entries:
            if sha256(inside(out, Path(e.path)).read_bytes()) != e.sha256:
                return None
    except (OSError, ValidationError):
        return None  # missing, half-read or edited since: draft the batch again
    return BatchResult(
        entries=done.entries, written=0, skipped=len(done.entries), journal_keys=[key]
    )


def journal(out: Path, key: str, result: BatchResult) -> None:
    """Record a finished batch, after its drafts are in place."""
    data = BatchResult(entries=result.entries, written=0).model_dump_json().encode()
    write_if_changed(out, JOURNAL / f"{key}.json", data)


def forget_except(out: Path, keys: set[str]) -> int:
    """Remove journal entries of batches not in ``keys`` (an older plan or hierarchy)."""
    folder = out / JOURNAL
    stale = [p for p in folder.glob("*.json") if p.stem not in keys] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
