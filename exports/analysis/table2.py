"""Table 2: haematological and lupus responses of the patients given a haematological
treatment, one row per patient.

Decisions where the brief left a choice:
- A treatment is haematological when its agent is clone-directed (azacitidine, decitabine,
  venetoclax, allo-HSCT), whatever its target, or when its target is `haematological` or
  `both`. The manuscript's Table 2 keeps an azacitidine given for cutaneous lupus only (marked
  †) and leaves out lenalidomide given for lupus.
- A patient's treatments are grouped by regimen (rows given together share one); the cycles
  shown are the largest number recorded on the regimen's rows, and the responses those
  recorded on any of its rows (lupus: the derived category, else the recorded one).
- Age decade: a 10-year band [10k, 10k + 10) printed "70-80" (74 → "70-80", 70 → "70-80"),
  of the age at MDS/CMML diagnosis (the closest age to a haematological treatment the export
  has), else at LE diagnosis; a top-coded age prints "90+".
- Haematological features: the WHO 2022 class at diagnosis (computed, else recorded) followed
  by the evolution events ("MDS-LB, then CMML-1"); marrow blasts before treatment from the
  response's baseline when given, else at diagnosis; the karyotype checklist; the genes found
  in blood or marrow, each with its highest VAF, largest first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypeVar

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf.codes import Regimen
from crf.models import Demographics, EvolutionEvent, HaematologicalDisease, HaematologicalResponse

from . import columns as col
from . import formatting as fmt
from .cells import AnalysisTable, Cell, Number, Row, absent_footnote
from .data import StudyData, among, bool_flag, coded_values, numbers
from .haematology import classification
from .treatments import (
    HaemResponse,
    case_treatments,
    haem_responses,
    is_haematological,
    lupus_responses,
)

T = TypeVar("T")

LUPUS_ONLY_MARK = "†"

LUPUS_RESPONSE_LABELS = {
    "complete_response": gettext_lazy("Complete remission"),
    "clinical_response": gettext_lazy("Clinical response"),
    "no_response": gettext_lazy("No response"),
}


def age_band(age: float | None, *, top_code: float | None = None) -> str:
    """The 10-year band [10k, 10k + 10) holding `age`: 74 → "70-80"; "90+" when top-coded."""
    if age is None or math.isnan(age):
        return fmt.DASH
    if top_code is not None and age >= top_code:
        return f"{fmt.number(top_code)}+"
    low = int(age // 10) * 10
    return f"{low}-{low + 10}"


@dataclass(frozen=True)
class _Course:
    regimen: str  # "" when not recorded
    rows: list[dict]  # the patient's treatment rows of this regimen
    lupus_only: bool  # its haematological rows all target lupus

    @property
    def cycles(self) -> int | None:
        known = [r[col.TX_CYCLES] for r in self.rows if not math.isnan(r[col.TX_CYCLES])]
        return int(max(known)) if known else None

    def first(self, responses: dict[object, T]) -> T | None:
        return next(
            (responses[r[col.ROW_ID]] for r in self.rows if r[col.ROW_ID] in responses), None
        )


def _records(frame: pd.DataFrame) -> list[dict]:
    """`frame.to_dict("records")`, column by column (several times faster on Arrow strings)."""
    names = list(frame.columns)
    columns = [frame[name].tolist() for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _courses(rows: list[dict]) -> list[_Course]:
    """A patient's haematological regimens, in the order first given."""
    haem = [r for r in rows if r["haem"]]
    return [
        _Course(
            regimen,
            [r for r in rows if r["regimen_key"] == regimen],
            # Only the regimen's haematological rows say whether it was for lupus only.
            all(r[col.TX_TARGET] == "lupus" for r in haem if r["regimen_key"] == regimen),
        )
        for regimen in dict.fromkeys(r["regimen_key"] for r in haem)
    ]


def table2(data: StudyData) -> AnalysisTable:
    with data.reading() as absent:
        table = _table2(data)
    return replace(table, footnotes=table.footnotes + absent_footnote(absent))


