"""The case lifecycle: which transitions exist, who makes them, and the one service that
moves a case between statuses.

    draft → submitted → in review → queried ⇄ answered → verified → locked
                                   (in review/answered → verified; locked → verified: unlock)
    any status but locked → withdrawn (with a reason; a case is never deleted)

A status is never a field edit: `section_save` refuses it; only `case_transition` (and the
named services built on it) change it, in one transaction, audited with who and why.
Guards that belong to a higher layer (a case with open queries cannot be verified:
`cohorts`) register themselves with `guard(...)`; the submit guard (required fields
complete) is `crf.completeness`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf import access
from crf.access import Actor
from crf.codes import Status
from crf.models import Case
from registry.audit import Source, audit_context

INVESTIGATOR, COORDINATOR, REGISTRY_ADMIN = "investigator", "coordinator", "registry_admin"


@dataclass(frozen=True)
class Transition:
    name: str
    label: object  # shown on the button
    sources: frozenset[Status]
    target: Status
    by: str  # whose transition it is: see crf.access.may_transition
    needs_reason: bool = False


def _t(name: str, label: object, sources: set[Status], target: Status, by: str, **kw) -> Transition:
    return Transition(name, label, frozenset(sources), target, by, **kw)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("submit", gettext_lazy("Submit"), {Status.DRAFT}, Status.SUBMITTED, INVESTIGATOR),
        _t(
            "start_review",
            gettext_lazy("Start review"),
            {Status.SUBMITTED, Status.ANSWERED},
            Status.IN_REVIEW,
            COORDINATOR,
        ),
        _t("query", gettext_lazy("Query"), {Status.IN_REVIEW, Status.ANSWERED}, Status.QUERIED,
           COORDINATOR),
        _t("answer", gettext_lazy("Answer"), {Status.QUERIED}, Status.ANSWERED, INVESTIGATOR),
        _t(
            "verify",
            gettext_lazy("Verify"),
            {Status.IN_REVIEW, Status.ANSWERED},
            Status.VERIFIED,
            COORDINATOR,
        ),
        _t("lock", gettext_lazy("Lock"), {Status.VERIFIED}, Status.LOCKED, COORDINATOR),
        _t("unlock", gettext_lazy("Unlock"), {Status.LOCKED}, Status.VERIFIED, REGISTRY_ADMIN,
           needs_reason=True),
        _t(
            "withdraw",
            gettext_lazy("Withdraw"),
            set(Status) - {Status.LOCKED, Status.WITHDRAWN},
            Status.WITHDRAWN,
            INVESTIGATOR,
            needs_reason=True,
        ),
    )
}  # fmt: skip

Guard = Callable[[Actor, Case], list[str]]  # the reasons the transition cannot happen now
_GUARDS: dict[str, list[Guard]] = {}


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register a check that must pass before the transition `name` (returns what blocks it)."""

    def register(check: Guard) -> Guard:
        _GUARDS.setdefault(name, []).append(check)
        return check

    return register


def available(actor: Actor, case: Case) -> list[Transition]:
    """The transitions this actor may make on the case now (guards not evaluated)."""
    return [
        t
        for t in TRANSITIONS.values()
        if case.status in t.sources and access.may_transition(actor, case, t.by)
    ]


def blockers(actor: Actor, case: Case, name: str) -> list[str]:
    return [reason for check in _GUARDS.get(name, []) for reason in check(actor, case)]


@transaction.atomic
def case_transition(
    *,
    actor: Actor,
    case: Case | str,
    name: str,
    based_on: int,
    reason: str = "",
    source: str = Source.WEB,
) -> Case:
    """Move the case through the transition `name`: who may, from which status, with the
    version the user saw and a reason where needed; audited. Returns the updated case."""
    from crf.services import EditConflict, locked_case

    transition = TRANSITIONS[name]
    locked = locked_case(actor, case)
    if not access.may_transition(actor, locked, transition.by):
        raise PermissionDenied(
            _("You cannot make this change to case {code}.").format(code=locked.code)
        )
    if locked.version != based_on:
        raise EditConflict(expected=based_on, current=locked.version)
    if locked.status not in transition.sources:
        raise ValidationError(
            _("Case {code} is {status}: it cannot be {action} now.").format(
                code=locked.code,
                status=locked.get_status_display().lower(),
                action=str(transition.label).lower(),
            ),
            code="lifecycle.status",
        )
    if transition.needs_reason and not reason.strip():
        raise ValidationError(
            {"reason": _("Give a reason: it is kept in the audit trail.")},
            code="reason.required",
        )
    problems = blockers(actor, locked, name)
    if problems:
        raise ValidationError(problems, code="lifecycle.blocked")
    with audit_context(source=source, user=actor.user, reason=reason, transition=name):
        Case.objects.filter(pk=locked.pk).update(
            status=transition.target,
            withdrawn_reason=reason if transition.target == Status.WITHDRAWN else "",
            version=F("version") + 1,
        )
    locked.refresh_from_db()
    return locked


def case_submit(*, actor: Actor, case: Case | str, based_on: int, source: str = Source.WEB) -> Case:
    """An investigator submits a draft whose required fields are complete."""
    return case_transition(actor=actor, case=case, name="submit", based_on=based_on, source=source)


def case_withdraw(
    *, actor: Actor, case: Case | str, based_on: int, reason: str, source: str = Source.WEB
) -> Case:
    """An investigator withdraws a case (never deleted), with the reason."""
    return case_transition(
        actor=actor, case=case, name="withdraw", based_on=based_on, reason=reason, source=source
    )
