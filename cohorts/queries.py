"""Queries (data clarifications): raised by a coordinator or central reviewer on a case, a
section or one field (with the value it was raised on); answered by the centre's
investigators in the thread, possibly by correcting the value (through
`crf.services.section_save`, the one write contract); closed or re-opened by the raiser or
a coordinator. Each step is a message of the thread, audited with who and why.

The case follows: raising a query on a case in review moves it to `queried` (a submitted
case is taken into review first); once no query of a queried case waits for an answer it
moves to `answered`; a case cannot be verified or locked while a query is not closed
(`cohorts.workflow.open_queries_block`).

A new query e-mails the centre's investigators: the case code and a link only, never data
(the message leaves the registry).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from cohorts.eligibility import evidence_of
from cohorts.models import MessageKind, Query, QueryMessage, QueryStatus
from crf import access, snapshot
from crf.access import Actor
from crf.codes import Status
from crf.lifecycle import case_transition
from crf.models import CRF_MODELS, Case
from crf.models.base import field as field_of
from crf.models.base import link_to_case
from crf.models.case import READ_ONLY_STATUSES
from crf.rows import ONE_PER_CASE, CaseRows
from crf.services import Acknowledgements, locked_case, section_save
from registry.audit import Source, audit_context
from registry.models import Role, User

MODELS_BY_NAME: dict[str, type[Model]] = {str(m._meta.model_name): m for m in CRF_MODELS}
QUERYABLE_STATUSES = frozenset(set(Status) - READ_ONLY_STATUSES)


def queries_visible(actor: Actor) -> QuerySet[Query]:
    """The queries of the cases the actor may open (crf.access decides which)."""
    return Query.objects.filter(case__in=access.cases_visible(actor))


def query_for(actor: Actor, pk: Any) -> Query:
    """The query, or 404 when it does not exist or its case is not visible to the actor."""
    try:
        return queries_visible(actor).select_related("case", "raised_by").get(pk=int(pk))
    except (Query.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such query.") from exc


# ---- what a query points at ----


def section_model(model_name: str) -> type[Model]:
    model = MODELS_BY_NAME.get(model_name)
    if model is None:
        raise ValidationError(
            {"model": _("'{name}' is not a section of the CRF.").format(name=model_name)}
        )
    return model


def target_row(rows: CaseRows, model: type[Model], row_id: int | None) -> Model | None:
    """The row a query points at: the case, the case's one row of a section, or one row of a
    repeating group (which must belong to this case)."""
    if model is Case:
        return rows.case
    if model in ONE_PER_CASE and row_id is None:
        return rows.one(model)
    row = next((r for r in rows.many(model) if r.pk == row_id), None)
    if row is None and row_id is not None:
        raise ValidationError({"row_id": _("This row is not part of the case.")})
    return row


def queryable_field(model: type[Model], name: str) -> None:
    try:
        found = model._meta.get_field(name)
    except Exception as exc:
        raise ValidationError(
            {
                "field": _("'{name}' is not a field of {section}.").format(
                    name=name, section=model._meta.verbose_name
                )
            }
        ) from exc
    if (
        not getattr(found, "concrete", False)
        or name == link_to_case(model)
        or getattr(found, "primary_key", False)
    ):
        raise ValidationError({"field": _("Raise the query on a data field of the section.")})


def value_shown(row: Model | None, field: str) -> str:
    if row is None or not field:
        return ""
    return evidence_of(row, field).display[:500]


def describe(query: Query) -> str:
    """'Demographics › sex', 'Skin biopsy #12', or 'whole case': where the query points."""
    if not query.model:
        return _("whole case")
    model = MODELS_BY_NAME.get(query.model)
    if model is None:
        return query.model
    text = str(model._meta.verbose_name).capitalize()
    if query.row_id and model not in ONE_PER_CASE and model is not Case:
        text += f" #{query.row_id}"
    if query.field:
        text += f" › {field_of(model, query.field).verbose_name}"
    return text


# ---- the services ----


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the message: what to check, or your answer.")})
    return text


def _move(actor: Actor, case: Case, name: str, source: str) -> Case:
    """Make a lifecycle transition if the case's status and the actor allow it."""
    from crf.lifecycle import TRANSITIONS

    transition = TRANSITIONS[name]
    if case.status in transition.sources and access.may_transition(actor, case, transition.by):
        return case_transition(
            actor=actor, case=case.code, name=name, based_on=case.version, source=source
        )
    return case


@transaction.atomic
def raise_query(
    *,
    actor: Actor,
    case: Case | str,
    text: str,
    model: str = "",
    row_id: int | None = None,
    field: str = "",
    rule: str = "",
    discrepancy_key: str = "",
    base_url: str = "",
    source: str = Source.WEB,
) -> Query:
    """Raise a query on the case, one section (`model`, `row_id`) or one `field` of it."""
    locked = locked_case(actor, case)
    if not access.may_raise_query(actor, locked):
        raise PermissionDenied(_("Only coordinators and central reviewers raise queries."))
    if locked.status not in QUERYABLE_STATUSES:
        raise ValidationError(
            _("Case {code} is {status}: no query can be raised on it.").format(
                code=locked.code, status=locked.get_status_display().lower()
            ),
            code="query.case_read_only",
        )
    text = _text(text)
    row = None
    if model:
        section = section_model(model)
        row = target_row(snapshot.load_one(locked), section, row_id)
        if field:
            queryable_field(section, field)
        row_id = row.pk if row is not None and section is not Case else row_id
    elif field:
        raise ValidationError({"model": _("A query on a field names its section.")})
    with audit_context(source=source, user=actor.user, reason=text):
        query = Query.objects.create(
            case=locked,
            model=model,
            row_id=row_id,
            field=field,
            value=value_shown(row, field),
            rule=rule,
            discrepancy_key=discrepancy_key,
            raised_by=actor.user,
        )
        QueryMessage.objects.create(
            query=query, kind=MessageKind.RAISE, text=text, author=actor.user
        )
    if locked.status == Status.SUBMITTED:
        locked = _move(actor, locked, "start_review", source)
    _move(actor, locked, "query", source)
    transaction.on_commit(lambda: notify_new_query(query.pk, base_url))
    return query


