"""The study's analysis tables from the de-identified export: pure functions over pandas.

    data = StudyData(cases=wide_frame, long={"sero": ..., "tx": ..., ...})
    table1(data)            # Table 1, cases
    case_control(data)      # SLE cases (SLICC met) vs idiopathic SLE controls
    table2(data)            # haematological treatments and responses, one row per patient
    figure3_counts(data)    # lupus response by treatment strategy; render_figure3(counts)
    results_counts(data)    # the counts the Results quote

Each returns an `AnalysisTable` (rows of labelled cells; every number carries the export
ids it counts); `render` turns one into a DataFrame, CSV or an HTML-ready structure. No ORM:
the same code serves the page, the command and a statistician's own copy of the export.
"""

from .cells import AnalysisTable, Cell, Denominator, Kind, Number, Row
from .comparison import case_control
from .data import AnalysisInputError, StudyData
from .figure3 import figure3_counts, render_figure3
from .render import numbers_frame, to_csv, to_dataframe, to_html_context, write_numbers_csv
from .results import results_counts
from .table1 import table1
from .table2 import table2

__all__ = [
    "AnalysisInputError", "AnalysisTable", "Cell", "Denominator", "Kind", "Number", "Row",
    "StudyData", "case_control", "figure3_counts", "numbers_frame", "render_figure3",
    "results_counts", "table1", "table2", "to_csv", "to_dataframe", "to_html_context",
    "write_numbers_csv",
]  # fmt: skip
