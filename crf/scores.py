"""Clinical scores and classifications of the LE + MDS/CMML registry, as pure functions.

Normative spec: ``shared/reference/clinical-rules.md`` (section numbers below refer to it)
and the data-dictionary codes of ``shared/reference/crf.md``. Standard library only: no
Django, no ORM, so the rules can be unit-tested and re-run on exported raw data.

What is computed, and the source each rule follows:

- ``ipssr`` / ``ipssr_category`` / ``ipssr_age_adjusted``: IPSS-R score, category and
  lower-risk flag, IPSS-RA (spec 1.2-1.5). Greenberg et al., Blood 2012;120:2454;
  Pfeilstöcker et al., Blood 2016;128:902 (3.5 cut); papaemmelab/ipssm-api ``computeIpssr``.
- ``ipssr_cytogenetic_risk``: IPSS-R cytogenetic group from the CRF checklist (spec 1.1).
  Schanz et al., JCO 2012;30:820.
- ``sledai_2k`` / ``clinical_sledai``: SLEDAI-2K and clinical SLEDAI (spec 3, 8).
  Gladman et al., J Rheumatol 2002;29:288; DORIS 2021 for the clinical SLEDAI.
- ``slicc_2012``: SLICC 2012 SLE classification (spec 4). Petri et al., Arthritis Rheum
  2012;64:2677.
- ``eular_acr_2019``: 2019 EULAR/ACR SLE classification (spec 5). Aringer et al., Ann Rheum
  Dis 2019;78:1151.
- ``who2022_mds_subtype`` / ``who2022_cmml``: WHO 2022 MDS subtype and CMML (spec 2.1, 2.2).
  Khoury et al., Leukemia 2022;36:1703, Tables 3 and 6.
- ``who2016_mds_subtype`` / ``who2016_cytopenias`` / ``who2016_cmml_subgroup``: WHO 2016
  (spec 2.3), for retrospective data. Arber et al., Blood 2016;127:2391.
- ``lupus_response``: registry lupus response category (crf.md section 8; spec 3, 8).
- ``temporal_relation`` / ``age_in_years``: derived demographics (crf.md section 1).

Conventions: keyword-only arguments; Hb in g/dL, counts in x10^9/L, blasts, VAF, ring
sideroblasts and cellularity in %. Numeric inputs accept ``int``, ``float`` and
``decimal.Decimal`` (what a Django ``DecimalField`` returns). Invalid input raises
``ValueError`` naming the argument (or the unknown code); a wrong container type raises
``TypeError``. Three-valued results use ``None`` for "undetermined": the unknown inputs could
change the outcome. Each rule has a version constant, collected in ``RULE_VERSIONS``, that the
registry stores beside every computed value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Final, Literal

# --------------------------------------------------------------------------------------
# Rule versions (stored beside each computed value so a later rule change is traceable)
# --------------------------------------------------------------------------------------

IPSSR_VERSION: Final = "IPSS-R Greenberg 2012"
IPSSRA_VERSION: Final = "IPSS-RA Greenberg 2012 (ipssm-api formula)"
IPSSR_CYTOGENETICS_VERSION: Final = "IPSS-R cytogenetics Schanz 2012"
SLEDAI_VERSION: Final = "SLEDAI-2K Gladman 2002"
CLINICAL_SLEDAI_VERSION: Final = "Clinical SLEDAI (SLEDAI-2K without serology) DORIS 2021"
SLICC_VERSION: Final = "SLICC 2012 Petri"
EULAR_ACR_VERSION: Final = "EULAR/ACR 2019 Aringer"
WHO2022_VERSION: Final = "WHO 2022 Khoury (5th edition)"
WHO2016_VERSION: Final = "WHO 2016 Arber (revised 4th edition)"
LUPUS_RESPONSE_VERSION: Final = "Registry lupus response 2024 (SLEDAI-2K / clinical SLEDAI)"
TEMPORAL_RELATION_VERSION: Final = "Registry temporal relation (concomitant < 91 days)"

#: Rule version per public function name.
RULE_VERSIONS: Final[dict[str, str]] = {
    "ipssr": IPSSR_VERSION,
    "ipssr_category": IPSSR_VERSION,
    "ipssr_age_adjusted": IPSSRA_VERSION,
    "ipssr_cytogenetic_risk": IPSSR_CYTOGENETICS_VERSION,
    "sledai_2k": SLEDAI_VERSION,
    "clinical_sledai": CLINICAL_SLEDAI_VERSION,
    "slicc_2012": SLICC_VERSION,
    "eular_acr_2019": EULAR_ACR_VERSION,
    "who2022_mds_subtype": WHO2022_VERSION,
    "who2022_cmml": WHO2022_VERSION,
    "who2016_mds_subtype": WHO2016_VERSION,
    "who2016_cytopenias": WHO2016_VERSION,
    "who2016_cmml_subgroup": WHO2016_VERSION,
    "lupus_response": LUPUS_RESPONSE_VERSION,
    "temporal_relation": TEMPORAL_RELATION_VERSION,
}

Number = int | float | Decimal
Tristate = bool | None

# --------------------------------------------------------------------------------------
# Input validation helpers
# --------------------------------------------------------------------------------------


def _number(name: str, value: object, *, upper: float | None = None) -> float:
    """Return ``value`` as a finite, non-negative float, or raise ValueError naming it."""
    # bool is an int subclass: True as a lab value is a data-entry bug, not 1.
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    if result < 0:
        raise ValueError(f"{name}: must not be negative, got {value!r}")
    if upper is not None and result > upper:
        raise ValueError(f"{name}: must be at most {upper:g}, got {value!r}")
    return result


def _optional_number(name: str, value: object, *, upper: float | None = None) -> float | None:
    return None if value is None else _number(name, value, upper=upper)


def _count(name: str, value: object, *, upper: int | None = None) -> int:
    """Return a non-negative int count, or raise ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must not be negative, got {value!r}")
    if upper is not None and value > upper:
        raise ValueError(f"{name}: must be at most {upper}, got {value!r}")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected True or False, got {value!r}")
    return value


