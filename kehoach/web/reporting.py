"""The plan the portal's report pages are about: its hierarchy, every unit's plan, its key.

Loaded once per process (the whole city's plans take a few seconds to derive), on first use.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from hierarchy.graph import Hierarchy
from hierarchy.sources import load_hierarchy
from kehoach.cascade.manifest import PlanSummary, plan_folder
from kehoach.cascade.walk import plans_by_unit
from kehoach.plan.model import Plan, load_plan
from kehoach.status.intake import reported_tasks
from kehoach.status.periods import Period
from kehoach.status.reminders import Reminder, reminders
from kehoach.status.report import build_report
from kehoach.status.rollup import Rollup, roll_up
from kehoach.status.store.db import snapshot


@dataclass(frozen=True)
class Reporting:
    """The plan, the hierarchy, each unit's plan and the key reports are stored under."""

    plan: Plan
    h: Hierarchy
    plans: dict[str, Plan]
    key: str
    folder: Path

    def in_scope(self, unit_id: str, scope_unit: str) -> bool:
        """``unit_id`` is in the hierarchy and ``scope_unit`` is on its path from the root."""
        return unit_id in self.h and scope_unit in {u.id for u in self.h.path(unit_id)}

    def top_for(self, scope_unit: str) -> str:
        """Where a user's roll-up starts: their unit, or the plan's issuer when the user sits
        above it (the city's administrator and a district's plan)."""
        if scope_unit in self.plans:
            return scope_unit
        issuer = self.plan.issuer.unit_id
        if issuer is not None and self.in_scope(issuer, scope_unit):
            return issuer
        return scope_unit

    def reporting_units(self, scope_unit: str) -> list[str]:
        """The units below (and including) ``scope_unit`` that report on tasks, top-down."""
        ids = [u.id for level in self.h.levels(scope_unit) for u in level]
        return [
            i for i in ids if i in self.plans and reported_tasks(self.h.unit(i), self.plans, self.h)
        ]

    def reminders(
        self, engine: Engine, period: Period, root: str, as_of: dt.date
    ) -> list[Reminder]:
        """Everything owed in ``root``'s subtree as of ``as_of`` (due soon: within 7 days)."""
        snap = snapshot(engine, self.key, period)
        return reminders(self.h, self.plans, snap, period, as_of, 7, root=root)

    def report(self, engine: Engine, period: Period, unit_id: str, as_of: dt.date) -> bytes:
        """The BÁO CÁO of ``unit_id`` for ``period`` (DOCX), from a roll-up of its subtree."""
        return build_report(
            self.h, self.plan, self.rollup(engine, period, unit_id, as_of), unit_id, period
        )

    def rollup(self, engine: Engine, period: Period, root: str, as_of: dt.date) -> Rollup:
        """The roll-up of ``root``'s subtree. Every request rolls up the same hierarchy and
        plans (this object's), so ``roll_up`` reads them through the index it kept from the
        first request for ``root``: a request pays only for its statuses and period."""
        return roll_up(
            self.h, self.plans, snapshot(engine, self.key, period), period, as_of, self.key, root
        )


_cache: dict[tuple[Path, str], Reporting] = {}
_lock = threading.Lock()


def reporting(plan_file: Path, hierarchy: str, out: Path) -> Reporting:
    """The :class:`Reporting` of ``plan_file`` over ``hierarchy``, derived once."""
    with _lock:
        cached = _cache.get((plan_file.resolve(), hierarchy))
        if cached is None:
            plan = load_plan(plan_file)
            h = load_hierarchy(hierarchy)
            cached = Reporting(
                plan,
                h,
                plans_by_unit(plan, h),
                PlanSummary.of(plan).key,
                plan_folder(out, plan, hierarchy),
            )
            _cache[(plan_file.resolve(), hierarchy)] = cached
        return cached
