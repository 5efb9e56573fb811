"""Field vocabulary shared by every CRF section.

Every coded field stores a real answer, one of three missing-data codes (`unknown`,
`not_done`, `not_applicable`) or blank, which means "not yet entered"; an export can tell the
four apart. A measured value is a pair: the number, and `<name>_missing` saying why it is
absent; a constraint forbids both at once.

Fields carry the data-dictionary metadata as attributes (`unit`, `deid`), read by
`exports.dictionary`; migrations ignore them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crf.codes import Codes, DatePrecision, Missing, TestResult, YesNo

MISSING_CODES = frozenset(Missing.values)
Choices = type[Codes] | Iterable[tuple[str, str]]


def choices_of(codes: Choices, *, missing: bool) -> list[tuple[str, object]]:
    """A field's choices: the codes with their translated labels, then the missing codes."""
    members = list(codes) if isinstance(codes, type) else []
    pairs = [(m.value, _(m.label)) for m in members] or [(c, _(lbl)) for c, lbl in codes]
    if missing:
        pairs += [(m.value, _(m.label)) for m in Missing]
    return pairs


# De-identification classes used by the data dictionary and exports.
DIRECT_IDENTIFIER = "direct_identifier"
QUASI_IDENTIFIER = "quasi_identifier"
DATE = "date"
FREE_TEXT = "free_text"
CLINICAL = "clinical"
DEID_CLASSES = (DIRECT_IDENTIFIER, QUASI_IDENTIFIER, DATE, FREE_TEXT, CLINICAL)


def classify(field: models.Field, deid: str) -> models.Field:
    """Mark a field's de-identification class when the default (by field type) is wrong."""
    assert deid in DEID_CLASSES, deid
    field.deid = deid
    return field


def coded(
    codes: Choices,
    verbose_name: object,
    *,
    missing: bool = True,
    exclude: Iterable[str] = (),
    help_text: object = "",
) -> models.CharField:
    """A coded answer: the given codes (but `exclude`), plus the missing-data codes, plus
    blank (not entered)."""
    pairs = [pair for pair in choices_of(codes, missing=missing) if pair[0] not in exclude]
    field = models.CharField(
        verbose_name,
        max_length=max(len(code) for code, _ in pairs),
        choices=pairs,
        blank=True,
        default="",
        help_text=help_text,
    )
    field.codes = codes if isinstance(codes, type) else None
    return field


def computed(codes: type[Codes], verbose_name: object) -> models.CharField:
    """A code the registry derives (never typed): blank until its inputs are complete. Its
    choices are exactly the code list the derivation returns members of (a test checks)."""
    field = coded(codes, verbose_name, missing=False)
    field.editable = False
    field.derived = True  # its default ("") is "not computed yet", not bookkeeping
    return field


def export_as(field: models.Field, name: str) -> models.Field:
    """A shorter variable name for exported files (Stata allows 32 characters)."""
    field.export_name = name
    return field


def with_unit(field: models.Field, unit: str) -> models.Field:
    """Give a number field its unit: pages print it beside the input, messages beside the
    value, the dictionary in its own column (so labels never carry it)."""
    field.unit = unit
    return field


def answer(verbose_name: object, *, help_text: object = "") -> models.CharField:
    """yes / no / unknown / not done / not applicable, or blank."""
    return coded(YesNo, verbose_name, help_text=help_text)


def result(verbose_name: object) -> models.CharField:
    """positive / negative / unknown / not done / not applicable, or blank."""
    return coded(TestResult, verbose_name)


def measurement(
    verbose_name: object,
    *,
    unit: str,
    minimum: float = 0,
    maximum: float | None = None,
    help_text: object = "",
) -> tuple[models.FloatField, models.CharField]:
    """A measured value and the reason it is missing: `hb, hb_missing = measurement(...)`.

    `minimum`/`maximum` are physical bounds (also database constraints); plausibility and
    unit slips are validation rules in `crf.validation`.
    """
    validators = [MinValueValidator(minimum)]
    if maximum is not None:
        validators.append(MaxValueValidator(maximum))
    value = models.FloatField(
        verbose_name,
        null=True,
        blank=True,
        validators=validators,
        help_text=help_text,
    )
    value.unit = unit
    value.bounds = (minimum, maximum)
    reason = coded(
        [],
        format_lazy(_("{}: reason missing"), verbose_name),
        help_text=_("Only when no value is given."),
    )
    return value, reason


def date_field(
    verbose_name: object, *, partial: bool = True, help_text: object = ""
) -> models.DateField:
    """A date. Retrospective (`partial`) dates may be known to the month or year only:
    `crf_model` gives them a `<name>_precision` companion, and such a date is stored at the
    middle of what is known (the 15th of the month, 1 July of the year), so intervals and
    ages computed from it are approximate and flagged as such."""
    field = models.DateField(verbose_name, null=True, blank=True, help_text=help_text)
    field.partial = partial
    return field


