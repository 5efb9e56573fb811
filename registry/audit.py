"""Audit plumbing: who, when, what and why, for every change to patient, centre and account data.

django-pghistory's triggers record what changed and when, for every write: save(), bulk
writes, QuerySet.update() and raw SQL. Each event row carries its own copy of the context
(`pgh_context`, JSON: denormalised, so nothing written later can rewrite the who and why of
an earlier event) and the id of the context it was written under (`pgh_context_id`):

- `source`: web, api, import, admin, shell, task or system;
- `user`, `username`, `centre`: who acted (the investigator's centre; null for network roles);
- `reason`: the reason for change; plus whatever a writer adds (`acknowledged_warnings`,
  `url`, `command`, `task`, `file_sha256`…).

Writers: requests get `AuditContextMiddleware`; `manage.py` wraps every command in
`command_context`; tasks use `task_context`; services add their reason with
`audit_context`. All of them go through pghistory's public `pghistory.context`. See
docs/audit.md. Reading a case's trail is the CRF's business (`crf.history`).
"""

from __future__ import annotations

import contextvars
import getpass
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pghistory
import pghistory.trigger
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from pgtrigger import compiler


class Source(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("REST API")
    IMPORT = "import", _("Spreadsheet import")
    ADMIN = "admin", _("Django admin")
    SHELL = "shell", _("Shell or management command")
    TASK = "task", _("Background task")
    SYSTEM = "system", _("System")


# ---- the triggers: schema-qualified, and not skippable with pgtrigger.ignore ----


class AuditTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's installation SQL for an audit trigger, without its escape hatch: any
    session may set `pgtrigger.ignore` to skip an ordinary pgtrigger trigger, so an audit
    trigger does not consult it (a write with no event must not be possible). The function
    runs as its owner (SECURITY DEFINER, a fixed search path): the application's role needs
    no INSERT on the event tables, so it cannot write a made-up event directly."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class AuditEvent(pghistory.trigger.Event):
    """pghistory's event trigger, writing into its event table by schema-qualified name: a
    session's temporary table of the same name (pg_temp is searched first) cannot receive
    the events instead of the real table."""

    def get_func(self, model: Any) -> Any:
        func = super().get_func(model)
        table = self.event_model._meta.db_table  # type: ignore[attr-defined]
        schema = settings.REGISTRY_DB_SCHEMA
        func.func = func.func.replace(f'INSERT INTO "{table}"', f'INSERT INTO "{schema}"."{table}"')
        return func

    def compile(self, model: Any) -> compiler.Trigger:
        compiled = super().compile(model)
        kwargs = dict(compiled.sql.kwargs)
        kwargs.pop("ignore_func_name", None)
        return compiler.Trigger(name=compiled.name, sql=AuditTriggerSql(**kwargs))


class _Tracked:
    """Mixin of the trackers below: register `AuditEvent` instead of pghistory's Event."""

    def add_event_trigger(self, event_model: type[models.Model]) -> None:
        import pgtrigger

        pgtrigger.register(
            AuditEvent(
                event_model=event_model,
                label=self.label,  # type: ignore[attr-defined]
                name=self.trigger_name,  # type: ignore[attr-defined]
                row=self.row,  # type: ignore[attr-defined]
                operation=self.operation,  # type: ignore[attr-defined]
                condition=self.condition,  # type: ignore[attr-defined]
                level=self.level,  # type: ignore[attr-defined]
            )
        )(event_model.pgh_tracked_model)  # type: ignore[attr-defined]


class InsertEvent(_Tracked, pghistory.InsertEvent):
    pass


class UpdateEvent(_Tracked, pghistory.UpdateEvent):
    """Written only when a tracked value changed (pghistory's default condition)."""


class DeleteEvent(_Tracked, pghistory.DeleteEvent):
    pass


def trackers() -> tuple[pghistory.RowEvent, ...]:
    """The events every audited model records: `pghistory.track(*trackers())`.

    A function, not a shared tuple: pghistory binds a tracker to the model it sets it up on.
    """
    return (InsertEvent(), UpdateEvent(), DeleteEvent())


# ---- writing: the context of each change ----


def user_metadata(user: Any) -> dict[str, Any]:
    """Who acts: user id, user name (kept: accounts get renamed) and investigator centre."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "username": None, "centre": None}
    from registry.roles import investigator_centre_ids

    centres = sorted(investigator_centre_ids(user))  # cached on the user: no extra query later
    return {
        "user": user.pk,
        "username": user.get_username(),
        "centre": centres[0] if centres else None,
    }


# What this module has put in the running pghistory context (pghistory keeps it private):
# what a block adds is taken back on exit, so a reason never outlives its block.
_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "registry_audit_metadata", default=None
)


@contextmanager
def _scoped(metadata: dict[str, Any]) -> Iterator[None]:
    outer = _current.get()
    if outer is None:
        token = _current.set(dict(metadata))
        try:
            with pghistory.context(**metadata):
                yield
        finally:
            _current.reset(token)
        return
    inner = {**outer, **metadata}
    token = _current.set(inner)
    pghistory.context(**inner)  # called, not entered: updates the running context
    try:
        yield
    finally:
        _current.reset(token)
        pghistory.context(**{key: outer.get(key) for key in inner})


def audit_context(
    *, source: str | None = None, user: Any = None, reason: str | None = None, **extra: Any
) -> AbstractContextManager[None]:
    """Attribute the writes inside to `source`, `user` and `reason` (plus `extra` keys).

    Inside a request or a command, what is not given is inherited: a service adds its reason
    with `audit_context(reason=...)`; an import refines the source. Outside, `source` is
    required. A given `reason` (even "") replaces the enclosing one for the block.
    """
    if source is None and _current.get() is None:
        raise ValueError("audit_context() needs a source outside a request, command or task.")
    if source is not None and source not in Source.values:
        raise ValueError(f"Unknown audit source {source!r}.")
    metadata = dict(extra)
    if source is not None:
        metadata["source"] = source
    if user is not None:
        metadata.update(user_metadata(user))
    if reason is not None:
        metadata["reason"] = reason
    return _scoped(metadata)


def task_context(task: str, *, user: Any = None, reason: str = "") -> AbstractContextManager[None]:
    """For Celery tasks: `with task_context(self.name, user=requested_by): ...`."""
    return audit_context(source=Source.TASK, user=user, reason=reason, task=task)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return ""


def command_context(argv: Sequence[str]) -> AbstractContextManager[None]:
    """The context of a `manage.py` run (manage.py wraps every command in it)."""
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
    logout) attributes the request's later writes to that user and centre."""

    def __setattr__(self, attr: str, value: Any) -> None:
        super().__setattr__(attr, value)
        current = _current.get() if attr == "user" else None
        if current is not None:
            who = user_metadata(value)
            if any(current.get(key) != val for key, val in who.items()):
                updated = {**current, **who}
                _current.set(updated)
                pghistory.context(**updated)


class _AuditWSGIRequest(_ContextFollowsUser, WSGIRequest):
    pass


class _AuditASGIRequest(_ContextFollowsUser, ASGIRequest):
    pass


class AuditContextMiddleware:
    """Every request, whatever its method, runs in an audit context: source, url, user, centre."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "source": source_of(request.path),
            "url": request.path,
            "reason": "",
            **user_metadata(getattr(request, "user", None)),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with _scoped(self.get_context(request)):
            if isinstance(request, WSGIRequest):
                request.__class__ = _AuditWSGIRequest
            elif isinstance(request, ASGIRequest):
                request.__class__ = _AuditASGIRequest
            return self.get_response(request)


# ---- protecting: what roles refuse ----


def audit_tables() -> list[str]:
    """The event tables (append-only for the application's role)."""
    from django.apps import apps
    from pghistory.models import Event

    return sorted(
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, Event) and m._meta.managed and not m._meta.proxy
    )


def app_role_grants(role: str, tables: Iterable[str]) -> list[str]:
    """The privileges of the application's role (run as the owner after every migrate).

    Event tables: SELECT only — the audit triggers write them as their owner (SECURITY
    DEFINER), so the application can neither forge, alter nor delete an event; the seals:
    SELECT and INSERT (append only). Every other table: plain DML.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", role):
        raise ValueError(f"Not a plain role name: {role!r}")
    events = set(audit_tables())
    schema = settings.REGISTRY_DB_SCHEMA
    who = f'"{role}"'
    sql = [f'GRANT USAGE ON SCHEMA "{schema}" TO {who}']
    sql += [
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{t}" TO {who}'
        for t in sorted(tables)
        if t not in events and t != "registry_auditseal"
    ]
    sql += [f'GRANT SELECT ON "{t}" TO {who}' for t in sorted(events)]
    sql.append(f'GRANT SELECT, INSERT ON "registry_auditseal" TO {who}')
    sql.append(f'REVOKE UPDATE, DELETE, TRUNCATE ON "registry_auditseal" FROM {who}')
    sql.append(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {who}')
    return sql
