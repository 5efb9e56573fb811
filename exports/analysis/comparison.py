"""The case-control comparison: MDS/CMML-associated SLE versus idiopathic SLE.

Cases are the `case` group whose SLICC 2012 classification is `met` (the manuscript's 19);
controls are the `control` group (idiopathic SLE by definition, not re-filtered). The rows
the manuscript reports come first (age, sex, renal, articular, ANA titre, anti-dsDNA, low C4),
then the other Table 1 variables. Proportions are over the patients with data, the
same patients the test uses ("6/19 (32)"); the ANA titre compares the reciprocal titres of
the ANA-positive patients. Tests: `exports.analysis.stats`.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from django.utils.translation import gettext as _

from crf.codes import Classification

from . import columns as col
from . import variables as var
from .cells import (
    AnalysisTable,
    Cell,
    Number,
    Row,
    absent_footnote,
    count_of_cell,
    p_cell,
    summary_cell,
)
from .data import Measure, StudyData, coded_values
from .stats import compare_flags, compare_values

PUBLISHED = (
    var.AGE,
    var.FEMALE,
    var.RENAL,
    var.ARTICULAR,
    var.ANA_TITRE,
    var.ANTIBODIES["anti_dsdna"],
    var.LOW_C4,
)
OTHERS = (
    var.CUTANEOUS,
    var.SEROSITIS,
    var.ANTIBODIES["ana"],
    *(v for k, v in var.ANTIBODIES.items() if k not in ("ana", "anti_dsdna")),
    var.LOW_C3,
    var.AIHA,
    var.APS,
    var.SLEDAI_DX,
)
COMPARISON_VARIABLES: tuple[var.Variable, ...] = (*PUBLISHED, *OTHERS)


def comparison_groups(data: StudyData) -> tuple[pd.Index, pd.Index]:
    """(SLE cases by SLICC 2012, controls)."""
    slicc = coded_values(
        data.column(col.SLICC_CLASSIFICATION),
        valid=set(Classification.values),
        column=col.SLICC_CLASSIFICATION,
    )
    cases = data.ids("case")
    sle = cases[(data.pick(slicc, cases) == Classification.MET).to_numpy()]
    return sle, data.ids("control")


def case_control(
    data: StudyData, *, variables: tuple[var.Variable, ...] = COMPARISON_VARIABLES
) -> AnalysisTable:
    with data.reading() as absent:
        table = _case_control(data, variables)
    return replace(table, footnotes=table.footnotes + absent_footnote(absent))


def _case_control(data: StudyData, variables: tuple[var.Variable, ...]) -> AnalysisTable:
    sle, controls = comparison_groups(data)
    rows = []
    for variable in variables:
        value = variable.read(data)
        if variable.continuous:
            assert isinstance(value, Measure)
            a = Measure(data.pick(value.values, sle), value.top_code)
            b = Measure(data.pick(value.values, controls), value.top_code)
            cells = (summary_cell(a), summary_cell(b))
            result = compare_values(a.values, b.values)
        else:
            a_flags, b_flags = data.pick(value, sle), data.pick(value, controls)
            cells = (count_of_cell(a_flags), count_of_cell(b_flags))
            result = compare_flags(a_flags, b_flags)
        test = Cell(result.label, (Number("statistic", result.statistic),))
        rows.append(Row(variable.key, str(variable.label), (*cells, p_cell(result.p), test)))
    return AnalysisTable(
        key="case_control",
        title=_("Comparison between MDS/CMML-associated SLE and idiopathic SLE"),
        label_header="",
        columns=(
            _("MDS/CMML-associated SLE (n=%(n)d)") % {"n": len(sle)},
            _("Idiopathic SLE (n=%(n)d)") % {"n": len(controls)},
            _("p"),
            _("Test"),
        ),
        rows=tuple(rows),
        footnotes=(
            _(
                "Cases: MDS/CMML-associated LE meeting SLICC 2012 criteria; controls: "
                "idiopathic SLE. n/N (%) over the patients with data, median [range]."
            ),
            _(
                "Fisher's exact test when an expected count is below 5, else Pearson's χ² "
                "(no continuity correction); Mann–Whitney U for continuous variables; "
                "two-sided. ANA titre: reciprocal titres of ANA-positive patients."
            ),
        ),
    )
