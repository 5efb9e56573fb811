"""The data dictionary, generated from the CRF models (never kept by hand).

One entry per concrete column of every model in `CRF_MODELS`, in CRF order. Fields carry the
metadata the dictionary reads (`unit`, `bounds`, `deid`; see `crf.models.fields`).

Row keys: the auto `id` is listed for `Case` and for repeating rows (other rows point at
them, and it tells repeated rows apart); it is left out of tables that are one-to-one with
their parent (sections of a case, Identity, central review, responses), where the one-to-one
link (`case`, `biopsy`, `treatment`) already identifies the row and nothing points at `id`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields

from django.db import models

from crf.metadata import deid_class, export_name, is_derived, is_study_variable
from crf.models import CRF_MODELS

TYPES = ("coded", "boolean", "integer", "decimal", "date", "datetime", "text", "reference")
MISSING_SUFFIX = "_missing"


@dataclass(frozen=True, slots=True)
class DictionaryEntry:
    section: str
    table: str
    code: str  # `<table>.<field>`: stable, what exports and queries name
    label: str
    type: str
    unit: str
    choices: str  # `code=Label | ...`, missing-data codes included; blank is "not entered"
    deid_class: str
    derived: bool
    missing_reason_of: str  # for `x_missing`: the measured field `x` it explains
    export_name: str  # the variable's name in exported files (crf.metadata)
    help_text: str


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(DictionaryEntry))


def dictionary_rows() -> list[DictionaryEntry]:
    return [
        _entry(model, field)
        for model in CRF_MODELS
        for field in model._meta.concrete_fields
        if is_study_variable(field) and not _is_redundant_key(model, field)
    ]


def field_type(field: models.Field) -> str:
    # Keys are identifiers, not quantities; an unmapped field type fails loudly.
    if field.is_relation or field.primary_key:
        return "reference"
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.CharField | models.TextField):
        return "coded" if field.choices else "text"
    if isinstance(field, models.DateTimeField):  # before DateField: it is a subclass
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.IntegerField):
        return "integer"
    if isinstance(field, models.FloatField | models.DecimalField):
        return "decimal"
    raise TypeError(f"{field!r}: no dictionary type for {type(field).__name__}")


def to_csv(rows: list[DictionaryEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = asdict(row)
        record["derived"] = "true" if row.derived else "false"  # same spelling as JSON
        writer.writerow(record)
    return out.getvalue()


def to_json(rows: list[DictionaryEntry]) -> str:
    return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"csv": to_csv, "json": to_json}


def _entry(model: type[models.Model], field: models.Field) -> DictionaryEntry:
    table = model._meta.model_name
    return DictionaryEntry(
        section=str(model.crf_section),
        table=table,
        code=f"{table}.{field.name}",
        label=str(field.verbose_name),
        type=field_type(field),
        unit=getattr(field, "unit", ""),
        choices=" | ".join(f"{code}={label}" for code, label in field.flatchoices),
        deid_class=deid_class(field),
        derived=is_derived(field),
        missing_reason_of=_measured_field(model, field),
        export_name=export_name(field),
        help_text=str(field.help_text),
    )


def _measured_field(model: type[models.Model], field: models.Field) -> str:
    """`x` for the `x_missing` of a measurement pair (`measurement()` gives `x` its bounds)."""
    if not field.name.endswith(MISSING_SUFFIX):
        return ""
    name = field.name.removesuffix(MISSING_SUFFIX)
    measured = next((f for f in model._meta.concrete_fields if f.name == name), None)
    return name if measured is not None and hasattr(measured, "bounds") else ""


def _is_redundant_key(model: type[models.Model], field: models.Field) -> bool:
    keyed_by_parent = any(isinstance(f, models.OneToOneField) for f in model._meta.concrete_fields)
    return field.auto_created and field.primary_key and keyed_by_parent
