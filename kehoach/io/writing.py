"""The one place that writes files: atomically, only when the content changed, inside ``out``.

Every file is written to a temporary name in the same folder, flushed and renamed over the
target, so a reader (or a killed run) never sees half a document. A file whose bytes are
already on disk is not rewritten, so re-running a cascade changes nothing that is unchanged.
Paths are built from unit ids and ASCII slugs and checked to stay inside the output folder.

A run that writes into a folder holds its lock (:func:`locked`), so two cascades never write
the same folder at once, and sweeps away the temporary files a killed run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from kehoach.io.errors import KehoachError

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


#: Errors worth a retry: the disk or network file system hiccupped, it did not refuse.
TRANSIENT_ERRNOS = frozenset({errno.EAGAIN, errno.EINTR, errno.EIO, errno.EBUSY, errno.ETIMEDOUT})
STATE = Path(".kehoach")  # the run's own files in the output folder: lock, batch journal
LOCK_FILE = STATE / "lock"
_TEMPORARY = ".*.tmp"  # what write_if_changed names its temporary files


class OutputError(KehoachError):
    """The output folder cannot be written (read-only, full, outside the folder).

    ``transient`` says whether trying again may help (an I/O hiccup), as opposed to a
    refusal that will recur (read-only, no space, a folder where a file belongs).
    """

    def __init__(self, what: str, *, where: str | Path | None = None, code: int = 0) -> None:
        super().__init__(what, where=where)
        self.transient = code in TRANSIENT_ERRNOS


# Every draft's path names each unit above it: the same few names, slugged again per draft.
@lru_cache(maxsize=1 << 12)
def slug(text: str) -> str:
    """ASCII, lower-case, hyphenated: "Phường Yên Sở" → "phuong-yen-so"."""
    text = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _SLUG_STRIP.sub("-", text).strip("-")[:60] or "x"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inside(root: Path, relative: Path) -> Path:
    """``root / relative``, refusing anything that would leave ``root``."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise OutputError(f"path {relative} leaves the output folder", where=root)
    return target


class Confined:
    """The paths of one batch's files inside ``root``, checked as :func:`inside` checks them,
    with the folder and each of its subfolders resolved once.

    A batch writes hundreds of drafts into few folders; resolving the output folder and all
    ~10 components of every draft's path (an ``lstat`` each, in Python) was 4 % of a national
    cascade. A file that is itself a symbolic link is resolved as :func:`inside` does. Meant
    to live as long as one batch: a folder swapped for a link later is seen by the next.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved = root.resolve()
        self._folders: dict[Path, Path] = {}

    def path(self, relative: Path) -> Path:
        """``root / relative``, refusing anything that would leave ``root``."""
        folder = self._folders.get(relative.parent)
        if folder is None:
            folder = (self.root / relative.parent).resolve()
            if not folder.is_relative_to(self._resolved):
                raise OutputError(f"path {relative} leaves the output folder", where=self.root)
            self._folders[relative.parent] = folder
        target = folder / relative.name
        if relative.name in ("", ".", "..") or target.is_symlink():
            return inside(self.root, relative)
        return target


def write_if_changed(root: Path, relative: Path, data: bytes, *, durable: bool = True) -> bool:
    """Write ``data`` atomically to ``root/relative`` unless identical; True if written.

    ``durable``: flushed to the disk before it is renamed into place. A caller writing many
    files at once (a batch of drafts) passes False and calls :func:`settle` once at the end.
    """
    target = inside(root, relative)
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    _replace(target, (data,), root, relative, durable=durable)
    return True


def write_stream_if_changed(
    root: Path, relative: Path, chunks: Iterable[bytes], *, durable: bool = True
) -> bool:
    """:func:`write_if_changed` for a file made piece by piece, never held whole.

    A national manifest is ~42 MB of JSON: made at once and written, it was the flow's peak
    (twice that, with the newline appended). The chunks go to the temporary file as they
    come; a file that turns out identical to what is there is left as it was, unrenamed.
    """
    target = inside(root, relative)
    return _replace(target, chunks, root, relative, durable=durable, unless_same=True)


_SERIAL = itertools.count()


def _replace(
    target: Path,
    chunks: Iterable[bytes],
    root: Path,
    relative: Path,
    *,
    durable: bool,
    unless_same: bool = False,
) -> bool:
    """Put the bytes of ``chunks`` at ``target`` (already checked to be inside ``root``)
    atomically; True if put there. ``unless_same``: a file there with the same bytes is
    kept, and the new one dropped (False).

    The temporary file beside it is named by this process and a counter and created
    exclusively (another process, even on another machine, cannot collide unnoticed); its
    folder is made only if the file cannot be created (a batch writes hundreds of drafts to
    few folders). Per draft this was a tenth of the cost of writing it.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{next(_SERIAL)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        try:
            fd = os.open(tmp, flags, 0o644)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, flags, 0o644)
        except FileExistsError:  # a name another host's process of the same pid left
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o644)  # whatever the umask, as before
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                if unless_same and _same_file(tmp, target):
                    tmp.unlink()
                    return False
                if durable:
                    os.fsync(handle.fileno())
            os.replace(tmp, target)
            return True
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(
            f"cannot write {relative}: {exc.strerror}", where=root, code=exc.errno or 0
        ) from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether files ``a`` and ``b`` hold the same bytes (``b`` may be missing)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with a.open("rb") as one, b.open("rb") as other:
            while block := one.read(1 << 20):
                if block != other.read(1 << 20):
                    return False
        return True
    except FileNotFoundError:
        return False


