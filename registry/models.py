"""Centres, accounts and role memberships.

A user's roles are memberships: `investigator` belongs to exactly one centre; the other
roles are network-wide and carry no centre. What a role may see is decided in
`crf.access`, nowhere else (registry knows nothing of the CRF).
"""

from datetime import timedelta
from typing import Any

import pghistory
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.audit import trackers


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", "Centre investigator"
    COORDINATOR = "coordinator", "Coordinator"
    CENTRAL_REVIEWER = "central_reviewer", "Central reviewer (pathologist)"
    STATISTICIAN = "statistician", "Statistician"
    REGISTRY_ADMIN = "registry_admin", "Registry administrator"


CENTRE_ROLES = frozenset({Role.INVESTIGATOR})
NETWORK_ROLES = frozenset(set(Role) - CENTRE_ROLES)


@pghistory.track(*trackers())
class Centre(models.Model):
    code = models.SlugField(
        max_length=20, unique=True, help_text="Short stable code, e.g. 'PAR-SA'."
    )
    name = models.CharField(max_length=200, unique=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="FR", help_text="ISO 3166-1 alpha-2.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


@pghistory.track(*trackers(), exclude=["password", "last_login"])
class User(AbstractUser):
    """A person with an account. Roles come from memberships, not from Django groups."""

    # Blank: follow the browser's language; set when the user picks one (any page).
    language = models.CharField(
        max_length=8, blank=True, choices=[("en", "English"), ("fr", "Français")]
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class AuditSeal(models.Model):
    """A seal of one event table (registry.integrity): its last event id then, and an HMAC of
    every event hash up to it, keyed outside the database. Append-only."""

    table = models.CharField(max_length=100)
    last_event_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["table", "-last_event_id"]
        indexes = [models.Index(fields=["table", "-last_event_id"], name="audit_seal_latest")]

    def __str__(self) -> str:
        return f"{self.table} sealed up to {self.last_event_id}"


@pghistory.track(*trackers())
class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The reviewed path (registry.accounts): a membership asked for in the admin takes
    # effect once another registry administrator approves it. One created by an operator
    # (shell, seeds: audited as such) is approved at once.
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # Investigators belong to a centre; network roles to none.
            models.CheckConstraint(
                name="membership_centre_matches_role",
                condition=(Q(role=Role.INVESTIGATOR) & Q(centre__isnull=False))
                | (~Q(role=Role.INVESTIGATOR) & Q(centre__isnull=True)),
                violation_error_message="An investigator needs a centre; network roles have none.",
            ),
            # An investigator works for one centre only.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role=Role.INVESTIGATOR),
                name="membership_one_centre_per_investigator",
                violation_error_message="This user is already an investigator of a centre.",
            ),
            models.UniqueConstraint(fields=["user", "role"], name="membership_unique_role"),
            # Nobody approves their own access (four eyes).
            models.CheckConstraint(
                name="membership_not_self_approved",
                condition=~Q(approved_by=models.F("user"))
                & ~Q(approved_by=models.F("requested_by")),
                violation_error_message="A membership is approved by someone else.",
            ),
        ]

    def __str__(self) -> str:
        where = f" @ {self.centre.code}" if self.centre_id else ""
        return f"{self.user} – {self.get_role_display()}{where}"


# A second factor's life is audited (set up, confirmed, reset by an administrator); its
# secret key and each use's counters are not (`fields`).
@pghistory.track(*trackers(), fields=["user", "name", "confirmed"], model_name="SecondFactorEvent")
class SecondFactor(TOTPDevice):
    """A user's authenticator app (django-otp's TOTP device), as the registry audits it."""

    class Meta:
        proxy = True
        verbose_name = "second factor"


# ---- API tokens (registry.tokens): per user, named, scoped, expiring, stored hashed ----


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is kept: the token is shown once, at creation.
    It acts with its owner's roles (crf.access), narrowed to its scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices)
    # The first characters of the token, to recognise it in lists (not enough to use it).
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="apitoken_unique_name"),
            models.CheckConstraint(
                name="apitoken_at_most_90_days",
                condition=Q(expires_at__lte=models.F("created_at") + timedelta(days=90)),
                violation_error_message=_("A token expires within 90 days."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class TokenUse(models.Model):
    """One request made with a token, whatever its answer (refused ones included)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["token", "-at"], name="tokenuse_token_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