@transaction.atomic
def answer_query(
    *,
    actor: Actor,
    query: Query | int,
    text: str,
    value: Any = None,
    based_on: int | None = None,
    acknowledged: Acknowledgements = (),
    source: str = Source.WEB,
) -> QueryMessage:
    """An investigator of the case's centre answers; with `value`, the field the query is
    on is corrected through `section_save` (the answer is the reason for change)."""
    found = query_for(actor, query.pk if isinstance(query, Query) else query)
    case = locked_case(actor, found.case)
    if not access.may_answer_query(actor, case):
        raise PermissionDenied(_("Only the investigators of the case's centre answer queries."))
    if found.status == QueryStatus.CLOSED:
        raise ValidationError(_("This query is closed: ask the coordinator to re-open it."))
    text = _text(text)
    before = after = ""
    if value is not None:
        if not found.field:
            raise ValidationError(
                {"value": _("This query is not on one field: answer in words only.")}
            )
        model = section_model(found.model)
        before = value_shown(target_row(snapshot.load_one(case), model, found.row_id), found.field)
        row_id = found.row_id if model not in ONE_PER_CASE and model is not Case else None
        section_save(
            actor=actor,
            case=case,
            model=model,
            data={found.field: value},
            based_on=case.version if based_on is None else based_on,
            row_id=row_id,
            reason=text,
            acknowledged=acknowledged,
            source=source,
        )
        case.refresh_from_db()
        after = value_shown(target_row(snapshot.load_one(case), model, found.row_id), found.field)
    with audit_context(source=source, user=actor.user, reason=text):
        message = QueryMessage.objects.create(
            query=found,
            kind=MessageKind.ANSWER,
            text=text,
            value_before=before if value is not None else "",
            value_after=after,
            author=actor.user,
        )
        Query.objects.filter(pk=found.pk).update(status=QueryStatus.ANSWERED)
    waiting = Query.objects.filter(case=case, status=QueryStatus.OPEN).exists()
    if not waiting:
        _move(actor, case, "answer", source)
    return message


def _manage(actor: Actor, query: Query | int) -> tuple[Query, Case]:
    found = query_for(actor, query.pk if isinstance(query, Query) else query)
    case = locked_case(actor, found.case)
    if not access.may_manage_query(actor, found.raised_by_id):
        raise PermissionDenied(_("Only who raised the query, or a coordinator, may do this."))
    return found, case


@transaction.atomic
def close_query(
    *, actor: Actor, query: Query | int, text: str = "", source: str = Source.WEB
) -> Query:
    found, _case = _manage(actor, query)
    if found.status == QueryStatus.CLOSED:
        raise ValidationError(_("This query is already closed."))
    text = (text or "").strip() or _("Closed.")
    with audit_context(source=source, user=actor.user, reason=text):
        QueryMessage.objects.create(
            query=found, kind=MessageKind.CLOSE, text=text, author=actor.user
        )
        Query.objects.filter(pk=found.pk).update(status=QueryStatus.CLOSED)
    found.status = QueryStatus.CLOSED
    return found


@transaction.atomic
def reopen_query(*, actor: Actor, query: Query | int, text: str, source: str = Source.WEB) -> Query:
    found, case = _manage(actor, query)
    if found.status != QueryStatus.CLOSED:
        raise ValidationError(_("Only a closed query can be re-opened."))
    if case.status not in QUERYABLE_STATUSES:
        raise ValidationError(
            _("Case {code} is {status}: its queries cannot be re-opened.").format(
                code=case.code, status=case.get_status_display().lower()
            )
        )
    text = _text(text)
    with audit_context(source=source, user=actor.user, reason=text):
        QueryMessage.objects.create(
            query=found, kind=MessageKind.REOPEN, text=text, author=actor.user
        )
        Query.objects.filter(pk=found.pk).update(status=QueryStatus.OPEN)
    _move(actor, case, "query", source)
    found.status = QueryStatus.OPEN
    return found


# ---- telling the centre ----


def centre_investigators(centre_id: int) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__role=Role.INVESTIGATOR,
        memberships__centre_id=centre_id,
        memberships__is_active=True,
        memberships__approved_at__isnull=False,
    ).exclude(email="")


def notify_new_query(query_id: int, base_url: str = "") -> int:
    """E-mail the case's centre investigators that a query waits (code and link only);
    `base_url` ("https://registry.example.org") makes the link absolute."""
    query = Query.objects.select_related("case").get(pk=query_id)
    link = base_url.rstrip("/") + reverse("cohorts:query_detail", args=[query.pk])
    sent = 0
    for user in centre_investigators(query.case.centre_id):
        with override(user.language or settings.LANGUAGE_CODE):
            subject = _("New query on case {code}").format(code=query.case.code)
            body = _(
                "A coordinator raised a query on case {code} ({where}). Answer it in the "
                "registry: {link}\n\nThis message holds no patient data: open the link to read "
                "the query."
            ).format(code=query.case.code, where=describe(query), link=link)
        sent += send_mail(subject, body, None, [user.email])
    return sent
