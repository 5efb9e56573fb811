"""The case cohort, the control cohort, and a reproducible random selection of controls.

Membership (the same rule for cases and controls): a case is a member when the coordinator
adjudicated it "include", or when it was not adjudicated and its stored eligibility is
"eligible"; an "exclude" decision always keeps it out; withdrawn cases never count.

`draw(cases, pool, ratio, seed)` is pure: the pool, in id order, is shuffled once with
`random.Random(seed)`; then each case, in id order, takes the first `ratio` unused controls
of the shuffled pool with the same matching key (every control when not matched). The
stored selection keeps its input (cases and pool with their keys), its seed and its result,
so `redraw(selection)` gives the same controls, whatever was edited since.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cohorts.eligibility import ELIGIBLE
from cohorts.models import Adjudication, CaseAssessment, ControlSelection, Decision
from crf import access
from crf.access import Actor
from crf.codes import Group, Status
from crf.models import Case, Demographics
from registry.audit import Source, audit_context

MAX_RATIO = 10


def _age_band(demo: dict[str, Any]) -> Any:
    age = demo.get("age_at_le_diagnosis")
    return None if age is None else int(age) // 10 * 10


@dataclass(frozen=True)
class Matcher:
    label: Any
    key: Callable[[dict[str, Any]], Any]  # from the case's demographics values


MATCHERS: dict[str, Matcher] = {
    "sex": Matcher(gettext_lazy("sex"), lambda demo: demo.get("sex") or None),
    "age_band": Matcher(
        gettext_lazy("age at LE diagnosis, by decade"),
        _age_band,
    ),
}


def members(group: str) -> QuerySet[Case]:
    """The cohort of `group` (case / control) under the membership rule above."""
    included = Adjudication.objects.filter(case=OuterRef("pk"), decision=Decision.INCLUDE)
    excluded = Adjudication.objects.filter(case=OuterRef("pk"), decision=Decision.EXCLUDE)
    eligible = CaseAssessment.objects.filter(case=OuterRef("pk"), eligibility=ELIGIBLE)
    return (
        Case.objects.filter(group=group)
        .exclude(status=Status.WITHDRAWN)
        .filter(Exists(included) | (Exists(eligible) & ~Exists(excluded)))
        .order_by("pk")
    )


def case_cohort() -> QuerySet[Case]:
    return members(Group.CASE)


def control_cohort() -> QuerySet[Case]:
    return members(Group.CONTROL)


def keyed(cases: QuerySet[Case], match_on: Sequence[str]) -> list[list[Any]]:
    """[[case id, matching key], ...] in id order; the key is a list of the variables'
    values (one query for the demographics)."""
    ids = list(cases.values_list("pk", flat=True))
    demos: dict[int, dict[str, Any]] = {
        row["case_id"]: dict(row)
        for row in Demographics.objects.filter(case_id__in=ids).values(
            "case_id", "sex", "age_at_le_diagnosis"
        )
    }
    return [[pk, [MATCHERS[m].key(demos.get(pk, {})) for m in match_on]] for pk in ids]


@dataclass(frozen=True)
class Draw:
    control_ids: list[int]
    pairs: list[list[int]]
    shortfall: int


def draw(
    cases: Sequence[Sequence[Any]], pool: Sequence[Sequence[Any]], ratio: int, seed: int
) -> Draw:
    """Pure and deterministic: see the module docstring. A key holding an unknown value
    (None) matches nothing: such a case gets no matched control (counted in the shortfall)."""
    shuffled = sorted(pool, key=lambda item: item[0])
    random.Random(seed).shuffle(shuffled)
    used: set[int] = set()
    chosen: list[int] = []
    pairs: list[list[int]] = []
    shortfall = 0
    for case_id, key in sorted(cases, key=lambda item: item[0]):
        taken = 0
        if None not in key:
            for control_id, control_key in shuffled:
                if taken == ratio:
                    break
                if control_id in used or control_key != key:
                    continue
                used.add(control_id)
                chosen.append(control_id)
                pairs.append([case_id, control_id])
                taken += 1
        shortfall += ratio - taken
    return Draw(chosen, pairs, shortfall)


def redraw(selection: ControlSelection) -> Draw:
    return draw(selection.cases, selection.pool, selection.ratio, selection.seed)


@transaction.atomic
def select_controls(
    *,
    actor: Actor,
    name: str,
    ratio: int,
    match_on: Sequence[str] = (),
    seed: int | None = None,
    source: str = Source.WEB,
) -> ControlSelection:
    """Draw controls for the current case cohort and store the draw (seed included)."""
    if not access.may_adjudicate(actor):
        raise PermissionDenied(_("Only coordinators select controls."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the selection (e.g. 'Main analysis, 2:1').")})
    if not 1 <= int(ratio) <= MAX_RATIO:
        raise ValidationError(
            {"ratio": _("Controls per case: a whole number from 1 to {max}.").format(max=MAX_RATIO)}
        )
    unknown = [m for m in match_on if m not in MATCHERS]
    if unknown:
        raise ValidationError(
            {
                "match_on": _("Unknown matching variable(s): {names}.").format(
                    names=", ".join(unknown)
                )
            }
        )
    seed = secrets.randbelow(2**62) if seed is None else int(seed)
    cases = keyed(case_cohort(), match_on)
    if not cases:
        raise ValidationError(_("The case cohort is empty: adjudicate cases first."))
    pool = keyed(control_cohort(), match_on)
    result = draw(cases, pool, int(ratio), seed)
    with audit_context(source=source, user=actor.user, reason=name):
        return ControlSelection.objects.create(
            name=name,
            ratio=int(ratio),
            match_on=list(match_on),
            seed=seed,
            cases=cases,
            pool=pool,
            control_ids=result.control_ids,
            pairs=result.pairs,
            shortfall=result.shortfall,
            created_by=actor.user,
        )