def _tristate(name: str, value: object) -> Tristate:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{name}: expected True, False or None, got {value!r}")
    return value


def _item_states(
    arg: str, items: Mapping[str, Tristate], codes: Iterable[str]
) -> dict[str, Tristate]:
    """Validate a code -> yes/no/unknown mapping; codes left out are unknown (None).

    A code missing from the mapping was not recorded, which is not the same as "absent":
    for a classification it must stay open, so it is treated as unknown.
    """
    if not isinstance(items, Mapping):
        raise TypeError(f"{arg}: expected a mapping of code -> True/False/None")
    allowed = tuple(codes)
    for code, value in items.items():
        if code not in allowed:
            raise ValueError(f"{arg}: unknown code {code!r}")
        _tristate(f"{arg}[{code!r}]", value)
    return {code: items.get(code) for code in allowed}


def _kleene_and(*values: Tristate) -> Tristate:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _kleene_or(*values: Tristate) -> Tristate:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _outcomes(
    rule: Callable[[Mapping[str, bool]], bool],
    states: Mapping[str, Tristate],
    pivots: Iterable[str] = (),
) -> set[bool]:
    """Outcomes ``rule`` can take over all completions of the unknown (None) items.

    ``rule`` must be monotone (never turns False when an item turns True) in every item
    except the ``pivots``, which are enumerated. Under that condition the all-unknown-False
    and all-unknown-True completions bound every other completion, so two evaluations per
    pivot assignment give the exact answer instead of 2**n.
    """
    pivot_options: list[dict[str, bool]] = [{}]
    for pivot in pivots:
        choices = (True, False) if states[pivot] is None else (bool(states[pivot]),)
        pivot_options = [{**o, pivot: c} for o in pivot_options for c in choices]
    results: set[bool] = set()
    for fixed in pivot_options:
        for fill in (False, True):
            completion = {k: (fill if v is None else v) for k, v in states.items()}
            completion.update(fixed)
            results.add(rule(completion))
    return results


def _tri_from(outcomes: set[bool]) -> Tristate:
    return next(iter(outcomes)) if len(outcomes) == 1 else None


# --------------------------------------------------------------------------------------
# 1. IPSS-R (spec 1.1-1.5)
# --------------------------------------------------------------------------------------

CytogeneticRisk = Literal["very_good", "good", "intermediate", "poor", "very_poor"]
IpssrCategory = Literal["very_low", "low", "intermediate", "high", "very_high"]

CYTOGENETIC_RISK_POINTS: Final[Mapping[str, int]] = MappingProxyType(
    {"very_good": 0, "good": 1, "intermediate": 2, "poor": 3, "very_poor": 4}
)
#: Upper (inclusive) score bound of each category; intervals are closed on the right.
IPSSR_CATEGORY_BOUNDS: Final[tuple[tuple[float, str], ...]] = (
    (1.5, "very_low"),
    (3.0, "low"),
    (4.5, "intermediate"),
    (6.0, "high"),
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


def ipssr_category(score: Number) -> str:
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
    return "very_high"


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
        "minus_y": "very_good",
        "del11q": "very_good",
        "del5q": "good",
        "del12p": "good",
        "del20q": "good",
        "del7q": "intermediate",
        "plus_8": "intermediate",
        "plus_19": "intermediate",
        "i17q": "intermediate",
        "del9q": "intermediate",  # not named by Schanz: "any other single"
        "other": "intermediate",
        "minus_7": "poor",
        "abn3q": "poor",  # inv(3)/t(3q)/del(3q)
    }
)
#: CRF checklist codes of cytogenetic abnormalities (crf.md section 5).
CYTOGENETIC_ABNORMALITY_CODES: Final = frozenset(_SINGLE_ABNORMALITY_RISK)


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
        return "good"
    if normal is True:
        raise ValueError("normal: karyotype marked normal but abnormalities given")
    if n > 3:
        return "very_poor"
    if n == 3:
        return "poor"
    if not codes:
        raise ValueError("abnormalities: tick the checklist codes to classify 1 or 2 abnormalities")
    if n == 1:
        (code,) = codes
        return _SINGLE_ABNORMALITY_RISK[code]
    # n == 2 (an unticked second abnormality counts as "other").
    if codes & {"minus_7", "del7q"}:
        return "poor"
    if "del5q" in codes:
        return "good"
    return "intermediate"


# --------------------------------------------------------------------------------------
# 3. SLEDAI-2K and clinical SLEDAI (spec 3, 8)
# --------------------------------------------------------------------------------------

