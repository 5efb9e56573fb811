"""Lupus response (crf.md section 8) and derived demographics (crf.md section 1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from crf.codes import LupusResponseCategory, TemporalRelation

from ._inputs import _count


def lupus_response(*, sledai_2k: int, clinical_sledai: int) -> LupusResponseCategory:
    """``complete_response`` (SLEDAI-2K 0), ``clinical_response`` (clinical SLEDAI 0 but
    SLEDAI-2K > 0: persistent serological activity) or ``no_response``.

    The two scores differ only by the serological items (2 points each), so a difference
    other than 0, 2 or 4 is contradictory and raises ValueError.
    """
    total = _count("sledai_2k", sledai_2k, upper=105)
    clinical = _count("clinical_sledai", clinical_sledai, upper=101)
    if total - clinical not in (0, 2, 4):
        raise ValueError(
            f"clinical_sledai: {clinical} is inconsistent with sledai_2k {total} "
            "(they differ only by low complement and anti-dsDNA, 2 points each)"
        )
    if total == 0:
        return LupusResponseCategory.COMPLETE_RESPONSE
    if clinical == 0:
        return LupusResponseCategory.CLINICAL_RESPONSE
    return LupusResponseCategory.NO_RESPONSE


#: "Concomitant" means less than 3 months apart; 3 months is fixed at 91 days (13 weeks,
#: about a quarter of 365 days) so the rule does not depend on month lengths.
CONCOMITANT_MAX_DAYS: Final = 91


def _date(name: str, value: object) -> date:
    # datetime is a date subclass, but mixing it with dates breaks subtraction.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name}: expected a date, got {value!r}")
    return value


def temporal_relation(*, le_date: date, mds_date: date) -> TemporalRelation:
    """``concomitant`` if the LE and MDS/CMML diagnoses are < 91 days apart, otherwise
    ``le_before`` or ``le_after`` (LE diagnosed before / after MDS/CMML)."""
    days = (_date("mds_date", mds_date) - _date("le_date", le_date)).days
    if abs(days) < CONCOMITANT_MAX_DAYS:
        return TemporalRelation.CONCOMITANT
    return TemporalRelation.LE_BEFORE if days > 0 else TemporalRelation.LE_AFTER


def age_in_years(*, birth: date, on: date) -> int:
    """Completed years of age on ``on``. Someone born on 29 February turns a year older on
    1 March in non-leap years."""
    b, d = _date("birth", birth), _date("on", on)
    if d < b:
        raise ValueError(f"on: {d.isoformat()} is before birth {b.isoformat()}")
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
