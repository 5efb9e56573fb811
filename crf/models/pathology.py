"""Section 7: skin biopsies and their central pathology review."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .base import RowOfCase
from .fields import (
    DIRECT_IDENTIFIER,
    QUASI_IDENTIFIER,
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
from .lupus import CleSubtype


class SkinSite(models.TextChoices):
    FACE = "face", "Face"
    EARS = "ears", "Ears"
    SCALP = "scalp", "Scalp"
    FINGERS = "fingers", "Fingers"
    TOES = "toes", "Toes"
    HANDS = "hands", "Hands"
    TRUNK = "trunk", "Trunk"
    LIMBS = "limbs", "Limbs"
    MUCOSA = "mucosa", "Mucosa"


class SkinDiagnosis(models.TextChoices):
    CLE = "cle", "Cutaneous lupus"
    MDS_CMML_CUTIS = "mds_cmml_cutis", "MDS/CMML cutis"
    KLIP = "klip", "Kikuchi-like inflammatory pattern (KLIP)"
    PDC_DERMATOSIS = "pdc_dermatosis", "Plasmacytoid dendritic cell dermatosis"
    OTHER = "other", "Other"


class Ihc(models.TextChoices):
    POSITIVE = "positive", "Positive"
    FEW = "few", "Few cells"
    NEGATIVE = "negative", "Negative"


@crf_model(section="7. Skin biopsies")
class SkinBiopsy(RowOfCase):
    taken_on = date_field("biopsy date")
    site = coded(SkinSite, "site")
    clinical_lesion_type = coded(CleSubtype, "clinical lesion type")
    local_diagnosis = coded(SkinDiagnosis, "local diagnosis")
    local_diagnosis_detail = free_text("local diagnosis, as written", max_length=300)

    class Meta:
        verbose_name_plural = "skin biopsies"
        ordering = ["case", "taken_on", "pk"]
        constraints = []


def ihc(marker: str) -> models.CharField:
    return coded(Ihc, f"{marker} immunostaining")


@crf_model(section="7. Skin biopsies: central review")
class CentralReview(models.Model):
    """Entered by central reviewers only."""

    # Internal row ids link tables; exported only under the key rules.
    case_link = "biopsy"
    biopsy = classify(
        models.OneToOneField(SkinBiopsy, on_delete=models.CASCADE, related_name="central_review"),
        QUASI_IDENTIFIER,
    )
    diagnosis = coded(SkinDiagnosis, "central diagnosis", missing=False)
    diagnosis_detail = free_text("central diagnosis, details", max_length=300)
    dense_dermal_lymphocytic_infiltrate = export_as(
        answer("dense dermal lymphocytic infiltrate"), "dense_infiltrate"
    )
    perivascular_perieccrine = answer("perivascular and peri-eccrine infiltrate")
    interface_dermatitis = answer("interface dermatitis")
    dermal_mucin = answer("dermal mucin")
    vasculitis = answer("vasculitis")
    leukocytoclasia = answer("leukocytoclasia")
    mature_neutrophils = answer("mature neutrophils")
    immature_myeloid_cells = answer("immature myeloid cells")
    cd3 = ihc("CD3")
    cd68 = ihc("CD68")
    cd163 = ihc("CD163")
    cd123 = ihc("CD123")
    tcf4 = ihc("TCF4")
    mpo = ihc("MPO")
    cd34 = ihc("CD34")
    cd56 = ihc("CD56")
    cd117 = ihc("CD117")
    ki67, ki67_missing = measurement("Ki67", unit="%", maximum=100)
    dif_done = answer("direct immunofluorescence done")
    lupus_band_positive = answer("lupus band test positive")
    # Both name staff (pathologists), who also locate the centre.
    reviewers = classify(free_text("reviewers", max_length=200), DIRECT_IDENTIFIER)
    reviewed_by = classify(
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            editable=False,
            related_name="+",
            help_text="Set to the central reviewer who saved the review.",
        ),
        DIRECT_IDENTIFIER,
    )
    reviewed_on = date_field("review date", partial=False)
    # Derived: the central diagnosis differs from the local one.
    reclassified = models.BooleanField(null=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="central_review_diagnosis_given",
                condition=~Q(diagnosis=""),
                violation_error_message="Give the central diagnosis.",
            ),
            models.CheckConstraint(
                name="central_review_band_needs_dif",
                condition=Q(lupus_band_positive="") | Q(dif_done="yes"),
                violation_error_message="A lupus band result needs direct immunofluorescence done.",
            ),
            required_when("diagnosis_detail", Q(diagnosis="other"), "the diagnosis is 'other'"),
        ]

    def __str__(self) -> str:
        return f"Central review of biopsy #{self.biopsy_id}"
