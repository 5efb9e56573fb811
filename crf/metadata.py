"""What exports and the API need to know about each CRF field, read from its definition.

A field's de-identification class and whether it is derived are declared where the field
is defined (`crf.models.fields.classify`, `computed`, `editable=False`); its variable name
in exported files is derived here, once, so the export files, the codebook, the analysis
and the API all name a variable the same way.

Variable names must suit Stata (letters, digits, underscore; at most 32 characters) and
SPSS. The one-row-per-case "wide" table prefixes each field with its table's short prefix
(`dem_sex`, `haem_hb`); a repeating group's "long" table uses the bare name. A field whose
name is too long declares a shorter `export_name` beside its definition.
"""

from __future__ import annotations

from django.db import models

from crf.models.fields import CLINICAL, DATE, FREE_TEXT, QUASI_IDENTIFIER

STATA_NAME_MAX = 32

# Short, stable table prefixes of the wide table's variables (and the long tables' names).
EXPORT_PREFIX: dict[str, str] = {
    "case": "case",
    "identity": "id",
    "demographics": "dem",
    "lupusprofile": "lup",
    "slicccriteria": "slicc",
    "eularacrcriteria": "eular",
    "sledaiassessment": "sledai",
    "cutaneouslesion": "lesion",
    "serologypanel": "sero",
    "haematologicaldisease": "haem",
    "evolutionevent": "evo",
    "ngstest": "ngs",
    "ngsvariant": "variant",
    "skinbiopsy": "biopsy",
    "centralreview": "review",
    "treatment": "tx",
    "lupusresponse": "lresp",
    "haematologicalresponse": "hresp",
    "adverseevent": "ae",
}


def export_prefix(model: type[models.Model]) -> str:
    return EXPORT_PREFIX[model._meta.model_name]


def export_name(field: models.Field) -> str:
    """The field's variable name in a long table: its declared `export_name`, else its name."""
    return getattr(field, "export_name", None) or field.name


def wide_name(model: type[models.Model], field: models.Field) -> str:
    """The field's variable name in the one-row-per-case table: `<prefix>_<name>`."""
    return f"{export_prefix(model)}_{export_name(field)}"


def deid_class(field: models.Field) -> str:
    """The field's declared de-identification class, else the default by type."""
    explicit = getattr(field, "deid", None)
    if explicit:
        return explicit
    if field.auto_created and field.primary_key:
        # An auto id has no declaration to classify; it is a row key like the links to it.
        return QUASI_IDENTIFIER
    if isinstance(field, models.DateField):  # DateTimeField included
        return DATE
    if isinstance(field, models.CharField | models.TextField) and not field.choices:
        return FREE_TEXT
    return CLINICAL


def is_study_variable(field: models.Field) -> bool:
    """A column of the study's data, as opposed to workflow bookkeeping (confirmed warnings)."""
    return getattr(field, "study_variable", True)


def is_derived(field: models.Field) -> bool:
    """Computed by the registry from other values (editable=False).

    The registry's bookkeeping is also editable=False but is not derived: timestamps,
    who saved, and generated defaults (the case code, the version counter).
    """
    if field.editable:
        return False
    if getattr(field, "derived", False):
        return True
    auto_time = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return not (auto_time or field.is_relation or field.has_default())
