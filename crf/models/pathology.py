"""Section 7: skin biopsies and their central pathology review."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crf.codes import CleSubtype, Ihc, SkinDiagnosis, SkinSite

from .base import RowOfCase
from .fields import (
    DIRECT_IDENTIFIER,
    QUASI_IDENTIFIER,
    Required,
    answer,
    classify,
    coded,
    crf_model,
    date_field,
    export_as,
    free_text,
    measurement,
    required_when,
)


@crf_model(section=_("7. Skin biopsies"))
class SkinBiopsy(RowOfCase):
    required = Required(fields=("taken_on", "local_diagnosis"))
    taken_on = date_field(_("biopsy date"))
    site = coded(SkinSite, _("site"))
    clinical_lesion_type = coded(CleSubtype, _("clinical lesion type"))
    local_diagnosis = coded(SkinDiagnosis, _("local diagnosis"))
    local_diagnosis_detail = free_text(_("local diagnosis, as written"), max_length=300)

    class Meta:
        verbose_name = _("skin biopsy")
        verbose_name_plural = _("skin biopsies")
        ordering = ["case", "taken_on", "pk"]
        constraints = []


def ihc(marker: str) -> models.CharField:
    return coded(Ihc, f"{marker} immunostaining")


@crf_model(section=_("7. Skin biopsies: central review"))
class CentralReview(models.Model):
    """Entered by central reviewers only."""

    required = Required(fields=("diagnosis",))

    # Internal row ids link tables; exported only under the key rules.
    case_link = "biopsy"
    biopsy = classify(
        models.OneToOneField(SkinBiopsy, on_delete=models.CASCADE, related_name="central_review"),
        QUASI_IDENTIFIER,
    )
    diagnosis = coded(SkinDiagnosis, _("central diagnosis"), missing=False)
    diagnosis_detail = free_text(_("central diagnosis, details"), max_length=300)
    dense_dermal_lymphocytic_infiltrate = export_as(
        answer(_("dense dermal lymphocytic infiltrate")), "dense_infiltrate"
    )
    perivascular_perieccrine = answer(_("perivascular and peri-eccrine infiltrate"))
    interface_dermatitis = answer(_("interface dermatitis"))
    dermal_mucin = answer(_("dermal mucin"))
    vasculitis = answer(_("vasculitis"))
    leukocytoclasia = answer(_("leukocytoclasia"))
    mature_neutrophils = answer(_("mature neutrophils"))
    immature_myeloid_cells = answer(_("immature myeloid cells"))
    cd3 = ihc("CD3")
    cd68 = ihc("CD68")
    cd163 = ihc("CD163")
    cd123 = ihc("CD123")
    tcf4 = ihc("TCF4")
    mpo = ihc("MPO")
    cd34 = ihc("CD34")
    cd56 = ihc("CD56")
    cd117 = ihc("CD117")
    ki67, ki67_missing = measurement(_("Ki67"), unit="%", maximum=100)
    dif_done = answer(_("direct immunofluorescence done"))
    lupus_band_positive = answer(_("lupus band test positive"))
    # Both name staff (pathologists), who also locate the centre.
    reviewers = classify(free_text(_("reviewers"), max_length=200), DIRECT_IDENTIFIER)
    reviewed_by = classify(
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            editable=False,
            related_name="+",
            help_text=_("Set to the central reviewer who saved the review."),
        ),
        DIRECT_IDENTIFIER,
    )
    reviewed_on = date_field(_("review date"), partial=False)
    # Derived: the central diagnosis differs from the local one.
    reclassified = models.BooleanField(null=True, editable=False)

    class Meta:
        verbose_name = _("central review")
        verbose_name_plural = _("central reviews")
        constraints = [
            models.CheckConstraint(
                name="central_review_diagnosis_given",
                condition=~Q(diagnosis=""),
                violation_error_message=_("Give the central diagnosis."),
            ),
            models.CheckConstraint(
                name="central_review_band_needs_dif",
                condition=Q(lupus_band_positive="") | Q(dif_done="yes"),
                violation_error_message=_(
                    "A lupus band result needs direct immunofluorescence done."
                ),
            ),
            required_when("diagnosis_detail", Q(diagnosis="other"), _("the diagnosis is 'other'")),
        ]

    def __str__(self) -> str:
        return f"Central review of biopsy #{self.biopsy_id}"
