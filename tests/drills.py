"""Helpers of the fault and backup drills: `manage.py` run as a separate process against a
database of one's choosing (a restored copy, a private server), as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def url_of(database: str | None = None, *, host: str | None = None, port=None) -> str:
    """A postgres:// URL for the test database's server (or another), naming `database`."""
    db = settings.DATABASES["default"]
    user, password = db["USER"], db.get("PASSWORD") or ""
    host = host or db["HOST"]
    name = database or db["NAME"]
    if host.startswith("/"):  # a socket folder (the embedded server): django-environ's form
        return f"postgres://{user}@/{host}/{name}"
    return f"postgres://{user}:{password}@{host}:{port or db['PORT'] or 5432}/{name}"


def manage(*args: str, url: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`manage.py ARGS` with the test settings on the database of `url`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings.test",
        "DATABASE_URL": url,
        "REGISTRY_EXPORT_PSEUDONYM_KEY": settings.EXPORT_PSEUDONYM_KEY,
        "REGISTRY_AUDIT_SEAL_KEY": settings.AUDIT_SEAL_KEY,
    }
    env.pop("REGISTRY_DB_USER", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
