"""Export profiles, export jobs, their files and the log of downloads.

A profile is the de-identification policy a registry administrator edits (admin); a job is
one run of the pipeline (`exports.pipeline`) for a profile and a source (the current data or
a freeze), started from a page, the API, the schedule or the shell; its files live in the
"exports" storage (`django.core.files.storage.storages["exports"]`), never in the database.
Every download of a file is a row of `ExportDownload` (and an audit event).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from exports import deid
from exports.formats import FORMATS
from registry.audit import trackers

DATE_MODE_CHOICES = [
    (deid.DATE_INTERVAL, _("days from the index date")),
    (deid.DATE_YEAR, _("year only")),
]
AGE_MODE_CHOICES = [
    (deid.AGE_YEARS, _("years (90 and over as 90+)")),
    (deid.AGE_DECADE, _("10-year bands")),
]
FORMAT_CHOICES = [
    ("csv", "CSV"),
    ("xlsx", "Excel (XLSX)"),
    ("dta", "Stata (.dta)"),
    ("sav", "SPSS (.sav)"),
    ("parquet", "Parquet"),
]
assert tuple(code for code, _label in FORMAT_CHOICES) == FORMATS


@pghistory.track(*trackers())
class ExportProfile(models.Model):
    """A named de-identification policy (the name also keys the pseudonyms)."""

    name = models.CharField(
        _("name"),
        max_length=63,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9_-]{0,62}$",
                _("Use lower-case letters, digits, '-' or '_', starting with a letter or digit."),
            )
        ],
        help_text=_("Changing it changes every pseudonym of the exports made with it."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    date_mode = models.CharField(
        _("dates"), max_length=10, choices=DATE_MODE_CHOICES, default=deid.DATE_INTERVAL
    )
    age_mode = models.CharField(
        _("ages"), max_length=10, choices=AGE_MODE_CHOICES, default=deid.AGE_YEARS
    )
    keep_centre = models.BooleanField(_("export the centre"), default=True)
    allowed_free_text = models.JSONField(
        _("free-text fields allowed"),
        default=list,
        blank=True,
        help_text=_(
            "Data-dictionary codes (table.field) of free-text fields a registry administrator "
            "has checked carry no identifier; every other free text is left out."
        ),
    )
    k_threshold = models.PositiveSmallIntegerField(
        _("k threshold"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_(
            "Groups of patients sharing sex, age decade and centre smaller than this are "
            "reported before a download."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("export profile")
        verbose_name_plural = _("export profiles")

    def __str__(self) -> str:
        return self.name

    def policy(self) -> deid.Profile:
        """The de-identification policy (`exports.deid.Profile`) this profile stands for."""
        return deid.Profile(
            name=self.name,
            date_mode=self.date_mode,
            age_mode=self.age_mode,
            allowed_free_text=frozenset(self.allowed_free_text or ()),
            keep_centre=self.keep_centre,
        )

    def clean(self) -> None:
        if not isinstance(self.allowed_free_text, list) or not all(
            isinstance(code, str) for code in self.allowed_free_text
        ):
            raise ValidationError(
                {
                    "allowed_free_text": _(
                        "Give a list of table.field codes, e.g. "
                        '["demographics.death_cause_detail"].'
                    )
                }
            )
        try:
            deid.wide_plan(self.policy())
        except ValueError as error:
            raise ValidationError({"allowed_free_text": str(error)}) from None


# Audited: who asked for what, status changes, the report's acceptance; not the progress ticks.
@pghistory.track(*trackers(), exclude=["rows_done", "rows_total", "heartbeat_at"])
class ExportJob(models.Model):
    """One export: who asked, when, what, how far it got, and what it produced."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        PAGE = "page", _("Page")
        API = "api", _("API")
        SCHEDULE = "schedule", _("Schedule")
        SHELL = "shell", _("Shell")

    profile = models.ForeignKey(ExportProfile, on_delete=models.PROTECT, related_name="jobs")
    # The policy as it was when the job was made: a later edit of the profile changes nothing.
    policy = models.JSONField(default=dict)
    k_threshold = models.PositiveSmallIntegerField(default=5)
    formats = models.JSONField(default=list)
    freeze = models.CharField(
        _("freeze"), max_length=64, blank=True, help_text=_("Blank: the current data.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.PAGE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    k_report = models.JSONField(default=dict, blank=True)
    # When k is under the threshold, someone read the report and accepted it before any
    # download (who and when).
    report_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    report_accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_done__lte=models.F("rows_total")) | models.Q(rows_total=0),
                name="exportjob_progress_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.profile_id})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def report_passes(self) -> bool:
        return bool(self.k_report.get("passes"))

    @property
    def downloadable(self) -> bool:
        """Done, and its re-identification report passes or was accepted."""
        return self.status == self.Status.DONE and (
            self.report_passes or self.report_accepted_at is not None
        )

    @property
    def storage_prefix(self) -> str:
        return f"jobs/{self.pk}/"


class ExportFile(models.Model):
    """One file of a finished export, kept in the "exports" storage."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=100)
    table = models.CharField(max_length=40, blank=True)
    format = models.CharField(max_length=10)
    rows = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    stored_as = models.CharField(max_length=255)

    class Meta:
        ordering = ["job", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "name"], name="exportfile_unique_name_per_job")
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*trackers())
class ExportDownload(models.Model):
    """Who downloaded which file of which export, when (append only)."""

    file = models.ForeignKey(ExportFile, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.file_id} by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
