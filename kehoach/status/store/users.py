"""The portal's users in the status store: who they are, their unit, their role.

The store keeps the password's hash only, made by the caller (the web layer owns the hashing
scheme, so the store never sees a password). A user is disabled rather than deleted.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kehoach.io.errors import KehoachError
from kehoach.status.store.db import utc_now, writer
from kehoach.status.store.tables import PortalUser


class Role(StrEnum):
    """What a user may do: an administrator (at the city) or an officer (at any unit)."""

    QUAN_TRI = "quan-tri"
    CAN_BO = "can-bo"

    @property
    def label(self) -> str:
        return {"quan-tri": "Quản trị", "can-bo": "Cán bộ"}[self.value]


class User(BaseModel):
    """A user as the portal sees them (no hash)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    unit_id: str
    role: Role
    active: bool


class UserError(KehoachError):
    """A user that cannot be added or changed: a name taken, a user unknown."""


def _user(row: PortalUser) -> User:
    return User(username=row.username, unit_id=row.unit_id, role=Role(row.role), active=row.active)


def add_user(engine: Engine, username: str, unit_id: str, role: Role, password_hash: str) -> User:
    """Add a user; a name already taken (even by a disabled user) is refused."""
    with Session(writer(engine)) as session, session.begin():
        if session.scalar(select(PortalUser).where(PortalUser.username == username)):
            raise UserError(f"user {username!r} already exists")
        row = PortalUser(
            username=username,
            unit_id=unit_id,
            role=role.value,
            password_hash=password_hash,
            active=True,
            created_at=utc_now(),
        )
        session.add(row)
        session.flush()
        return _user(row)


def list_users(engine: Engine) -> list[User]:
    """Every user, by name."""
    with Session(engine) as session:
        rows = session.scalars(select(PortalUser).order_by(PortalUser.username))
        return [_user(r) for r in rows]


def find_user(engine: Engine, username: str) -> tuple[User, str] | None:
    """The user named ``username`` and their password hash, or None."""
    with Session(engine) as session:
        row = session.scalar(select(PortalUser).where(PortalUser.username == username))
        return (_user(row), row.password_hash) if row else None


def set_password_hash(engine: Engine, username: str, password_hash: str) -> None:
    """Replace a user's hash (argon2 asks for it when its parameters have changed)."""
    with Session(writer(engine)) as session, session.begin():
        row = session.scalar(select(PortalUser).where(PortalUser.username == username))
        if row is not None:
            row.password_hash = password_hash


def disable_user(engine: Engine, username: str) -> User:
    """Disable a user: they can no longer log in, and their open sessions end."""
    with Session(writer(engine)) as session, session.begin():
        row = session.scalar(select(PortalUser).where(PortalUser.username == username))
        if row is None:
            raise UserError(f"no user {username!r}")
        row.active = False
        session.flush()
        return _user(row)
