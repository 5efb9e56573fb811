"""Response hygiene for patient data."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

SEEN = "registry_seen"  # the session key: when the user was last seen (epoch seconds)
REFRESH = 60  # refresh it at most once a minute: one session write a minute, not a request


class NoStoreMiddleware:
    """Whatever a signed-in user is shown (a case, its identity, an export) is kept in no
    browser or proxy cache: `Cache-Control: no-store, private`. Static files are served
    before this runs (whitenoise) and keep their long caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class IdleTimeoutMiddleware:
    """Sign a user out after `REGISTRY_SESSION_IDLE_SECONDS` without a request: a workstation
    left open on a ward shows no patient for long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(SEEN, now)
            if now - seen > settings.REGISTRY_SESSION_IDLE_SECONDS:
                logout(request)  # the request goes on anonymous: pages ask to sign in again
            elif now - seen > REFRESH or SEEN not in request.session:
                request.session[SEEN] = now
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="registry_seen_at_login")
def _seen_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = int(time.time())
