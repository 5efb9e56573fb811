"""SLEDAI-2K and clinical SLEDAI (clinical-rules.md 3 and 8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from crf.codes import SledaiItem

from ._inputs import _tristate
from .versions import Tristate

SLEDAI_WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        SledaiItem.SEIZURE: 8,
        SledaiItem.PSYCHOSIS: 8,
        SledaiItem.ORGANIC_BRAIN_SYNDROME: 8,
        SledaiItem.VISUAL_DISTURBANCE: 8,
        SledaiItem.CRANIAL_NERVE_DISORDER: 8,
        SledaiItem.LUPUS_HEADACHE: 8,
        SledaiItem.CVA: 8,
        SledaiItem.VASCULITIS: 8,
        SledaiItem.ARTHRITIS: 4,
        SledaiItem.MYOSITIS: 4,
        SledaiItem.URINARY_CASTS: 4,
        SledaiItem.HAEMATURIA: 4,
        SledaiItem.PROTEINURIA: 4,
        SledaiItem.PYURIA: 4,
        SledaiItem.RASH: 2,
        SledaiItem.ALOPECIA: 2,  # 2, not 1 (a public "SLEDAI skin" tool gets this wrong)
        SledaiItem.MUCOSAL_ULCERS: 2,
        SledaiItem.PLEURISY: 2,
        SledaiItem.PERICARDITIS: 2,
        SledaiItem.LOW_COMPLEMENT: 2,
        SledaiItem.INCREASED_DNA_BINDING: 2,
        SledaiItem.FEVER: 1,
        SledaiItem.THROMBOCYTOPENIA: 1,
        SledaiItem.LEUKOPENIA: 1,
    }
)
#: The serological descriptors that the clinical SLEDAI leaves out.
SLEDAI_SEROLOGICAL_CODES: Final = frozenset(
    {SledaiItem.LOW_COMPLEMENT, SledaiItem.INCREASED_DNA_BINDING}
)

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
            if value is not None and not isinstance(value, bool):
                _tristate(f"items[{code!r}]", value)  # raises, naming the item
            if value:
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
