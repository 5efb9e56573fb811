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

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf.models import HaematologicalDisease

from . import columns as col
from .cells import Cell, Denominator, Kind, count_cell
from .data import StudyData, bool_flag, coded_flag, coded_values, is_missing, per_export

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
    del20q, other = [], []
    ticks_by_case = zip(*(flags.tolist() for flags in ticked.values()), strict=True)
    for code, ticks in zip(karyotype.tolist(), ticks_by_case, strict=True):
        if code is None:
            del20q.append(None)
            other.append(None)
            continue
        abnormal = code == "abnormal"
        found = {name for name, tick in zip(ticked, ticks, strict=True) if tick is True}
        del20q.append(abnormal and "del20q" in found)
        other.append(abnormal and (bool(found - {"del20q"}) or not found))
    index = data.cases.index
    return pd.Series(del20q, index=index, dtype=object), pd.Series(other, index=index, dtype=object)


@per_export
def classification(data: StudyData, field: str) -> tuple[pd.Series, pd.Series]:
    """`field` "who2022"/"who2016": the computed class, else the recorded one (None if
    neither); and which it was ("computed", "recorded" or None)."""

    def read(model_field: str) -> list[str | None]:
        name = col.wide(HaematologicalDisease, model_field)
        return coded_values(
            data.column(name), valid=col.codes(HaematologicalDisease, model_field), column=name
        ).tolist()

    computed, recorded = read(f"{field}_computed"), read(f"{field}_recorded")
    index = data.cases.index
    value = [c if c is not None else r for c, r in zip(computed, recorded, strict=True)]
    source = [
        "computed" if c is not None else ("recorded" if r is not None else None)
        for c, r in zip(computed, recorded, strict=True)
    ]
    return pd.Series(value, index=index, dtype=object), pd.Series(source, index=index, dtype=object)


@dataclass(frozen=True)
class WhoRow:
    """A row of the WHO block: a WHO 2022 class, optionally narrowed by the WHO 2016 one."""

    key: str
    label: Any  # lazy: translated when the table is built
    who2022: str | None  # None: no class at all
    who2016: frozenset[str] = ANY  # ANY: whatever the WHO 2016 class
    not_who2016: frozenset[str] = ANY

    def matches(self, who2022: str | None, who2016: str | None) -> bool:
        return (
            who2022 == self.who2022
            and (not self.who2016 or who2016 in self.who2016)
            and who2016 not in self.not_who2016
        )


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
    id_list, classes = ids.tolist(), data.pick(who22, ids).tolist()
    who22_of, who16_of = who22.to_dict(), who16.to_dict()
    rows: list[tuple[str, str, Cell, Kind]] = []
    for code, label in (("mds", _("MDS")), ("cmml", _("CMML"))):
        flags = diseases.map(lambda v, code=code: None if is_missing(v) else v == code)
        rows.append((f"who_{code}", label, count_cell(flags, denominator=d), Kind.ITEM))
        hits: dict[str, set[str]] = {}
        for i in diseases.index[(diseases == code).to_numpy()].tolist():
            match = next(r for r in WHO_ROWS if r.matches(who22_of[i], who16_of[i]))
            hits.setdefault(match.key, set()).add(i)
        for who_row in WHO_ROWS:
            if who_row.key not in hits:
                continue
            # Of all cases; "with data" where the case has a class (any case for the
            # "Not classified" row).
            flags = pd.Series(
                [
                    i in hits[who_row.key] if (who_row.who2022 is None or c is not None) else None
                    for i, c in zip(id_list, classes, strict=True)
                ],
                index=ids,
                dtype=object,
            )
            cell = count_cell(flags, denominator=d)
            rows.append((f"who_{code}_{who_row.key}", str(who_row.label), cell, Kind.SUBITEM))
    unrecorded = diseases.map(is_missing).astype(object)
    if unrecorded.any():
        cell = count_cell(unrecorded, denominator=Denominator.ALL)
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
