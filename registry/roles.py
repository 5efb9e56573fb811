"""What a user holds: roles and the investigator's centre, read from active memberships.

Facts only; what a role may see or change is decided in `crf.access`, the one access
module (registry knows nothing of the CRF). Memberships are read once per user object.
"""

from __future__ import annotations

from typing import Any

from registry.models import Centre, Membership, Role


def memberships(user: Any) -> list[tuple[str, int | None]]:
    """(role, centre_id) pairs of the user's active memberships, cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_registry_memberships", None)
    if cached is None:
        held = list(
            Membership.objects.filter(user=user, is_active=True, approved_at__isnull=False)
            # A deactivated centre's investigators lose access; its cases stay network-visible.
            .exclude(role=Role.INVESTIGATOR, centre__is_active=False)
            .values_list("role", "centre_id", "centre__code", "centre__name")
        )
        cached = [(role, centre) for role, centre, _code, _name in held]
        user._registry_memberships = cached
        # The page header names them: read here, it costs every page no query of its own.
        user._registry_centre_names = {c: (code, name) for _r, c, code, name in held if c}
    return cached


def roles_of(user: Any) -> frozenset[str]:
    return frozenset(role for role, _ in memberships(user))


def has_role(user: Any, *roles: str) -> bool:
    return not roles_of(user).isdisjoint(roles)


def investigator_centre_ids(user: Any) -> frozenset[int]:
    return frozenset(c for role, c in memberships(user) if role == Role.INVESTIGATOR and c)


def investigator_centres(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the investigator's centres, by code."""
    ids = investigator_centre_ids(user)
    names = getattr(user, "_registry_centre_names", None) or {}
    if not ids <= names.keys():  # memberships given some other way (a test's user)
        found = Centre.objects.filter(pk__in=ids).values_list("pk", "code", "name")
        names = {pk: (code, name) for pk, code, name in found}
    return sorted(names[c] for c in ids)


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
    user.__dict__.pop("_registry_centre_names", None)
