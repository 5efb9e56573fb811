"""Section 1: demographics and follow-up."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crf.codes import DeathCause, Sex, TemporalRelation, VitalStatus

from .base import SectionOfCase, rule_version_field
from .fields import (
    ALL_GROUPS,
    QUASI_IDENTIFIER,
    Required,
    classify,
    coded,
    computed,
    crf_model,
    date_field,
    free_text,
    with_unit,
)


@crf_model(section=_("1. Demographics and follow-up"))
class Demographics(SectionOfCase):
    required = Required(
        fields=("sex", "le_diagnosis_date", "last_followup_date", "vital_status"),
        when={"death_date": Q(vital_status="dead"), "death_cause": Q(vital_status="dead")},
        groups=ALL_GROUPS,
    )
    sex = classify(coded(Sex, _("sex")), QUASI_IDENTIFIER)
    le_diagnosis_date = date_field(_("date of LE diagnosis"))
    last_followup_date = date_field(_("date of last follow-up"))
    vital_status = coded(VitalStatus, _("vital status"))
    death_date = date_field(_("date of death"))
    death_cause = coded(DeathCause, _("cause of death"))
    death_cause_detail = free_text(_("cause of death, details"))

    # Derived on save (crf.services); ages need the date of birth kept in Identity.
    age_at_le_diagnosis = classify(
        models.PositiveSmallIntegerField(null=True, blank=True, editable=False), QUASI_IDENTIFIER
    )
    age_at_mds_diagnosis = classify(
        models.PositiveSmallIntegerField(null=True, blank=True, editable=False), QUASI_IDENTIFIER
    )
    diagnosis_interval_days = with_unit(
        models.IntegerField(
            null=True, blank=True, editable=False, help_text=_("MDS/CMML date minus LE date.")
        ),
        "days",
    )
    temporal_relation = computed(TemporalRelation, _("temporal relation"))
    followup_years = with_unit(
        models.FloatField(
            null=True,
            blank=True,
            editable=False,
            help_text=_("First diagnosis to last news or death."),
        ),
        "years",
    )
    # Some date above is known to the month or year only: the values are approximate.
    dates_approximate = models.BooleanField(
        _("computed from partial dates (approximate)"), null=True, editable=False
    )
    rule_version = rule_version_field()

    class Meta:
        verbose_name = _("demographics")
        verbose_name_plural = _("demographics")
        constraints = [
            models.CheckConstraint(
                name="demographics_death_only_if_dead",
                condition=Q(vital_status="dead") | (Q(death_date__isnull=True) & Q(death_cause="")),
                violation_error_message=_("Death date and cause are only for a patient who died."),
            ),
        ]
