"""Section 1: demographics and follow-up."""

from django.db import models
from django.db.models import Q

from .base import SectionOfCase, rule_version_field
from .fields import (
    QUASI_IDENTIFIER,
    classify,
    coded,
    computed,
    crf_model,
    date_field,
    date_order,
    free_text,
    with_unit,
)


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class VitalStatus(models.TextChoices):
    ALIVE = "alive", "Alive"
    DEAD = "dead", "Dead"
    LOST = "lost", "Lost to follow-up"


class DeathCause(models.TextChoices):
    SEPSIS = "sepsis", "Sepsis"
    HAEMATOLOGICAL_PROGRESSION = "haematological_progression", "Haematological progression"
    BLEEDING = "bleeding", "Bleeding"
    CARDIAC = "cardiac", "Cardiac"
    OTHER = "other", "Other"


class TemporalRelation(models.TextChoices):
    LE_BEFORE = "le_before", "LE before MDS/CMML"
    CONCOMITANT = "concomitant", "Concomitant (< 3 months apart)"
    LE_AFTER = "le_after", "LE after MDS/CMML"


@crf_model(section="1. Demographics and follow-up")
class Demographics(SectionOfCase):
    sex = classify(coded(Sex, "sex"), QUASI_IDENTIFIER)
    le_diagnosis_date = date_field("date of LE diagnosis")
    last_followup_date = date_field("date of last follow-up")
    vital_status = coded(VitalStatus, "vital status")
    death_date = date_field("date of death")
    death_cause = coded(DeathCause, "cause of death")
    death_cause_detail = free_text("cause of death, details")

    # Derived on save (crf.services); ages need the date of birth kept in Identity.
    age_at_le_diagnosis = classify(
        models.PositiveSmallIntegerField(null=True, blank=True, editable=False), QUASI_IDENTIFIER
    )
    age_at_mds_diagnosis = classify(
        models.PositiveSmallIntegerField(null=True, blank=True, editable=False), QUASI_IDENTIFIER
    )
    diagnosis_interval_days = with_unit(
        models.IntegerField(
            null=True, blank=True, editable=False, help_text="MDS/CMML date minus LE date."
        ),
        "days",
    )
    temporal_relation = computed(TemporalRelation, "temporal relation")
    followup_years = with_unit(
        models.FloatField(
            null=True,
            blank=True,
            editable=False,
            help_text="First diagnosis to last news or death.",
        ),
        "years",
    )
    rule_version = rule_version_field()

    class Meta:
        verbose_name_plural = "demographics"
        constraints = [
            date_order("le_diagnosis_date", "last_followup_date"),
            date_order("le_diagnosis_date", "death_date"),
            models.CheckConstraint(
                name="demographics_death_only_if_dead",
                condition=Q(vital_status="dead") | (Q(death_date__isnull=True) & Q(death_cause="")),
                violation_error_message="Death date and cause are only for a patient who died.",
            ),
        ]
