"""The haematological rows of Table 1 (cases): cytogenetics and the WHO 2022 block.

- Cytogenetics are known when the karyotype is recorded normal or abnormal. "Other" is an
  abnormal karyotype with any abnormality besides del(20q) (or none ticked).
- WHO 2022 class: the one the registry computed, else the one recorded (the footnote gives
  the split). The manuscript also splits MDS-LB by lineage dysplasia and keeps CMML-0, both
  dropped by WHO 2022: those splits come from the WHO 2016 class (computed, else recorded).
  Only the classes that occur get a row, under the case's disease (MDS or CMML).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf.models import HaematologicalDisease

from . import columns as col
from .cells import Cell, Denominator, Kind, count_cell
from .data import (
    StudyData,
    bool_flag,
    coded_flag,
    coded_values,
    equals_code,
    per_export,
    yes_no,
)

MLD = frozenset({"mds_mld", "mds_rs_mld"})
SLD = frozenset({"mds_sld", "mds_rs_sld"})
ANY: frozenset[str] = frozenset()


@per_export
def haem_answer(data: StudyData, field: str) -> pd.Series:
    """A yes/no item of the haematological section (dysgranulopoiesis…)."""
    name = col.wide(HaematologicalDisease, field)
    return coded_flag(
        data.column(name), yes=("yes",), valid=col.codes(HaematologicalDisease, field), column=name
    )


@per_export
def cytogenetics(data: StudyData) -> tuple[pd.Series, pd.Series]:
    """del(20q), and any other abnormality, for cases with a recorded karyotype."""
    karyotype = coded_values(
        data.column(col.KARYOTYPE),
        valid=col.codes(HaematologicalDisease, "karyotype"),
        column=col.KARYOTYPE,
    )
    ticked = {
        code: bool_flag(data.column(name), column=name) for code, name in col.ABNORMALITY.items()
    }
    found = {code: flags.to_numpy(dtype=object) == True for code, flags in ticked.items()}  # noqa: E712
    nothing = np.zeros(len(karyotype), dtype=bool)
    del20q = found.get("del20q", nothing)
    besides = np.logical_or.reduce([f for c, f in found.items() if c != "del20q"] + [nothing])
    none_ticked = ~np.logical_or.reduce([*found.values(), nothing])
    abnormal = (karyotype == "abnormal").to_numpy(dtype=bool)
    recorded = karyotype.notna().to_numpy()
    index = data.cases.index
    return (
        yes_no(index, abnormal & del20q, recorded),
        yes_no(index, abnormal & (besides | none_ticked), recorded),
    )


@per_export
def classification(data: StudyData, field: str) -> tuple[pd.Series, pd.Series]:
    """`field` "who2022"/"who2016": the computed class, else the recorded one (None if
    neither); and which it was ("computed", "recorded" or None)."""

    def read(model_field: str) -> np.ndarray:
        name = col.wide(HaematologicalDisease, model_field)
        return coded_values(
            data.column(name), valid=col.codes(HaematologicalDisease, model_field), column=name
        ).to_numpy(dtype=object)

    computed, recorded = read(f"{field}_computed"), read(f"{field}_recorded")
    index = data.cases.index
    has_computed, has_recorded = pd.notna(computed), pd.notna(recorded)
    value = np.where(has_computed, computed, recorded)
    source = np.where(has_computed, "computed", np.where(has_recorded, "recorded", None))
    return pd.Series(value, index=index, dtype=object), pd.Series(source, index=index, dtype=object)


@dataclass(frozen=True)
class WhoRow:
    """A row of the WHO block: a WHO 2022 class, optionally narrowed by the WHO 2016 one."""

    key: str
    label: Any  # lazy: translated when the table is built
    who2022: str | None  # None: no class at all
    who2016: frozenset[str] = ANY  # ANY: whatever the WHO 2016 class
    not_who2016: frozenset[str] = ANY

    def matches(self, who2022: np.ndarray, who2016: np.ndarray) -> np.ndarray:
        """Per case (classes as `classification` reads them, None when missing)."""
        same = pd.isna(who2022) if self.who2022 is None else who2022 == self.who2022
        narrowed = pd.Series(who2016, dtype=object)
        if self.who2016:
            same &= narrowed.isin(self.who2016).to_numpy()
        if self.not_who2016:
            same &= ~narrowed.isin(self.not_who2016).to_numpy()
        return np.asarray(same, dtype=bool)


# In the manuscript's order; mutually exclusive, and every case matches one.
WHO_ROWS: tuple[WhoRow, ...] = (
    WhoRow("mds_lb_mld", gettext_lazy("MDS-LB with multiple lineage dysplasia"), "mds_lb", MLD),
    WhoRow("mds_lb_sld", gettext_lazy("MDS-LB with single-lineage dysplasia"), "mds_lb", SLD),
    WhoRow("mds_lb_u", gettext_lazy("MDS-LB unclassifiable"), "mds_lb", frozenset({"mds_u"})),
    WhoRow("mds_lb", gettext_lazy("MDS-LB"), "mds_lb", not_who2016=MLD | SLD | {"mds_u"}),
    WhoRow("mds_5q", gettext_lazy("MDS with low blasts and isolated 5q deletion"), "mds_5q"),
    WhoRow("mds_sf3b1", gettext_lazy("MDS with low blasts and SF3B1 mutation"), "mds_sf3b1"),
    WhoRow("mds_h", gettext_lazy("Hypoplastic MDS"), "mds_h"),
    WhoRow("mds_ib1", gettext_lazy("MDS with excess blasts 1"), "mds_ib1"),
    WhoRow("mds_ib2", gettext_lazy("MDS with excess blasts 2"), "mds_ib2"),
    WhoRow("mds_f", gettext_lazy("MDS with fibrosis"), "mds_f"),
    WhoRow("mds_bitp53", gettext_lazy("MDS with biallelic TP53 inactivation"), "mds_bitp53"),
    WhoRow(
        "cmml_0", gettext_lazy("Chronic myelomonocytic leukemia 0"), "cmml_1", frozenset({"cmml_0"})
    ),
    WhoRow(
        "cmml_1",
        gettext_lazy("Chronic myelomonocytic leukemia 1"),
        "cmml_1",
        not_who2016=frozenset({"cmml_0"}),
    ),
    WhoRow("cmml_2", gettext_lazy("Chronic myelomonocytic leukemia 2"), "cmml_2"),
    WhoRow("aml", gettext_lazy("Acute myeloid leukaemia (≥ 20% blasts)"), "aml"),
    WhoRow("unclassified", gettext_lazy("Not classified"), None),
)


@per_export
def disease(data: StudyData) -> pd.Series:
    """MDS or CMML (None when not recorded), for every case."""
    return coded_values(
        data.column(col.DISEASE),
        valid=col.codes(HaematologicalDisease, "disease"),
        column=col.DISEASE,
    )


def who_block(
    data: StudyData, ids: pd.Index, d: Denominator
) -> tuple[list[tuple[str, str, Cell, Kind]], str]:
    """The block's rows (key, label, cell, kind) over the cases `ids`, and its footnote."""
    who22, source = classification(data, "who2022")
    who16, _source16 = classification(data, "who2016")
    diseases = data.pick(disease(data), ids)
    classes = data.pick(who22, ids).to_numpy(dtype=object)
    classes16 = data.pick(who16, ids).to_numpy(dtype=object)
    # The row each case falls in: the first that matches.
    row_of = np.full(len(ids), -1, dtype=np.intp)
    for number, who_row in enumerate(WHO_ROWS):
        row_of[(row_of < 0) & who_row.matches(classes, classes16)] = number
    has_class = pd.notna(classes)
    rows: list[tuple[str, str, Cell, Kind]] = []
    for code, label in (("mds", _("MDS")), ("cmml", _("CMML"))):
        cell = count_cell(equals_code(diseases, code), denominator=d)
        rows.append((f"who_{code}", label, cell, Kind.ITEM))
        of_code = (diseases == code).to_numpy(dtype=bool)
        if (row_of[of_code] < 0).any():
            raise ValueError("WHO_ROWS must give every case a row.")
        for number, who_row in enumerate(WHO_ROWS):
            hits = of_code & (row_of == number)
            if not hits.any():
                continue
            # Of all cases; "with data" where the case has a class (any case for the
            # "Not classified" row).
            known = np.ones(len(ids), dtype=bool) if who_row.who2022 is None else has_class
            cell = count_cell(yes_no(ids, hits, known), denominator=d)
            rows.append((f"who_{code}_{who_row.key}", str(who_row.label), cell, Kind.SUBITEM))
    unrecorded = diseases.isna().to_numpy()
    if unrecorded.any():
        flags = yes_no(ids, unrecorded, np.ones(len(ids), dtype=bool))
        cell = count_cell(flags, denominator=Denominator.ALL)
        rows.append(
            ("who_disease_unrecorded", _("Haematological disease not recorded"), cell, Kind.ITEM)
        )
    in_cases = data.pick(source, ids)
    note = _(
        "WHO 2022 class as computed by the registry for %(computed)d cases and as recorded "
        "for %(recorded)d (no computed class); %(none)d without a class. MDS-LB is split by "
        "lineage dysplasia and CMML-0 is kept as in the manuscript, from the WHO 2016 class "
        "(computed, else recorded)."
    ) % {
        "computed": int((in_cases == "computed").sum()),
        "recorded": int((in_cases == "recorded").sum()),
        "none": int(in_cases.isna().sum()),
    }
    return rows, note
