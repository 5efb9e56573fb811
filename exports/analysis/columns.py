"""The export's variable names the analysis reads, taken from `crf.metadata` (never retyped).

The wide table names a field `<prefix>_<name>` (`crf.metadata.wide_name`), a long table its
bare `export_name`; a row hanging off another carries the parent's `row_id` under the
parent's prefix (`tx_row_id`). Looking each field up on its model makes a renamed or removed
field fail here, at import, instead of silently reading an empty column.
"""

from __future__ import annotations

from django.db import models

from crf.codes import CytogeneticAbnormality
from crf.metadata import export_name, export_prefix, wide_name
from crf.models import (
    Case,
    CentralReview,
    CutaneousLesion,
    Demographics,
    EularAcrCriteria,
    EvolutionEvent,
    HaematologicalDisease,
    HaematologicalResponse,
    LupusProfile,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SkinBiopsy,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)

EXPORT_ID = "export_id"
ROW_ID = "row_id"


def wide(model: type[models.Model], name: str) -> str:
    return wide_name(model, model._meta.get_field(name))


def bare(model: type[models.Model], name: str) -> str:
    return export_name(model._meta.get_field(name))


def parent_row_id(parent: type[models.Model]) -> str:
    return f"{export_prefix(parent)}_{ROW_ID}"


def codes(model: type[models.Model], name: str) -> frozenset[str]:
    """Every code the field may hold (its choices, missing-data codes included)."""
    return frozenset(str(code) for code, _label in model._meta.get_field(name).choices)


def labels(model: type[models.Model], name: str) -> dict[str, str]:
    return {str(code): str(label) for code, label in model._meta.get_field(name).choices}


# ---- the wide table (one row per case) ----
GROUP = wide(Case, "group")
SEX = wide(Demographics, "sex")
AGE_LE = wide(Demographics, "age_at_le_diagnosis")
AGE_MDS = wide(Demographics, "age_at_mds_diagnosis")
TEMPORAL_RELATION = wide(Demographics, "temporal_relation")
VITAL_STATUS = wide(Demographics, "vital_status")
DEATH_CAUSE = wide(Demographics, "death_cause")
FOLLOWUP_YEARS = wide(Demographics, "followup_years")

LE_TYPE = wide(LupusProfile, "le_type")
CUTANEOUS = wide(LupusProfile, "cutaneous")
ARTICULAR = wide(LupusProfile, "articular")
PLEURITIS = wide(LupusProfile, "pleuritis")
PERICARDITIS = wide(LupusProfile, "pericarditis")
RENAL = wide(LupusProfile, "renal")
AIHA = wide(LupusProfile, "autoimmune_haemolytic_anaemia")
APS = wide(LupusProfile, "antiphospholipid_syndrome")

SLICC_CLASSIFICATION = wide(SliccCriteria, "classification")
SLICC_LOW_COMPLEMENT = wide(SliccCriteria, "low_complement")
EULAR_LOW_C3_OR_C4 = wide(EularAcrCriteria, "low_c3_or_c4")
EULAR_LOW_C3_AND_C4 = wide(EularAcrCriteria, "low_c3_and_c4")

DISEASE = wide(HaematologicalDisease, "disease")
WHO2022_COMPUTED = wide(HaematologicalDisease, "who2022_computed")
WHO2022_RECORDED = wide(HaematologicalDisease, "who2022_recorded")
WHO2016_COMPUTED = wide(HaematologicalDisease, "who2016_computed")
WHO2016_RECORDED = wide(HaematologicalDisease, "who2016_recorded")
IPSSR_LOWER_RISK = wide(HaematologicalDisease, "ipssr_lower_risk")
HB = wide(HaematologicalDisease, "hb")
PLATELETS = wide(HaematologicalDisease, "platelets")
ANC = wide(HaematologicalDisease, "anc")
MONOCYTES = wide(HaematologicalDisease, "monocytes")
BM_BLASTS = wide(HaematologicalDisease, "bm_blasts")
DYSGRANULOPOIESIS = wide(HaematologicalDisease, "dysgranulopoiesis")
DYSERYTHROPOIESIS = wide(HaematologicalDisease, "dyserythropoiesis")
DYSMEGAKARYOPOIESIS = wide(HaematologicalDisease, "dysmegakaryopoiesis")
CYTOGENETICS_DONE = wide(HaematologicalDisease, "cytogenetics_done")
KARYOTYPE = wide(HaematologicalDisease, "karyotype")
# The IPSS-R checklist booleans, by code (`del20q` → `haem_del20q`).
ABNORMALITY = {code: wide(HaematologicalDisease, code) for code in CytogeneticAbnormality}
ABNORMALITY_LABEL = {
    code: str(HaematologicalDisease._meta.get_field(code).verbose_name)
    for code in CytogeneticAbnormality
}

# ---- long tables (one per repeating group), named by prefix ----
LESION = export_prefix(CutaneousLesion)
LESION_SUBTYPE = bare(CutaneousLesion, "subtype")