def _table2(data: StudyData) -> AnalysisTable:
    tx = case_treatments(data)
    tx = tx.assign(regimen_key=tx[col.TX_REGIMEN].fillna(""), haem=is_haematological(tx))
    treated = set(tx.loc[tx["haem"].to_numpy(), col.EXPORT_ID])
    by_patient: dict[str, list[dict]] = {}
    for record in _records(tx[tx[col.EXPORT_ID].isin(treated).to_numpy()]):
        by_patient.setdefault(record[col.EXPORT_ID], []).append(record)
    lresp, hresp = lupus_responses(data), haem_responses(data)
    words = _Words()
    features = _Features(data, treated, words)
    order = {code: i for i, code in enumerate(words.regimens)}

    patients = sorted(
        ((i, _courses(rows)) for i, rows in by_patient.items()),
        key=lambda p: (min(order.get(c.regimen, len(order)) for c in p[1]), p[0]),
    )
    table_rows = []
    for number, (export_id, courses) in enumerate(patients, start=1):
        ids = (export_id,)
        h_found = [c.first(hresp) for c in courses]
        baseline = next(
            (r.baseline_bm_blasts for r in h_found if r and r.baseline_bm_blasts is not None), None
        )
        treatment = Cell(
            "; ".join(
                _course_text(c, words) + (f" {LUPUS_ONLY_MARK}" if c.lupus_only else "")
                for c in courses
            ),
            tuple(Number(f"cycles_{c.regimen}", c.cycles, ids) for c in courses),
        )
        cells = (
            Cell(export_id, (Number("patient", number, ids),)),
            features.sex(export_id),
            features.age(export_id),
            treatment,
            features.who(export_id),
            features.blasts(export_id, baseline),
            features.karyotype(export_id),
            features.ngs(export_id),
            Cell("; ".join(_haem_response_text(r, words) for r in h_found)),
            Cell("; ".join(words.lupus_response(c.first(lresp)) for c in courses)),
        )
        table_rows.append(Row(export_id, str(number), cells))
    return AnalysisTable(
        key="table2",
        title=_(
            "Table 2. Hematologic and lupus responses to hematologic therapy in patients with "
            "MDS/CMML-associated LE"
        ),
        label_header=_("Patient"),
        columns=(
            _("Case"),
            _("Sex"),
            _("Age decade (years)"),
            _("Treatment / number of treatment cycles"),
            _("WHO class at treatment begin"),
            _("Marrow blasts (%)"),
            _("Karyotype"),
            _("NGS (VAF)"),
            _("Hematologic response"),
            _("Lupus response"),
        ),
        rows=tuple(table_rows),
        footnotes=(
            _(
                "Haematological treatment: a clone-directed agent (azacitidine, decitabine, "
                "venetoclax, allo-HSCT) or a treatment targeting the haematological disease."
            ),
            _("%(mark)s given for lupus manifestations only.") % {"mark": LUPUS_ONLY_MARK},
            _(
                "Age decade: 10-year band of the age at MDS/CMML diagnosis (else at LE "
                "diagnosis), lower bound included."
            ),
            _(
                "WHO 2022 class at diagnosis (computed, else recorded), then the evolution "
                "events; marrow blasts before treatment when recorded with the response, else "
                "at diagnosis; NGS of blood or marrow, highest VAF per gene."
            ),
        ),
    )


class _Words:
    """The labels a Table 2 build prints, translated once (gettext per cell is slow)."""

    def __init__(self) -> None:
        self.regimens = {code: str(label) for code, label in Regimen.choices}
        self.no_regimen = _("Regimen not recorded")
        self.not_assessed = _("Not assessed")
        self.lupus = {code: str(label) for code, label in LUPUS_RESPONSE_LABELS.items()}
        self.haem = col.labels(HaematologicalResponse, col.HRESP_CATEGORY)
        self.criteria = col.labels(HaematologicalResponse, col.HRESP_CRITERIA)
        self.sexes = {"female": _("Female"), "male": _("Male")}
        self.then = _(", then ")
        self.normal_karyotype, self.abnormal = _("normal"), _("abnormal")
        self.not_done, self.no_variant = _("not done"), _("Normal")
        self.cycles = _("%(regimen)s: %(n)d cycles")

    def lupus_response(self, category: str | None) -> str:
        return self.lupus[category] if category else self.not_assessed


def _course_text(course: _Course, words: _Words) -> str:
    label = words.regimens.get(course.regimen, words.no_regimen)
    if course.cycles is None:
        return label
    return words.cycles % {"regimen": label, "n": course.cycles}


def _haem_response_text(response: HaemResponse | None, words: _Words) -> str:
    if response is None or response.category is None:
        return words.not_assessed
    text = words.haem[response.category]
    criteria = words.criteria.get(response.criteria or "")
    return f"{text} ({criteria})" if criteria else text


