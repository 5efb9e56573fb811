"""Input checks shared by the rules: numbers, counts, flags, three-valued items."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from .versions import Tristate


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
        if value is not None and not isinstance(value, bool):
            _tristate(f"{arg}[{code!r}]", value)  # raises, naming the item
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
