"""Passwords, sessions and login attempts: what stands between a request and a unit's data.

Passwords are hashed with argon2 (argon2-cffi's defaults, rehashed when they change).
A session is a cookie signed with itsdangerous holding the user's name and when they logged
in; it expires after ``session_seconds`` and is read again against the store on every
request, so a disabled user is out at once. Failed logins are counted per user and address
in memory: a server restart forgives them, which is acceptable for one process.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine

from kehoach.status.store.users import User, find_user, set_password_hash

SESSION_COOKIE = "kehoach_phien"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2 hash of ``password`` (what the store keeps)."""
    return _hasher.hash(password)


def check_login(engine: Engine, username: str, password: str) -> User | None:
    """The active user if ``password`` is theirs, else None (unknown users cost a hash too,
    so the answer's time does not tell which names exist)."""
    found = find_user(engine, username)
    if found is None:
        _hasher.hash(password)
        return None
    user, hashed = found
    try:
        _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(hashed):
        set_password_hash(engine, username, _hasher.hash(password))
    return user if user.active else None


class Sessions:
    """Signed, expiring session cookies."""

    def __init__(self, secret: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="kehoach-portal-session")
        self.max_age = max_age

    def cookie(self, username: str) -> str:
        return self._serializer.dumps({"u": username})

    def username(self, cookie: str | None) -> str | None:
        """The user a cookie names, or None if it is missing, altered or expired."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is one
            return None
        name = data.get("u") if isinstance(data, dict) else None
        return name if isinstance(name, str) else None


class LoginThrottle:
    """At most ``attempts`` failed logins per (user, address) in ``window`` seconds."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures

    def blocked(self, username: str, address: str) -> bool:
        with self._lock:
            return len(self._recent((username.lower(), address))) >= self.attempts

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._recent((username.lower(), address)).append(time.monotonic())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
