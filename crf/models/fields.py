"""Field vocabulary shared by every CRF section.

Every coded field stores a real answer, one of three missing-data codes (`unknown`,
`not_done`, `not_applicable`) or blank, which means "not yet entered"; an export can tell the
four apart. A measured value is a pair: the number, and `<name>_missing` saying why it is
absent; a constraint forbids both at once.

Fields carry the data-dictionary metadata as attributes (`unit`, `deid`), read by
`exports.dictionary`; migrations ignore them.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Missing(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    NOT_DONE = "not_done", "Not done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


MISSING_CODES = frozenset(Missing.values)


class YesNo(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class TestResult(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"


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
    choices: type[models.TextChoices] | list[tuple[str, str]],
    verbose_name: str,
    *,
    missing: bool = True,
    help_text: str = "",
) -> models.CharField:
    """A coded answer: the given codes, plus the missing-data codes, plus blank (not entered)."""
    pairs = list(choices.choices if isinstance(choices, type) else choices)
    if missing:
        pairs += Missing.choices
    return models.CharField(
        verbose_name,
        max_length=max(len(code) for code, _ in pairs),
        choices=pairs,
        blank=True,
        default="",
        help_text=help_text,
    )


def computed(
    choices: type[models.TextChoices] | list[tuple[str, str]], verbose_name: str
) -> models.CharField:
    """A code the registry derives (never typed): blank until its inputs are complete."""
    field = coded(choices, verbose_name, missing=False)
    field.editable = False
    return field


def export_as(field: models.Field, name: str) -> models.Field:
    """A shorter variable name for exported files (Stata allows 32 characters)."""
    field.export_name = name
    return field


def with_unit(field: models.Field, unit: str) -> models.Field:
    field.unit = unit
    return field


def answer(verbose_name: str, *, help_text: str = "") -> models.CharField:
    """yes / no / unknown / not done / not applicable, or blank."""
    return coded(YesNo, verbose_name, help_text=help_text)


def result(verbose_name: str) -> models.CharField:
    """positive / negative / unknown / not done / not applicable, or blank."""
    return coded(TestResult, verbose_name)


def measurement(
    verbose_name: str,
    *,
    unit: str,
    minimum: float = 0,
    maximum: float | None = None,
    help_text: str = "",
) -> tuple[models.FloatField, models.CharField]:
    """A measured value and the reason it is missing: `hb, hb_missing = measurement(...)`.

    `minimum`/`maximum` are physical bounds (also database constraints, see `bounded`);
    plausibility and unit slips are validation rules in `crf.validation`.
    """
    validators = [MinValueValidator(minimum)]
    if maximum is not None:
        validators.append(MaxValueValidator(maximum))
    value = models.FloatField(
        f"{verbose_name} ({unit})" if unit else verbose_name,
        null=True,
        blank=True,
        validators=validators,
        help_text=help_text,
    )
    value.unit = unit
    value.bounds = (minimum, maximum)
    reason = coded([], f"{verbose_name}: reason missing", help_text="Only when no value is given.")
    return value, reason


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def date_field(verbose_name: str, *, partial: bool = True, help_text: str = "") -> models.DateField:
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
                f"{field.verbose_name}: known to the",
                max_length=5,
                choices=DatePrecision.choices,
                default=DatePrecision.DAY,
            )
            model.add_to_class(f"{field.name}_precision", precision)


def free_text(verbose_name: str, *, max_length: int = 500, help_text: str = "") -> models.CharField:
    return models.CharField(verbose_name, max_length=max_length, blank=True, help_text=help_text)


# ---- constraints and the model decorator ----


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
            models.CheckConstraint(
                name=f"{prefix}_{name}_valid",
                condition=Q(**{f"{name}__isnull": True}) | valid,
                violation_error_message=(
                    f"{field.verbose_name}: give a value within {minimum}–{maximum} "
                    f"or a reason it is missing, not both."
                ),
            )
        )
    return constraints


def crf_model(*, section: str):
    """Declare a CRF model: its CRF section, trigger-based audit (insert, update, delete),
    and measurement constraints.

    The model's Meta must declare `constraints` (possibly empty) so migrations see the
    generated ones.
    """
    import pghistory

    from registry.audit import trackers

    def decorate(model):
        model.crf_section = section
        _add_precision_fields(model)
        model._meta.constraints = [*model._meta.constraints, *_measurement_constraints(model)]
        return pghistory.track(*trackers())(model)

    return decorate


def date_order(earlier: str, later: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=f"%(class)s_{earlier}_le_{later}",
        condition=Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__lte": models.F(later)}),
        violation_error_message=f"{earlier} must not be after {later}.",
    )


def required_when(field: str, when: Q, label: str) -> models.CheckConstraint:
    """Text `field` must be filled when `when` holds."""
    return models.CheckConstraint(
        name=f"%(class)s_{field}_required",
        condition=~when | ~Q(**{field: ""}),
        violation_error_message=f"{field} is required when {label}.",
    )


def only_when(field: str, when: Q, label: str, *, empty: Q | None = None) -> models.CheckConstraint:
    """`field` stays empty unless `when` holds (empty = NULL, or `empty` when given)."""
    return models.CheckConstraint(
        name=f"%(class)s_{field}_only_when",
        condition=when | (empty if empty is not None else Q(**{f"{field}__isnull": True})),
        violation_error_message=f"{field} is only recorded when {label}.",
    )
