"""The counts the Results section quotes (crf.md section 11), over the cases.

- LE type, temporal relation, deaths and their causes: n (%) of all cases; follow-up in
  years, median [range]. A death cause "unknown" is an answer here ("one from an unknown
  cause"); a blank one is "not recorded".
- Gene frequencies: among the patients with an NGS test of blood or marrow, the patients
  with a variant of the gene in such a test (skin tests are the concordance's business).
- Central review: patients with at least one reviewed biopsy; "reclassified" is a central
  diagnosis of MDS/CMML cutis (the manuscript's 6/12), and the patients per central
  diagnosis; the registry's own flag (central differs from local) is given beside it.
- Blood–skin concordance: skin tests with a concordant result / skin tests evaluable
  (concordant or discordant), counted per test.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from crf.codes import DeathCause
from crf.models import CentralReview, Demographics, LupusProfile, NgsTest

from . import columns as col
from .cells import (
    AnalysisTable,
    Cell,
    Denominator,
    Kind,
    Number,
    Row,
    absent_footnote,
    count_cell,
    header,
    ratio_cell,
    summary_cell,
)
from .data import (
    Measure,
    StudyData,
    among,
    bool_flag,
    coded_values,
    equals_code,
    is_missing,
    numbers,
    yes_no,
)

WIDTH = 1


def _codes(data: StudyData, name: str, model, field: str) -> pd.Series:
    return coded_values(data.column(name), valid=col.codes(model, field), column=name)


def _flags_in(ids: pd.Index, members: set[str]) -> pd.Series:
    return pd.Series(ids.isin(list(members)).astype(object), index=ids, dtype=object)


def _code_rows(prefix: str, values: pd.Series, choices: dict[str, str]) -> list[Row]:
    """One n (%) row per code, of all the cases in `values`, codes in their field's order."""
    rows = []
    for code, label in choices.items():
        rows.append(Row(f"{prefix}_{code}", label, (count_cell(equals_code(values, code)),)))
    return rows


def results_counts(data: StudyData) -> AnalysisTable:
    with data.reading() as absent:
        table = _results(data)
    return replace(table, footnotes=table.footnotes + absent_footnote(absent))


def _results(data: StudyData) -> AnalysisTable:
    ids = data.ids("case")
    rows: list[Row] = []

    le_type = data.pick(_codes(data, col.LE_TYPE, LupusProfile, "le_type"), ids)
    rows.append(header("le_type", _("LE type"), WIDTH))
    rows += _code_rows("le_type", le_type, {"sle": _("SLE"), "isolated_cle": _("Isolated CLE")})

    relation = data.pick(
        _codes(data, col.TEMPORAL_RELATION, Demographics, "temporal_relation"), ids
    )
    rows.append(header("temporal", _("Temporal relation between LE and MDS/CMML"), WIDTH))
    rows += _code_rows(
        "temporal",
        relation,
        {
            "le_before": _("LE diagnosed before MDS/CMML"),
            "concomitant": _("Concomitant (less than 3 months apart)"),
            "le_after": _("LE diagnosed after MDS/CMML"),
        },
    )

    rows += _outcome_rows(data, ids)
    rows += _ngs_rows(data, ids)
    rows += _review_rows(data, ids)
    rows += _concordance_rows(data, ids)
    return AnalysisTable(
        key="results",
        title=_("Counts quoted in the Results"),
        label_header="",
        columns=(_("MDS/CMML associated LE (n=%(n)d)") % {"n": len(ids)},),
        rows=tuple(rows),
        footnotes=(
            _("n (%) of all cases unless the section names another denominator."),
            _(
                "Reclassified: a central diagnosis of MDS/CMML cutis. Concordance: skin NGS "
                "tests sharing a variant with a blood or marrow test, of the tests evaluable."
            ),
        ),
    )


def _outcome_rows(data: StudyData, ids: pd.Index) -> list[Row]:
    rows = [header("outcome", _("Follow-up and deaths"), WIDTH)]
    followup = numbers(data.column(col.FOLLOWUP_YEARS), column=col.FOLLOWUP_YEARS)
    cell = summary_cell(Measure(data.pick(followup.values, ids), followup.top_code))
    rows.append(Row("followup_years", _("Follow-up (years)"), (cell,)))
    status = data.pick(_codes(data, col.VITAL_STATUS, Demographics, "vital_status"), ids)
    dead = equals_code(status, "dead")
    rows.append(Row("deaths", _("Deaths"), (count_cell(dead),)))
    # "unknown" is a cause given, not missing data, here.
    _codes(data, col.DEATH_CAUSE, Demographics, "death_cause")  # rejects unknown codes
    dead_ids = dead.index[dead.to_numpy(dtype=object) == True]  # noqa: E712 (elementwise)
    by_cause: dict[str, set[str]] = {}
    for i, v in zip(dead_ids, data.column(col.DEATH_CAUSE).loc[dead_ids].tolist(), strict=True):
        cause = v.strip() if isinstance(v, str) else ""
        by_cause.setdefault("" if cause != "unknown" and is_missing(cause) else cause, set()).add(i)
    choices = {**dict(DeathCause.choices), "unknown": _("Unknown cause"), "": _("Not recorded")}
    for code, label in choices.items():
        members = by_cause.get(code, set())
        if code == "" and not members:
            continue
        cell = Cell(str(len(members)), (Number("n", len(members), tuple(sorted(members))),))
        rows.append(Row(f"death_{code or 'not_recorded'}", str(label), (cell,), Kind.SUBITEM))
    return rows


