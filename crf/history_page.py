"""The case history as people read it: who, when, which section, old → new (labels, not
codes), why, and the warnings confirmed with their comment. Built on
`crf.history.case_audit_trail` (one query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf.history import AuditEntry, case_audit_trail
from crf.lifecycle import TRANSITIONS
from crf.sections import section_of

PAGE_SIZE = 50
# Bookkeeping a reader does not need in a diff (the precision is said with its date).
NOT_SHOWN = ("acknowledged_warnings", "rule_version", "case", "test", "treatment", "biopsy")


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    who: str
    section: str
    what: str  # added, changed, removed, or the transition
    changes: list[Change]
    reason: str
    acknowledged: dict[str, str]
    source: str


OPERATIONS = {
    "insert": gettext_lazy("added"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("removed"),
}


def _text(model: type[Model], name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    field = model._meta.get_field(name)
    choices = dict(getattr(field, "flatchoices", None) or ())
    if value in choices:
        return str(choices[value])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime | date):
        return value.isoformat()
    unit = getattr(field, "unit", "")
    return f"{value} {unit}".strip()


def _label(model: type[Model], name: str) -> str:
    text = str(getattr(model._meta.get_field(name), "verbose_name", name))
    return text[:1].upper() + text[1:]


def readable(entry: AuditEntry) -> Entry:
    model = apps.get_model(entry.model)
    changes = [
        Change(_label(model, name), _text(model, name, old), _text(model, name, new))
        for name, (old, new) in entry.changes.items()
        if name not in NOT_SHOWN
    ]
    transition = entry.context.get("transition")
    what = OPERATIONS.get(entry.operation, entry.operation)
    if transition:
        known = TRANSITIONS.get(transition)
        what = _("status: {transition}").format(
            transition=str(known.label).lower() if known else transition
        )
    return Entry(
        when=entry.when,
        who=entry.username or _("the registry"),
        section=section_of(model).title
        if model is section_of(model).model
        else f"{section_of(model).title}: {model._meta.verbose_name}",
        what=str(what),
        changes=changes,
        reason=entry.reason,
        acknowledged=dict(entry.context.get("acknowledged_warnings") or {}),
        source=entry.source,
    )


def entries(case: Model, *, include_identity: bool) -> list[Entry]:
    return [readable(e) for e in case_audit_trail(case, include_identity=include_identity)]
