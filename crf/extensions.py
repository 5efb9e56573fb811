"""Where the layers above the CRF add to the CRF's pages, without crf importing them.

`cohorts` (queries, eligibility, data quality) shows things on the case list, the case
overview and beside a field of a section form. It registers them here from its
`AppConfig.ready()`; the CRF pages render whatever is registered, in `order`.

- `CaseColumn`: a column of the case list. `annotate(queryset)` adds what the cell needs
  to the page's queryset (a subquery: the list stays one query per page, whatever the
  number of cases); `cell(case)` gives one cell's HTML (`format_html`) from the annotated
  row. A function, not a template: an include per cell cost a quarter of the page's time.
- `CasePanel`: a panel of the case overview; `context(actor, case, rows)` gives its
  template what it needs (`rows` is the whole case in memory: no query for the CRF data).
- `FieldNotes`: `notes(actor, case, model, row)` → {field name: note} shown beside the
  fields of a section form (an open query on that field, say); a note is a dict the
  template `template` renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet

from crf.access import Actor
from crf.models import Case
from crf.rows import CaseRows


@dataclass(frozen=True)
class CaseColumn:
    header: object  # translatable label
    cell: Callable[[Case], str]  # text (escaped), or HTML made by format_html
    annotate: Callable[[QuerySet[Case], Actor], QuerySet[Case]]
    order: int = 50


@dataclass(frozen=True)
class CasePanel:
    template: str
    context: Callable[[Actor, Case, CaseRows], dict[str, Any]]
    order: int = 50


@dataclass(frozen=True)
class FieldNotes:
    template: str
    notes: Callable[[Actor, Case, type[Model], Model | None], dict[str, dict[str, Any]]]
    order: int = 50


CASE_COLUMNS: list[CaseColumn] = []
CASE_PANELS: list[CasePanel] = []
FIELD_NOTES: list[FieldNotes] = []


def register(extension: CaseColumn | CasePanel | FieldNotes) -> None:
    lists: dict[type, list[Any]] = {
        CaseColumn: CASE_COLUMNS,
        CasePanel: CASE_PANELS,
        FieldNotes: FIELD_NOTES,
    }
    target = lists[type(extension)]
    if extension not in target:
        target.append(extension)
        target.sort(key=lambda e: e.order)
