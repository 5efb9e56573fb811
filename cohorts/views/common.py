"""What the cohorts pages share: the actor, running a service and reporting its refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from crf import access
from crf.access import Actor
from crf.services import EditConflict


def actor_of(request: HttpRequest) -> Actor:
    return access.actor_for(request.user)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def refusal_text(error: ValidationError | EditConflict) -> str:
    if isinstance(error, EditConflict):
        return str(error.args[0])
    if hasattr(error, "error_dict"):
        return " ".join(f"{m}" for messages_ in error.message_dict.values() for m in messages_)
    return " ".join(error.messages)


def run(request: HttpRequest, service: Callable[[], Any], done: str) -> bool:
    """Run a service; report success or its refusal as a message. True when it succeeded."""
    try:
        service()
    except (ValidationError, EditConflict) as error:
        messages.error(request, refusal_text(error))
        return False
    messages.success(request, done)
    return True


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
