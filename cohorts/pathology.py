"""Central pathology, read side: the skin biopsies of every centre a central reviewer sees
(pseudonymous: case code and centre, never identity), which were reclassified by the
central review, and whether NGS of the skin shares variants with blood or marrow."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from cohorts.eligibility import LUPUS_SKIN_DIAGNOSES
from crf import access
from crf.access import Actor
from crf.codes import Concordance, SkinDiagnosis, Tissue
from crf.models import CentralReview, NgsTest, SkinBiopsy


def biopsies_visible(actor: Actor) -> QuerySet[SkinBiopsy]:
    return (
        access.rows_visible(actor, SkinBiopsy)
        .select_related("case", "case__centre", "central_review")
        .order_by("case__code", "taken_on", "pk")
    )


def is_reclassified(biopsy: SkinBiopsy, review: CentralReview | None) -> bool:
    """The central diagnosis differs from the local one (a lupus biopsy read centrally as
    MDS/CMML cutis: the study's 'reclassified')."""
    return (
        review is not None
        and bool(biopsy.local_diagnosis)
        and review.diagnosis != biopsy.local_diagnosis
    )


@dataclass(frozen=True)
class Summary:
    biopsies: int
    reviewed: int
    reclassified: int
    lupus_to_cutis: int  # read as lupus locally, MDS/CMML cutis centrally
    cutis: int  # central diagnosis MDS/CMML cutis
    skin_ngs: int  # skin NGS tests with a blood/marrow test to compare with
    skin_ngs_concordant: int


def summary(actor: Actor) -> Summary:
    biopsies = list(biopsies_visible(actor))
    reviews = [(b, getattr(b, "central_review", None)) for b in biopsies]
    reviewed = [(b, r) for b, r in reviews if r is not None]
    skin = access.rows_visible(actor, NgsTest).filter(tissue=Tissue.SKIN)
    evaluable = skin.exclude(concordance__in=("", Concordance.NOT_EVALUABLE))
    return Summary(
        biopsies=len(biopsies),
        reviewed=len(reviewed),
        reclassified=sum(is_reclassified(b, r) for b, r in reviewed),
        lupus_to_cutis=sum(
            b.local_diagnosis in LUPUS_SKIN_DIAGNOSES
            and r is not None
            and r.diagnosis == SkinDiagnosis.MDS_CMML_CUTIS
            for b, r in reviewed
        ),
        cutis=sum(
            r is not None and r.diagnosis == SkinDiagnosis.MDS_CMML_CUTIS for _b, r in reviewed
        ),
        skin_ngs=evaluable.count(),
        skin_ngs_concordant=evaluable.filter(concordance=Concordance.CONCORDANT).count(),
    )