SERO = export_prefix(SerologyPanel)
SERO_AT_DIAGNOSIS = bare(SerologyPanel, "at_le_diagnosis")
SERO_ANA = bare(SerologyPanel, "ana")
SERO_ANA_TITRE = bare(SerologyPanel, "ana_titre")
SERO_LOW_C3 = bare(SerologyPanel, "low_c3")
SERO_LOW_C4 = bare(SerologyPanel, "low_c4")

SLEDAI = export_prefix(SledaiAssessment)
SLEDAI_CONTEXT = bare(SledaiAssessment, "context")
SLEDAI_SCORE = bare(SledaiAssessment, "score")

NGS = export_prefix(NgsTest)
NGS_TISSUE = bare(NgsTest, "tissue")
NGS_RESULT = bare(NgsTest, "result")
NGS_CONCORDANCE = bare(NgsTest, "concordance")
BLOOD_OR_MARROW = frozenset({"peripheral_blood", "bone_marrow"})  # the tissues of the clone

VARIANT = export_prefix(NgsVariant)
VARIANT_TEST = parent_row_id(NgsTest)
VARIANT_GENE = bare(NgsVariant, "gene")
VARIANT_VAF = bare(NgsVariant, "vaf")

BIOPSY = export_prefix(SkinBiopsy)
REVIEW = export_prefix(CentralReview)
REVIEW_DIAGNOSIS = bare(CentralReview, "diagnosis")
REVIEW_RECLASSIFIED = bare(CentralReview, "reclassified")

TX = export_prefix(Treatment)
TX_AGENT = bare(Treatment, "agent")
TX_REGIMEN = bare(Treatment, "regimen")
TX_TARGET = bare(Treatment, "target")
TX_CYCLES = bare(Treatment, "cycles")

LRESP = export_prefix(LupusResponse)
HRESP = export_prefix(HaematologicalResponse)
RESP_TX = parent_row_id(Treatment)
LRESP_RECORDED = bare(LupusResponse, "recorded")
LRESP_DERIVED = bare(LupusResponse, "derived")
HRESP_CRITERIA = bare(HaematologicalResponse, "criteria")
HRESP_CATEGORY = bare(HaematologicalResponse, "category")
HRESP_BASELINE_BLASTS = bare(HaematologicalResponse, "baseline_bm_blasts")

EVO = export_prefix(EvolutionEvent)
EVO_STATE = bare(EvolutionEvent, "new_state")

# ---- what the analysis reads of an export ----
# `exports.study` reads these columns and no other (the wide table has ~170 columns; the
# analysis reads a third of them, and reading the rest took most of the time at 100,000
# cases). A table or column left out here reads as absent and is named in the footnotes:
# tests/exports/test_pipeline.py checks that a full export leaves nothing absent.
SERO_RESULTS = tuple(
    bare(SerologyPanel, name)
    for name in (
        "ana", "anti_dsdna", "anti_ssa", "anti_ssb", "anti_nucleosome", "anti_rnp", "anti_sm",
        "anti_cardiolipin", "anti_b2gpi", "lupus_anticoagulant",
    )
)  # fmt: skip
WIDE_READS = frozenset(
    {
        EXPORT_ID, GROUP, SEX, AGE_LE, AGE_MDS, TEMPORAL_RELATION, VITAL_STATUS, DEATH_CAUSE,
        FOLLOWUP_YEARS, LE_TYPE, CUTANEOUS, ARTICULAR, PLEURITIS, PERICARDITIS, RENAL, AIHA,
        APS, SLICC_CLASSIFICATION, SLICC_LOW_COMPLEMENT, EULAR_LOW_C3_OR_C4,
        EULAR_LOW_C3_AND_C4, DISEASE, WHO2022_COMPUTED, WHO2022_RECORDED, WHO2016_COMPUTED,
        WHO2016_RECORDED, IPSSR_LOWER_RISK, HB, PLATELETS, ANC, MONOCYTES, BM_BLASTS,
        DYSGRANULOPOIESIS, DYSERYTHROPOIESIS, DYSMEGAKARYOPOIESIS, CYTOGENETICS_DONE,
        KARYOTYPE, *ABNORMALITY.values(),
    }
)  # fmt: skip
LONG_READS: dict[str, frozenset[str]] = {
    prefix: frozenset({EXPORT_ID, ROW_ID, *names})
    for prefix, names in (
        (LESION, {LESION_SUBTYPE}),
        (SERO, {SERO_AT_DIAGNOSIS, SERO_ANA_TITRE, SERO_LOW_C3, SERO_LOW_C4, *SERO_RESULTS}),
        (SLEDAI, {SLEDAI_CONTEXT, SLEDAI_SCORE}),
        (NGS, {NGS_TISSUE, NGS_RESULT, NGS_CONCORDANCE}),
        (VARIANT, {VARIANT_TEST, VARIANT_GENE, VARIANT_VAF}),
        (REVIEW, {REVIEW_DIAGNOSIS, REVIEW_RECLASSIFIED}),
        (TX, {TX_AGENT, TX_REGIMEN, TX_TARGET, TX_CYCLES}),
        (LRESP, {RESP_TX, LRESP_RECORDED, LRESP_DERIVED}),
        (HRESP, {RESP_TX, HRESP_CRITERIA, HRESP_CATEGORY, HRESP_BASELINE_BLASTS}),
        (EVO, {EVO_STATE}),
    )
}
