"""Section 0: the case, its lifecycle, and the identity kept apart from it."""

import secrets
from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crf.codes import Group, Status
from registry.bulk import AnyOf

from .fields import (
    ALL_GROUPS,
    DIRECT_IDENTIFIER,
    QUASI_IDENTIFIER,
    Required,
    answer,
    choices_of,
    classify,
    crf_model,
    date_field,
)

# No 0/O, 1/I/L: the code is read aloud and copied by hand.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_case_code() -> str:
    """A pseudonymous code, random and never derived from identity (HIPAA §164.514(c))."""
    return "LE-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(7))


def give_free_codes(cases: "Sequence[Case]") -> None:
    """Draw again the code of any new case whose code another case already has.

    31^7 codes are few enough to meet by chance at network scale (about one chance in six
    over 100,000 cases), so a write checks before inserting: one query per round.
    """
    settled: set[str] = set()
    pending = list(cases)
    while pending:
        taken = set(
            Case._base_manager.filter(AnyOf(F("code"), [c.code for c in pending])).values_list(
                "code", flat=True
            )
        )
        clashing = []
        for case in pending:
            if case.code in taken or case.code in settled:
                clashing.append(case)
            else:
                settled.add(case.code)
        for case in clashing:
            case.code = new_case_code()
        pending = clashing


# Edits from `submitted` on must give a reason for change (in review, queried, answered and
# verified included); locked and withdrawn cases are read-only to everyone.
STATUSES_NEEDING_REASON = frozenset(set(Status) - {Status.DRAFT})
READ_ONLY_STATUSES = frozenset({Status.LOCKED, Status.WITHDRAWN})


@crf_model(section=_("0. Case"))
class Case(models.Model):
    # Bookkeeping the registry recomputes: no audit event of its own.
    audit_exclude = ("version", "updated_at", "completeness", "open_warnings")
    required = Required(fields=("consent",))

    centre = classify(
        models.ForeignKey("registry.Centre", on_delete=models.PROTECT, related_name="cases"),
        QUASI_IDENTIFIER,
    )
    group = models.CharField(max_length=7, choices=choices_of(Group, missing=False))
    # A §164.514(c) re-identification code (random), but centres map it back to Identity:
    # exports key on it only under the de-identification rules.
    code = classify(
        models.CharField(
            _("case code"), max_length=12, unique=True, default=new_case_code, editable=False
        ),
        QUASI_IDENTIFIER,
    )
    status = models.CharField(
        max_length=10, choices=choices_of(Status, missing=False), default=Status.DRAFT.value
    )
    withdrawn_reason = models.CharField(max_length=500, blank=True)
    consent = answer(_("Non-opposition / consent recorded"))
    consent_date = date_field(_("Date of non-opposition / consent"), partial=False)
    # Optimistic concurrency: a save names the version it edited (conflict-safe saves).
    version = models.PositiveIntegerField(default=1, editable=False)
    # Derived on every change (crf.completeness): the list sorts and filters on them.
    completeness = models.PositiveSmallIntegerField(
        _("completeness (%)"), default=0, editable=False
    )
    open_warnings = models.PositiveSmallIntegerField(
        _("outstanding warnings"), default=0, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Names a staff member, who also locates the centre.
    created_by = classify(
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="+",
        ),
        DIRECT_IDENTIFIER,
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["centre", "status"], name="case_centre_status"),
            # The case list's default order (crf.case_list): a page is read in index order,
            # 25 rows, not sorted out of a centre's (or the network's) every case.
            models.Index(fields=["centre", "-updated_at", "code"], name="case_centre_updated"),
            models.Index(fields=["-updated_at", "code"], name="case_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_withdrawn_needs_reason",
                condition=~Q(status=Status.WITHDRAWN.value) | ~Q(withdrawn_reason=""),
                violation_error_message=_("A withdrawn case needs a reason."),
            ),
            models.CheckConstraint(
                name="case_code_format", condition=Q(code__regex=r"^LE-[2-9A-HJKMNP-Z]{7}$")
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_case(self) -> bool:
        return self.group == Group.CASE


@crf_model(section=_("0. Identity"))
class Identity(models.Model):
    """Who the patient is. Visible to the owning centre only; never exported."""

    required = Required(
        fields=("local_identifier", "initials", "date_of_birth"),
        groups=ALL_GROUPS,
    )

    case_link = "case"
    case = classify(
        models.OneToOneField(Case, on_delete=models.CASCADE, related_name="identity"),
        QUASI_IDENTIFIER,
    )
    local_identifier = classify(
        models.CharField(_("local hospital identifier"), max_length=50), DIRECT_IDENTIFIER
    )
    initials = classify(
        models.CharField(max_length=4, help_text=_("Up to 4 letters, e.g. 'JD'.")),
        DIRECT_IDENTIFIER,
    )
    date_of_birth = classify(models.DateField(_("date of birth")), DIRECT_IDENTIFIER)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.CheckConstraint(
                name="identity_initials_letters",
                condition=Q(initials__regex=r"^[A-Z]{1,4}$"),
                violation_error_message=_("Initials are 1 to 4 capital letters."),
            ),
        ]

    def __str__(self) -> str:
        return f"Identity of {self.case.code}"
