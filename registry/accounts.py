"""Account services: the reviewed path to a role, and password resets by link only.

A role is a membership. In the admin, a registry administrator *asks* for one
(`membership_request`); it takes effect only when a *second* registry administrator
approves it (`membership_approve`): nobody grants themselves access — identity access
above all (an investigator membership opens the centre's identities). Changing an approved
membership's role or centre asks for approval again. Every step is audited (Membership is
tracked; the context says who and why). No administrator sets another user's password:
they send a reset link (`password_reset_send`) to the user's own e-mail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import roles
from registry.audit import Source, audit_context
from registry.models import Membership, User


def _must_manage(actor: Any) -> None:
    if not roles.manages_accounts(actor):
        raise PermissionDenied(_("Only a registry administrator manages accounts."))


@transaction.atomic
def membership_request(*, actor: Any, membership: Membership, reason: str = "") -> Membership:
    """Ask for a new membership (or a changed one): pending until someone else approves."""
    _must_manage(actor)
    membership.requested_by = actor
    membership.approved_by = None
    membership.approved_at = None
    with audit_context(source=Source.ADMIN, user=actor, reason=reason or "membership requested"):
        membership.full_clean()
        membership.save()
    roles.forget(membership.user)
    return membership


@transaction.atomic
def membership_approve(*, actor: Any, membership: Membership, reason: str = "") -> Membership:
    """Approve a pending membership: by a registry administrator who neither asked for it
    nor receives it."""
    if not roles.has_role(actor, "registry_admin"):
        raise PermissionDenied(_("Only a registry administrator approves a membership."))
    if actor.pk in (membership.user_id, membership.requested_by_id):
        raise PermissionDenied(
            _(
                "A membership is approved by another registry administrator than the one who "
                "asked for it or receives it."
            )
        )
    membership.approved_by = actor
    membership.approved_at = timezone.now()
    with audit_context(source=Source.ADMIN, user=actor, reason=reason or "membership approved"):
        membership.save(update_fields=["approved_by", "approved_at"])
    roles.forget(membership.user)
    return membership


def password_reset_send(*, actor: Any, user: User, request: HttpRequest) -> bool:
    """Send the user a link to choose a new password (never set by an administrator)."""
    _must_manage(actor)
    if not user.email:
        return False
    form = PasswordResetForm({"email": user.email})
    if form.is_valid():
        with audit_context(source=Source.ADMIN, user=actor, reason=f"reset link to {user.pk}"):
            form.save(request=request, use_https=request.is_secure())
    return True


@transaction.atomic
def second_factor_reset(*, actor: Any, user: User, reason: str = "") -> int:
    """Remove a user's authenticator (a lost phone): they set up a new one at next sign-in."""
    _must_manage(actor)
    from registry.models import SecondFactor

    with audit_context(source=Source.ADMIN, user=actor, reason=reason or "second factor reset"):
        removed, _by_model = SecondFactor.objects.filter(user=user).delete()
    return removed
