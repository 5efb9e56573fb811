"""Unit slips (the study's own Table 1 printed Hb in g/dL under "g/L" and ANC per mm³ under
"G/L"), a VAF typed as a fraction, and values outside the usual clinical range."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Model
from django.utils.translation import gettext as _

from crf.models import HaematologicalDisease, HaematologicalResponse, NgsVariant, SerologyPanel

from .. import Context, Finding, label, num, rule, unit_of, with_unit


@dataclass(frozen=True)
class UnitSlip:
    """A value above `above` was probably typed in another unit: divide by the divisor."""

    above: float
    rule: str
    units: tuple[tuple[str, float], ...]  # (likely unit, divisor to the registry's unit)


_G_L = UnitSlip(25, "unit.hb_g_l", (("g/L", 10),))
_MM3 = UnitSlip(100, "unit.per_mm3", (("/mm³", 1000),))
# WBC and lymphocytes may truly exceed 100 ×10⁹/L (MP-CMML): only their bound is a slip.
_MM3_WBC = UnitSlip(500, "unit.per_mm3", (("/mm³", 1000),))
_MM3_PLT = UnitSlip(3000, "unit.per_mm3", (("/mm³", 1000),))
_C3 = UnitSlip(10, "unit.complement_mg", (("mg/dL", 100), ("mg/L", 1000)))
_C4 = UnitSlip(5, "unit.complement_mg", (("mg/dL", 100), ("mg/L", 1000)))  # C4's own bound

# Thresholds from crf.md section 5 (Hb > 25, ANC or monocytes > 100, platelets > 3000,
# complement above its bound).
UNIT_SLIPS: dict[tuple[type[Model], str], UnitSlip] = {
    (HaematologicalDisease, "hb"): _G_L,
    (HaematologicalDisease, "anc"): _MM3,
    (HaematologicalDisease, "monocytes"): _MM3,
    (HaematologicalDisease, "wbc"): _MM3_WBC,
    (HaematologicalDisease, "lymphocytes"): _MM3_WBC,
    (HaematologicalDisease, "platelets"): _MM3_PLT,
    (HaematologicalResponse, "baseline_hb"): _G_L,
    (HaematologicalResponse, "response_hb"): _G_L,
    (HaematologicalResponse, "baseline_anc"): _MM3,
    (HaematologicalResponse, "response_anc"): _MM3,
    (HaematologicalResponse, "baseline_platelets"): _MM3_PLT,
    (HaematologicalResponse, "response_platelets"): _MM3_PLT,
    (SerologyPanel, "c3"): _C3,
    (SerologyPanel, "c3_lower_limit"): _C3,
    (SerologyPanel, "c4"): _C4,
    (SerologyPanel, "c4_lower_limit"): _C4,
}


@rule(
    HaematologicalDisease,
    HaematologicalResponse,
    SerologyPanel,
    codes={slip.rule for slip in UNIT_SLIPS.values()},
)
def unit_slips(ctx: Context) -> Iterator[Finding]:
    for (model, name), slip in UNIT_SLIPS.items():
        value = ctx.number(name) if model is ctx.model else None
        if value is None or value <= slip.above:
            continue
        unit = unit_of(model, name)
        likely = _(" or ").join(u for u, _d in slip.units)
        if len(slip.units) == 1:
            fix = f"{num(value / slip.units[0][1])} ({unit})"
        else:
            fix = _(" or ").join(
                _("{value} (if {unit})").format(value=num(value / d), unit=u) for u, d in slip.units
            )
        yield ctx.error(
            name,
            slip.rule,
            _("{label} {value} is above {limit}: it looks like {likely} — enter {fix}.").format(
                label=label(model, name),
                value=with_unit(value, unit),
                limit=num(slip.above),
                likely=likely,
                fix=fix,
            ),
        )


@rule(NgsVariant, codes=("unit.vaf_fraction",))
def vaf_as_fraction(ctx: Context) -> Iterator[Finding]:
    vaf = ctx.number("vaf")
    # 0.37 is probably 37% typed as a fraction; a whole 1 is as likely 1% (a warning only).
    if vaf is not None and 0 < vaf <= 1 and not vaf.is_integer():
        yield ctx.warning(
            "vaf",
            "unit.vaf_fraction",
            _(
                "{quantity} looks like a fraction: if so, enter {percent} (%); a VAF below 1% is "
                "possible — confirm it to keep it."
            ).format(quantity=ctx.quantity("vaf", vaf), percent=num(vaf * 100)),
        )


# IPSS-R calculator "usual ranges" (clinical-rules.md 1.5); the section 8 counts too.
USUAL_RANGES: dict[str, tuple[float, float]] = {
    "hb": (4, 20),
    "anc": (0, 15),
    "platelets": (0, 2000),
    "bm_blasts": (0, 30),
}


@rule(HaematologicalDisease, HaematologicalResponse, codes=("range.usual",))
def usual_ranges(ctx: Context) -> Iterator[Finding]:
    prefixes = ("baseline_", "response_") if ctx.model is HaematologicalResponse else ("",)
    for base, (low, high) in USUAL_RANGES.items():
        for name in (prefix + base for prefix in prefixes):
            value = ctx.number(name)
            if value is None or low <= value <= high:
                continue
            unit = unit_of(ctx.model, name)
            hint = ""
            slip = UNIT_SLIPS.get((ctx.model, name))
            if slip and value > high and low <= value / slip.units[0][1] <= high:
                u, d = slip.units[0]
                hint = _(" (if that was {unit}, enter {value})").format(
                    unit=u, value=num(value / d)
                )
            yield ctx.warning(
                name,
                "range.usual",
                _(
                    "{quantity} is outside the usual range {low}–{high}: check the value and its "
                    "unit{hint}, then confirm it to keep it."
                ).format(
                    quantity=ctx.quantity(name, value),
                    low=num(low),
                    high=with_unit(high, unit),
                    hint=hint,
                ),
            )


def plain(ctx: Context, name: str) -> float | None:
    """The number, unless it is a unit slip (that has its own error; don't reason on it)."""
    value = ctx.number(name)
    slip = UNIT_SLIPS.get((ctx.model, name))
    return None if value is None or (slip and value > slip.above) else value
