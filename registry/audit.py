"""Audit context: who, from where, and why, attached to every trigger-captured change.

django-pghistory's triggers record what changed and when, for every write, bulk or raw.
This module adds the rest to the event's context row: the user, the user's centre, the
source (web, api, import, admin, shell, task, system) and the reason for change.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pghistory
from django.db import models
from pghistory.middleware import HistoryMiddleware


class Source(models.TextChoices):
    WEB = "web", "Web page"
    API = "api", "REST API"
    IMPORT = "import", "Spreadsheet import"
    ADMIN = "admin", "Django admin"
    SHELL = "shell", "Shell or management command"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


def _user_metadata(user) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    from registry.access import investigator_centre_ids

    centres = sorted(investigator_centre_ids(user))
    return {"user": user.pk, "username": user.get_username(), "centre": centres[0] if centres else None}


@contextmanager
def audit_context(*, source: str, user=None, reason: str = "", **extra) -> Iterator[None]:
    """Group the writes inside under one audit context.

    Nested calls add to (and may refine) the outer context: a service can add its reason
    to the request-wide context opened by the middleware.
    """
    assert source in Source.values, source
    metadata = {"source": source, **_user_metadata(user), **extra}
    if reason:
        metadata["reason"] = reason
    with pghistory.context(**metadata):
        yield


def source_of(path: str) -> str:
    if path.startswith("/api/"):
        return Source.API
    if path.startswith("/admin/"):
        return Source.ADMIN
    return Source.WEB


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's middleware, plus the source and the acting user's centre."""

    def get_context(self, request) -> dict:
        user = getattr(request, "user", None)
        return {
            "url": request.path,
            "source": source_of(request.path),
            **_user_metadata(user),
        }
