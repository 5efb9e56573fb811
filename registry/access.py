"""Who may see and change what: the only place that decides it.

Every page, API view, admin, export and autocomplete asks these selectors. A record the
user may not see is answered exactly like a missing one (404), never 403, so nobody can
learn that another centre's patient exists.

Roles (registry.models.Role):
- investigator: the cases of their one centre, with identity; edits them until locked.
- coordinator, registry_admin: every case, pseudonymous (never identity).
- central_reviewer: cases with at least one skin biopsy, pseudonymous; writes central
  review only.
- statistician: no record-level pages; de-identified exports only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from registry.models import Membership, Role

if TYPE_CHECKING:  # crf imports registry at load time; the reverse only lazily
    from crf.models import Case

NETWORK_READERS = frozenset({Role.COORDINATOR, Role.REGISTRY_ADMIN})


def _memberships(user) -> list[tuple[str, int | None]]:
    """(role, centre_id) pairs of the user's active memberships, cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_registry_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True)
            # A deactivated centre's investigators lose access; its cases stay network-visible.
            .exclude(role=Role.INVESTIGATOR, centre__is_active=False)
            .values_list("role", "centre_id")
        )
        user._registry_memberships = cached
    return cached


def roles_of(user) -> frozenset[str]:
    return frozenset(role for role, _ in _memberships(user))


def has_role(user, *roles: str) -> bool:
    return not roles_of(user).isdisjoint(roles)


def investigator_centre_ids(user) -> frozenset[int]:
    return frozenset(c for role, c in _memberships(user) if role == Role.INVESTIGATOR and c)


def cases_visible_to(user) -> QuerySet:
    """The cases this user may open, by role (see module docstring)."""
    from crf.models import Case, SkinBiopsy

    roles = roles_of(user)
    if roles & NETWORK_READERS:
        return Case.objects.all()
    visible = Case.objects.none()
    centres = investigator_centre_ids(user)
    if centres:
        visible = visible | Case.objects.filter(centre_id__in=centres)
    if Role.CENTRAL_REVIEWER in roles:
        has_biopsy = Exists(SkinBiopsy.objects.filter(case=OuterRef("pk")))
        visible = visible | Case.objects.filter(has_biopsy)
    return visible


def case_for_user(user, case_id, *, lookup: str = "pk") -> Case:
    """The case, or Http404 when it does not exist or the user may not see it."""
    visible = cases_visible_to(user)
    if isinstance(case_id, str) and "\x00" in case_id:
        # PostgreSQL rejects NUL in text (DataError, a 500 that also aborts the transaction).
        raise Http404("No such case.")
    try:
        return visible.get(**{lookup: case_id})
    except (visible.model.DoesNotExist, ValueError, TypeError) as exc:
        # A malformed id answers like a missing one.
        raise Http404("No such case.") from exc


def identities_visible_to(user) -> QuerySet:
    """Identity rows: only the owning centre's investigators, whatever other role they hold."""
    from crf.models import Identity

    return Identity.objects.filter(case__centre_id__in=investigator_centre_ids(user))


def can_edit_case(user, case) -> bool:
    """Clinical data is entered by the owning centre's investigators, until the case is locked."""
    from crf.models.case import READ_ONLY_STATUSES

    return case.centre_id in investigator_centre_ids(user) and case.status not in READ_ONLY_STATUSES


def can_review_pathology(user) -> bool:
    return has_role(user, Role.CENTRAL_REVIEWER)


def can_manage_accounts(user) -> bool:
    return has_role(user, Role.REGISTRY_ADMIN)