class Outcome(StrEnum):
    """What :func:`write_own` did."""

    WRITTEN = "written"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the file there is someone's work: left as it is


def write_new(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write a file a person will work on next (an imported plan to correct), never over one
    that is there: an existing file is refused unless ``replace`` says the operator asked."""
    if path.exists() and not replace:
        raise OutputError("exists; choose another name or ask to replace it", where=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=".", suffix=".tmp", delete=False
        ) as f:
            f.write(data)
            temporary = Path(f.name)
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails if the file appeared meanwhile
            finally:
                temporary.unlink()
    except FileExistsError:
        raise OutputError("exists; choose another name or ask to replace it", where=path) from None
    except OSError as exc:
        raise OutputError(
            f"cannot write: {exc.strerror}", where=path, code=exc.errno or 0
        ) from None


def settle() -> None:
    """Flush every file written so far to the disk, once for many files.

    An ``fsync`` per draft cost 2.5–4 ms here, more than rendering the draft; one ``sync``
    after a batch of ~400 costs about as much as a few of them. A batch's drafts are only
    ever regenerable files (a person's file is never overwritten), and the batch is
    journalled, durably, only after this: a crash before it leaves a batch that is simply
    drafted again, and its drafts are checked against their SHA-256 before a rerun skips it.
    """
    os.sync()


def write_own(
    root: Path,
    relative: Path,
    data: bytes,
    ours: str | None,
    *,
    durable: bool = True,
    confined: Confined | None = None,
) -> Outcome:
    """Write ``data`` to ``root/relative`` unless the file there is someone else's work.

    ``ours`` is the SHA-256 of what the product last wrote there (from the manifest), None if
    it never wrote it. A file with those bytes is the product's own and is replaced; a file
    with any other bytes was edited or put there by a person and is kept, never overwritten.
    ``confined`` (of ``root``) checks the path for a caller writing many files.
    """
    target = confined.path(relative) if confined is not None else inside(root, relative)
    try:
        there = target.read_bytes()
    except FileNotFoundError:
        there = None
    except OSError as exc:
        raise OutputError(
            f"cannot read {relative}: {exc.strerror}", where=root, code=exc.errno or 0
        ) from None
    if there == data:
        return Outcome.UNCHANGED
    if there is not None and sha256(there) != ours:
        return Outcome.KEPT
    _replace(target, (data,), root, relative, durable=durable)
    return Outcome.WRITTEN


@contextlib.contextmanager
def locked(root: Path) -> Iterator[int]:
    """Hold ``root``'s write lock for a run; yield how many stale temporary files were swept.

    The lock is an ``flock`` on ``root/.kehoach/lock``: the kernel drops it when the holder
    exits, killed or not, so a crash never leaves the folder locked. Under the lock, the
    temporary files of a killed run (never renamed into place) are removed.
    """
    try:
        (root / STATE).mkdir(parents=True, exist_ok=True)
        handle = open(root / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 (held until exit)
    except OSError as exc:
        raise OutputError(
            f"cannot write to the output folder: {exc.strerror}", where=root
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise OutputError(
                f"another run (pid {holder}) is writing to this folder; wait for it to end",
                where=root,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        swept = 0
        for stale in root.rglob(_TEMPORARY):
            stale.unlink(missing_ok=True)
            swept += 1
        yield swept


def check_room(root: Path, need: int) -> None:
    """Refuse to start when ``root`` cannot take ``need`` more bytes (read-only or full).

    Checked before anything is written, not even the folder itself, so a cascade that cannot
    finish does not begin; a disk that fills up during the run still fails cleanly in
    :func:`write_if_changed`. A folder that does not exist yet is checked at its nearest
    existing parent, where it will be created.
    """
    folder = root.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"cannot write in {folder}: {exc.strerror}", where=root) from None
    free = shutil.disk_usage(folder).free
    if free < need:
        raise OutputError(
            f"{free / 1e6:.1f} MB free, and the drafts need about {need / 1e6:.1f} MB; "
            "free some space or choose another --out",
            where=root,
        )
