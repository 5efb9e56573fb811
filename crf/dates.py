"""Retrospective dates known to the day, the month or the year only.

A partial date is stored at the middle of what is known: the 15th of its month, or 1 July
of its year (`crf.models.fields.date_field`, with `<name>_precision`). Intervals and ages
computed from such a date use that middle and are flagged approximate; a check that a date
is before or after another uses the whole range the date may cover.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from crf.codes import DatePrecision


def stored(day: date, precision: str) -> date:
    """Where a date of this precision is stored: itself, the 15th, or 1 July."""
    if precision == DatePrecision.MONTH:
        return day.replace(day=15)
    if precision == DatePrecision.YEAR:
        return date(day.year, 7, 1)
    return day


def earliest(day: date, precision: str) -> date:
    """The first day the date may be."""
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    if precision == DatePrecision.YEAR:
        return date(day.year, 1, 1)
    return day


def latest(day: date, precision: str) -> date:
    """The last day the date may be."""
    if precision == DatePrecision.MONTH:
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if precision == DatePrecision.YEAR:
        return date(day.year, 12, 31)
    return day


def shown(day: date, precision: str) -> str:
    """A date as it was entered: 2019-03-15, 2019-03 or 2019."""
    if precision == DatePrecision.YEAR:
        return f"{day.year}"
    if precision == DatePrecision.MONTH:
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def precision_of(row: Any, name: str) -> str:
    """The precision of the date field `name` of a row (its `<name>_precision` companion)."""
    return getattr(row, f"{name}_precision", DatePrecision.DAY) or DatePrecision.DAY


def is_exact(*precisions: str) -> bool:
    return all(p in (DatePrecision.DAY, "") for p in precisions)
