"""The CRF, one model per section or repeating group (see ../shared/reference/crf.md)."""

from django.db.models import Model

from .case import Case, Group, Identity, Status
from .demographics import Demographics
from .haematology import EvolutionEvent, HaematologicalDisease, NgsTest, NgsVariant
from .lupus import (
    CutaneousLesion,
    EularAcrCriteria,
    LupusProfile,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
)
from .pathology import CentralReview, SkinBiopsy
from .treatment import AdverseEvent, HaematologicalResponse, LupusResponse, Treatment

__all__ = [
    "AdverseEvent", "Case", "CentralReview", "CutaneousLesion", "Demographics",
    "EularAcrCriteria", "EvolutionEvent", "Group", "HaematologicalDisease",
    "HaematologicalResponse", "Identity", "LupusProfile", "LupusResponse", "NgsTest",
    "NgsVariant", "SerologyPanel", "SkinBiopsy", "SledaiAssessment", "SliccCriteria", "Status",
    "Treatment",
]  # fmt: skip

# Every model holding patient data, in CRF order: audit, admin, dictionary and exports walk it.
CRF_MODELS: tuple[type[Model], ...] = (
    Case, Identity, Demographics, LupusProfile, SliccCriteria, EularAcrCriteria,
    SledaiAssessment, CutaneousLesion, SerologyPanel, HaematologicalDisease, EvolutionEvent,
    NgsTest, NgsVariant, SkinBiopsy, CentralReview, Treatment, LupusResponse,
    HaematologicalResponse, AdverseEvent,
)  # fmt: skip