SLEDAI_WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "seizure": 8,
        "psychosis": 8,
        "organic_brain_syndrome": 8,
        "visual_disturbance": 8,
        "cranial_nerve_disorder": 8,
        "lupus_headache": 8,
        "cva": 8,
        "vasculitis": 8,
        "arthritis": 4,
        "myositis": 4,
        "urinary_casts": 4,
        "haematuria": 4,
        "proteinuria": 4,
        "pyuria": 4,
        "rash": 2,
        "alopecia": 2,  # 2, not 1 (a public "SLEDAI skin" tool gets this wrong)
        "mucosal_ulcers": 2,
        "pleurisy": 2,
        "pericarditis": 2,
        "low_complement": 2,
        "increased_dna_binding": 2,
        "fever": 1,
        "thrombocytopenia": 1,
        "leukopenia": 1,
    }
)
#: The serological descriptors that the clinical SLEDAI leaves out.
SLEDAI_SEROLOGICAL_CODES: Final = frozenset({"low_complement", "increased_dna_binding"})

SledaiItems = Mapping[str, Tristate] | Iterable[str]


def _present_sledai_codes(items: SledaiItems) -> frozenset[str]:
    """Codes present at the visit, from a code -> bool|None mapping or an iterable of codes.

    Unlike the classifications, SLEDAI scores what is observed: an unknown (None) or
    unrecorded descriptor contributes no points.
    """
    if isinstance(items, Mapping):
        present = []
        for code, value in items.items():
            if code not in SLEDAI_WEIGHTS:
                raise ValueError(f"items: unknown SLEDAI-2K code {code!r}")
            if _tristate(f"items[{code!r}]", value):
                present.append(code)
        return frozenset(present)
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise TypeError("items: expected a mapping of code -> bool|None or an iterable of codes")
    codes = frozenset(items)
    for code in sorted(codes, key=str):
        if code not in SLEDAI_WEIGHTS:
            raise ValueError(f"items: unknown SLEDAI-2K code {code!r}")
    return codes


def sledai_2k(items: SledaiItems) -> int:
    """SLEDAI-2K: sum of the weights of the descriptors present (0-105)."""
    return sum(SLEDAI_WEIGHTS[code] for code in _present_sledai_codes(items))


def clinical_sledai(items: SledaiItems) -> int:
    """Clinical SLEDAI: SLEDAI-2K without low complement and anti-dsDNA (0-101; DORIS)."""
    present = _present_sledai_codes(items) - SLEDAI_SEROLOGICAL_CODES
    return sum(SLEDAI_WEIGHTS[code] for code in present)


# --------------------------------------------------------------------------------------
# 4. SLICC 2012 (spec 4)
# --------------------------------------------------------------------------------------

SLICC_CLINICAL_CODES: Final[tuple[str, ...]] = (
    "acute_or_subacute_cle",
    "chronic_cle",
    "oral_nasal_ulcers",
    "nonscarring_alopecia",
    "synovitis",
    "serositis",
    "renal",
    "neurologic",
    "haemolytic_anaemia",
    "leukopenia_or_lymphopenia",
    "thrombocytopenia",
)
SLICC_IMMUNOLOGICAL_CODES: Final[tuple[str, ...]] = (
    "ana",
    "anti_dsdna",
    "anti_sm",
    "antiphospholipid",
    "low_complement",
    "direct_coombs",
)
_NEPHRITIS: Final = "biopsy_proven_nephritis"
_COOMBS_PIVOT: Final = "clinical.haemolytic_anaemia"


@dataclass(frozen=True, slots=True)
class SliccResult:
    """SLICC 2012 outcome; ``classified`` is None when unknown items could change it.

    ``clinical_count`` and ``immunological_count`` count criteria known to be present
    (the direct Coombs test only when haemolytic anaemia is known to be absent).
    """

    classified: bool | None
    status: str  # met | not_met | undetermined
    clinical_count: int
    immunological_count: int
    reasons: tuple[str, ...]
    unknown_items: tuple[str, ...]
    rule_version: str = SLICC_VERSION


def _slicc_counts(v: Mapping[str, bool]) -> tuple[int, int]:
    clinical = sum(v[f"clinical.{c}"] for c in SLICC_CLINICAL_CODES)
    immunological = sum(
        v[f"immunological.{c}"] for c in SLICC_IMMUNOLOGICAL_CODES if c != "direct_coombs"
    )
    # Spec 4: a positive direct Coombs counts only in the absence of haemolytic anaemia,
    # so one haemolytic process is not counted twice.
    if v["immunological.direct_coombs"] and not v[_COOMBS_PIVOT]:
        immunological += 1
    return clinical, immunological


def _slicc_criteria_route(v: Mapping[str, bool]) -> bool:
    clinical, immunological = _slicc_counts(v)
    return clinical + immunological >= 4 and clinical >= 1 and immunological >= 1


def _slicc_nephritis_route(v: Mapping[str, bool]) -> bool:
    return v[_NEPHRITIS] and (v["immunological.ana"] or v["immunological.anti_dsdna"])


