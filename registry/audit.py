"""Audit: who, when, what and why, for every change to patient, centre and account data.

django-pghistory's triggers record what changed and when, for every write: save(), bulk
writes, QuerySet.update() and raw SQL. This module adds the rest to the event's context row:
the user, the user's centre, the source (web, api, import, admin, shell, task, system) and the
reason for change; and reads a case's trail back (`case_audit_trail`). See docs/audit.md.

Writers:
- requests: `AuditContextMiddleware` (source from the path, the user and their centre);
- `manage.py`: `command_context` (source shell, the command and the OS user);
- tasks: `task_context`; anything else, or to add a reason: `audit_context`.
"""

from __future__ import annotations

import getpass
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pghistory
import pghistory.runtime
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.db import models
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse


class Source(models.TextChoices):
    WEB = "web", "Web page"
    API = "api", "REST API"
    IMPORT = "import", "Spreadsheet import"
    ADMIN = "admin", "Django admin"
    SHELL = "shell", "Shell or management command"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


def trackers() -> tuple[pghistory.RowEvent, ...]:
    """The events every audited model records: `pghistory.track(*trackers())`.

    A function, not a shared tuple: pghistory binds a tracker to the model it sets it up on.
    """
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


# ---- writing: the context of each change ----


def user_metadata(user: Any) -> dict[str, Any]:
    """Who acts: user id, user name (kept: accounts get renamed) and investigator centre."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "username": None, "centre": None}
    from registry.access import investigator_centre_ids

    centres = sorted(investigator_centre_ids(user))  # cached on the user: no extra query later
    return {
        "user": user.pk,
        "username": user.get_username(),
        "centre": centres[0] if centres else None,
    }


def _current() -> pghistory.runtime.Context | None:
    return getattr(pghistory.runtime._tracker, "value", None)


@contextmanager
def _own_context_row(metadata: dict[str, Any]) -> Iterator[None]:
    """Run the block under a context row of its own: the enclosing metadata plus `metadata`.

    Nested, pghistory would merge the metadata into the enclosing row, rewriting the who and
    why of the events already written under it; a new context id leaves them as they were.
    """
    outer = _current()
    if outer is None:
        with pghistory.context(**metadata):
            yield
        return
    pghistory.runtime._tracker.value = pghistory.runtime.Context(
        id=uuid.uuid4(), metadata={**outer.metadata, **metadata}
    )
    try:
        yield
    finally:
        pghistory.runtime._tracker.value = outer


@contextmanager
def audit_context(
    *, source: str | None = None, user: Any = None, reason: str = "", **extra: Any
) -> Iterator[None]:
    """Attribute the writes inside to `source`, `user` and `reason` (plus `extra` keys).

    Inside a request or a command, what is not given is inherited: a service adds its reason
    with `audit_context(reason=...)`; an import refines the source. Outside, `source` is required.
    """
    if source is None and _current() is None:
        raise ValueError("audit_context() needs a source outside a request, command or task.")
    if source is not None and source not in Source.values:
        raise ValueError(f"Unknown audit source {source!r}.")
    metadata = dict(extra)
    if source is not None:
        metadata["source"] = source
    if user is not None:
        metadata.update(user_metadata(user))
    if reason:
        metadata["reason"] = reason
    with _own_context_row(metadata):
        yield


def task_context(task: str, *, user: Any = None, reason: str = "") -> AbstractContextManager[None]:
    """For Celery tasks: `with task_context(self.name, user=requested_by): ...`."""
    return audit_context(source=Source.TASK, user=user, reason=reason, task=task)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return ""


def command_context(argv: Sequence[str]) -> AbstractContextManager[None]:
    """The context of a `manage.py` run (manage.py wraps every command in it).

    A command that opens its own `audit_context` (an import) refines it for its writes.
    """
    command = argv[1] if len(argv) > 1 else "help"
    return audit_context(source=Source.SHELL, command=command, os_user=_os_user())


def source_of(path: str) -> str:
    if path.startswith("/api/"):
        return Source.API
    if path.startswith("/admin/"):
        return Source.ADMIN
    return Source.WEB


class _ContextFollowsUser:
    """Setting `request.user` after the middleware (DRF authenticates in the view, login,
    logout) moves the request's later writes to a context row for that user and centre."""

    def __setattr__(self, attr: str, value: Any) -> None:
        super().__setattr__(attr, value)
        current = _current() if attr == "user" else None
        if current is not None:
            who = user_metadata(value)
            if any(current.metadata.get(key) != val for key, val in who.items()):
                pghistory.runtime._tracker.value = pghistory.runtime.Context(
                    id=uuid.uuid4(), metadata={**current.metadata, **who}
                )


class _AuditWSGIRequest(_ContextFollowsUser, WSGIRequest):
    pass


class _AuditASGIRequest(_ContextFollowsUser, ASGIRequest):
    pass


