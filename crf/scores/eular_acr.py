"""2019 EULAR/ACR classification (clinical-rules.md 5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from crf.codes import EularAcrItem

from ._inputs import _count, _item_states, _kleene_and
from .versions import EULAR_ACR_VERSION, Tristate

#: Domain -> {criterion code: weight}; only the highest criterion present in a domain counts.
EULAR_ACR_DOMAINS: Final[Mapping[str, Mapping[str, int]]] = MappingProxyType(
    {
        "constitutional": MappingProxyType({EularAcrItem.FEVER: 2}),
        "haematologic": MappingProxyType(
            {
                EularAcrItem.LEUKOPENIA: 3,
                EularAcrItem.THROMBOCYTOPENIA: 4,
                EularAcrItem.AUTOIMMUNE_HAEMOLYSIS: 4,
            }
        ),
        # Seizure weighs 5, not 4 (a public calculator gets this wrong).
        "neuropsychiatric": MappingProxyType(
            {
                EularAcrItem.DELIRIUM: 2,
                EularAcrItem.PSYCHOSIS: 3,
                EularAcrItem.SEIZURE: 5,
            }
        ),
        "mucocutaneous": MappingProxyType(
            {
                EularAcrItem.NONSCARRING_ALOPECIA: 2,
                EularAcrItem.ORAL_ULCERS: 2,
                EularAcrItem.SUBACUTE_OR_DISCOID_CLE: 4,
                EularAcrItem.ACUTE_CLE: 6,
            }
        ),
        "serosal": MappingProxyType(
            {EularAcrItem.PLEURAL_OR_PERICARDIAL_EFFUSION: 5, EularAcrItem.ACUTE_PERICARDITIS: 6}
        ),
        "musculoskeletal": MappingProxyType({EularAcrItem.JOINT_INVOLVEMENT: 6}),
        "renal": MappingProxyType(
            {
                EularAcrItem.PROTEINURIA: 4,
                EularAcrItem.CLASS_II_OR_V_NEPHRITIS: 8,
                EularAcrItem.CLASS_III_OR_IV_NEPHRITIS: 10,
            }
        ),
        "antiphospholipid": MappingProxyType({EularAcrItem.ANTIPHOSPHOLIPID: 2}),
        "complement": MappingProxyType(
            {EularAcrItem.LOW_C3_OR_C4: 3, EularAcrItem.LOW_C3_AND_C4: 4}
        ),
        "sle_specific_antibodies": MappingProxyType({EularAcrItem.ANTI_DSDNA_OR_ANTI_SM: 6}),
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
