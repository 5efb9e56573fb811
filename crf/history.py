"""A case's history, read back from the audit: who changed what, when, old → new, and why.

Every event of the case and of all its rows (deleted ones included) comes from the
pghistory event tables in one query (`case_audit_trail`); each event carries its own
context (who, source, reason). Identity events are left out unless the reader is of the
owning centre (`crf.access.may_see_identity`), and so is any reason typed for them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models.expressions import RawSQL

from crf.models import CRF_MODELS, Case, Identity
from crf.models.base import field, link_to_case, related


@dataclass(frozen=True)
class AuditEntry:
    when: datetime
    model: str  # label of the changed model, e.g. "crf.Demographics"
    object_id: int
    operation: str  # insert, update or delete
    changes: dict[str, tuple[Any, Any]]  # field name -> (old, new); None where absent
    user_id: int | None
    username: str
    centre_id: int | None
    source: str
    reason: str
    context: dict[str, Any]  # the whole context (url, command, os_user, task, ...)


def _ids_in_case(model: type[models.Model], case_pk: int) -> Any:
    """Ids of the rows of `model` that ever belonged to the case, deleted ones included: a
    subquery on the event tables, not on the live rows."""
    if model is Case:
        return [case_pk]
    link = link_to_case(model)
    assert link is not None
    key, parent = field(model, link), related(model, link)
    event_model = events_of(model)
    if parent is Case:
        events = event_model.objects.filter(**{key.attname: case_pk})
    else:
        parents = _ids_in_case(parent, case_pk)
        events = event_model.objects.filter(**{f"{key.attname}__in": parents})
    return events.values("pgh_obj_id")


def events_of(model: type[models.Model]) -> Any:
    """The pghistory event model of a tracked model."""
    return model.pgh_event_model  # type: ignore[attr-defined]


def _events_of_case(tracked: Sequence[type[models.Model]], case_pk: int) -> list[tuple]:
    """(model, pgh_id, when, label, object id, row as JSON, context) of every event: one query."""
    parts = []
    for model in tracked:
        event_model = events_of(model)
        row = RawSQL(
            f'to_jsonb("{event_model._meta.db_table}")', (), output_field=models.JSONField()
        )
        parts.append(
            event_model.objects.filter(pgh_obj_id__in=_ids_in_case(model, case_pk))
            .annotate(
                audit_model=models.Value(model._meta.label),
                audit_row=row,
                audit_context=models.F("pgh_context"),
            )
            .values_list(
                "audit_model",
                "pgh_id",
                "pgh_created_at",
                "pgh_label",
                "pgh_obj_id",
                "audit_row",
                "audit_context",
            )
        )
    return list(parts[0].union(*parts[1:], all=True))


@functools.cache
def _fields(model: type[models.Model]) -> dict[str, models.Field]:
    """Column -> field, without the primary key and the auto timestamps (noise in a diff)."""
    return {
        f.column: f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    }


def _diff(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    operation: str,
    fields: dict[str, models.Field],
) -> dict[str, tuple[Any, Any]]:
    """Field name -> (old, new) between two event rows as JSON (column -> value). The JSON
    values are compared first and only those that differ are turned into Python values (a
    case with 1,000 events converted every field of every event: half the page's time)."""

    def value(row: dict[str, Any], column: str) -> Any:
        raw = row.get(column)
        return None if raw is None else fields[column].to_python(raw)

    if operation == "delete":  # a delete event holds the row as it was
        return {
            f.name: (value(after, column), None)
            for column, f in fields.items()
            if after.get(column) not in (None, "")
        }
    if before is None:
        return {
            f.name: (None, value(after, column))
            for column, f in fields.items()
            if after.get(column) not in (None, "")
        }
    changes = {}
    for column, f in fields.items():
        if before.get(column) != after.get(column):
            old, new = value(before, column), value(after, column)
            if old != new:  # the same value written differently ("3" and 3.0)
                changes[f.name] = (old, new)
    return changes


def case_audit_trail(case: models.Model, *, include_identity: bool = False) -> list[AuditEntry]:
    """Every event of the case and of all its sections and rows, newest first, with diffs.

    One query. Each event carries the time of its own statement (clock_timestamp()); events
    of one statement share it, and then keep their order by event id within a model.
    Identity events (old and new identifiers) are left out unless the caller asks for them,
    which it may only do for a user of the owning centre (crf.access.may_see_identity).
    """
    tracked = [m for m in CRF_MODELS if include_identity or m is not Identity]
    by_label = {m._meta.label: m for m in tracked}
    rank = {m._meta.label: i for i, m in enumerate(tracked)}
    rows = sorted(_events_of_case(tracked, case.pk), key=lambda r: (r[0], r[4], r[1]))

    entries: list[tuple[tuple, AuditEntry]] = []
    previous: dict[tuple[str, int], dict[str, Any]] = {}
    for label, pgh_id, when, operation, object_id, row, context in rows:
        fields = _fields(by_label[label])
        changes = _diff(previous.get((label, object_id)), row, operation, fields)
        previous[(label, object_id)] = row
        context = context or {}
        entry = AuditEntry(
            when=when,
            model=label,
            object_id=int(object_id),
            operation=operation,
            changes=changes,
            user_id=context.get("user"),
            username=context.get("username") or "",
            centre_id=context.get("centre"),
            source=context.get("source") or "",
            reason=context.get("reason") or "",
            context=context,
        )
        entries.append(((when, rank[label], pgh_id), entry))
    entries.sort(key=lambda item: item[0], reverse=True)
    return [entry for _, entry in entries]