def slicc_2012(
    *,
    clinical: Mapping[str, Tristate],
    immunological: Mapping[str, Tristate],
    biopsy_proven_nephritis: bool | None = False,
) -> SliccResult:
    """SLICC 2012 SLE classification (spec 4), three-valued.

    Classified if >= 4 criteria with >= 1 clinical and >= 1 immunological, or biopsy-proven
    lupus nephritis with a positive ANA or anti-dsDNA. Items are yes (True), no (False) or
    unknown (None); a code left out of a mapping is unknown. The result is ``None``
    (status ``undetermined``) exactly when some completion of the unknown items classifies
    and another does not.
    """
    clin = _item_states("clinical", clinical, SLICC_CLINICAL_CODES)
    imm = _item_states("immunological", immunological, SLICC_IMMUNOLOGICAL_CODES)
    nephritis = _tristate("biopsy_proven_nephritis", biopsy_proven_nephritis)
    states: dict[str, Tristate] = {f"clinical.{k}": v for k, v in clin.items()}
    states.update({f"immunological.{k}": v for k, v in imm.items()})
    states[_NEPHRITIS] = nephritis

    # Both routes are monotone once haemolytic anaemia is fixed (it switches Coombs off).
    pivots = (_COOMBS_PIVOT,)
    criteria = _tri_from(_outcomes(_slicc_criteria_route, states, pivots))
    nephritis_route = _tri_from(_outcomes(_slicc_nephritis_route, states))
    classified = _tri_from(
        _outcomes(lambda v: _slicc_criteria_route(v) or _slicc_nephritis_route(v), states, pivots)
    )

    # Known counts: unknown items are not counted, and Coombs only when haemolytic
    # anaemia is known to be absent.
    n_clin = sum(clin[c] is True for c in SLICC_CLINICAL_CODES)
    n_imm = sum(imm[c] is True for c in SLICC_IMMUNOLOGICAL_CODES if c != "direct_coombs")
    n_imm += imm["direct_coombs"] is True and clin["haemolytic_anaemia"] is False
    reasons: list[str] = []
    coombs, haemolysis = imm["direct_coombs"], clin["haemolytic_anaemia"]
    if coombs is True and haemolysis is True:
        reasons.append(
            "direct Coombs not counted: it counts only in the absence of haemolytic anaemia, "
            "which is present"
        )
    elif coombs is True and haemolysis is None:
        reasons.append(
            "direct Coombs counts only if haemolytic anaemia is absent, which is unknown"
        )
    counted = f"{n_clin + n_imm} criteria known ({n_clin} clinical, {n_imm} immunological)"
    if criteria is True:
        reasons.append(f"{counted}: >= 4 with >= 1 clinical and >= 1 immunological")
    elif criteria is False:
        reasons.append(f"{counted}: not >= 4 criteria with >= 1 clinical and >= 1 immunological")
    else:
        reasons.append(f"{counted}: the unknown items could complete the criteria")
    if nephritis_route is True:
        antibodies = [
            label for label, code in (("ANA", "ana"), ("anti-dsDNA", "anti_dsdna")) if imm[code]
        ]
        reasons.append(f"biopsy-proven lupus nephritis with positive {' and '.join(antibodies)}")
    elif nephritis_route is None:
        reasons.append(
            "nephritis route open: biopsy-proven nephritis with positive ANA or anti-dsDNA "
            "depends on unknown items"
        )
    elif nephritis is True:
        reasons.append("biopsy-proven lupus nephritis, but ANA and anti-dsDNA are negative")

    unknown = tuple(k for k, v in states.items() if v is None)
    if classified is None:
        reasons.append(
            f"undetermined: unknown items could change the outcome ({', '.join(unknown)})"
        )
    status = {True: "met", False: "not_met", None: "undetermined"}[classified]
    return SliccResult(
        classified=classified,
        status=status,
        clinical_count=n_clin,
        immunological_count=n_imm,
        reasons=tuple(reasons),
        unknown_items=unknown,
    )


# --------------------------------------------------------------------------------------
# 5. 2019 EULAR/ACR (spec 5)
# --------------------------------------------------------------------------------------

#: Domain -> {criterion code: weight}; only the highest criterion present in a domain counts.
EULAR_ACR_DOMAINS: Final[Mapping[str, Mapping[str, int]]] = MappingProxyType(
    {
        "constitutional": MappingProxyType({"fever": 2}),
        "haematologic": MappingProxyType(
            {"leukopenia": 3, "thrombocytopenia": 4, "autoimmune_haemolysis": 4}
        ),
        "neuropsychiatric": MappingProxyType(
            {"delirium": 2, "psychosis": 3, "seizure": 5}  # seizure 5, not 4
        ),
        "mucocutaneous": MappingProxyType(
            {
                "nonscarring_alopecia": 2,
                "oral_ulcers": 2,
                "subacute_or_discoid_cle": 4,
                "acute_cle": 6,
            }
        ),
        "serosal": MappingProxyType(
            {"pleural_or_pericardial_effusion": 5, "acute_pericarditis": 6}
        ),
        "musculoskeletal": MappingProxyType({"joint_involvement": 6}),
        "renal": MappingProxyType(
            {"proteinuria": 4, "class_ii_or_v_nephritis": 8, "class_iii_or_iv_nephritis": 10}
        ),
        "antiphospholipid": MappingProxyType({"antiphospholipid": 2}),
        "complement": MappingProxyType({"low_c3_or_c4": 3, "low_c3_and_c4": 4}),
        "sle_specific_antibodies": MappingProxyType({"anti_dsdna_or_anti_sm": 6}),
    }
)
EULAR_ACR_CLINICAL_DOMAINS: Final = (
    "constitutional",
    "haematologic",
    "neuropsychiatric",
    "mucocutaneous",
    "serosal",
    "musculoskeletal",
    "renal",
)
EULAR_ACR_IMMUNOLOGICAL_DOMAINS: Final = (
    "antiphospholipid",
    "complement",
    "sle_specific_antibodies",
)
EULAR_ACR_WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {code: w for domain in EULAR_ACR_DOMAINS.values() for code, w in domain.items()}
)
EULAR_ACR_ENTRY_ANA_TITRE: Final = 80  # ANA >= 1:80 on HEp-2 cells
EULAR_ACR_THRESHOLD: Final = 10
EULAR_ACR_MAX_POINTS: Final = sum(max(d.values()) for d in EULAR_ACR_DOMAINS.values())


