"""Killed for real: SIGKILL at random points, then run again.

A cascade killed anywhere and run again ends with exactly the drafts a clean run writes (each
whole and byte-for-byte what the core renders), no duplicates, no leftovers, and skips the
batches the killed run had finished. A status import killed anywhere leaves the store as it
was or with the whole import, never part of it; two imports at once both land, and the same
report imported twice at once is recorded once.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.drafting import render_draft
from kehoach.cascade.manifest import draft_path
from kehoach.cascade.walk import cascade, plans_by_unit
from kehoach.documents.nd30 import check_docx, check_task_list_docx
from kehoach.plan.model import Plan, load_plan
from kehoach.status.demo import fill_sheet
from kehoach.status.intake import reported_tasks, sheet_bytes
from kehoach.status.periods import Period
from kehoach.status.store.db import connect
from tests.conftest import EXAMPLES, plan_dir

pytestmark = pytest.mark.slow
KEHOACH = str(Path(sys.executable).with_name("kehoach"))
PLAN = EXAMPLES / "hoang-mai-67-kh-ubnd.yaml"
Q1 = Period.parse("2024-Q1")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The CLI's environment: the embedded Prefect API, with a home shared by the runs."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    out["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    out["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return out


@pytest.fixture(scope="module")
def hanoi() -> tuple[Hierarchy, Plan, dict[str, Plan]]:
    h = load_hierarchy("hanoi-2024")
    plan = load_plan(PLAN)
    return h, plan, plans_by_unit(plan, h)


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """The CLI in its own session, so a kill reaches its children (Prefect's API, workers)."""
    return subprocess.Popen(
        [KEHOACH, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], delay: float) -> bool:
    """SIGKILL the process group ``delay`` s after ``ready()``; False if it ended first."""
    deadline = time.monotonic() + 240
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    time.sleep(delay)
    ended = proc.poll() is not None
    if not ended:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.communicate()
    return not ended


def test_a_killed_cascade_resumes_to_exactly_the_full_set(
    tmp_path: Path, env: dict[str, str], hanoi: tuple[Hierarchy, Plan, dict[str, Plan]]
) -> None:
    h, plan, _ = hanoi
    out = tmp_path / "out"
    args = ["cascade", str(PLAN), "-H", "hanoi-2024", "--out", str(out), "--batch-size", "8"]
    folder = plan_dir(out, PLAN)
    journal = folder / ".kehoach" / "batches"
    rng = random.Random(7)
    killed = 0

    # First: killed just after a batch was journalled, so the next run must skip it.
    def journalled() -> bool:  # a whole entry, not the temporary file it is written through
        return journal.is_dir() and any(journal.glob("*.json"))

    if kill_when(start(args, env), journalled, 0.0):
        killed += 1
    drafts = folder / "drafts"

    def drafting() -> bool:
        return drafts.is_dir() and any(drafts.rglob("*.docx"))

    for _ in range(3):  # then at random points of the drafting
        killed += kill_when(start(args, env), drafting, rng.uniform(0.0, 1.5))
    assert killed >= 2, "the runs ended before they could be killed"
    final = start(args, env)
    stdout, _ = final.communicate(timeout=300)
    assert final.returncode == 0, stdout
    assert "from batches already finished" in stdout, stdout

    expected = {
        draft_path(h, d.unit).as_posix(): render_draft(d)
        for level in cascade(plan, h)
        for d in level
    }
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = [e["path"] for e in manifest["drafts"]]
    assert len(listed) == len(set(listed)) == len(expected)
    assert {e["state"] for e in manifest["drafts"]} == {"written"}  # nothing taken as edited
    on_disk = sorted(p.relative_to(folder).as_posix() for p in (folder / "drafts").rglob("*"))
    assert [p for p in on_disk if p.endswith(".docx")] == sorted(expected)
    assert all(p.endswith(".docx") or (folder / p).is_dir() for p in on_disk)  # no leftovers
    assert not list(out.rglob("*.tmp"))
    for entry in manifest["drafts"]:
        data = (folder / entry["path"]).read_bytes()
        assert data == expected[entry["path"]], entry["path"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    kinds = {e["path"]: e["document"] for e in manifest["drafts"]}
    for path in list(expected)[:: max(1, len(expected) // 12)]:
        check = check_docx if kinds[path] == "ke-hoach" else check_task_list_docx
        assert check((folder / path).read_bytes()) == []


# -- the status store -----------------------------------------------------------------------


def filled_sheets(folder: Path, hanoi: tuple[Hierarchy, Plan, dict[str, Plan]]) -> list[Path]:
    """Every Hoàng Mai unit's 2024-Q1 sheet, filled in as a unit would."""
    h, _, plans = hanoi
    folder.mkdir()
    paths = []
    for unit_id in plans:
        unit = h.unit(unit_id)
        if not reported_tasks(unit, plans, h):
            continue
        path = folder / f"{unit_id}.xlsx"
        path.write_bytes(sheet_bytes(unit, plans, h, "67/KH-UBND", Q1))
        fill_sheet(path, Q1, seed=unit_id)
        paths.append(path)
    return paths


def rows(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        subs = int(c.execute(sa.text("SELECT count(*) FROM submission")).scalar() or 0)
        statuses = int(c.execute(sa.text("SELECT count(*) FROM task_status")).scalar() or 0)
    engine.dispose()
    return subs, statuses


def import_args(url: str, paths: list[Path]) -> list[str]:
    tail = ["--plan", str(PLAN), "-H", "hanoi-2024", "--db", url, "--by", "test"]
    return ["status", "import", *map(str, paths), *tail]


def test_a_killed_import_leaves_the_store_as_before_or_complete(
    tmp_path: Path, env: dict[str, str], hanoi: tuple[Hierarchy, Plan, dict[str, Plan]]
) -> None:
    sheets = filled_sheets(tmp_path / "sheets", hanoi)
    db = tmp_path / "status.sqlite3"
    url = f"sqlite:///{db}"
    connect(url).dispose()
    wal = Path(f"{db}-wal")
    rng = random.Random(11)
    for attempt in range(4):
        size = wal.stat().st_size if wal.exists() else 0

        def writing(size: int = size) -> bool:  # the transaction reaches the journal
            return wal.exists() and wal.stat().st_size != size

        ready = writing if attempt == 0 else (lambda: True)
        kill_when(
            start(import_args(url, sheets), env),
            ready,
            0.0 if attempt == 0 else rng.uniform(0.5, 4),
        )
        subs = rows(url)[0]
        assert subs in (0, len(sheets)), f"a killed import left {subs} of {len(sheets)} reports"
    done = subprocess.run(
        [KEHOACH, *import_args(url, sheets)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    full = rows(url)
    assert full[0] == len(sheets) and full[1] > len(sheets)
    again = subprocess.run(
        [KEHOACH, *import_args(url, sheets)], env=env, capture_output=True, text=True, check=False
    )
    assert f"{len(sheets)} already in the store" in again.stdout
    assert rows(url) == full


def store_urls() -> list[str]:
    urls = ["sqlite"]
    if os.environ.get("KEHOACH_TEST_POSTGRES_URL"):
        urls.append(os.environ["KEHOACH_TEST_POSTGRES_URL"])
    return urls


@pytest.mark.parametrize("store", store_urls(), ids=lambda u: u.split(":")[0])
def test_two_imports_at_once_both_land_and_nothing_twice(
    store: str,
    tmp_path: Path,
    env: dict[str, str],
    hanoi: tuple[Hierarchy, Plan, dict[str, Plan]],
) -> None:
    sheets = filled_sheets(tmp_path / "sheets", hanoi)
    if store == "sqlite":
        url = f"sqlite:///{tmp_path / 'status.sqlite3'}"
    else:  # a database of its own on the server, so earlier tests' rows do not count
        name = f"kehoach_{os.getpid()}_{random.randrange(10**6)}"
        admin = sa.create_engine(store, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = store.rsplit("/", 1)[0] + f"/{name}"
    half = len(sheets) // 2
    parts = [sheets[:half], sheets[half:], sheets, sheets]  # two disjoint, then twice the same

    def run(paths: list[Path]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KEHOACH, *import_args(url, paths)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    with ThreadPoolExecutor(2) as pool:
        first = list(pool.map(run, parts[:2]))  # a new database: both also migrate it at once
    assert [r.returncode for r in first] == [0, 0], [r.stderr for r in first]
    assert rows(url)[0] == len(sheets)
    with ThreadPoolExecutor(2) as pool:
        second = list(pool.map(run, parts[2:]))
    assert [r.returncode for r in second] == [0, 0], [r.stderr for r in second]
    assert rows(url)[0] == len(sheets)  # every report once, however often and however fast
