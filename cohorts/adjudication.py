"""The coordinator's decisions on a case: include or exclude it (beside the computed
eligibility, which it may overrule only with a written justification), and confirm a
discrepancy found by the data-quality rules as true. Both are audited, shown on the review
page and exported beside the computed verdict.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cohorts.assessment import assess, confirmed_keys
from cohorts.eligibility import evaluate
from cohorts.models import Adjudication, ConfirmedDiscrepancy, Decision, overrules
from cohorts.quality import discrepancies
from crf import access, snapshot
from crf.access import Actor
from crf.models import Case
from crf.models.case import READ_ONLY_STATUSES
from crf.services import locked_case
from registry.audit import Source, audit_context


def _coordinator_case(actor: Actor, case: Case | str) -> Case:
    locked = locked_case(actor, case)
    if not access.may_adjudicate(actor):
        raise PermissionDenied(_("Only coordinators adjudicate cases."))
    if locked.status in READ_ONLY_STATUSES:
        raise ValidationError(
            _("Case {code} is {status}: its decisions can no longer change.").format(
                code=locked.code, status=locked.get_status_display().lower()
            ),
            code="adjudication.read_only",
        )
    return locked


@transaction.atomic
def adjudicate(
    *,
    actor: Actor,
    case: Case | str,
    decision: str,
    reason: str,
    justification: str = "",
    source: str = Source.WEB,
) -> Adjudication:
    """Record the include / exclude decision, against the eligibility computed now."""
    locked = _coordinator_case(actor, case)
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose 'include' or 'exclude'.")})
    reason, justification = (reason or "").strip(), (justification or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the decision.")})
    verdict = evaluate(snapshot.load_one(locked))
    if overrules(decision, verdict.status) and not justification:
        raise ValidationError(
            {
                "justification": _(
                    "The computed eligibility is '{verdict}': to {decision} this case anyway, "
                    "write the justification (which criterion you judge otherwise, and why)."
                ).format(
                    verdict=verdict.status_label.lower(),
                    decision=Decision(decision).label.lower(),
                )
            }
        )
    with audit_context(source=source, user=actor.user, reason=reason):
        adjudication, _created = Adjudication.objects.update_or_create(
            case=locked,
            defaults={
                "decision": decision,
                "reason": reason,
                "justification": justification if overrules(decision, verdict.status) else "",
                "computed": verdict.status,
                "computed_version": verdict.rule_version,
                "decided_by": actor.user,
            },
        )
    return adjudication


@transaction.atomic
def confirm_discrepancy(
    *, actor: Actor, case: Case | str, key: str, comment: str, source: str = Source.WEB
) -> ConfirmedDiscrepancy:
    """Confirm a discrepancy as true (e.g. checked against the source record)."""
    locked = _coordinator_case(actor, case)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the values are right as they are.")})
    rows = snapshot.load_one(locked)
    if key not in {d.key for d in discrepancies(rows)}:
        raise ValidationError(_("This discrepancy is no longer found on the case."))
    if key in confirmed_keys([locked.pk]).get(locked.pk, set()):
        raise ValidationError(_("This discrepancy is already confirmed."))
    with audit_context(source=source, user=actor.user, reason=comment):
        confirmed = ConfirmedDiscrepancy.objects.create(
            case=locked, key=key, comment=comment, confirmed_by=actor.user
        )
    assess([rows])
    return confirmed
