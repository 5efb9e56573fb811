"""Table 1: characteristics of the cases (MDS/CMML-associated LE), in the manuscript's rows.

Decisions where the manuscript or the brief left a choice:
- Denominators: every case, as the manuscript divides (`Denominator.ALL`); each row also
  states how many cases had the item recorded ("n with data"). `Denominator.WITH_DATA`
  divides by those instead.
- Units: haemoglobin in g/dL, neutrophils and monocytes in G/L (×10⁹/L), as the CRF stores
  them; the manuscript prints g/dL values under "g/L" and counts per mm³ under "G/L".
- CLE subtypes: a case counts once per Table 1 group (`crf.models.lupus.TABLE1_CLE_GROUP`)
  in which it has at least one lesion; "Specific LE features" are cases with any such
  lesion. KLIP counts cases with a central review diagnosis `klip`. Lupus profundus, which
  the manuscript has no row for, gets one only when a case has it.
- Cytogenetics: known when the karyotype is recorded normal or abnormal. "Other" is an
  abnormal karyotype with any abnormality besides del(20q) (or none ticked).
- WHO 2022 block: the class the registry computed, else the one recorded (footnote gives the
  split). The manuscript also splits MDS-LB by lineage dysplasia and keeps CMML-0, which
  WHO 2022 dropped: those splits come from the WHO 2016 class (computed, else recorded).
  Only classes that occur get a row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf.models import CentralReview, CutaneousLesion, HaematologicalDisease
from crf.models.lupus import TABLE1_CLE_GROUP

from . import columns as col
from . import variables as var
from .cells import (
    EMPTY,
    AnalysisTable,
    Cell,
    Denominator,
    Kind,
    Number,
    Row,
    absent_footnote,
    count_cell,
    header,
    n_cell,
    summary_cell,
)
from .data import (
    Measure,
    StudyData,
    bool_flag,
    coded_flag,
    coded_values,
    is_missing,
    membership,
    numbers,
)

CASE = "case"
WIDTH = 2  # the cases' cell and "n with data"

CLE_ROWS = (
    ("chilblain", gettext_lazy("Chilblain CLE")),
    ("discoid", gettext_lazy("Discoid CLE")),
    ("subacute", gettext_lazy("Subacute CLE")),
    ("acute", gettext_lazy("Acute CLE")),
    ("tumid", gettext_lazy("Tumid CLE")),
)
OPTIONAL_CLE_ROWS = (("profundus", gettext_lazy("Lupus profundus")),)

MLD = frozenset({"mds_mld", "mds_rs_mld"})
SLD = frozenset({"mds_sld", "mds_rs_sld"})
ANY: frozenset[str] = frozenset()


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


# In the manuscript's order; only the rows that occur are shown.
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


def _row(key: str, label: str, cell: Cell, kind: Kind = Kind.ITEM) -> Row:
    with_data = cell.number("with_data")
    n = EMPTY if with_data is None else Cell(str(with_data.value), (with_data,))
    return Row(key, label, (cell, n), kind)


def _flag_row(key: str, label: str, flags: pd.Series, ids: pd.Index, d: Denominator) -> Row:
    return _row(key, label, count_cell(flags.loc[ids], denominator=d))


def _measure_row(key: str, label: str, measure: Measure, ids: pd.Index) -> Row:
    return _row(key, label, summary_cell(Measure(measure.values.loc[ids], measure.top_code)))


# ---- derived per-case flags Table 1 needs beyond the shared variables ----


def cle_groups(data: StudyData) -> tuple[dict[str, pd.Series], pd.Series]:
    """Per Table 1 group, whether the case has a lesion of it; and any specific lesion."""
    rows = data.table(col.LESION, col.LESION_SUBTYPE)
    subtype = coded_values(
        rows[col.LESION_SUBTYPE],
        valid=col.codes(CutaneousLesion, "subtype"),
        column=f"{col.LESION}.{col.LESION_SUBTYPE}",
    )
    rows = rows.assign(group=subtype.map(lambda s: TABLE1_CLE_GROUP.get(s) if s else None))
    with_lesion = set(rows.loc[subtype.notna().to_numpy(), col.EXPORT_ID])
    skin = var.cutaneous(data)
    known = with_lesion | set(skin.index[skin.to_numpy(dtype=object) == False])  # noqa: E712
    index = data.cases.index
    groups = {
        g: membership(index, set(rows.loc[(rows["group"] == g).to_numpy(), col.EXPORT_ID]), known)
        for g in {*dict(CLE_ROWS), *dict(OPTIONAL_CLE_ROWS)}
    }
    specific = set(rows.loc[rows["group"].notna().to_numpy(), col.EXPORT_ID])
    return groups, membership(index, specific, known)


def klip(data: StudyData) -> pd.Series:
    rows = data.table(col.REVIEW, col.REVIEW_DIAGNOSIS)
    diagnosis = coded_values(
        rows[col.REVIEW_DIAGNOSIS],
        valid=col.codes(CentralReview, "diagnosis"),
        column=f"{col.REVIEW}.{col.REVIEW_DIAGNOSIS}",
    )
    reviewed = set(rows.loc[diagnosis.notna().to_numpy(), col.EXPORT_ID])
    has = set(rows.loc[(diagnosis == "klip").to_numpy(), col.EXPORT_ID])
    return membership(data.cases.index, has, reviewed)


def _haem_answer(data: StudyData, field: str) -> pd.Series:
    name = col.wide(HaematologicalDisease, field)
    return coded_flag(
        data.column(name), yes=("yes",), valid=col.codes(HaematologicalDisease, field), column=name
    )


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


def classification(
    data: StudyData, computed: str, recorded: str, field: str
) -> tuple[pd.Series, pd.Series]:
    """The computed class, else the recorded one; and which it was ("computed"/"recorded")."""

    def read(name: str, model_field: str) -> pd.Series:
        return coded_values(
            data.column(name), valid=col.codes(HaematologicalDisease, model_field), column=name
        )

    comp = read(computed, f"{field}_computed")
    rec = read(recorded, f"{field}_recorded")
    value = comp.where(comp.notna(), rec)
    source = pd.Series(
        [
            "computed" if c is not None else ("recorded" if r is not None else None)
            for c, r in zip(comp, rec, strict=True)
        ],
        index=data.cases.index,
        dtype=object,
    )
    return value.astype(object).where(value.notna(), None), source


# ---- the table ----


def table1(data: StudyData, *, denominator: Denominator = Denominator.ALL) -> AnalysisTable:
    """Table 1 over the cases (`case_group` == "case"); see the module for the decisions."""
    with data.reading() as absent:
        table = _table1(data, denominator)
    return replace(table, footnotes=table.footnotes + absent_footnote(absent))


def _table1(data: StudyData, denominator: Denominator) -> AnalysisTable:
    ids = data.ids(CASE)
    d = denominator
    rows: list[Row] = []
    add = rows.append

    add(header("demographics", _("Demographics"), WIDTH))
    female = var.female(data).loc[ids]
    male = female.map(lambda v: None if is_missing(v) else not v)
    f_cell, m_cell = count_cell(female, denominator=d), count_cell(male, denominator=d)
    sex = Cell(
        f"{f_cell.text} / {m_cell.text}",
        tuple(Number(f"female_{n.name}", n.value, n.export_ids) for n in f_cell.numbers)
        + tuple(Number(f"male_{n.name}", n.value, n.export_ids) for n in m_cell.numbers)
        + (f_cell.number("with_data"),),
    )
    add(_row("female_male", _("Female / Male"), sex))
    add(_measure_row("age_le", _("Age at LE onset"), var.age_at_le_diagnosis(data), ids))

    add(header("lupus", _("Lupus features"), WIDTH))
    add(_flag_row("cutaneous", _("Cutaneous involvement"), var.cutaneous(data), ids, d))
    groups, specific = cle_groups(data)
    add(_flag_row("specific_le", _("Specific LE features:"), specific, ids, d))
    for key, label in CLE_ROWS:
        add(_row(f"cle_{key}", str(label), n_cell(groups[key].loc[ids]), Kind.SUBITEM))
    for key, label in OPTIONAL_CLE_ROWS:
        cell = n_cell(groups[key].loc[ids])
        if cell.values["n"]:
            add(_row(f"cle_{key}", str(label), cell, Kind.SUBITEM))
    add(_row("klip", _("KLIP"), n_cell(klip(data).loc[ids]), Kind.SUBITEM))
    add(_flag_row("articular", _("Articular involvement"), var.articular(data), ids, d))
    add(_flag_row("serositis", _("Serositis"), var.serositis(data), ids, d))
    add(_flag_row("renal", _("Renal involvement"), var.renal(data), ids, d))

    add(header("antibodies", _("Auto-antibodies"), WIDTH))
    for key, variable in var.ANTIBODIES.items():
        add(_flag_row(key, str(variable.label), variable.read(data), ids, d))
        if key == "ana":
            add(_measure_row("ana_titre", _("Titer"), var.ana_titre(data), ids))
    low_c3, c3_fallback = var.low_complement_sources(data, "c3")
    low_c4, c4_fallback = var.low_complement_sources(data, "c4")
    add(_flag_row("low_c3", _("Decreased C3 levels"), low_c3, ids, d))
    add(_flag_row("low_c4", _("Decreased C4"), low_c4, ids, d))
    add(_flag_row("aiha", _("Hemolytic autoimmune anemia"), var.aiha(data), ids, d))
    add(_flag_row("aps", _("Antiphospholipid syndrome"), var.aps(data), ids, d))
    add(
        _measure_row(
            "sledai_dx", _("SLEDAI-2K at LE diagnosis"), var.sledai_at_diagnosis(data), ids
        )
    )

    add(header("haematology", _("Hematological features at MDS/CMML onset"), WIDTH))
    for key, label, name in (
        ("hb", _("Hemoglobin (g/dL)"), col.HB),
        ("platelets", _("Platelets (G/L)"), col.PLATELETS),
        ("anc", _("Neutrophils (G/L)"), col.ANC),
    ):
        add(_measure_row(key, label, numbers(data.column(name), column=name), ids))
    disease = coded_values(
        data.column(col.DISEASE),
        valid=col.codes(HaematologicalDisease, "disease"),
        column=col.DISEASE,
    ).loc[ids]
    cmml_ids = disease.index[(disease == "cmml").to_numpy()]
    add(
        _measure_row(
            "monocytes_cmml",
            _("Monocytes (G/L) in CMML patients (n=%(n)d)") % {"n": len(cmml_ids)},
            numbers(data.column(col.MONOCYTES), column=col.MONOCYTES),
            cmml_ids,
        )
    )
    for key, label in (
        ("dysgranulopoiesis", _("Dysgranulopoiesis")),
        ("dyserythropoiesis", _("Dyserythropoiesis")),
        ("dysmegakaryopoiesis", _("Dysmegakaryopoiesis")),
    ):
        add(_flag_row(key, label, _haem_answer(data, key), ids, d))
    blasts = numbers(data.column(col.BM_BLASTS), column=col.BM_BLASTS)
    add(_measure_row("bm_blasts", _("Bone marrow blasts (%)"), blasts, ids))
    del20q, other = cytogenetics(data)
    add(Row("cytogenetics", _("Abnormal marrow cytogenetics"), (EMPTY,) * WIDTH, Kind.ITEM))
    add(_row("del20q", _("Del20q"), count_cell(del20q.loc[ids], denominator=d), Kind.SUBITEM))
    add(_row("cyto_other", _("Other"), count_cell(other.loc[ids], denominator=d), Kind.SUBITEM))

    who_rows, who_notes = _who_block(data, ids, disease, d)
    rows.extend(who_rows)
    lower = bool_flag(data.column(col.IPSSR_LOWER_RISK), column=col.IPSSR_LOWER_RISK)
    add(_flag_row("ipssr_lower_risk", _("Lower-risk MDS/CMML (IPSS-R ≤ 3.5)"), lower, ids, d))

    notes = [
        _("Data are presented as n (%) or median [range]."),
        _(
            "Percentages are of all %(n)d cases, as in the manuscript; 'n with data' counts "
            "the cases in which the item was recorded."
        )
        % {"n": len(ids)}
        if d is Denominator.ALL
        else _("Percentages are of the cases in which the item was recorded ('n with data')."),
        _(
            "Hemoglobin in g/dL, neutrophils and monocytes in G/L (×10⁹/L), as the registry "
            "stores them."
        ),
        _(
            "Auto-antibodies, complement and SLEDAI-2K are those at LE diagnosis. Decreased "
            "C3/C4: below the laboratory's lower limit; where not measured, taken from "
            "unambiguous classification items (C3: %(c3)d cases, C4: %(c4)d cases)."
        )
        % {"c3": len(c3_fallback.intersection(ids)), "c4": len(c4_fallback.intersection(ids))},
        *who_notes,
    ]
    return AnalysisTable(
        key="table1",
        title=_(
            "Table 1. Characteristics of patients with MDS/CMML-associated lupus erythematosus"
        ),
        label_header="",
        columns=(_("MDS/CMML associated LE (n=%(n)d)") % {"n": len(ids)}, _("n with data")),
        rows=tuple(rows),
        footnotes=tuple(str(n) for n in notes),
    )


def _who_block(
    data: StudyData, ids: pd.Index, disease: pd.Series, d: Denominator
) -> tuple[list[Row], list[str]]:
    who22, source = classification(data, col.WHO2022_COMPUTED, col.WHO2022_RECORDED, "who2022")
    who16, _source16 = classification(data, col.WHO2016_COMPUTED, col.WHO2016_RECORDED, "who2016")
    rows = [
        header(
            "who2022", _("WHO 2022 classification of hematological features at LE diagnoses"), WIDTH
        )
    ]
    id_list, classes = ids.tolist(), who22.loc[ids].tolist()
    who22, who16 = who22.to_dict(), who16.to_dict()
    for code, label in (("mds", _("MDS")), ("cmml", _("CMML"))):
        flags = disease.map(lambda v, code=code: None if is_missing(v) else v == code)
        rows.append(_row(f"who_{code}", label, count_cell(flags, denominator=d)))
        members = disease.index[(disease == code).to_numpy()].tolist()
        hits: dict[str, set[str]] = {}
        for i in members:
            match = next(r for r in WHO_ROWS if r.matches(who22[i], who16[i]))
            hits.setdefault(match.key, set()).add(i)
        for who_row in WHO_ROWS:
            if who_row.key not in hits:
                continue
            # Counted among all cases; "with data" where the case has a class (any case
            # for the "Not classified" row).
            flags = pd.Series(
                [
                    i in hits[who_row.key] if (who_row.who2022 is None or c is not None) else None
                    for i, c in zip(id_list, classes, strict=True)
                ],
                index=ids,
                dtype=object,
            )
            cell = count_cell(flags, denominator=d)
            rows.append(_row(f"who_{code}_{who_row.key}", str(who_row.label), cell, Kind.SUBITEM))
    unrecorded = disease.map(is_missing)
    if unrecorded.any():
        rows.append(
            _row(
                "who_disease_unrecorded",
                _("Haematological disease not recorded"),
                count_cell(unrecorded.astype(object), denominator=Denominator.ALL),
            )
        )
    in_cases = source.loc[ids]
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
    return rows, [note]