@dataclass(frozen=True, slots=True)
class EularAcrResult:
    """2019 EULAR/ACR outcome. ``points`` and ``domains`` count known criteria only;
    ``max_possible_points`` also counts the unknown ones."""

    points: int
    classified: bool | None
    entry_criterion_met: bool | None
    domains: Mapping[str, int]
    max_possible_points: int
    has_clinical_criterion: bool | None
    reasons: tuple[str, ...]
    rule_version: str = EULAR_ACR_VERSION


def _domain_points(states: Mapping[str, Tristate], *, count_unknown: bool) -> dict[str, int]:
    wanted = (True, None) if count_unknown else (True,)
    return {
        domain: max((w for code, w in criteria.items() if states[code] in wanted), default=0)
        for domain, criteria in EULAR_ACR_DOMAINS.items()
    }


def eular_acr_2019(*, ana_titre: int | None, items: Mapping[str, Tristate]) -> EularAcrResult:
    """2019 EULAR/ACR SLE classification (spec 5), three-valued.

    Entry: ANA titre >= 80 (reciprocal; 0 = negative; an equivalent positive test should
    be entered as 80). ``None`` titre -> entry unknown. Classified if entry met, >= 10
    points (highest criterion per domain) and >= 1 clinical criterion. A code left out of
    ``items`` is unknown. ``classified`` is None only if unknown inputs could change it:
    with entry unknown and criteria that cannot reach the threshold it is False.
    """
    if ana_titre is None:
        entry: Tristate = None
    else:
        entry = _count("ana_titre", ana_titre) >= EULAR_ACR_ENTRY_ANA_TITRE
    states = _item_states("items", items, EULAR_ACR_WEIGHTS)

    known = _domain_points(states, count_unknown=False)
    possible = _domain_points(states, count_unknown=True)
    points, max_points = sum(known.values()), sum(possible.values())
    clinical_known = any(known[d] for d in EULAR_ACR_CLINICAL_DOMAINS)
    clinical_possible = any(possible[d] for d in EULAR_ACR_CLINICAL_DOMAINS)
    # Points and the clinical requirement are monotone in every item, so the known-only
    # and the all-unknown-present totals bound every completion.
    additive: Tristate
    if points >= EULAR_ACR_THRESHOLD and clinical_known:
        additive = True
    elif max_points < EULAR_ACR_THRESHOLD or not clinical_possible:
        additive = False
    else:
        additive = None
    classified = _kleene_and(entry, additive)
    has_clinical: Tristate = True if clinical_known else (None if clinical_possible else False)

    reasons: list[str] = []
    if entry is True:
        reasons.append(f"entry criterion met: ANA titre 1:{ana_titre} >= 1:80")
    elif entry is False:
        reasons.append(f"entry criterion not met: ANA titre 1:{ana_titre} < 1:80")
    else:
        reasons.append("entry criterion unknown: no ANA titre")
    for domain, criteria in EULAR_ACR_DOMAINS.items():
        present = [code for code in criteria if states[code] is True]
        if len(present) > 1:
            top = max(present, key=lambda c: criteria[c])
            ignored = ", ".join(c for c in present if c != top)
            reasons.append(
                f"{domain}: only the highest criterion counts ({top} {criteria[top]}; "
                f"not counted: {ignored})"
            )
    reasons.append(
        f"{points} points known (>= {EULAR_ACR_THRESHOLD} needed)"
        + (f", up to {max_points} if unknown items are present" if max_points > points else "")
    )
    if not clinical_known:
        reasons.append(
            "no clinical criterion known to be present (>= 1 required)"
            if clinical_possible
            else "no clinical criterion: >= 1 is required"
        )
    if classified is None:
        reasons.append("undetermined: unknown items could change the outcome")
    return EularAcrResult(
        points=points,
        classified=classified,
        entry_criterion_met=entry,
        domains=MappingProxyType(known),
        max_possible_points=max_points,
        has_clinical_criterion=has_clinical,
        reasons=tuple(reasons),
    )


# --------------------------------------------------------------------------------------
# 6. Myeloid classification: WHO 2022 (spec 2.1, 2.2) and WHO 2016 (spec 2.3)
# --------------------------------------------------------------------------------------

Who2022MdsSubtype = Literal[
    "aml",
    "mds_bitp53",
    "mds_f",
    "mds_ib2",
    "mds_ib1",
    "mds_5q",
    "mds_sf3b1",
    "mds_h",
    "mds_lb",
]
AML_BLAST_THRESHOLD: Final = 20.0
WHO2022_SF3B1_MIN_VAF: Final = 5.0  # % (V-secondary in the spec)
RING_SIDEROBLASTS_THRESHOLD: Final = 15.0  # % of erythroid precursors
WHO2022_HYPOPLASTIC_MAX_CELLULARITY: Final = 25.0  # %