class AuditContextMiddleware:
    """Every request, whatever its method, runs in an audit context: source, url, user, centre.

    Replaces pghistory's HistoryMiddleware (same `user` and `url` keys, so pghistory's admin
    still shows them); PGHISTORY_MIDDLEWARE_METHODS is not read: a write is never unattributed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "source": source_of(request.path),
            "url": request.path,
            **user_metadata(getattr(request, "user", None)),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with _own_context_row(self.get_context(request)):
            if isinstance(request, WSGIRequest):
                request.__class__ = _AuditWSGIRequest
            elif isinstance(request, ASGIRequest):
                request.__class__ = _AuditASGIRequest
            return self.get_response(request)


# ---- reading: a case's trail ----


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
    from crf.models import Case
    from crf.models.base import link_to_case

    if model is Case:
        return [case_pk]
    key = model._meta.get_field(link_to_case(model))
    if key.related_model is Case:
        events = model.pgh_event_model.objects.filter(**{key.attname: case_pk})
    else:
        parents = _ids_in_case(key.related_model, case_pk)
        events = model.pgh_event_model.objects.filter(**{f"{key.attname}__in": parents})
    return events.values("pgh_obj_id")


def _events_of_case(tracked: Sequence[type[models.Model]], case_pk: int) -> list[tuple]:
    """(model, pgh_id, when, label, object id, row as JSON, context) of every event: one query."""
    parts = []
    for model in tracked:
        event_model = model.pgh_event_model
        row = RawSQL(
            f'to_jsonb("{event_model._meta.db_table}")', (), output_field=models.JSONField()
        )
        parts.append(
            event_model.objects.filter(pgh_obj_id__in=_ids_in_case(model, case_pk))
            .annotate(
                audit_model=models.Value(model._meta.label),
                audit_row=row,
                audit_context=models.F("pgh_context__metadata"),
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


def _fields(model: type[models.Model]) -> dict[str, models.Field]:
    """Column -> field, without the primary key and the auto timestamps (noise in a diff)."""
    return {
        f.column: f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    }


def _values(row: dict[str, Any], fields: dict[str, models.Field]) -> dict[str, Any]:
    """The row's JSON back to Python values (dates, datetimes), by field name."""
    return {
        field.name: None if row.get(column) is None else field.to_python(row[column])
        for column, field in fields.items()
    }


def _diff(
    before: dict[str, Any] | None, after: dict[str, Any], operation: str
) -> dict[str, tuple[Any, Any]]:
    if operation == "delete":  # a delete event holds the row as it was
        return {name: (value, None) for name, value in after.items() if value not in (None, "")}
    if before is None:
        return {name: (None, value) for name, value in after.items() if value not in (None, "")}
    return {
        name: (before.get(name), value)
        for name, value in after.items()
        if before.get(name) != value
    }


def case_audit_trail(case: models.Model, *, include_identity: bool = False) -> list[AuditEntry]:
    """Every event of the case and of all its sections and rows, newest first, with diffs.

    One query. Events of one transaction share its timestamp (PostgreSQL now()); among them,
    one object's events keep their order, and models are listed in reverse CRF order.
    Identity events (old and new identifiers) are left out unless the caller asks for them,
    which it may only do for a user of the owning centre (registry.access.identities_visible_to).
    """
    from crf.models import CRF_MODELS, Identity

    tracked = [m for m in CRF_MODELS if include_identity or m is not Identity]
    by_label = {m._meta.label: m for m in tracked}
    rank = {m._meta.label: i for i, m in enumerate(tracked)}
    rows = sorted(_events_of_case(tracked, case.pk), key=lambda r: (r[0], r[4], r[1]))

    entries: list[tuple[tuple, AuditEntry]] = []
    previous: dict[tuple[str, int], dict[str, Any]] = {}
    for label, pgh_id, when, operation, object_id, row, context in rows:
        values = _values(row, _fields(by_label[label]))
        changes = _diff(previous.get((label, object_id)), values, operation)
        previous[(label, object_id)] = values
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


# ---- protecting: what triggers and roles refuse ----

# pghistory upserts context rows, so the application role keeps UPDATE on them; this
# trigger refuses any real change (pghistory's upsert is a no-op when metadata is unchanged,
# and audit_context gives changed metadata a new row). Plain SQL, not pgtrigger: a pgtrigger
# trigger can be skipped by any session (pgtrigger.ignore). Installed by a migration.
CONTEXT_GUARD_SQL = """
CREATE OR REPLACE FUNCTION registry_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit: % on % refused, audit history is append-only', TG_OP, TG_TABLE_NAME;
END;
$$;
DROP TRIGGER IF EXISTS registry_audit_append_only ON pghistory_context;
CREATE TRIGGER registry_audit_append_only BEFORE UPDATE OR DELETE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION registry_audit_refuse();
"""
CONTEXT_GUARD_REVERSE_SQL = """
DROP TRIGGER IF EXISTS registry_audit_append_only ON pghistory_context;
DROP FUNCTION IF EXISTS registry_audit_refuse();
"""


def audit_tables() -> tuple[list[str], str]:
    """(event tables, context table)."""
    from django.apps import apps
    from pghistory.models import Context, Event

    events = sorted(
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, Event) and m._meta.managed and not m._meta.proxy
    )
    return events, Context._meta.db_table


def app_role_grants(role: str, tables: Iterable[str]) -> list[str]:
    """The privileges of the application's role (run as the owner after every migrate).

    Event tables: SELECT and INSERT only, so no UPDATE, DELETE or TRUNCATE whatever the
    triggers say. Context: also UPDATE of what pghistory's upsert names (the guard refuses
    real changes). Every other table: plain DML.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", role):
        raise ValueError(f"Not a plain role name: {role!r}")
    events, context = audit_tables()
    audit = {*events, context}
    who = f'"{role}"'
    sql = [f"GRANT USAGE ON SCHEMA public TO {who}"]
    sql += [
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{t}" TO {who}'
        for t in sorted(tables)
        if t not in audit
    ]
    sql += [f'GRANT SELECT, INSERT ON "{t}" TO {who}' for t in events]
    sql += [
        f'GRANT SELECT, INSERT, UPDATE (metadata, updated_at) ON "{context}" TO {who}',
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
    ]
    return sql
