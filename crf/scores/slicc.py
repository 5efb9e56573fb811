"""SLICC 2012 classification (clinical-rules.md 4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from crf.codes import Classification, SliccClinical, SliccImmunological

from ._inputs import _item_states, _outcomes, _tri_from, _tristate
from .versions import SLICC_VERSION, Tristate

SLICC_CLINICAL_CODES: Final[tuple[str, ...]] = tuple(SliccClinical)
SLICC_IMMUNOLOGICAL_CODES: Final[tuple[str, ...]] = tuple(SliccImmunological)
_NEPHRITIS: Final = "biopsy_proven_nephritis"
_COOMBS_PIVOT: Final = "clinical.haemolytic_anaemia"


@dataclass(frozen=True, slots=True)
class SliccResult:
    """SLICC 2012 outcome; ``classified`` is None when unknown items could change it.

    ``clinical_count`` and ``immunological_count`` count criteria known to be present
    (the direct Coombs test only when haemolytic anaemia is known to be absent).
    """

    classified: bool | None
    status: Classification
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
    status = {
        True: Classification.MET,
        False: Classification.NOT_MET,
        None: Classification.UNDETERMINED,
    }[classified]
    return SliccResult(
        classified=classified,
        status=status,
        clinical_count=n_clin,
        immunological_count=n_imm,
        reasons=tuple(reasons),
        unknown_items=unknown,
    )