class _Features:
    """The per-patient cells from the wide table and the NGS and evolution tables, read once
    for the treated patients and looked up by export id."""

    def __init__(self, data: StudyData, treated: set[str], words: _Words) -> None:
        self.words = words
        ids = data.cases.index[data.cases.index.isin(treated)]

        def for_treated(series: pd.Series) -> dict[str, object]:
            return dict(zip(ids, data.pick(series, ids).tolist(), strict=True))

        self.sexes = for_treated(
            coded_values(data.column(col.SEX), valid=col.codes(Demographics, "sex"), column=col.SEX)
        )
        age_mds = numbers(data.column(col.AGE_MDS), column=col.AGE_MDS)
        age_le = numbers(data.column(col.AGE_LE), column=col.AGE_LE)
        self.ages = for_treated(age_mds.values.where(age_mds.values.notna(), age_le.values))
        self.top_code = age_mds.top_code or age_le.top_code
        who22, _source = classification(data, "who2022")
        self.who22 = for_treated(who22)
        self.who_labels = col.labels(HaematologicalDisease, "who2022_computed")
        self.bm_blasts = for_treated(
            numbers(data.column(col.BM_BLASTS), column=col.BM_BLASTS).values
        )
        self.karyotypes = for_treated(
            coded_values(
                data.column(col.KARYOTYPE),
                valid=col.codes(HaematologicalDisease, "karyotype"),
                column=col.KARYOTYPE,
            )
        )
        self.abnormalities: dict[str, list[str]] = {i: [] for i in ids}
        for code, name in col.ABNORMALITY.items():  # in the checklist's order
            flags = data.pick(bool_flag(data.column(name), column=name), ids)
            for i in ids[flags.to_numpy(dtype=object) == True]:  # noqa: E712 (elementwise)
                self.abnormalities[i].append(col.ABNORMALITY_LABEL[code])

        evo = data.table(col.EVO, col.EVO_STATE)
        evo = evo[evo[col.EXPORT_ID].isin(treated).to_numpy()]
        states = coded_values(
            evo[col.EVO_STATE],
            valid=col.codes(EvolutionEvent, col.EVO_STATE),
            column=f"{col.EVO}.{col.EVO_STATE}",
        )
        labels = col.labels(EvolutionEvent, col.EVO_STATE)
        self.evolution: dict[str, list[str]] = {}
        for i, state in zip(evo[col.EXPORT_ID], states.tolist(), strict=True):
            if state is not None:
                self.evolution.setdefault(i, []).append(labels[state])

        tests = data.table(col.NGS, col.ROW_ID, col.NGS_TISSUE, col.NGS_RESULT)
        tests = tests[
            (
                tests[col.EXPORT_ID].isin(treated) & tests[col.NGS_TISSUE].isin(col.BLOOD_OR_MARROW)
            ).to_numpy()
        ]
        self.tested = set(tests[col.EXPORT_ID])
        self.no_variant = set(
            tests.loc[(tests[col.NGS_RESULT] == "no_variant").to_numpy(), col.EXPORT_ID]
        )
        variants = data.table(col.VARIANT, col.VARIANT_TEST, col.VARIANT_GENE, col.VARIANT_VAF)
        variants = variants[among(variants[col.VARIANT_TEST], tests[col.ROW_ID])]
        vaf = numbers(variants[col.VARIANT_VAF], column=f"{col.VARIANT}.{col.VARIANT_VAF}").values
        # The highest VAF of each gene (-1: a variant without a VAF).
        self.genes: dict[str, dict[str, float]] = {}
        for i, gene, value in zip(
            variants[col.EXPORT_ID], variants[col.VARIANT_GENE], vaf.tolist(), strict=True
        ):
            best = self.genes.setdefault(i, {})
            best[gene] = max(best.get(gene, -1.0), -1.0 if math.isnan(value) else value)

    def sex(self, export_id: str) -> Cell:
        text = self.words.sexes.get(self.sexes[export_id] or "", fmt.DASH)
        return Cell(text)

    def age(self, export_id: str) -> Cell:
        age = self.ages[export_id]
        value = None if math.isnan(age) else float(age)
        return Cell(age_band(value, top_code=self.top_code), (Number("age", value, (export_id,)),))

    def who(self, export_id: str) -> Cell:
        code = self.who22[export_id]
        states = [self.who_labels.get(code, code)] if code else [fmt.DASH]
        return Cell(self.words.then.join(states + self.evolution.get(export_id, [])))

    def blasts(self, export_id: str, baseline: float | None) -> Cell:
        value = baseline
        if value is None:
            at_dx = self.bm_blasts[export_id]
            value = None if math.isnan(at_dx) else float(at_dx)
        return Cell(fmt.number(value), (Number("bm_blasts", value, (export_id,)),))

    def karyotype(self, export_id: str) -> Cell:
        code = self.karyotypes[export_id]
        if code is None:
            return Cell(fmt.DASH)
        if code == "normal":
            return Cell(self.words.normal_karyotype)
        ticked = self.abnormalities[export_id]
        return Cell(", ".join(ticked) if ticked else self.words.abnormal)

    def ngs(self, export_id: str) -> Cell:
        if export_id not in self.tested:
            return Cell(self.words.not_done)
        best = self.genes.get(export_id)
        if not best:
            return Cell(self.words.no_variant if export_id in self.no_variant else fmt.DASH)
        ordered = sorted(best.items(), key=lambda gv: (-gv[1], gv[0]))
        text = ", ".join(g if v < 0 else f"{g} {fmt.number(v)}%" for g, v in ordered)
        return Cell(text, tuple(Number(g, None if v < 0 else v, (export_id,)) for g, v in ordered))