def _ngs_rows(data: StudyData, ids: pd.Index) -> list[Row]:
    tests = data.table(col.NGS, col.ROW_ID, col.NGS_TISSUE)
    tissue = coded_values(
        tests[col.NGS_TISSUE], valid=col.codes(NgsTest, col.NGS_TISSUE), column=f"{col.NGS}.tissue"
    )
    tests = tests[tissue.isin(col.BLOOD_OR_MARROW).to_numpy()]
    # Python strings (object), as the cases' index: an index of pandas' default Arrow
    # strings is converted again by every count over it (one per gene).
    tested = pd.Index(sorted(set(tests[col.EXPORT_ID]) & set(ids)), dtype=object)
    rows = [
        header(
            "ngs",
            _("Gene frequencies among NGS-tested patients (n=%(n)d)") % {"n": len(tested)},
            WIDTH,
        ),
        Row(
            "ngs_tested",
            _("Patients with NGS of blood or marrow"),
            (count_cell(_flags_in(ids, set(tested))),),
        ),
    ]
    variants = data.table(col.VARIANT, col.VARIANT_TEST, col.VARIANT_GENE)
    variants = variants[among(variants[col.VARIANT_TEST], tests[col.ROW_ID])]
    # Per gene, the tested cases carrying it (by position among the tested).
    carrier = tested.get_indexer(variants[col.EXPORT_ID])
    genes = variants[col.VARIANT_GENE].to_numpy(dtype=object)
    carriers = {}
    for gene in pd.unique(genes[carrier >= 0]):
        if pd.isna(gene):  # groupby left missing genes out
            continue
        has = np.zeros(len(tested), dtype=bool)
        has[carrier[(genes == gene) & (carrier >= 0)]] = True
        carriers[gene] = has
    ranked = sorted(carriers.items(), key=lambda gc: (-int(gc[1].sum()), gc[0]))
    for gene, has in ranked:
        flags = yes_no(tested, has, np.ones(len(tested), dtype=bool))
        rows.append(Row(f"gene_{gene}", gene, (count_cell(flags),), Kind.SUBITEM))
    return rows


def _review_rows(data: StudyData, ids: pd.Index) -> list[Row]:
    reviews = data.table(col.REVIEW, col.REVIEW_DIAGNOSIS, col.REVIEW_RECLASSIFIED)
    diagnosis = coded_values(
        reviews[col.REVIEW_DIAGNOSIS],
        valid=col.codes(CentralReview, col.REVIEW_DIAGNOSIS),
        column=f"{col.REVIEW}.diagnosis",
    )
    keep = diagnosis.notna().to_numpy() & reviews[col.EXPORT_ID].isin(ids).to_numpy()
    reviews = reviews.assign(dx=diagnosis.to_numpy())[keep]
    reviewed = pd.Index(sorted(set(reviews[col.EXPORT_ID])), dtype=object)
    rows = [
        header(
            "review",
            _("Central review of skin biopsies (patients reviewed: n=%(n)d)")
            % {"n": len(reviewed)},
            WIDTH,
        ),
        Row(
            "biopsies_reviewed",
            _("Biopsies reviewed"),
            (
                Cell(
                    str(len(reviews)),
                    (Number("n", len(reviews), tuple(sorted(reviews[col.EXPORT_ID]))),),
                ),
            ),
        ),
    ]
    cutis = set(reviews.loc[reviews["dx"] == "mds_cmml_cutis", col.EXPORT_ID])
    rows.append(
        Row(
            "reclassified_cutis",
            _("Reclassified as MDS/CMML cutis"),
            (count_cell(_flags_in(reviewed, cutis), denominator=Denominator.ALL),),
        )
    )
    for code, label in col.labels(CentralReview, col.REVIEW_DIAGNOSIS).items():
        members = set(reviews.loc[reviews["dx"] == code, col.EXPORT_ID])
        flags = _flags_in(reviewed, members)
        rows.append(Row(f"review_{code}", label, (count_cell(flags),), Kind.SUBITEM))
    flag = bool_flag(reviews[col.REVIEW_RECLASSIFIED], column=f"{col.REVIEW}.reclassified")
    differs = set(reviews.loc[flag.map(lambda v: v is True).astype(bool).to_numpy(), col.EXPORT_ID])
    rows.append(
        Row(
            "central_differs",
            _("Central diagnosis differs from the local one"),
            (count_cell(_flags_in(reviewed, differs)),),
        )
    )
    return rows


def _concordance_rows(data: StudyData, ids: pd.Index) -> list[Row]:
    tests = data.table(col.NGS, col.NGS_TISSUE, col.NGS_CONCORDANCE)
    tests = tests[tests[col.EXPORT_ID].isin(ids) & (tests[col.NGS_TISSUE] == "skin")]
    concordance = coded_values(
        tests[col.NGS_CONCORDANCE],
        valid=col.codes(NgsTest, col.NGS_CONCORDANCE),
        column=f"{col.NGS}.concordance",
    )
    evaluable = tests[concordance.isin(["concordant", "discordant"]).to_numpy()]
    concordant = tests[(concordance == "concordant").to_numpy()]
    return [
        header("concordance_section", _("Blood–skin clonal concordance"), WIDTH),
        Row(
            "concordance",
            _("Skin tests sharing a variant with blood or marrow / skin tests evaluable"),
            (ratio_cell(pd.Index(concordant[col.EXPORT_ID]), pd.Index(evaluable[col.EXPORT_ID])),),
        ),
    ]
