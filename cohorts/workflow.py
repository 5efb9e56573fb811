"""The review workflow as named services, on `crf.lifecycle.case_transition` (which checks
who may move the case, from which status, with the version the user saw, and audits it with
who, when and why). This module adds the coordinators' guards: a case with open queries
cannot be verified nor locked.
"""

from __future__ import annotations

from django.utils.translation import ngettext

from cohorts.models import OPEN_QUERY_STATUSES, Query
from crf.access import Actor
from crf.lifecycle import case_submit, case_transition, case_withdraw
from crf.models import Case
from registry.audit import Source

__all__ = [
    "case_lock",
    "case_start_review",
    "case_submit",
    "case_unlock",
    "case_verify",
    "case_withdraw",
    "open_queries_block",
]


def open_queries_block(actor: Actor, case: Case) -> list[str]:
    """Guard of verify and lock: every query of the case must be closed first."""
    count = Query.objects.filter(case=case, status__in=OPEN_QUERY_STATUSES).count()
    if not count:
        return []
    return [
        ngettext(
            "Case {code} has {count} open query: close it before verifying or locking.",
            "Case {code} has {count} open queries: close them before verifying or locking.",
            count,
        ).format(code=case.code, count=count)
    ]


def case_start_review(
    *, actor: Actor, case: Case | str, based_on: int, source: str = Source.WEB
) -> Case:
    """A coordinator takes a submitted (or answered) case into review."""
    return case_transition(
        actor=actor, case=case, name="start_review", based_on=based_on, source=source
    )


def case_verify(
    *, actor: Actor, case: Case | str, based_on: int, reason: str = "", source: str = Source.WEB
) -> Case:
    """A coordinator verifies a case in review or answered, with no open query."""
    return case_transition(
        actor=actor, case=case, name="verify", based_on=based_on, reason=reason, source=source
    )


def case_lock(
    *, actor: Actor, case: Case | str, based_on: int, reason: str = "", source: str = Source.WEB
) -> Case:
    """A coordinator locks a verified case: read-only to everyone from then on."""
    return case_transition(
        actor=actor, case=case, name="lock", based_on=based_on, reason=reason, source=source
    )


def case_unlock(
    *, actor: Actor, case: Case | str, based_on: int, reason: str, source: str = Source.WEB
) -> Case:
    """A registry administrator unlocks a locked case (back to verified), with a reason."""
    return case_transition(
        actor=actor, case=case, name="unlock", based_on=based_on, reason=reason, source=source
    )
