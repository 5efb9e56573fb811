"""What the coordinators' work stores: the assessment of each case (eligibility verdict and
data-quality discrepancies, recomputed on every change), queries and their threads,
adjudications, control selections and data freezes.

Everything a person decides (queries, messages, adjudications, confirmations, selections,
freezes) is audited by the same pghistory triggers as the CRF (`registry.audit.trackers`);
the assessment is derived bookkeeping, recomputed from the CRF, and is not.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cohorts.eligibility import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED
from crf.models import Case
from registry.audit import trackers

VERDICT_CHOICES = [
    (ELIGIBLE, _("Eligible")),
    (NOT_ELIGIBLE, _("Not eligible")),
    (UNDETERMINED, _("Undetermined")),
]


class CaseAssessment(models.Model):
    """The case's eligibility verdict and discrepancies as of its last change, each stamped
    with the version of the rules that produced it (cohorts.assessment keeps it current)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="assessment")
    eligibility = models.CharField(_("eligibility"), max_length=12, choices=VERDICT_CHOICES)
    eligibility_version = models.CharField(max_length=200)
    verdict = models.JSONField()  # cohorts.eligibility.Verdict.to_dict()
    discrepancies = models.JSONField(default=list)  # [Discrepancy.to_dict()], unconfirmed first
    quality_version = models.CharField(max_length=200)
    open_discrepancies = models.PositiveSmallIntegerField(default=0)  # not confirmed
    # The missing-data report: "model.field" of each required answer not given (a whole
    # section: "model."), and of each required answer given as "unknown".
    missing_fields = models.JSONField(default=list)
    unknown_fields = models.JSONField(default=list)
    evaluated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["eligibility"], name="assessment_eligibility")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.eligibility}"


@pghistory.track(*trackers())
class ConfirmedDiscrepancy(models.Model):
    """A discrepancy the coordinator checked and confirmed as true (kept by its stable key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="confirmed_discrepancies")
    key = models.CharField(max_length=300)
    comment = models.CharField(_("comment"), max_length=500)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="confirmed_discrepancy_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} on case {self.case_id}"


class QueryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_QUERY_STATUSES = (QueryStatus.OPEN, QueryStatus.ANSWERED)  # not closed: blocks verifying


@pghistory.track(*trackers())
class Query(models.Model):
    """A data clarification on a case, one section (model) or one field of one row."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="queries")
    model = models.CharField(max_length=60, blank=True)  # model name ("demographics") or ""
    row_id = models.BigIntegerField(null=True, blank=True)
    field = models.CharField(max_length=60, blank=True)
    value = models.CharField(_("value when raised"), max_length=500, blank=True)
    rule = models.CharField(max_length=100, blank=True)  # a discrepancy's rule, if from one
    discrepancy_key = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name_plural = _("queries")
        indexes = [models.Index(fields=["case", "status"], name="query_case_status")]
        constraints = [
            models.CheckConstraint(
                name="query_field_needs_section",
                condition=Q(field="") | ~Q(model=""),
                violation_error_message=_("A query on a field names its section."),
            )
        ]

    def __str__(self) -> str:
        return f"Query {self.pk} on case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_QUERY_STATUSES


class MessageKind(models.TextChoices):
    RAISE = "raise", _("Raised")
    ANSWER = "answer", _("Answered")
    CLOSE = "close", _("Closed")
    REOPEN = "reopen", _("Re-opened")


@pghistory.track(*trackers())
class QueryMessage(models.Model):
    query = models.ForeignKey(Query, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    text = models.TextField(_("message"), max_length=2000)
    # When an answer corrected the value: what it was and what it became (as shown).
    value_before = models.CharField(max_length=500, blank=True)
    value_after = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on query {self.query_id}"


class Decision(models.TextChoices):
    INCLUDE = "include", _("Include")
    EXCLUDE = "exclude", _("Exclude")


@pghistory.track(*trackers())
class Adjudication(models.Model):
    """The coordinator's decision on a case, beside the computed verdict it was taken on.
    One current decision per case; earlier ones stay in the audit trail."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="adjudication")
    decision = models.CharField(_("decision"), max_length=7, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=1000)
    justification = models.TextField(_("justification for overruling"), blank=True)
    computed = models.CharField(max_length=12, choices=VERDICT_CHOICES)  # verdict at decision
    computed_version = models.CharField(max_length=200)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="adjudication_overrule_justified",
                condition=~(
                    (Q(decision="include") & ~Q(computed=ELIGIBLE))
                    | (Q(decision="exclude") & Q(computed=ELIGIBLE))
                )
                | ~Q(justification=""),
                violation_error_message=_(
                    "Overruling the computed eligibility needs a justification."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} case {self.case_id}"

    @property
    def overrules(self) -> bool:
        return overrules(self.decision, self.computed)


def overrules(decision: str, computed: str) -> bool:
    """Does this decision go against the computed verdict (undetermined included for an
    inclusion: including a case the rules cannot confirm is an overrule)?"""
    if decision == Decision.INCLUDE:
        return computed != ELIGIBLE
    return computed == ELIGIBLE


@pghistory.track(*trackers())
class ControlSelection(models.Model):
    """A random draw of controls for the case cohort, reproducible from its stored seed."""

    name = models.CharField(_("name"), max_length=200)
    ratio = models.PositiveSmallIntegerField(_("controls per case"))
    match_on = models.JSONField(_("matched on"), default=list)  # names of cohorts.selection
    seed = models.BigIntegerField()
    # The draw's whole input, so it can be re-run: [[case id, matching key], ...] of the
    # case cohort and of the control pool, as they were when drawn.
    cases = models.JSONField(default=list)
    pool = models.JSONField(default=list)
    control_ids = models.JSONField(default=list)  # in draw order
    pairs = models.JSONField(default=list)  # [[case id, control id], ...]
    shortfall = models.PositiveIntegerField(default=0)  # controls the pool could not give
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*trackers())
class Freeze(models.Model):
    """The members of an analysis and the exact data version it used: the last audit event
    of every CRF table at the moment of the freeze (`position`), so that the rows can be
    rebuilt as they were (cohorts.freezes.freeze_rows), whatever was edited since."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    note = models.TextField(_("note"), blank=True)
    selection = models.ForeignKey(
        ControlSelection, on_delete=models.PROTECT, null=True, blank=True, related_name="freezes"
    )
    case_ids = models.JSONField(default=list)
    control_ids = models.JSONField(default=list)
    position = models.JSONField(default=dict)  # {event table: last pgh_id}
    taken_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def member_ids(self) -> list[int]:
        return [*self.case_ids, *self.control_ids]
