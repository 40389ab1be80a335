"""No orphans: what a command starts ends when the command ends, ``kill -9`` included.

A cascade starts drafting workers and Prefect's embedded API, each a process of its own.
Killed with SIGKILL, the command cannot stop them, and they went on writing drafts into a
folder nobody was watching. Two guards:

- :func:`reap_on_exit`, called first by the ``kehoach`` command, tags the command's
  environment with a token every process it starts inherits, and starts a small *reaper*
  process that waits on a pipe from the command. The kernel closes that pipe however the
  command ends; the reaper then ends every process whose environment carries the token
  (the same idea as Jenkins' process-tree killer, which finds a build's processes by an
  environment cookie).
- :func:`guard_worker`, the initializer of the drafting processes (Prefect's process pool,
  :mod:`flows.runners`), makes each worker exit as soon
  as its parent is gone, even where no reaper runs (a flow run under ``prefect serve``),
  and end without the interpreter's teardown (:func:`skip_teardown`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

TOKEN = "KEHOACH_RUN_TOKEN"
_PROC = Path("/proc")
_KEEP: list[int] = []  # the write end of the reaper's pipe, held open until this process ends


def reap_on_exit() -> None:
    """Make every process started from now on end when this process ends (Linux).

    Does nothing where there is no ``/proc``. The reaper runs in its own session, so a
    signal to this command's process group does not stop it before it has done its work.
    """
    if not _PROC.is_dir():
        return
    token = uuid.uuid4().hex
    read_end, write_end = os.pipe()  # not inherited by children: only this process holds it
    env = {k: v for k, v in os.environ.items() if k != TOKEN}
    subprocess.Popen(
        [sys.executable, "-m", "kehoach.io.processes", token],
        stdin=read_end,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    os.close(read_end)
    _KEEP.append(write_end)  # closed by the kernel when this process ends, however it ends
    os.environ[TOKEN] = token


def tagged(token: str) -> list[int]:
    """Pids of the processes whose environment carries ``TOKEN=token``."""
    needle = f"{TOKEN}={token}".encode()
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap(token: str, grace: float = 5.0) -> int:
    """End every process tagged with ``token``: SIGTERM, then SIGKILL after ``grace`` s."""
    pids = tagged(token)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while (left := tagged(token)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def guard_worker(parent: int) -> None:
    """Exit this worker process as soon as ``parent`` is no longer its parent.

    A process whose parent dies is handed to another (init or a subreaper), so its parent
    pid changes; a daemon thread looks five times a second.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="guard-parent", daemon=True).start()


def skip_teardown() -> None:
    """End this process, when it exits, without the interpreter's teardown.

    A drafting worker's state is garbage once its pool shuts it down: its drafts are written
    and synced, its results sent, and multiprocessing has flushed its queues (before any
    ``atexit`` handler runs). Tearing down its ~170 MB of objects and Prefect's modules and
    threads kept the flow waiting about half a second at the end of every cascade. The exit
    handlers registered after this call still run (they run first); those registered before
    it (the libraries imported to start the worker) do not; the standard streams are flushed.
    The process ends with status 0 whatever it exits with: only for a pool's worker, which
    the pool judges by its results and by its dying while at work, never by that status.
    Celery's pool workers (billiard) end the same way, with ``os._exit``.
    """

    def end() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)

    atexit.register(end)


def _main(token: str) -> None:
    """The reaper: wait until the command's pipe closes, then end what it started."""
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(65536):
            pass
    reap(token)


if __name__ == "__main__":
    _main(sys.argv[1])