def _del5q_isolated(*, del5q: bool, minus_7_or_del7q: bool, complex_: bool) -> bool:
    # del(5q) alone or with one other abnormality that is not -7/del(7q).
    return del5q and not minus_7_or_del7q and not complex_


def who2022_mds_subtype(
    *,
    bm_blasts: Number,
    pb_blasts: Number | None = None,
    auer_rods: bool = False,
    fibrosis_grade: int | None = None,
    tp53_mutation_count: int = 0,
    tp53_multihit: bool = False,
    del5q: bool = False,
    minus_7_or_del7q: bool = False,
    complex_karyotype: bool = False,
    abnormality_count: int | None = None,
    sf3b1_mutated: bool | None = None,
    sf3b1_vaf: Number | None = None,
    ring_sideroblasts_pct: Number | None = None,
    bm_cellularity_pct: Number | None = None,
) -> str:
    """WHO 2022 MDS subtype (Khoury 2022 Table 3) for a case already diagnosed as MDS.

    Evaluation order (spec 2.1; WHO gives none, the first match wins):

    1. ``aml``: blasts >= 20% in BM or PB.
    2. ``mds_bitp53``: >= 2 TP53 mutations, or ``tp53_multihit`` (1 mutation with copy-
       number loss or cnLOH).
    3. Increased blasts (BM >= 5%, PB >= 2% or Auer rods): ``mds_f`` if fibrosis grade 2-3
       and the blast counts (not Auer rods alone) are increased; otherwise ``mds_ib2``
       (BM >= 10%, PB >= 5% or Auer rods); otherwise ``mds_ib1``.
    4. Low blasts, genetics: ``mds_5q`` (del(5q) alone or with one other abnormality that
       is not -7/del(7q)), then ``mds_sf3b1`` (no del(5q), -7/del(7q) or complex
       karyotype; SF3B1 mutated with VAF >= 5% or VAF unknown, or >= 15% ring
       sideroblasts, WHO's substitute "MDS-LB with ring sideroblasts").
    5. ``mds_h``: BM cellularity <= 25% (WHO asks for age adjustment, which is left to the
       pathologist's judgement of the value entered).
    6. ``mds_lb``.

    Unknown optional inputs (None) are read as "not shown": PB blasts not reported use BM
    only; an unknown fibrosis grade, SF3B1 status or cellularity does not qualify. A
    complex karyotype is ``complex_karyotype`` or ``abnormality_count >= 3``.
    """
    bm = _number("bm_blasts", bm_blasts, upper=100)
    pb = _optional_number("pb_blasts", pb_blasts, upper=100)
    pb_v = 0.0 if pb is None else pb
    auer = _flag("auer_rods", auer_rods)
    fibrosis = None if fibrosis_grade is None else _count("fibrosis_grade", fibrosis_grade, upper=3)
    tp53_n = _count("tp53_mutation_count", tp53_mutation_count)
    multihit = _flag("tp53_multihit", tp53_multihit)
    has_del5q = _flag("del5q", del5q)
    has_7 = _flag("minus_7_or_del7q", minus_7_or_del7q)
    n_abn = None if abnormality_count is None else _count("abnormality_count", abnormality_count)
    complex_ = _flag("complex_karyotype", complex_karyotype) or (n_abn is not None and n_abn >= 3)
    sf3b1 = _tristate("sf3b1_mutated", sf3b1_mutated)
    vaf = _optional_number("sf3b1_vaf", sf3b1_vaf, upper=100)
    if sf3b1 is False and vaf:
        raise ValueError("sf3b1_vaf: a VAF is given but sf3b1_mutated is False")
    rs = _optional_number("ring_sideroblasts_pct", ring_sideroblasts_pct, upper=100)
    cellularity = _optional_number("bm_cellularity_pct", bm_cellularity_pct, upper=100)

    if bm >= AML_BLAST_THRESHOLD or pb_v >= AML_BLAST_THRESHOLD:
        return "aml"
    if tp53_n >= 2 or multihit:
        return "mds_bitp53"
    blasts_increased = bm >= 5 or pb_v >= 2
    if blasts_increased or auer:
        if blasts_increased and fibrosis is not None and fibrosis >= 2:
            return "mds_f"
        if bm >= 10 or pb_v >= 5 or auer:
            return "mds_ib2"
        return "mds_ib1"
    if _del5q_isolated(del5q=has_del5q, minus_7_or_del7q=has_7, complex_=complex_):
        return "mds_5q"
    mutated = sf3b1 is True or (sf3b1 is None and vaf is not None and vaf > 0)
    sf3b1_qualifies = mutated and (vaf is None or vaf >= WHO2022_SF3B1_MIN_VAF)
    rs_qualifies = rs is not None and rs >= RING_SIDEROBLASTS_THRESHOLD
    if not (has_del5q or has_7 or complex_) and (sf3b1_qualifies or rs_qualifies):
        return "mds_sf3b1"
    if cellularity is not None and cellularity <= WHO2022_HYPOPLASTIC_MAX_CELLULARITY:
        return "mds_h"
    return "mds_lb"