def _add_precision_fields(model) -> None:
    for field in list(model._meta.local_fields):
        if getattr(field, "partial", False):
            precision = models.CharField(
                format_lazy(_("{}: known to the"), field.verbose_name),
                max_length=5,
                choices=choices_of(DatePrecision, missing=False),
                default=DatePrecision.DAY.value,
            )
            model.add_to_class(f"{field.name}_precision", precision)


def free_text(
    verbose_name: object, *, max_length: int = 500, help_text: object = ""
) -> models.CharField:
    return models.CharField(verbose_name, max_length=max_length, blank=True, help_text=help_text)


# ---- constraints and the model decorator ----


_VALUE_OR_REASON = _(
    "{label}: give a value within {low}–{high} or a reason it is missing, not both."
)


def _measurement_constraints(model) -> list[models.CheckConstraint]:
    """Per measured field, one check (one query when a form validates it): either no value,
    or a value within bounds and no missing reason."""
    prefix = model._meta.model_name
    constraints = []
    for field in model._meta.local_fields:
        if not hasattr(field, "bounds"):
            continue
        name, (minimum, maximum) = field.name, field.bounds
        valid = Q(**{f"{name}_missing": "", f"{name}__gte": minimum})
        if maximum is not None:
            valid &= Q(**{f"{name}__lte": maximum})
        constraints.append(
            check(
                f"{prefix}_{name}_valid",
                Q(**{f"{name}__isnull": True}) | valid,
                format_lazy(_VALUE_OR_REASON, label=field.verbose_name, low=minimum, high=maximum),
                field=name,
            )
        )
    return constraints


ALL_GROUPS = ("case", "control")
CASES_ONLY = ("case",)


@dataclass(frozen=True)
class Required:
    """What a section must hold before its case is submitted, declared on the model
    (`required = Required(...)`) and read by completeness, the submit check and the exports
    (`crf.completeness`).

    - `fields`: answered on every row, with a value or a missing-data code (for a
      measurement, the value or its `_missing` reason);
    - `when`: fields answered only on rows where a condition holds (death date when dead);
    - `groups`: the case groups that must hold at least one row of the section (none: the
      section is optional, its rows still complete their fields);
    - `rows`: the condition that row must meet (a serology panel *at LE diagnosis*).
    """

    fields: tuple[str, ...] = ()
    when: dict[str, Q] = dataclass_field(default_factory=dict)
    groups: tuple[str, ...] = ()
    rows: Q | None = None


def _add_acknowledgements(model) -> None:
    # The warnings confirmed at the row's last save, {rule code: comment}: a warning is
    # "outstanding" only while the rules raise it and nobody confirmed it.
    # Workflow bookkeeping, not a study variable: the dictionary and exports leave it out.
    field = models.JSONField(_("warnings confirmed"), default=dict, blank=True, editable=False)
    field.study_variable = False  # type: ignore[attr-defined]
    model.add_to_class("acknowledged_warnings", field)


def crf_model(*, section: str):
    """Declare a CRF model: its CRF section, trigger-based audit (insert, update, delete),
    measurement constraints, date precisions and confirmed warnings.

    The model's Meta must declare `constraints` (possibly empty) so migrations see the
    generated ones.
    """
    import pghistory

    from registry.audit import trackers

    def decorate(model):
        model.crf_section = section
        _add_precision_fields(model)
        _add_acknowledgements(model)
        model._meta.constraints = [*model._meta.constraints, *_measurement_constraints(model)]
        # Bookkeeping a model names in `audit_exclude` (the case's version counter) is not
        # tracked: bumping it alone writes no event.
        exclude = list(getattr(model, "audit_exclude", ()))
        return pghistory.track(*trackers(), exclude=exclude)(model)

    return decorate


# The field each check constraint's refusal is reported on, by constraint name (a name may
# hold "%(class)s"); read by crf.validation.constraints. (Django clones constraints, so the
# field cannot ride on the constraint object itself.)
CONSTRAINT_FIELDS: dict[str, str] = {}


def check(
    name: str, condition: Q, message: object, *, field: str | None = None
) -> models.CheckConstraint:
    """A check constraint whose refusal is reported on `field` (crf.validation evaluates it
    in memory before the database does, and shows `message` beside that field)."""
    if field:
        CONSTRAINT_FIELDS[name] = field
    return models.CheckConstraint(name=name, condition=condition, violation_error_message=message)


def required_when(field: str, when: Q, label: object) -> models.CheckConstraint:
    """Text `field` must be filled when `when` holds."""
    return check(
        f"%(class)s_{field}_required",
        ~when | ~Q(**{field: ""}),
        format_lazy(_("This is required when {condition}."), condition=label),
        field=field,
    )


def only_when(
    field: str, when: Q, label: object, *, empty: Q | None = None
) -> models.CheckConstraint:
    """`field` stays empty unless `when` holds (empty = NULL, or `empty` when given)."""
    return check(
        f"%(class)s_{field}_only_when",
        when | (empty if empty is not None else Q(**{f"{field}__isnull": True})),
        format_lazy(_("This is only recorded when {condition}; clear it."), condition=label),
        field=field,
    )
