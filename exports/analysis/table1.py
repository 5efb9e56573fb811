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
- Cytogenetics and the WHO 2022 block: `exports.analysis.haematology`.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import columns as col
from . import haematology as haem
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
from .data import Measure, StudyData, bool_flag, numbers, yes_no

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


def _row(key: str, label: str, cell: Cell, kind: Kind = Kind.ITEM) -> Row:
    with_data = cell.number("with_data")
    n = EMPTY if with_data is None else Cell(str(with_data.value), (with_data,))
    return Row(key, label, (cell, n), kind)


def _flag_row(
    data: StudyData, key: str, label: str, flags: pd.Series, ids: pd.Index, d: Denominator
) -> Row:
    return _row(key, label, count_cell(data.pick(flags, ids), denominator=d))


def _measure_row(data: StudyData, key: str, label: str, measure: Measure, ids: pd.Index) -> Row:
    values = data.pick(measure.values, ids)
    return _row(key, label, summary_cell(Measure(values, measure.top_code)))


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
    female = data.pick(var.female(data), ids)
    male = yes_no(female.index, female.to_numpy(dtype=object) == False, female.notna())  # noqa: E712
    f_cell, m_cell = count_cell(female, denominator=d), count_cell(male, denominator=d)
    sex = Cell(
        f"{f_cell.text} / {m_cell.text}",
        tuple(Number(f"female_{n.name}", n.value, n.export_ids) for n in f_cell.numbers)
        + tuple(Number(f"male_{n.name}", n.value, n.export_ids) for n in m_cell.numbers)
        + (f_cell.number("with_data"),),
    )
    add(_row("female_male", _("Female / Male"), sex))
    add(_measure_row(data, "age_le", _("Age at LE onset"), var.age_at_le_diagnosis(data), ids))

    add(header("lupus", _("Lupus features"), WIDTH))
    add(_flag_row(data, "cutaneous", _("Cutaneous involvement"), var.cutaneous(data), ids, d))
    groups, specific = var.cle_groups(data)
    add(_flag_row(data, "specific_le", _("Specific LE features:"), specific, ids, d))
    for key, label in CLE_ROWS:
        add(_row(f"cle_{key}", str(label), n_cell(data.pick(groups[key], ids)), Kind.SUBITEM))
    for key, label in OPTIONAL_CLE_ROWS:
        cell = n_cell(data.pick(groups[key], ids))
        if cell.values["n"]:
            add(_row(f"cle_{key}", str(label), cell, Kind.SUBITEM))
    add(_row("klip", _("KLIP"), n_cell(data.pick(var.klip(data), ids)), Kind.SUBITEM))
    add(_flag_row(data, "articular", _("Articular involvement"), var.articular(data), ids, d))
    add(_flag_row(data, "serositis", _("Serositis"), var.serositis(data), ids, d))
    add(_flag_row(data, "renal", _("Renal involvement"), var.renal(data), ids, d))

    add(header("antibodies", _("Auto-antibodies"), WIDTH))
    for key, variable in var.ANTIBODIES.items():
        add(_flag_row(data, key, str(variable.label), variable.read(data), ids, d))
        if key == "ana":
            add(_measure_row(data, "ana_titre", _("Titer"), var.ana_titre(data), ids))
    low_c3, c3_fallback = var.low_complement_sources(data, "c3")
    low_c4, c4_fallback = var.low_complement_sources(data, "c4")
    add(_flag_row(data, "low_c3", _("Decreased C3 levels"), low_c3, ids, d))
    add(_flag_row(data, "low_c4", _("Decreased C4"), low_c4, ids, d))
    add(_flag_row(data, "aiha", _("Hemolytic autoimmune anemia"), var.aiha(data), ids, d))
    add(_flag_row(data, "aps", _("Antiphospholipid syndrome"), var.aps(data), ids, d))
    add(
        _measure_row(
            data, "sledai_dx", _("SLEDAI-2K at LE diagnosis"), var.sledai_at_diagnosis(data), ids
        )
    )

    add(header("haematology", _("Hematological features at MDS/CMML onset"), WIDTH))
    for key, label, name in (
        ("hb", _("Hemoglobin (g/dL)"), col.HB),
        ("platelets", _("Platelets (G/L)"), col.PLATELETS),
        ("anc", _("Neutrophils (G/L)"), col.ANC),
    ):
        add(_measure_row(data, key, label, numbers(data.column(name), column=name), ids))
    disease = data.pick(haem.disease(data), ids)
    cmml_ids = disease.index[(disease == "cmml").to_numpy()]
    add(
        _measure_row(
            data,
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
        add(_flag_row(data, key, label, haem.haem_answer(data, key), ids, d))
    blasts = numbers(data.column(col.BM_BLASTS), column=col.BM_BLASTS)
    add(_measure_row(data, "bm_blasts", _("Bone marrow blasts (%)"), blasts, ids))
    del20q, other = haem.cytogenetics(data)
    add(Row("cytogenetics", _("Abnormal marrow cytogenetics"), (EMPTY,) * WIDTH, Kind.ITEM))
    add(
        _row("del20q", _("Del20q"), count_cell(data.pick(del20q, ids), denominator=d), Kind.SUBITEM)
    )
    add(
        _row(
            "cyto_other", _("Other"), count_cell(data.pick(other, ids), denominator=d), Kind.SUBITEM
        )
    )

    title = _("WHO 2022 classification of hematological features at LE diagnoses")
    add(header("who2022", title, WIDTH))
    who_rows, who_note = haem.who_block(data, ids, d)
    rows.extend(_row(*who_row) for who_row in who_rows)
    lower = bool_flag(data.column(col.IPSSR_LOWER_RISK), column=col.IPSSR_LOWER_RISK)
    add(_flag_row(data, "ipssr_lower_risk", _("Lower-risk MDS/CMML (IPSS-R ≤ 3.5)"), lower, ids, d))

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
        who_note,
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
