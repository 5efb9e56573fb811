"""Section 8: treatments, lupus and haematological responses, serious adverse events."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crf.codes import (
    AdverseEventCategory,
    Agent,
    DoseUnit,
    HaemResponseCategory,
    IwgVersion,
    LupusResponseCategory,
    ReasonStopped,
    Regimen,
    Route,
    Target,
)

from .base import RowOfCase, rule_version_field
from .fields import (
    QUASI_IDENTIFIER,
    Required,
    classify,
    coded,
    computed,
    crf_model,
    date_field,
    free_text,
    measurement,
    required_when,
)

HAEMATOLOGICAL_AGENTS = frozenset(
    {"azacitidine", "decitabine", "venetoclax", "allo_hsct", "esa", "luspatercept", "lenalidomide"}
)


@crf_model(section=_("8. Treatments"))
class Treatment(RowOfCase):
    """One agent given; rows given together share a `regimen` (the strategy compared)."""

    required = Required(fields=("agent", "regimen", "target"))

    agent = coded(Agent, _("agent"), missing=False)
    agent_other = free_text(_("agent, if other"), max_length=100)
    regimen = coded(Regimen, _("regimen (treatment strategy)"), missing=False)
    target = coded(Target, _("target"))
    route = coded(Route, _("route"))
    dose = models.FloatField(_("dose"), null=True, blank=True)
    dose_unit = coded(DoseUnit, _("dose unit"), missing=False)
    cycles = models.PositiveSmallIntegerField(_("number of cycles"), null=True, blank=True)
    started_on = date_field(_("start date"))
    ended_on = date_field(_("end date"))
    reason_stopped = coded(ReasonStopped, _("reason stopped"))

    class Meta:
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        ordering = ["case", "started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="treatment_agent_given",
                condition=~Q(agent=""),
                violation_error_message=_("Give the agent."),
            ),
            required_when("agent_other", Q(agent="other"), _("the agent is 'other'")),
            models.CheckConstraint(
                name="treatment_dose_has_unit",
                condition=Q(dose__isnull=True) | ~Q(dose_unit=""),
                violation_error_message=_("A dose needs its unit."),
            ),
            models.CheckConstraint(
                name="treatment_dose_positive",
                condition=Q(dose__isnull=True) | Q(dose__gt=0),
                violation_error_message=_("The dose must be positive."),
            ),
        ]


@crf_model(section=_("8. Treatments: lupus response"))
class LupusResponse(models.Model):
    required = Required(fields=("recorded",))
    # Internal row ids link tables; exported only under the key rules.
    case_link = "treatment"
    treatment = classify(
        models.OneToOneField(Treatment, on_delete=models.CASCADE, related_name="lupus_response"),
        QUASI_IDENTIFIER,
    )
    recorded = coded(LupusResponseCategory, _("lupus response, as recorded"))
    assessed_on = date_field(_("assessment date"))
    sledai = classify(
        models.OneToOneField(
            "crf.SledaiAssessment",
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="lupus_response",
            verbose_name=_("SLEDAI-2K assessment"),
            help_text=_("The SLEDAI-2K at assessment."),
        ),
        QUASI_IDENTIFIER,
    )
    # Derived from the SLEDAI items; flags a recorded category that disagrees.
    derived = computed(LupusResponseCategory, _("lupus response, derived"))
    disagrees = models.BooleanField(null=True, editable=False)
    rule_version = rule_version_field()

    class Meta:
        verbose_name = _("lupus response")
        verbose_name_plural = _("lupus responses")
        constraints = []

    def __str__(self) -> str:
        return f"Lupus response to treatment #{self.treatment_id}"


@crf_model(section=_("8. Treatments: haematological response"))
class HaematologicalResponse(models.Model):
    required = Required(fields=("criteria", "category"))
    case_link = "treatment"
    treatment = classify(
        models.OneToOneField(Treatment, on_delete=models.CASCADE, related_name="haem_response"),
        QUASI_IDENTIFIER,
    )
    criteria = coded(IwgVersion, _("IWG criteria version"), missing=False)
    category = coded(HaemResponseCategory, _("category"))
    assessed_on = date_field(_("assessment date"))
    # The counts the category rests on: before treatment and at assessment.
    baseline_hb, baseline_hb_missing = measurement(_("baseline Hb"), unit="g/dL", maximum=25)
    response_hb, response_hb_missing = measurement(_("Hb at assessment"), unit="g/dL", maximum=25)
    baseline_anc, baseline_anc_missing = measurement(_("baseline ANC"), unit="×10⁹/L", maximum=100)
    response_anc, response_anc_missing = measurement(
        _("ANC at assessment"), unit="×10⁹/L", maximum=100
    )
    baseline_platelets, baseline_platelets_missing = measurement(
        _("baseline platelets"), unit="×10⁹/L", maximum=3000
    )
    response_platelets, response_platelets_missing = measurement(
        _("platelets at assessment"), unit="×10⁹/L", maximum=3000
    )
    baseline_bm_blasts, baseline_bm_blasts_missing = measurement(
        _("baseline marrow blasts"), unit="%", maximum=100
    )
    response_bm_blasts, response_bm_blasts_missing = measurement(
        _("marrow blasts at assessment"), unit="%", maximum=100
    )
    baseline_rbc_units_16w = models.PositiveSmallIntegerField(
        _("RBC units in the 16 weeks before"), null=True, blank=True
    )
    response_rbc_units_16w = models.PositiveSmallIntegerField(
        _("RBC units in 16 weeks on treatment"), null=True, blank=True
    )
    detail = free_text(_("details (e.g. which HI criteria were met)"))

    class Meta:
        verbose_name = _("haematological response")
        verbose_name_plural = _("haematological responses")
        constraints = [
            models.CheckConstraint(
                name="haem_response_mcr_not_2023",
                condition=~(
                    Q(criteria="iwg_2023") & Q(category__in=["marrow_cr", "stable_disease"])
                ),
                violation_error_message=_("IWG 2023 eliminated marrow CR and stable disease."),
            ),
        ]

    def __str__(self) -> str:
        return f"Haematological response to treatment #{self.treatment_id}"


@crf_model(section=_("8. Treatments: serious adverse events"))
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
    category = coded(AdverseEventCategory, _("category"), missing=False)
    occurred_on = date_field(_("date"))
    fatal = models.BooleanField(default=False)
    description = free_text(_("description"))

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["case", "occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="adverse_event_category_given",
                condition=~Q(category=""),
                violation_error_message=_("Give the adverse event category."),
            ),
        ]