@dataclass(frozen=True, slots=True)
class CmmlResult:
    """WHO 2022 CMML: criteria met (None = undetermined), subgroup and subtype.

    ``subgroup`` is ``cmml_1``/``cmml_2``, or ``aml`` when blasts are >= 20% (then
    ``meets_criteria`` is False and ``subtype`` is None).
    """

    meets_criteria: bool | None
    subgroup: str
    subtype: str | None
    reasons: tuple[str, ...]
    rule_version: str = WHO2022_VERSION


CMML_MP_WBC_THRESHOLD: Final = 13.0


def who2022_cmml(
    *,
    monocytes_abs: Number,
    monocytes_pct: Number,
    wbc: Number,
    pb_blasts: Number,
    bm_blasts: Number,
    dysplasia: bool | None,
    clonal_abnormality: bool | None,
    auer_rods: bool = False,
    monocyte_partitioning: bool | None = False,
) -> CmmlResult:
    """WHO 2022 CMML criteria, subgroup and MD/MP subtype (Khoury 2022 Table 6; spec 2.2).

    Prerequisites: monocytes >= 0.5 x10^9/L and >= 10% of WBC; blasts (+ promonocytes)
    < 20% in PB and BM. Not CML/MPN and no tyrosine-kinase fusion are not inputs here: the
    caller asserts them. Supporting criteria: S1 ``dysplasia``, S2 ``clonal_abnormality``,
    S3 ``monocyte_partitioning`` (abnormal PB monocyte subsets; not on the CRF, hence
    default False). Monocytes >= 1.0 need >= 1 supporting criterion; 0.5 to < 1.0 need S1
    and S2. CMML-2 is the complement of CMML-1 below 20% (PB >= 5% or BM >= 10%), and Auer
    rods give CMML-2 as in WHO 2016 (UNVERIFIED for the 2022 text).
    """
    mono = _number("monocytes_abs", monocytes_abs)
    mono_pct = _number("monocytes_pct", monocytes_pct, upper=100)
    wbc_v = _number("wbc", wbc)
    pb = _number("pb_blasts", pb_blasts, upper=100)
    bm = _number("bm_blasts", bm_blasts, upper=100)
    s1 = _tristate("dysplasia", dysplasia)
    s2 = _tristate("clonal_abnormality", clonal_abnormality)
    s3 = _tristate("monocyte_partitioning", monocyte_partitioning)
    auer = _flag("auer_rods", auer_rods)

    reasons: list[str] = []
    if pb >= AML_BLAST_THRESHOLD or bm >= AML_BLAST_THRESHOLD:
        reasons.append(f"blasts >= 20% (PB {pb:g}%, BM {bm:g}%): AML, not CMML")
        return CmmlResult(False, "aml", None, tuple(reasons))

    monocytosis = mono >= 0.5 and mono_pct >= 10
    if monocytosis:
        reasons.append(f"monocytosis: {mono:g} x10^9/L (>= 0.5) and {mono_pct:g}% (>= 10%)")
    else:
        reasons.append(
            f"no qualifying monocytosis: {mono:g} x10^9/L and {mono_pct:g}% "
            "(>= 0.5 and >= 10% required)"
        )
    if mono >= 1.0:
        supporting = _kleene_or(s1, s2, s3)
        reasons.append("monocytes >= 1.0: >= 1 supporting criterion (S1-S3) required")
    else:
        supporting = _kleene_and(s1, s2)
        reasons.append("monocytes < 1.0: dysplasia (S1) and a clonal abnormality (S2) required")
    if supporting is None:
        reasons.append("supporting criteria depend on unknown items")
    elif supporting is False:
        reasons.append("supporting criteria not met")
    meets = _kleene_and(monocytosis, supporting)

    cmml_2 = pb >= 5 or bm >= 10 or auer
    subgroup = "cmml_2" if cmml_2 else "cmml_1"
    reasons.append(
        f"{subgroup.replace('_', '-').upper()}: PB blasts {pb:g}%, BM blasts {bm:g}%"
        + (", Auer rods" if auer else "")
    )
    subtype = "mp_cmml" if wbc_v >= CMML_MP_WBC_THRESHOLD else "md_cmml"
    reasons.append(f"WBC {wbc_v:g} x10^9/L: {'MP' if subtype == 'mp_cmml' else 'MD'}-CMML")
    return CmmlResult(meets, subgroup, subtype, tuple(reasons))


def who2016_cmml_subgroup(*, pb_blasts: Number, bm_blasts: Number, auer_rods: bool = False) -> str:
    """WHO 2016 CMML subgroup (spec 2.3): ``cmml_0|cmml_1|cmml_2|aml``.

    Blasts include promonocytes. Ranges are read on a continuous scale: CMML-1 is PB
    2 to < 5% and/or BM 5 to < 10%; CMML-2 PB 5 to < 20%, BM 10 to < 20% and/or Auer rods.
    """
    pb = _number("pb_blasts", pb_blasts, upper=100)
    bm = _number("bm_blasts", bm_blasts, upper=100)
    auer = _flag("auer_rods", auer_rods)
    if pb >= AML_BLAST_THRESHOLD or bm >= AML_BLAST_THRESHOLD:
        return "aml"
    if pb >= 5 or bm >= 10 or auer:
        return "cmml_2"
    if pb >= 2 or bm >= 5:
        return "cmml_1"
    return "cmml_0"


