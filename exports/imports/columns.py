"""The columns of a section's import template, and the templates themselves (XLSX, CSV).

A template's columns: the case key (`case_code`, or `local_identifier`: the centre's own
identifier of the patient), for a repeating group `row_id` (blank: a new row; an id: that
row), for a row hanging off another row its parent's id (`test` for an NGS variant), then
every field a writer may give (`crf.services.writable_fields`, the write contract's
whitelist), named as in the data dictionary. The XLSX sheet is named after the section; its
header cells carry the dictionary's label, unit and codes as comments, and coded columns
an in-cell list of their codes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db.models import Field, Model
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from crf.models import CRF_MODELS, Case, Identity
from crf.models.base import field as field_of
from crf.models.base import link_to_case
from crf.rows import ONE_PER_CASE
from crf.services import writable_fields

CASE_CODE, LOCAL_ID, ROW_ID = "case_code", "local_identifier", "row_id"
KEY_COLUMNS = (CASE_CODE, LOCAL_ID)

# `case`: new cases (with their identity) and the case's own fields; then every CRF
# section (identity is imported with its case).
SECTIONS: dict[str, type[Model]] = {
    "case": Case,
    **{str(m._meta.model_name): m for m in CRF_MODELS if m not in (Case, Identity)},
}
GROUP = "group"
IDENTITY_FIELDS = ("initials", "date_of_birth")


def repeating(model: type[Model]) -> bool:
    return model not in ONE_PER_CASE


def parent_column(model: type[Model]) -> str | None:
    link = link_to_case(model)
    return link if link and link != "case" else None


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    field: Field | None  # None: a key column
    unit: str = ""
    codes: tuple[str, ...] = ()


def case_columns() -> list[Column]:
    """The `case` sheet: a row per patient; an unknown local identifier makes a new case."""
    group = field_of(Case, GROUP)
    cols = [
        Column(CASE_CODE, _("Case code: blank for a new case"), None),
        Column(LOCAL_ID, _("Local hospital identifier"), None),
        Column(GROUP, str(group.verbose_name), group, "", ("case", "control")),
    ]
    for name in IDENTITY_FIELDS:
        field = field_of(Identity, name)
        cols.append(Column(name, str(field.verbose_name), field))
    for name, field in writable_fields(Case).items():
        codes = tuple(str(code) for code, _label in field.flatchoices) if field.choices else ()
        cols.append(Column(name, str(field.verbose_name), field, "", codes))
    return cols


def columns(model: type[Model]) -> list[Column]:
    if model is Case:
        return case_columns()
    cols = [
        Column(CASE_CODE, _("Case code (or leave blank and give the local identifier)"), None),
        Column(
            LOCAL_ID, _("Local hospital identifier (or leave blank and give the case code)"), None
        ),
    ]
    if repeating(model):
        cols.append(Column(ROW_ID, _("Row id: blank for a new row, else the row to change"), None))
    parent = parent_column(model)
    if parent:
        cols.append(Column(parent, _("Id of the parent row ({name})").format(name=parent), None))
    for name, field in writable_fields(model).items():
        codes = tuple(str(code) for code, _label in field.flatchoices) if field.choices else ()
        cols.append(Column(name, str(field.verbose_name), field, getattr(field, "unit", ""), codes))
    return cols


def column_names(model: type[Model]) -> list[str]:
    return [c.name for c in columns(model)]


def _comment(col: Column) -> str:
    parts = [col.label]
    if col.unit:
        parts.append(_("Unit: {unit}").format(unit=col.unit))
    if col.field is not None and col.field.choices:
        labels = "; ".join(f"{code} = {label}" for code, label in col.field.flatchoices)
        parts.append(_("Codes: {codes}").format(codes=labels))
    return "\n".join(parts)


def xlsx_template(model: type[Model]) -> bytes:
    """A workbook: the section's sheet (header row, comments, in-cell code lists) and a
    `codes` sheet holding the lists."""
    book = Workbook()
    sheet = book.active
    sheet.title = str(model._meta.model_name)
    codes_sheet = book.create_sheet("codes")
    codes_sheet.sheet_state = "hidden"
    code_column = 0
    for i, col in enumerate(columns(model), start=1):
        cell = sheet.cell(row=1, column=i, value=col.name)
        cell.comment = Comment(_comment(col), "registry", width=300, height=150)
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(col.name) + 2)
        if col.codes:
            code_column += 1
            letter = get_column_letter(code_column)
            for j, code in enumerate(col.codes, start=1):
                codes_sheet.cell(row=j, column=code_column, value=code)
            ref = f"{quote_sheetname('codes')}!${letter}$1:${letter}${len(col.codes)}"
            check = DataValidation(type="list", formula1=ref, allow_blank=True)
            check.error = _("Choose one of the codes of the list.")
            check.showErrorMessage = True
            sheet.add_data_validation(check)
            check.add(f"{get_column_letter(i)}2:{get_column_letter(i)}100000")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_template(model: type[Model]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(column_names(model))
    return out.getvalue().encode("utf-8")
