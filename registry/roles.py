"""What a user holds: roles and the investigator's centre, read from active memberships.

Facts only; what a role may see or change is decided in `crf.access`, the one access
module (registry knows nothing of the CRF). Memberships are read once per user object.
"""

from __future__ import annotations

from typing import Any

from registry.models import Membership, Role


def _held(user: Any) -> list[tuple[str, int | None, str | None, str | None]]:
    """(role, centre id, centre code, centre name) of the user's active memberships, read
    once per user object: the page header names the centre, so it comes in the same query."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_registry_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True, approved_at__isnull=False)
            # A deactivated centre's investigators lose access; its cases stay network-visible.
            .exclude(role=Role.INVESTIGATOR, centre__is_active=False)
            .values_list("role", "centre_id", "centre__code", "centre__name")
        )
        user._registry_memberships = cached
    return cached


def memberships(user: Any) -> list[tuple[str, int | None]]:
    """(role, centre_id) pairs of the user's active memberships."""
    return [(role, centre) for role, centre, _code, _name in _held(user)]


def roles_of(user: Any) -> frozenset[str]:
    return frozenset(role for role, _ in memberships(user))


def has_role(user: Any, *roles: str) -> bool:
    return not roles_of(user).isdisjoint(roles)


def investigator_centre_ids(user: Any) -> frozenset[int]:
    return frozenset(c for role, c in memberships(user) if role == Role.INVESTIGATOR and c)


def investigator_centres(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the investigator's centres, by code."""
    return sorted(
        (code, name)
        for role, _id, code, name in _held(user)
        if role == Role.INVESTIGATOR and code is not None and name is not None
    )


def manages_accounts(user: Any) -> bool:
    """Centres, accounts and memberships are managed by registry administrators (and by
    superusers, to bootstrap the first one): registry's own rule, asked by `crf.access`."""
    return has_role(user, Role.REGISTRY_ADMIN) or bool(getattr(user, "is_superuser", False))


def reads_audit_log(user: Any) -> bool:
    """The network-wide audit log (pghistory's events admin) is for registry administrators,
    by role: a superuser flag alone does not open it."""
    return has_role(user, Role.REGISTRY_ADMIN)


def forget(user: Any) -> None:
    """Drop the cached memberships (after a membership changes in the same request)."""
    user.__dict__.pop("_registry_memberships", None)
