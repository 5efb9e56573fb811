"""Figure 3: lupus response by treatment strategy (regimen), and the counts behind it.

Unit: a patient per regimen (the manuscript: "15 patients received HCQ alone; 4 achieved
CR…"). A patient given a regimen more than once counts once, with the best response
(complete > clinical > none); the category is the registry's derived one, else the recorded
one. Patients without an assessed response are counted apart ("not assessed") and left out
of the bars. Topical regimens are left out by default: the manuscript's Figure 3 shows the
systemic treatments and reports the topical ones in the text.

The bars are 100 % stacked (complete blue, clinical yellow, none white) with the number of
patients above each. Rendering is deterministic (Agg, DejaVu Sans drawn as paths, fixed SVG
hash salt, no date), so two renders of the same counts give identical bytes.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Literal

import matplotlib
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from crf.codes import Regimen

from . import columns as col
from .cells import AnalysisTable, Cell, Denominator, Number, Row, absent_footnote, count_cell
from .data import StudyData, equals_code
from .treatments import case_treatments, lupus_responses

RESPONSES = ("complete_response", "clinical_response", "no_response")
RESPONSE_LABELS = {
    "complete_response": gettext_lazy("Complete response"),
    "clinical_response": gettext_lazy("Clinical response"),
    "no_response": gettext_lazy("No response"),
}
COLOURS = {"complete_response": "#2f6db5", "clinical_response": "#f2c230", "no_response": "#ffffff"}
TOPICAL = frozenset({"topical_corticosteroids", "topical_tacrolimus"})
RC = {
    "svg.hashsalt": "exports.analysis.figure3",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "path.simplify": True,
}


def patient_responses(data: StudyData, *, include_topical: bool = False) -> pd.DataFrame:
    """One row per (export_id, regimen): the best lupus response, None if not assessed."""
    tx = case_treatments(data)
    keep = tx[col.TX_REGIMEN].notna()
    if not include_topical:
        keep &= ~tx[col.TX_REGIMEN].isin(TOPICAL)
    tx = tx[keep.to_numpy()]
    responses = lupus_responses(data)
    rank = {code: i for i, code in enumerate(RESPONSES)}
    best: dict[tuple[str, str], str | None] = {}
    for export_id, regimen, row_id in zip(
        tx[col.EXPORT_ID].tolist(),
        tx[col.TX_REGIMEN].tolist(),
        tx[col.ROW_ID].tolist(),
        strict=True,
    ):
        found, held = responses.get(row_id), best.get((export_id, regimen))
        if held is None or (found is not None and rank[found] < rank[held]):
            best[(export_id, regimen)] = found
    return pd.DataFrame(
        [{col.EXPORT_ID: i, "regimen": r, "response": v} for (i, r), v in sorted(best.items())],
        columns=[col.EXPORT_ID, "regimen", "response"],
    )


def figure3_counts(data: StudyData, *, include_topical: bool = False) -> AnalysisTable:
    with data.reading() as absent:
        per_patient = patient_responses(data, include_topical=include_topical)
    rows = []
    for regimen in Regimen.values:
        these = per_patient[per_patient["regimen"] == regimen].set_index(col.EXPORT_ID)
        if these.empty:
            continue
        assessed = these.index[these["response"].notna().to_numpy()]
        unassessed = these.index[these["response"].isna().to_numpy()]
        cells = []
        for code in RESPONSES:
            flags = equals_code(these["response"], code)
            cells.append(count_cell(flags, denominator=Denominator.WITH_DATA))
        cells.append(
            Cell(str(len(assessed)), (Number("n", len(assessed), tuple(sorted(assessed))),))
        )
        cells.append(
            Cell(str(len(unassessed)), (Number("n", len(unassessed), tuple(sorted(unassessed))),))
        )
        rows.append(Row(regimen, str(Regimen(regimen).label), tuple(cells)))
    table = AnalysisTable(
        key="figure3",
        title=_("Figure 3. Efficacy of lupus therapies in MDS/CMML-associated LE"),
        label_header=_("Treatment strategy"),
        columns=(
            _("Complete response"),
            _("Clinical response"),
            _("No response"),
            _("n"),
            _("Not assessed"),
        ),
        rows=tuple(rows),
        footnotes=(
            _(
                "Patients per treatment strategy, best lupus response if given more than once; "
                "n (%) of the patients assessed."
            ),
            _("Topical treatments included.")
            if include_topical
            else _("Topical treatments left out."),
        ),
    )
    return replace(table, footnotes=table.footnotes + absent_footnote(absent))


def figure3_figure(counts: AnalysisTable) -> Figure:
    """The stacked bars (percent of the patients assessed) with n above each bar."""
    rows = [r for r in counts.rows if r.cells[3].values["n"]]
    fig = Figure(figsize=(max(5.0, 0.9 * len(rows) + 3.0), 4.0), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = range(len(rows))
    bottom = [0.0] * len(rows)
    for i, code in enumerate(RESPONSES):
        heights = [r.cells[i].values["percent"] or 0.0 for r in rows]
        ax.bar(
            x,
            heights,
            bottom=bottom,
            color=COLOURS[code],
            edgecolor="black",
            linewidth=0.6,
            width=0.7,
            label=str(RESPONSE_LABELS[code]),
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for xi, row in zip(x, rows, strict=True):
        ax.text(xi, 102, f"n = {row.cells[3].values['n']}", ha="center", va="bottom")
    ax.set_xticks(list(x), [r.label for r in rows], rotation=30, ha="right")
    ax.set_ylim(0, 115)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.set_ylabel(_("Patients (%)"))
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside upper center", ncols=len(RESPONSES), frameon=False)
    return fig


def render_figure3(counts: AnalysisTable, *, format: Literal["svg", "png"] = "svg") -> bytes:
    """The figure as SVG or PNG bytes, identical for identical counts."""
    metadata = {"Date": None} if format == "svg" else {"Software": None}
    with matplotlib.rc_context(RC):
        fig = figure3_figure(counts)
        out = io.BytesIO()
        fig.savefig(out, format=format, metadata=metadata)
    return out.getvalue()