def who2016_cytopenias(*, hb: Number, platelets: Number, anc: Number) -> int:
    """Number of WHO 2016 cytopenias: Hb < 10 g/dL, PLT < 100, ANC < 1.8 x10^9/L."""
    return (
        (_number("hb", hb) < 10)
        + (_number("platelets", platelets) < 100)
        + (_number("anc", anc) < 1.8)
    )


def who2016_mds_subtype(
    *,
    dysplastic_lineages: int,
    cytopenias: int,
    bm_blasts: Number,
    pb_blasts: Number,
    auer_rods: bool = False,
    ring_sideroblasts_pct: Number | None = None,
    sf3b1_mutated: bool | None = None,
    del5q: bool = False,
    minus_7_or_del7q: bool = False,
    abnormality_count: int | None = None,
) -> str:
    """WHO 2016 MDS subtype (Arber 2016; spec 2.3) for a case already diagnosed as MDS.

    Order: ``aml`` (blasts >= 20%); ``mds_eb2`` (BM >= 10%, PB >= 5% or Auer rods);
    ``mds_eb1`` (BM >= 5% or PB >= 2%); ``mds_u`` if PB blasts are 1% (the caller must
    have it on >= 2 occasions); ``mds_del5q`` (del(5q) alone or with one other abnormality
    that is not -7/del(7q), 1-2 cytopenias); ``mds_u`` with no dysplastic lineage (MDS
    assumed established by an MDS-defining abnormality); ``mds_u`` for single-lineage
    dysplasia with pancytopenia; then SLD/MLD, with ring sideroblasts >= 15% (>= 5% if
    SF3B1 is mutated) giving the RS types. Unknown ring sideroblasts count as < 5%.
    At least one cytopenia is required for MDS, so 0 raises ValueError.
    """
    lineages = _count("dysplastic_lineages", dysplastic_lineages, upper=3)
    n_cyto = _count("cytopenias", cytopenias, upper=3)
    if n_cyto == 0:
        raise ValueError("cytopenias: MDS requires at least one cytopenia")
    bm = _number("bm_blasts", bm_blasts, upper=100)
    pb = _number("pb_blasts", pb_blasts, upper=100)
    auer = _flag("auer_rods", auer_rods)
    rs = _optional_number("ring_sideroblasts_pct", ring_sideroblasts_pct, upper=100)
    sf3b1 = _tristate("sf3b1_mutated", sf3b1_mutated)
    has_del5q = _flag("del5q", del5q)
    has_7 = _flag("minus_7_or_del7q", minus_7_or_del7q)
    n_abn = None if abnormality_count is None else _count("abnormality_count", abnormality_count)
    complex_ = n_abn is not None and n_abn >= 3

    if bm >= AML_BLAST_THRESHOLD or pb >= AML_BLAST_THRESHOLD:
        return "aml"
    if bm >= 10 or pb >= 5 or auer:
        return "mds_eb2"
    if bm >= 5 or pb >= 2:
        return "mds_eb1"
    if pb >= 1:
        return "mds_u"
    if n_cyto <= 2 and _del5q_isolated(del5q=has_del5q, minus_7_or_del7q=has_7, complex_=complex_):
        return "mds_del5q"
    if lineages == 0:
        return "mds_u"
    if lineages == 1 and n_cyto == 3:
        return "mds_u"
    rs_threshold = 5.0 if sf3b1 is True else RING_SIDEROBLASTS_THRESHOLD
    ring = rs is not None and rs >= rs_threshold
    if lineages == 1:
        return "mds_rs_sld" if ring else "mds_sld"
    return "mds_rs_mld" if ring else "mds_mld"


# --------------------------------------------------------------------------------------
# 7. Lupus response (crf.md section 8)
# --------------------------------------------------------------------------------------


def lupus_response(*, sledai_2k: int, clinical_sledai: int) -> str:
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
        return "complete_response"
    if clinical == 0:
        return "clinical_response"
    return "no_response"


# --------------------------------------------------------------------------------------
# 8. Derived demographics (crf.md section 1)
# --------------------------------------------------------------------------------------

#: "Concomitant" means less than 3 months apart; 3 months is fixed at 91 days (13 weeks,
#: about a quarter of 365 days) so the rule does not depend on month lengths.
CONCOMITANT_MAX_DAYS: Final = 91


def _date(name: str, value: object) -> date:
    # datetime is a date subclass, but mixing it with dates breaks subtraction.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name}: expected a date, got {value!r}")
    return value


def temporal_relation(*, le_date: date, mds_date: date) -> str:
    """``concomitant`` if the LE and MDS/CMML diagnoses are < 91 days apart, otherwise
    ``le_before`` or ``le_after`` (LE diagnosed before / after MDS/CMML)."""
    days = (_date("mds_date", mds_date) - _date("le_date", le_date)).days
    if abs(days) < CONCOMITANT_MAX_DAYS:
        return "concomitant"
    return "le_before" if days > 0 else "le_after"


def age_in_years(*, birth: date, on: date) -> int:
    """Completed years of age on ``on``. Someone born on 29 February turns a year older on
    1 March in non-leap years."""
    b, d = _date("birth", birth), _date("on", on)
    if d < b:
        raise ValueError(f"on: {d.isoformat()} is before birth {b.isoformat()}")
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
