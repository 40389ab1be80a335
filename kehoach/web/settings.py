"""What the portal serves and how it protects itself: its folders, limits and secret."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict

#: The secret that signs session cookies and CSRF tokens, if given by the environment.
SECRET_ENV = "KEHOACH_PORTAL_SECRET"


class PortalConfig(BaseModel):
    """The portal's settings (``kehoach web`` / ``kehoach server`` options).

    ``plan`` and ``hierarchy`` are the plan whose reports the intake, roll-up, reminder and
    report pages are about (the same as the served deployments'); ``out`` holds the cascades.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    out: Path = Path("out")
    data: Path = Path("data")
    plan: Path = Path("examples/ha-noi-145-kh-ubnd.yaml")
    hierarchy: str = "hanoi-2024"
    database_url: str | None = None
    period: str = "2024-Q1"
    max_upload_bytes: int = 20 * 1024 * 1024
    session_seconds: int = 8 * 3600
    login_attempts: int = 5  # failures per user and address before a pause
    login_window_seconds: int = 15 * 60
    secure_cookies: bool = False  # True behind HTTPS
    prefect_ui_url: str | None = None
    secret: str | None = None  # None: KEHOACH_PORTAL_SECRET, else data/portal-secret

    @property
    def uploads(self) -> Path:
        """Where uploads are kept, under names the server chooses."""
        return self.data / "portal" / "uploads"

    def signing_secret(self) -> str:
        """The secret that signs cookies: given, from the environment, or from a file made
        0600 on first run under --data (never in the repository)."""
        if self.secret:
            return self.secret
        if os.environ.get(SECRET_ENV):
            return os.environ[SECRET_ENV]
        path = self.data / "portal-secret"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
        return path.read_text(encoding="ascii").strip()
