"""Per-case variables read from the export, shared by Table 1 and the case-control table.

Each returns one value per case of the export (index `export_id`): a yes/no/missing flag
(True/False/None) or a `Measure` (numbers, NaN when missing). Serology and SLEDAI-2K are the
ones at LE diagnosis (the panel flagged `at_le_diagnosis`, the SLEDAI-2K of context
`le_diagnosis`); when a case has several, the first row (lowest `row_id`) counts.

Decreased C3 / C4 (a decision the brief left open): the registry's derived `low_c3` /
`low_c4` flags of the serology at LE diagnosis (below the laboratory's lower limit). Where
a flag is absent, the classification items can still answer, but only where they are
unambiguous: EULAR/ACR "low C3 and low C4" = yes means both are low; SLICC "low complement"
= no or EULAR/ACR "low C3 or low C4" = no means neither is. A SLICC "low complement" = yes
cannot say which fraction (C3, C4 or CH50) was low, so it leaves the flag missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from crf.codes import Articular, SledaiContext
from crf.models import (
    CentralReview,
    CutaneousLesion,
    Demographics,
    EularAcrCriteria,
    LupusProfile,
    SerologyPanel,
    SliccCriteria,
)
from crf.models.lupus import TABLE1_CLE_GROUP

from . import columns as col
from .data import (
    Measure,
    StudyData,
    any_true,
    bool_flag,
    coded_flag,
    coded_values,
    numbers,
    per_export,
    yes_no,
)


@per_export
def _answer(data: StudyData, name: str, model, field: str, yes=("yes",)) -> pd.Series:
    return coded_flag(data.column(name), yes=yes, valid=col.codes(model, field), column=name)


def female(data: StudyData) -> pd.Series:
    return _answer(data, col.SEX, Demographics, "sex", yes=("female",))


@per_export
def age_at_le_diagnosis(data: StudyData) -> Measure:
    return numbers(data.column(col.AGE_LE), column=col.AGE_LE)


def cutaneous(data: StudyData) -> pd.Series:
    return _answer(data, col.CUTANEOUS, LupusProfile, "cutaneous")


def articular(data: StudyData) -> pd.Series:
    """Arthralgia or arthritis."""
    return _answer(
        data,
        col.ARTICULAR,
        LupusProfile,
        "articular",
        yes=(Articular.ARTHRALGIA, Articular.ARTHRITIS),
    )


@per_export
def serositis(data: StudyData) -> pd.Series:
    """Pleuritis or pericarditis: no only when both are no."""
    return any_true(
        [
            _answer(data, col.PLEURITIS, LupusProfile, "pleuritis"),
            _answer(data, col.PERICARDITIS, LupusProfile, "pericarditis"),
        ]
    )


def renal(data: StudyData) -> pd.Series:
    return _answer(data, col.RENAL, LupusProfile, "renal")


def aiha(data: StudyData) -> pd.Series:
    return _answer(data, col.AIHA, LupusProfile, "autoimmune_haemolytic_anaemia")


def aps(data: StudyData) -> pd.Series:
    return _answer(data, col.APS, LupusProfile, "antiphospholipid_syndrome")


# ---- serology at LE diagnosis ----


def serology_at_diagnosis(data: StudyData, *fields: str) -> pd.DataFrame:
    """The panels flagged at LE diagnosis: the same frame on every call (`per_case` then
    maps its rows to their cases once), `fields` absent from the export all missing."""
    data.table(col.SERO, col.SERO_AT_DIAGNOSIS, *fields)  # notes what the export lacks

    def at_diagnosis() -> pd.DataFrame:
        rows = data.table(col.SERO, col.SERO_AT_DIAGNOSIS)
        flags = bool_flag(rows[col.SERO_AT_DIAGNOSIS], column=f"{col.SERO}.at_le_diagnosis")
        return rows[flags.to_numpy(dtype=object) == True]  # noqa: E712 (elementwise)

    rows = data.memo("sero_at_diagnosis", at_diagnosis)
    absent = [name for name in fields if name not in rows.columns]
    if absent:
        missing = pd.Series([None] * len(rows), index=rows.index, dtype=object)
        rows = rows.assign(**dict.fromkeys(absent, missing))
    return rows


def serology_result(field: str) -> Callable[[StudyData], pd.Series]:
    """A positive/negative antibody of the serology at LE diagnosis."""

    def read(data: StudyData) -> pd.Series:
        rows = serology_at_diagnosis(data, field)
        return coded_flag(
            data.per_case(rows, field),
            yes=("positive",),
            valid=col.codes(SerologyPanel, field),
            column=f"{col.SERO}.{field}",
        )

    read.__name__ = field  # its memo key: one per antibody
    return per_export(read)


@per_export
def ana_titre(data: StudyData) -> Measure:
    """Reciprocal ANA titre (1:160 → 160); recorded for a positive ANA only."""
    rows = serology_at_diagnosis(data, col.SERO_ANA_TITRE)
    return numbers(data.per_case(rows, col.SERO_ANA_TITRE), column=f"{col.SERO}.ana_titre")


@per_export
def low_complement_sources(data: StudyData, fraction: str) -> tuple[pd.Series, pd.Index]:
    """Low C3 or C4 (`fraction` "c3"/"c4") and the cases the criteria items decided."""
    name = col.SERO_LOW_C3 if fraction == "c3" else col.SERO_LOW_C4
    rows = serology_at_diagnosis(data, name)
    measured = bool_flag(data.per_case(rows, name), column=f"{col.SERO}.{name}")
    both_low = _answer(data, col.EULAR_LOW_C3_AND_C4, EularAcrCriteria, "low_c3_and_c4")
    none_low = any_true(
        [
            _answer(data, col.SLICC_LOW_COMPLEMENT, SliccCriteria, "low_complement", yes=("no",)),
            _answer(data, col.EULAR_LOW_C3_OR_C4, EularAcrCriteria, "low_c3_or_c4", yes=("no",)),
        ]
    )
    both = both_low.to_numpy(dtype=object) == True  # noqa: E712 (elementwise)
    none = none_low.to_numpy(dtype=object) == True  # noqa: E712
    value = measured.to_numpy(dtype=object)
    decided = pd.isna(value) & (both | none)
    low = np.where(decided, both, value == True)  # noqa: E712
    flags = yes_no(data.cases.index, low, ~pd.isna(value) | decided)
    return flags, data.cases.index[decided]


def low_c3(data: StudyData) -> pd.Series:
    return low_complement_sources(data, "c3")[0]


def low_c4(data: StudyData) -> pd.Series:
    return low_complement_sources(data, "c4")[0]


@per_export
def sledai_at_diagnosis(data: StudyData) -> Measure:
    rows = data.table(col.SLEDAI, col.SLEDAI_CONTEXT, col.SLEDAI_SCORE)
    rows = rows[rows[col.SLEDAI_CONTEXT].astype(str) == SledaiContext.LE_DIAGNOSIS]
    return numbers(data.per_case(rows, col.SLEDAI_SCORE), column=f"{col.SLEDAI}.score")


# ---- skin: Table 1's CLE groups and KLIP ----


@per_export
def cle_groups(data: StudyData) -> tuple[dict[str, pd.Series], pd.Series]:
    """Per Table 1 group, whether the case has a lesion of it; and any specific lesion."""
    rows = data.table(col.LESION, col.LESION_SUBTYPE)
    subtype = coded_values(
        rows[col.LESION_SUBTYPE],
        valid=col.codes(CutaneousLesion, "subtype"),
        column=f"{col.LESION}.{col.LESION_SUBTYPE}",
    )
    group = subtype.map(TABLE1_CLE_GROUP).to_numpy(dtype=object)  # NaN: no Table 1 group
    with_group = pd.notna(group)
    skin = cutaneous(data)
    known = data.has_row(rows, subtype.notna().to_numpy()) | (
        skin.to_numpy(dtype=object) == False  # noqa: E712 (elementwise)
    )
    index = data.cases.index
    groups = {
        g: yes_no(index, data.has_row(rows, with_group & (group == g)), known)
        for g in set(TABLE1_CLE_GROUP.values())
    }
    return groups, yes_no(index, data.has_row(rows, with_group), known)


@per_export
def klip(data: StudyData) -> pd.Series:
    rows = data.table(col.REVIEW, col.REVIEW_DIAGNOSIS)
    diagnosis = coded_values(
        rows[col.REVIEW_DIAGNOSIS],
        valid=col.codes(CentralReview, "diagnosis"),
        column=f"{col.REVIEW}.{col.REVIEW_DIAGNOSIS}",
    )
    reviewed = data.has_row(rows, diagnosis.notna().to_numpy())
    has = data.has_row(rows, (diagnosis == "klip").to_numpy(dtype=bool))
    return yes_no(data.cases.index, has, reviewed)


# ---- the variables Table 1 and the comparison share, in the manuscript's wording ----


@dataclass(frozen=True)
class Variable:
    key: str
    label: str
    read: Callable[[StudyData], pd.Series | Measure]
    continuous: bool = False  # a Measure (median [range], Mann–Whitney), else a flag


# The antibodies of the serology at LE diagnosis, in Table 1's order and wording.
SEROLOGY_ROWS = (
    ("ana", _("ANA positivity")),
    ("anti_dsdna", _("Anti-dsDNA positivity")),
    ("anti_ssa", _("Anti-SSA")),
    ("anti_ssb", _("Anti-SSB")),
    ("anti_nucleosome", _("Anti-nucleosome")),
    ("anti_rnp", _("Anti-RNP")),
    ("anti_sm", _("Anti-Sm")),
    ("anti_cardiolipin", _("Anti-Cardiolipin")),
    ("anti_b2gpi", _("Anti-B2GPI")),
    ("lupus_anticoagulant", _("Lupus anticoagulant")),
)
ANTIBODIES = {f: Variable(f, label, serology_result(f)) for f, label in SEROLOGY_ROWS}

AGE = Variable("age_le", _("Age at LE diagnosis"), age_at_le_diagnosis, continuous=True)
FEMALE = Variable("female", _("Female sex"), female)
CUTANEOUS = Variable("cutaneous", _("Cutaneous involvement"), cutaneous)
ARTICULAR = Variable("articular", _("Articular involvement"), articular)
SEROSITIS = Variable("serositis", _("Serositis"), serositis)
RENAL = Variable("renal", _("Renal involvement"), renal)
ANA_TITRE = Variable("ana_titre", _("ANA titre (reciprocal)"), ana_titre, continuous=True)
LOW_C3 = Variable("low_c3", _("Decreased C3 levels"), low_c3)
LOW_C4 = Variable("low_c4", _("Decreased C4"), low_c4)
AIHA = Variable("aiha", _("Hemolytic autoimmune anemia"), aiha)
APS = Variable("aps", _("Antiphospholipid syndrome"), aps)
SLEDAI_DX = Variable(
    "sledai_dx", _("SLEDAI-2K at LE diagnosis"), sledai_at_diagnosis, continuous=True
)
