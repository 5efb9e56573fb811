"""Personal API tokens: issued to a user, named, scoped `read` or `read_write`, expiring
within 90 days, stored as their SHA-256 only (shown once), revocable, every use logged.

- `issue(user, name, scope, days)` creates a token and returns it with its secret, once;
- `TokenAuthentication` (DRF) reads `Authorization: Bearer <token>`: an unknown, expired or
  revoked token answers 401; the token (`request.auth`) tells `crf.access` its scope;
- `TokenUseMiddleware` logs every request made with a token (refused ones too), after the
  view's transaction: a refused request rolls its own writes back, never its log line.

A token is a long random secret (256 bits): a plain SHA-256 is enough to store it (no slow
password hash needed, and lookups stay one indexed query).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from registry.models import ApiToken, TokenScope, TokenUse

MAX_DAYS = 90
PREFIX = "rgt_"  # recognisable in logs and by secret scanners
KEYWORDS = ("Bearer", "Token")
# A token's "last used" moves once a minute at most: one UPDATE less per API request; the
# exact time of every request is its TokenUse row.
LAST_USED_GRAIN = timedelta(minutes=1)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(user: Any, *, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret (never stored: show it once)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(_("A token lasts 1 to {days} days.").format(days=MAX_DAYS))
    scope = TokenScope(scope)
    secret = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user,
                name=name.strip(),
                scope=scope,
                prefix=secret[: len(PREFIX) + 6],
                digest=digest_of(secret),
                expires_at=now + timedelta(days=days),
            )
    except IntegrityError as exc:
        raise ValueError(
            _("You already have a token named '{name}': choose another name.").format(name=name)
        ) from exc
    return token, secret


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def tokens_of(user: Any):
    return ApiToken.objects.filter(user=user)


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` (or `Token <token>`)."""

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Give the token after the word Bearer, with no space in it.")
            )
        secret = header[1].decode(errors="replace")
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Unknown token."))
        request._request.api_token = token  # logged by TokenUseMiddleware, whatever happens
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token was revoked: create a new one."))
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("This token has expired: create a new one."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is inactive."))
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'  # makes DRF answer 401 (not 403) without credentials


def client_address(request: HttpRequest) -> str | None:
    """The client's address, behind as many trusted proxies as the log-in lockout trusts."""
    hops = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [a.strip() for a in forwarded.split(",") if a.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR") or None


class TokenUseMiddleware:
    """Write one `TokenUse` per request authenticated (or refused) with a token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "api_token", None)
        if token is not None:
            now = timezone.now()
            TokenUse.objects.create(
                token=token,
                user_id=token.user_id,
                method=request.method or "",
                path=request.path.replace("\x00", "\\x00")[:500],  # PostgreSQL refuses NUL
                status=response.status_code,
                at=now,
                client_address=client_address(request),
            )
            last = token.last_used_at
            if last is None or now - last >= LAST_USED_GRAIN:  # each use is in TokenUse
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return response
