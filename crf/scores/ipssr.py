"""IPSS-R, IPSS-RA and the IPSS-R cytogenetic risk group (clinical-rules.md 1.1-1.5)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from crf.codes import CytogeneticAbnormality, CytogeneticRisk, IpssrCategory

from ._inputs import _count, _number, _tristate
from .versions import IPSSR_VERSION, Number

CYTOGENETIC_RISK_POINTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        CytogeneticRisk.VERY_GOOD: 0,
        CytogeneticRisk.GOOD: 1,
        CytogeneticRisk.INTERMEDIATE: 2,
        CytogeneticRisk.POOR: 3,
        CytogeneticRisk.VERY_POOR: 4,
    }
)
#: Upper (inclusive) score bound of each category; intervals are closed on the right.
IPSSR_CATEGORY_BOUNDS: Final[tuple[tuple[float, IpssrCategory], ...]] = (
    (1.5, IpssrCategory.VERY_LOW),
    (3.0, IpssrCategory.LOW),
    (4.5, IpssrCategory.INTERMEDIATE),
    (6.0, IpssrCategory.HIGH),
)
#: Pfeilstöcker 2016: lower-risk MDS is an un-adjusted IPSS-R score <= 3.5.
IPSSR_LOWER_RISK_MAX: Final = 3.5


@dataclass(frozen=True, slots=True)
class IpssrResult:
    """IPSS-R total, category and the points of each of the five items."""

    score: float
    category: str
    lower_risk: bool
    cytogenetics_points: int
    blasts_points: int
    hb_points: float
    platelets_points: float
    anc_points: float
    rule_version: str = IPSSR_VERSION


def ipssr_category(score: Number) -> IpssrCategory:
    """IPSS-R category of a score, right-closed cut-points 1.5/3/4.5/6 (spec 1.3).

    Also used for IPSS-RA, whose scores are not multiples of 0.5. The score is rounded to
    4 decimals first, as the official ipssm-api code does, so float noise such as
    3.0000000000000004 does not move a score across a cut-point.
    """
    # Not _number(): IPSS-RA goes below 0 for young patients with low scores.
    if isinstance(score, bool) or not isinstance(score, int | float | Decimal):
        raise ValueError(f"score: expected a number, got {score!r}")
    if not math.isfinite(float(score)):
        raise ValueError(f"score: expected a finite number, got {score!r}")
    value = round(float(score), 4)
    for upper, category in IPSSR_CATEGORY_BOUNDS:
        if value <= upper:
            return category
    return IpssrCategory.VERY_HIGH


def _blasts_points(blasts: float) -> int:
    # Spec 1.2: <=2 -> 0, >2 and <5 -> 1, 5..10 -> 2, >10 -> 3. (The official code's 4.99
    # break differs only for values between 4.99 and 5, which BM counts never report.)
    if blasts <= 2:
        return 0
    if blasts < 5:
        return 1
    if blasts <= 10:
        return 2
    return 3


def _hb_points(hb: float) -> float:
    # Closed on the left: 8 <= Hb < 10 -> 1.
    if hb < 8:
        return 1.5
    return 1.0 if hb < 10 else 0.0


def _platelets_points(platelets: float) -> float:
    if platelets < 50:
        return 1.0
    return 0.5 if platelets < 100 else 0.0


def _anc_points(anc: float) -> float:
    return 0.5 if anc < 0.8 else 0.0


def ipssr(
    *,
    hb: Number,
    anc: Number,
    platelets: Number,
    bm_blasts: Number,
    cytogenetic_risk: str,
) -> IpssrResult:
    """IPSS-R score (0-10 in 0.5 steps), category and lower-risk flag (spec 1.2-1.4).

    Meant for primary, untreated MDS at diagnosis. Raises ValueError naming the argument
    for a missing, negative or non-numeric value or an unknown cytogenetic code.
    """
    hb_v = _number("hb", hb)
    anc_v = _number("anc", anc)
    plt_v = _number("platelets", platelets)
    blasts_v = _number("bm_blasts", bm_blasts, upper=100)
    if cytogenetic_risk not in CYTOGENETIC_RISK_POINTS:
        raise ValueError(
            f"cytogenetic_risk: unknown code {cytogenetic_risk!r}; expected one of "
            f"{', '.join(CYTOGENETIC_RISK_POINTS)}"
        )
    cyto = CYTOGENETIC_RISK_POINTS[cytogenetic_risk]
    blasts_pts = _blasts_points(blasts_v)
    hb_pts = _hb_points(hb_v)
    plt_pts = _platelets_points(plt_v)
    anc_pts = _anc_points(anc_v)
    # All items are multiples of 0.5, so the float sum is exact.
    score = cyto + blasts_pts + hb_pts + plt_pts + anc_pts
    return IpssrResult(
        score=score,
        category=ipssr_category(score),
        lower_risk=score <= IPSSR_LOWER_RISK_MAX,
        cytogenetics_points=cyto,
        blasts_points=blasts_pts,
        hb_points=hb_pts,
        platelets_points=plt_pts,
        anc_points=anc_pts,
    )


def ipssr_age_adjusted(*, score: Number, age: Number) -> float:
    """IPSS-RA = IPSS-R + (age - 70) x (0.05 - IPSS-R x 0.005) (spec 1.5).

    For survival estimation only; the lower-risk cut (3.5) applies to the un-adjusted
    IPSS-R. Not rounded, so the README vector 2.25625 is reproduced exactly; categorise
    with ``ipssr_category``. It can fall below 0 (young age, low score): Very low.
    """
    s = _number("score", score, upper=10)
    a = _number("age", age, upper=130)
    return s + (a - 70) * (0.05 - s * 0.005)


# Schanz 2012 risk of each checklist code when it is the only abnormality (spec 1.1).
_SINGLE_ABNORMALITY_RISK: Final[Mapping[str, CytogeneticRisk]] = MappingProxyType(
    {
        CytogeneticAbnormality.MINUS_Y: CytogeneticRisk.VERY_GOOD,
        CytogeneticAbnormality.DEL11Q: CytogeneticRisk.VERY_GOOD,
        CytogeneticAbnormality.DEL5Q: CytogeneticRisk.GOOD,
        CytogeneticAbnormality.DEL12P: CytogeneticRisk.GOOD,
        CytogeneticAbnormality.DEL20Q: CytogeneticRisk.GOOD,
        CytogeneticAbnormality.DEL7Q: CytogeneticRisk.INTERMEDIATE,
        CytogeneticAbnormality.PLUS_8: CytogeneticRisk.INTERMEDIATE,
        CytogeneticAbnormality.PLUS_19: CytogeneticRisk.INTERMEDIATE,
        CytogeneticAbnormality.I17Q: CytogeneticRisk.INTERMEDIATE,
        # del(9q) is not named by Schanz: "any other single".
        CytogeneticAbnormality.DEL9Q: CytogeneticRisk.INTERMEDIATE,
        CytogeneticAbnormality.OTHER: CytogeneticRisk.INTERMEDIATE,
        CytogeneticAbnormality.MINUS_7: CytogeneticRisk.POOR,
        CytogeneticAbnormality.ABN3Q: CytogeneticRisk.POOR,  # inv(3)/t(3q)/del(3q)
    }
)
#: CRF checklist codes of cytogenetic abnormalities (crf.md section 5).
CYTOGENETIC_ABNORMALITY_CODES: Final = frozenset(CytogeneticAbnormality)


def ipssr_cytogenetic_risk(
    *,
    abnormalities: AbstractSet[str] | Iterable[str],
    abnormality_count: int | None = None,
    normal: bool | None = None,
) -> str:
    """IPSS-R cytogenetic risk group from the CRF checklist (Schanz 2012; spec 1.1).

    Interpretation choices (the registry lets a reviewer override the group):

    - The number of abnormalities is ``abnormality_count`` when given (counted on the
      karyotype, since ``other`` may hide several), else the number of ticked codes. A
      count below the number of ticked codes is contradictory and raises ValueError.
    - Abnormalities counted but not ticked are read as ``other`` (not among the listed
      ones). With 1 or 2 abnormalities and nothing ticked the group cannot be told apart
      (-Y is very good, -7 poor), so that raises ValueError.
    - No abnormality (empty checklist, count 0 or None) and ``normal`` not False: normal
      karyotype -> good. ``normal=True`` with abnormalities, or ``normal=False`` with none,
      raises ValueError.
    - Single: -Y, del(11q) -> very good; del(5q), del(12p), del(20q) -> good; -7, abn(3q)
      -> poor; del(7q), +8, +19, i(17q), del(9q), other -> intermediate.
    - Double: including -7 or del(7q) -> poor (this wins over del(5q)); otherwise including
      del(5q) -> good; any other double -> intermediate. Schanz grades abn(3q) as a single
      abnormality, so a double with abn(3q) but without -7/del(7q) is "any other double"
      (intermediate), or good with del(5q): literal reading, override if judged otherwise.
    - Exactly 3 (complex) -> poor; more than 3 -> very poor.
    """
    if isinstance(abnormalities, str | bytes) or not isinstance(abnormalities, Iterable):
        raise TypeError("abnormalities: expected a set of checklist codes")
    codes = frozenset(abnormalities)
    for code in sorted(codes, key=str):
        if code not in CYTOGENETIC_ABNORMALITY_CODES:
            raise ValueError(f"abnormalities: unknown code {code!r}")
    normal = _tristate("normal", normal)
    if abnormality_count is None:
        n = len(codes)
    else:
        n = _count("abnormality_count", abnormality_count)
        if n < len(codes):
            raise ValueError(
                f"abnormality_count: {n} is less than the {len(codes)} ticked abnormalities"
            )
    if n == 0:
        if normal is False:
            raise ValueError("normal: karyotype marked abnormal but no abnormality given")
        return CytogeneticRisk.GOOD
    if normal is True:
        raise ValueError("normal: karyotype marked normal but abnormalities given")
    if n > 3:
        return CytogeneticRisk.VERY_POOR
    if n == 3:
        return CytogeneticRisk.POOR
    if not codes:
        raise ValueError("abnormalities: tick the checklist codes to classify 1 or 2 abnormalities")
    if n == 1:
        (code,) = codes
        return _SINGLE_ABNORMALITY_RISK[code]
    # n == 2 (an unticked second abnormality counts as "other").
    if codes & {CytogeneticAbnormality.MINUS_7, CytogeneticAbnormality.DEL7Q}:
        return CytogeneticRisk.POOR
    if CytogeneticAbnormality.DEL5Q in codes:
        return CytogeneticRisk.GOOD
    return CytogeneticRisk.INTERMEDIATE
