"""Rules of every section: measurement pairs, physical bounds, links inside the case, dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from typing import Any

from django.db import models
from django.db.models import Model
from django.utils.translation import gettext as _

from crf.codes import YesNo
from crf.dates import earliest, latest, precision_of
from crf.dates import shown as show_date
from crf.models import Case, Demographics, HaematologicalDisease, Identity, Treatment
from crf.models.base import field as field_of
from crf.models.base import link_to_case
from crf.models.base import related as related_model

from .. import Context, Finding, lower_first, num, rule, with_unit
from .units import UNIT_SLIPS


@cache
def measurements(model: type[Model]) -> list[Any]:
    """The value half of each `measurement()` pair (it carries `bounds` and `unit`)."""
    return [f for f in model._meta.concrete_fields if hasattr(f, "bounds")]


@rule(codes=("measurement.value_and_reason",))
def value_and_missing_reason(ctx: Context) -> Iterator[Finding]:
    for field in measurements(ctx.model):
        value, reason = ctx.number(field.name), ctx.get(f"{field.name}_missing")
        if value is not None and reason:
            yield ctx.error(
                f"{field.name}_missing",
                "measurement.value_and_reason",
                _(
                    "{label}: a value ({value}) and a reason it is missing ('{reason}') are "
                    "both given — keep one: clear the reason if the value is right, or clear "
                    "the value."
                ).format(
                    label=ctx.label(field.name),
                    value=with_unit(value, field.unit),
                    reason=ctx.display(f"{field.name}_missing", reason),
                ),
            )


@rule(codes=("value.bounds",))
def physical_bounds(ctx: Context) -> Iterator[Finding]:
    for field in measurements(ctx.model):
        value = ctx.number(field.name)
        low, high = field.bounds
        if value is None or (value >= low and (high is None or value <= high)):
            continue
        slip = UNIT_SLIPS.get((ctx.model, field.name))
        if slip and value > slip.above:
            continue  # the unit-slip rule names the likely unit instead
        span = f"{num(low)}–{num(high)}" if high is not None else f"≥ {num(low)}"
        yield ctx.error(
            field.name,
            "value.bounds",
            _("{quantity} is outside {span}: enter a value in that range (in {unit}).").format(
                quantity=ctx.quantity(field.name, value), span=span, unit=field.unit
            ),
        )


@rule(codes=("link.other_case",))
def related_rows_in_case(ctx: Context) -> Iterator[Finding]:
    """A link to another row (NGS test → biopsy, response → SLEDAI-2K, adverse event →
    treatment) must point at a row of the same case."""
    for name, related in _links_to_rows(ctx.model):
        target = getattr(ctx.row, name, None)
        if target is not None and all(target is not r for r in ctx.rows.many(related)):
            yield ctx.error(
                name,
                "link.other_case",
                _(
                    "{label} is not one of this case's rows: choose one of this case's {rows}."
                ).format(label=ctx.label(name), rows=related._meta.verbose_name_plural),
            )


@cache
def _links_to_rows(model: type[Model]) -> tuple[tuple[str, type[Model]], ...]:
    """(field, model) of the model's links to rows of a case, not to its own parent (the
    rule runs for every row of a batch: the fields are sorted out once a model)."""
    own_link = link_to_case(model)
    links = []
    for field in model._meta.concrete_fields:
        if field.name == own_link or not field.is_relation:
            continue
        related = related_model(model, field.name)
        if link_to_case(related) == "case":
            links.append((field.name, related))
    return tuple(links)


@cache
def dates(model: type[Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
    ]


def shown(ctx: Context, name: str) -> str:
    """A date of the row as entered: 2019-03-15, 2019-03 or 2019."""
    day = ctx.day(name)
    assert day is not None
    return show_date(day, ctx.precision(name))


@rule(codes=("date.future",))
def dates_not_in_future(ctx: Context) -> Iterator[Finding]:
    for field in dates(ctx.model):
        day = ctx.day(field.name)
        if day and earliest(day, ctx.precision(field.name)) > ctx.today:
            yield ctx.error(
                field.name,
                "date.future",
                _(
                    "{label} {date} is in the future: enter the date it happened (today at the "
                    "latest)."
                ).format(label=ctx.label(field.name), date=shown(ctx, field.name)),
            )


# No patient of this registry was born, diagnosed or treated before 1900: an earlier year is
# a slip (0019 for 2019), and scores that count years from it would fail.
EARLIEST_PLAUSIBLE = dt.date(1900, 1, 1)


@rule(codes=("date.too_early",))
def dates_not_before_1900(ctx: Context) -> Iterator[Finding]:
    for field in dates(ctx.model):
        day = ctx.day(field.name)
        if day and latest(day, ctx.precision(field.name)) < EARLIEST_PLAUSIBLE:
            yield ctx.error(
                field.name,
                "date.too_early",
                _("{label} {date} is before 1900: check the year (four digits).").format(
                    label=ctx.label(field.name), date=shown(ctx, field.name)
                ),
            )


@rule(codes=("date.before_birth",))
def dates_not_before_birth(ctx: Context) -> Iterator[Finding]:
    identity = ctx.rows.one(Identity)
    birth = identity.date_of_birth if identity and ctx.model is not Identity else None
    if birth is None:
        return
    for field in dates(ctx.model):
        day = ctx.day(field.name)
        if day and latest(day, ctx.precision(field.name)) < birth:
            # The date of birth is not printed: the message may reach a log or an API client.
            yield ctx.error(
                field.name,
                "date.before_birth",
                _(
                    "{label} {date} is before the patient's date of birth: check this date, and "
                    "the date of birth in the identity section."
                ).format(label=ctx.label(field.name), date=shown(ctx, field.name)),
            )


# (earlier, later, rule code) within one section; some are database constraints too.
DATE_ORDER: dict[type[Model], tuple[tuple[str, str, str], ...]] = {
    Demographics: (
        ("le_diagnosis_date", "death_date", "date.death_before_diagnosis"),
        ("le_diagnosis_date", "last_followup_date", "date.followup_before_diagnosis"),
        ("last_followup_date", "death_date", "date.followup_after_death"),
    ),
    Treatment: (("started_on", "ended_on", "date.end_before_start"),),
}


@rule(*DATE_ORDER, codes={code for pairs in DATE_ORDER.values() for *_, code in pairs})
def date_order(ctx: Context) -> Iterator[Finding]:
    for earlier, later, code in DATE_ORDER[ctx.model]:
        first, then = ctx.day(earlier), ctx.day(later)
        if not (first and then):
            continue
        # Partial dates: wrong only when even the latest reading of `later` comes first.
        if latest(then, ctx.precision(later)) < earliest(first, ctx.precision(earlier)):
            yield ctx.error(
                later,
                code,
                _(
                    "{later} {then} is before the {earlier} {first}: check both dates and "
                    "correct the wrong one."
                ).format(
                    later=ctx.label(later),
                    then=shown(ctx, later),
                    earlier=lower_first(ctx.label(earlier)),
                    first=shown(ctx, earlier),
                ),
            )


@rule(
    HaematologicalDisease,
    Demographics,
    codes=("date.death_before_diagnosis", "date.followup_before_diagnosis"),
)
def mds_diagnosis_within_follow_up(ctx: Context) -> Iterator[Finding]:
    """The MDS/CMML diagnosis (section 5) falls within follow-up (section 1): not after the
    death, nor after the last follow-up."""
    demographics: Any = ctx.rows.one(Demographics)
    disease: Any = ctx.rows.one(HaematologicalDisease)
    field = "diagnosis_date" if ctx.model is HaematologicalDisease else None
    if demographics is None or disease is None or disease.diagnosis_date is None:
        return
    diagnosed = earliest(disease.diagnosis_date, precision_of(disease, "diagnosis_date"))
    for end, code in (
        ("death_date", "date.death_before_diagnosis"),
        ("last_followup_date", "date.followup_before_diagnosis"),
    ):
        day = getattr(demographics, end)
        if day is None or latest(day, precision_of(demographics, end)) >= diagnosed:
            continue
        yield ctx.error(
            field or end,
            code,
            _(
                "The MDS/CMML diagnosis ({diagnosed}) is after the {end} ({day}): check the "
                "{end} (section 1) and the date of MDS/CMML diagnosis (section 5)."
            ).format(
                diagnosed=show_date(
                    disease.diagnosis_date, precision_of(disease, "diagnosis_date")
                ),
                end=lower_first(str(field_of(Demographics, end).verbose_name)),
                day=show_date(day, precision_of(demographics, end)),
            ),
        )


@rule(Case, codes=("consent.no",))
def consent_refused(ctx: Context) -> Iterator[Finding]:
    if ctx.get("consent") == YesNo.NO:
        yield ctx.warning(
            "consent",
            "consent.no",
            _(
                "Non-opposition is recorded as 'No': the patient's data may not be kept in the "
                "registry. Check the consent; if the patient refused, withdraw the case instead "
                "of entering data."
            ),
        )
