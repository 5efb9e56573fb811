"""Section 8: treatments, lupus and haematological responses, serious adverse events."""

from django.db import models
from django.db.models import Q

from .base import RowOfCase, rule_version_field
from .fields import (
    QUASI_IDENTIFIER,
    classify,
    coded,
    computed,
    crf_model,
    date_field,
    date_order,
    free_text,
    measurement,
    required_when,
)


class Agent(models.TextChoices):
    HYDROXYCHLOROQUINE = "hydroxychloroquine", "Hydroxychloroquine"
    ORAL_CORTICOSTEROIDS = "oral_corticosteroids", "Oral corticosteroids"
    IV_METHYLPREDNISOLONE = "iv_methylprednisolone", "IV methylprednisolone"
    TOPICAL_CORTICOSTEROIDS = "topical_corticosteroids", "Topical corticosteroids"
    TOPICAL_TACROLIMUS = "topical_tacrolimus", "Topical tacrolimus"
    METHOTREXATE = "methotrexate", "Methotrexate"
    AZATHIOPRINE = "azathioprine", "Azathioprine"
    MYCOPHENOLATE = "mycophenolate", "Mycophenolate"
    RITUXIMAB = "rituximab", "Rituximab"
    BELIMUMAB = "belimumab", "Belimumab"
    ANIFROLUMAB = "anifrolumab", "Anifrolumab"
    THALIDOMIDE = "thalidomide", "Thalidomide"
    LENALIDOMIDE = "lenalidomide", "Lenalidomide"
    AZACITIDINE = "azacitidine", "Azacitidine"
    DECITABINE = "decitabine", "Decitabine"
    VENETOCLAX = "venetoclax", "Venetoclax"
    ALLO_HSCT = "allo_hsct", "Allogeneic HSCT"
    ESA = "esa", "Erythropoiesis-stimulating agent"
    LUSPATERCEPT = "luspatercept", "Luspatercept"
    OTHER = "other", "Other"


HAEMATOLOGICAL_AGENTS = frozenset(
    {"azacitidine", "decitabine", "venetoclax", "allo_hsct", "esa", "luspatercept", "lenalidomide"}
)


class Target(models.TextChoices):
    LUPUS = "lupus", "Lupus"
    HAEMATOLOGICAL = "haematological", "Haematological disease"
    BOTH = "both", "Both"


class Route(models.TextChoices):
    TOPICAL = "topical", "Topical"
    SYSTEMIC = "systemic", "Systemic"


class DoseUnit(models.TextChoices):
    MG_KG_DAY = "mg_kg_day", "mg/kg/day"
    MG_DAY = "mg_day", "mg/day"
    MG_M2_DAY = "mg_m2_day", "mg/m²/day"


class ReasonStopped(models.TextChoices):
    ONGOING = "ongoing", "Ongoing"
    REMISSION = "remission", "Remission / planned end"
    INEFFICACY = "inefficacy", "Inefficacy"
    ADVERSE_EVENT = "adverse_event", "Adverse event"
    DEATH = "death", "Death"
    OTHER = "other", "Other"


class Regimen(models.TextChoices):
    """Treatment strategies as the study compares them (Figure 3, Table 2)."""

    HCQ_ALONE = "hcq_alone", "HCQ alone"
    HCQ_OCS = "hcq_ocs", "HCQ + oral corticosteroids"
    RITUXIMAB = "rituximab", "Rituximab"
    METHOTREXATE = "methotrexate", "Methotrexate"
    AZATHIOPRINE = "azathioprine", "Azathioprine"
    BELIMUMAB = "belimumab", "Belimumab"
    LENALIDOMIDE = "lenalidomide", "Lenalidomide"
    TOPICAL_CORTICOSTEROIDS = "topical_corticosteroids", "Topical corticosteroids"
    TOPICAL_TACROLIMUS = "topical_tacrolimus", "Topical tacrolimus"
    AZACITIDINE = "azacitidine", "Azacitidine"
    AZA_VENETOCLAX = "aza_venetoclax", "Azacitidine + venetoclax"
    ALLO_HSCT = "allo_hsct", "Allogeneic HSCT"
    OTHER = "other", "Other"


@crf_model(section="8. Treatments")
class Treatment(RowOfCase):
    """One agent given; rows given together share a `regimen` (the strategy compared)."""

    agent = coded(Agent, "agent", missing=False)
    agent_other = free_text("agent, if other", max_length=100)
    regimen = coded(Regimen, "regimen (treatment strategy)", missing=False)
    target = coded(Target, "target")
    route = coded(Route, "route")
    dose = models.FloatField("dose", null=True, blank=True)
    dose_unit = coded(DoseUnit, "dose unit", missing=False)
    cycles = models.PositiveSmallIntegerField("number of cycles", null=True, blank=True)
    started_on = date_field("start date")
    ended_on = date_field("end date")
    reason_stopped = coded(ReasonStopped, "reason stopped")

    class Meta:
        ordering = ["case", "started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="treatment_agent_given",
                condition=~Q(agent=""),
                violation_error_message="Give the agent.",
            ),
            required_when("agent_other", Q(agent="other"), "the agent is 'other'"),
            date_order("started_on", "ended_on"),
            models.CheckConstraint(
                name="treatment_dose_has_unit",
                condition=Q(dose__isnull=True) | ~Q(dose_unit=""),
                violation_error_message="A dose needs its unit.",
            ),
            models.CheckConstraint(
                name="treatment_dose_positive",
                condition=Q(dose__isnull=True) | Q(dose__gt=0),
                violation_error_message="The dose must be positive.",
            ),
        ]


class LupusResponseCategory(models.TextChoices):
    COMPLETE_RESPONSE = "complete_response", "Complete response (SLEDAI-2K = 0)"
    CLINICAL_RESPONSE = "clinical_response", "Clinical response (clinical SLEDAI = 0)"
    NO_RESPONSE = "no_response", "No response"


@crf_model(section="8. Treatments: lupus response")
class LupusResponse(models.Model):
    # Internal row ids link tables; exported only under the key rules.
    case_link = "treatment"
    treatment = classify(
        models.OneToOneField(Treatment, on_delete=models.CASCADE, related_name="lupus_response"),
        QUASI_IDENTIFIER,
    )
    recorded = coded(LupusResponseCategory, "lupus response, as recorded")
    assessed_on = date_field("assessment date")
    sledai = classify(
        models.OneToOneField(
            "crf.SledaiAssessment",
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="lupus_response",
            help_text="The SLEDAI-2K at assessment.",
        ),
        QUASI_IDENTIFIER,
    )
    # Derived from the SLEDAI items; flags a recorded category that disagrees.
    derived = computed(LupusResponseCategory, "lupus response, derived")
    disagrees = models.BooleanField(null=True, editable=False)
    rule_version = rule_version_field()

    class Meta:
        constraints = []

    def __str__(self) -> str:
        return f"Lupus response to treatment #{self.treatment_id}"


class IwgVersion(models.TextChoices):
    IWG_2006 = "iwg_2006", "IWG 2006"
    IWG_2018 = "iwg_2018", "IWG 2018"
    IWG_2023 = "iwg_2023", "IWG 2023"


class HaemResponseCategory(models.TextChoices):
    COMPLETE_RESPONSE = "complete_response", "Complete response"
    PARTIAL_RESPONSE = "partial_response", "Partial response"
    MARROW_CR = "marrow_cr", "Marrow CR"
    HI_E = "hi_e", "Haematological improvement, erythroid"
    HI_P = "hi_p", "Haematological improvement, platelets"
    HI_N = "hi_n", "Haematological improvement, neutrophils"
    STABLE_DISEASE = "stable_disease", "Stable disease"
    PROGRESSION = "progression", "Progression"
    RELAPSE = "relapse", "Relapse"


@crf_model(section="8. Treatments: haematological response")
class HaematologicalResponse(models.Model):
    case_link = "treatment"
    treatment = classify(
        models.OneToOneField(Treatment, on_delete=models.CASCADE, related_name="haem_response"),
        QUASI_IDENTIFIER,
    )
    criteria = coded(IwgVersion, "IWG criteria version", missing=False)
    category = coded(HaemResponseCategory, "category")
    assessed_on = date_field("assessment date")
    # The counts the category rests on: before treatment and at assessment.
    baseline_hb, baseline_hb_missing = measurement("baseline Hb", unit="g/dL", maximum=25)
    response_hb, response_hb_missing = measurement("Hb at assessment", unit="g/dL", maximum=25)
    baseline_anc, baseline_anc_missing = measurement("baseline ANC", unit="×10⁹/L", maximum=100)
    response_anc, response_anc_missing = measurement(
        "ANC at assessment", unit="×10⁹/L", maximum=100
    )
    baseline_platelets, baseline_platelets_missing = measurement(
        "baseline platelets", unit="×10⁹/L", maximum=3000
    )
    response_platelets, response_platelets_missing = measurement(
        "platelets at assessment", unit="×10⁹/L", maximum=3000
    )
    baseline_bm_blasts, baseline_bm_blasts_missing = measurement(
        "baseline marrow blasts", unit="%", maximum=100
    )
    response_bm_blasts, response_bm_blasts_missing = measurement(
        "marrow blasts at assessment", unit="%", maximum=100
    )
    baseline_rbc_units_16w = models.PositiveSmallIntegerField(
        "RBC units in the 16 weeks before", null=True, blank=True
    )
    response_rbc_units_16w = models.PositiveSmallIntegerField(
        "RBC units in 16 weeks on treatment", null=True, blank=True
    )
    detail = free_text("details (e.g. which HI criteria were met)")

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="haem_response_mcr_not_2023",
                condition=~(
                    Q(criteria="iwg_2023") & Q(category__in=["marrow_cr", "stable_disease"])
                ),
                violation_error_message="IWG 2023 eliminated marrow CR and stable disease.",
            ),
        ]

    def __str__(self) -> str:
        return f"Haematological response to treatment #{self.treatment_id}"


class AdverseEventCategory(models.TextChoices):
    INFECTION = "infection", "Infection"
    HAEMATOLOGICAL = "haematological", "Haematological"
    BLEEDING = "bleeding", "Bleeding"
    CARDIOVASCULAR = "cardiovascular", "Cardiovascular"
    THROMBOSIS = "thrombosis", "Thrombosis"
    OTHER = "other", "Other"


@crf_model(section="8. Treatments: serious adverse events")
class AdverseEvent(RowOfCase):
    treatment = classify(
        models.ForeignKey(
            Treatment,
            on_delete=models.SET_NULL,
            null=True,
            blank=True,
            related_name="adverse_events",
        ),
        QUASI_IDENTIFIER,
    )
    category = coded(AdverseEventCategory, "category", missing=False)
    occurred_on = date_field("date")
    fatal = models.BooleanField(default=False)
    description = free_text("description")

    class Meta:
        ordering = ["case", "occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="adverse_event_category_given",
                condition=~Q(category=""),
                violation_error_message="Give the adverse event category.",
            ),
        ]
