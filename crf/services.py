"""CRF write services: the one contract every writer goes through (page, admin, API,
import, shell, task). Each call: one transaction, one audit context.

- `case_create`: a new case (and its identity) in the actor's centre;
- `section_save` / `section_delete`: one section row or repeating row of a case;
- `section_preview`: the same judgement without writing (live feedback in the pages);
- the lifecycle (submit, withdraw, review…) is `crf.lifecycle`; many rows of many cases
  at once is `crf.batch`, judged by the same rules.

The contract of `section_save`:
1. the case is looked up through `crf.access` and locked: one the actor may not see
   answers 404 (`Http404`); one it sees but may not change, 403 (`PermissionDenied`);
2. the version the user's data was based on is required: a stale one raises
   `EditConflict` and nothing is written;
3. `data` is a whitelist of the section's own fields (`writable_fields`): never the
   case's centre, status or group, nor a row's parent (a row is never re-parented);
4. after submission a reason for change is required, in every status;
5. the row is applied to the case in memory and judged by `crf.validation` (the same rules
   for every writer): errors raise `SectionInvalid`, keeping each rule code and field;
   warnings must be acknowledged by rule code (`WarningsToAcknowledge` otherwise), and an
   acknowledgement of no current warning is refused;
6. every derived value of the case is recomputed in memory and only what changed is
   written, the case's version is bumped once, and `cases_changed` tells the layers above
   (eligibility, data quality) — all under the audit context (who, source, reason,
   acknowledged warnings).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Model
from django.db.models.deletion import ProtectedError
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crf import access, derive, snapshot
from crf.access import Actor
from crf.codes import Group
from crf.dates import stored
from crf.models import CRF_MODELS, Case, CentralReview, Identity
from crf.models.base import field as field_of
from crf.models.base import link_to_case, manager, new_row, related
from crf.models.case import STATUSES_NEEDING_REASON, give_free_codes
from crf.rows import ONE_PER_CASE, CaseRows
from crf.validation import Finding, validate
from registry.audit import Source, audit_context

# Sent after every write of one or many cases, with `rows` (list of CaseRows, as written)
# and `actor`: the layers above crf (eligibility, data quality) keep their state in step.
# The batch path adds `surveys`: the completeness survey of each case, by id() of its
# CaseRows, taken when deriving (crf.completeness), for the receivers not to walk it again.
cases_changed = Signal()

Acknowledgements = Mapping[str, str] | Iterable[str]


class EditConflict(Exception):
    """Someone changed the case after the user's data was read; nothing was saved."""

    def __init__(self, *, expected: int, current: int):
        super().__init__(
            _(
                "This case was changed by someone else after you opened it (your version "
                "{expected}, now {current}). Nothing was saved: look at their changes, then "
                "enter yours again."
            ).format(expected=expected, current=current)
        )
        self.expected, self.current = expected, current


class SectionInvalid(ValidationError):
    """The data break the rules; `findings` keep each message's field and rule code."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        grouped: dict[str, list[ValidationError]] = {}
        for f in findings:
            grouped.setdefault(f.field or NON_FIELD_ERRORS, []).append(
                ValidationError(f.message, code=f.rule)
            )
        super().__init__(grouped)


class WarningsToAcknowledge(SectionInvalid):
    """Only warnings stand in the way: acknowledge them by rule code to save."""


def refusal(field: str | None, rule: str, message: str) -> SectionInvalid:
    return SectionInvalid([Finding(field, message, "error", rule)])


# ---- what may be written ----

# The case's own section: consent only. Centre and group are set at creation; the status
# moves through crf.lifecycle; the code and version belong to the registry.
CASE_FIELDS = ("consent", "consent_date")


def writable_fields(model: type[Model]) -> dict[str, Any]:
    """The fields a writer may give for `model`: its editable fields, without the link to
    its case or parent (set by the service, never moved), without bookkeeping."""
    if model is Case:
        return {name: field_of(model, name) for name in CASE_FIELDS}
    link = link_to_case(model)
    return {
        f.name: f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != link
    }


def locked_case(actor: Actor, case: Case | str) -> Case:
    """The case, locked for this transaction; 404 when the actor may not see it."""
    visible = access.cases_visible(actor).select_for_update(of=("self",))
    code = case.code if isinstance(case, Case) else case
    if not isinstance(code, str) or "\x00" in code:
        raise Http404("No such case.")
    try:
        return visible.get(code=code)
    except Case.DoesNotExist as exc:
        raise Http404("No such case.") from exc


def _acknowledgements(acknowledged: Acknowledgements) -> dict[str, str]:
    if isinstance(acknowledged, Mapping):
        return {str(code): str(comment) for code, comment in acknowledged.items()}
    return {str(code): "" for code in acknowledged}


def reason_needed(case: Case) -> str:
    return _(
        "Give a reason for change: case {code} is {status}, so every change is audited with "
        "its reason (e.g. 'corrected from the laboratory report')."
    ).format(code=case.code, status=case.get_status_display().lower())


# ---- applying data to a row of the case, in memory ----


def target_row(
    rows: CaseRows, model: type[Model], *, row_id: int | None, parent_id: int | None
) -> Model:
    """The row to write: the case itself, the case's row of a one-per-case section, an
    existing row of the case (404 when `row_id` is not one), or a new row under the case
    or under `parent_id` (a row of the case)."""
    if model is Case:
        return rows.case
    if model not in CRF_MODELS:
        raise Http404("No such section.")
    link = link_to_case(model)
    assert link is not None
    existing = rows.one(model) if model in ONE_PER_CASE else None
    if row_id is not None:
        existing = next((r for r in rows.many(model) if r.pk == row_id), None)
        if existing is None:
            raise Http404("No such row in this case.")
    if existing is not None:
        parent = getattr(existing, link)
        if parent_id is not None and parent is not rows.case and parent.pk != parent_id:
            raise refusal(
                link,
                "row.reparent",
                _("A row cannot be moved to another parent: delete it and add it there."),
            )
        return existing
    parent_model = related(model, link)
    if parent_model is Case:
        return new_row(model, **{link: rows.case})
    parent = next((r for r in rows.many(parent_model) if r.pk == parent_id), None)
    if parent is None:
        raise Http404("No such parent row in this case.")
    return new_row(model, **{link: parent})


@cache
def _writable(model: type[Model]) -> Mapping[str, Any]:
    # Once a model, read-only: the batch path applies thousands of rows a second.
    return MappingProxyType(writable_fields(model))


def apply_data(rows: CaseRows, row: Model, data: Mapping[str, Any]) -> list[Finding]:
    """Set the given fields on `row` (in memory); what cannot be set comes back as findings."""
    allowed = _writable(type(row))
    findings: list[Finding] = []
    for name, value in data.items():
        field = allowed.get(name)
        if field is None:
            findings.append(_not_writable(type(row), name))
            continue
        if field.is_relation:
            findings += _set_link(rows, row, field, value)
            continue
        if isinstance(value, str):
            value = value.strip()  # stray spaces from a form or a spreadsheet cell
        try:
            if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store it
                raise ValidationError(ProhibitNullCharactersValidator.message, code="null")
            parsed = field.to_python(value)
            if isinstance(parsed, float) and not math.isfinite(parsed):
                raise ValueError(value)  # "1e999", "nan": stored, no JSON could carry them
            setattr(row, field.attname, parsed)
        except (ValidationError, TypeError, ValueError, OverflowError) as error:
            exc = error if isinstance(error, ValidationError) else _unreadable(field, value)
            label = str(field.verbose_name)
            message = f"{label[:1].upper()}{label[1:]}: {' '.join(exc.messages)}"
            findings.append(Finding(name, message, "error", "field.invalid"))
    for field in row._meta.concrete_fields:  # a partial date sits at the middle of its range
        precision = getattr(row, f"{field.name}_precision", None)
        if precision and isinstance(field, models.DateField) and getattr(row, field.attname):
            setattr(row, field.attname, stored(getattr(row, field.attname), precision))
    return findings


def _unreadable(field: Any, value: Any) -> ValidationError:
    """A value of the wrong JSON type (a number for a date) or not a finite number: Django's
    own "invalid" message of the field, as for text that does not parse."""
    message = field.error_messages.get("invalid") or RegexValidator.message
    return ValidationError(message, code="invalid", params={"value": value})


def _not_writable(model: type[Model], name: str) -> Finding:
    if model is Case and name == "status":
        message = _("The status changes by submitting, withdrawing or reviewing the case.")
    elif name in (
        "case",
        "centre",
        "group",
        *(f.name for f in model._meta.fields if f.is_relation),
    ):
        message = _("'{name}' cannot be changed here.").format(name=name)
    else:
        message = _("'{name}' is not a field of {section}.").format(
            name=name, section=model._meta.verbose_name
        )
    return Finding(name, message, "error", "field.not_writable")


def _is_link(model: type[Model], name: str) -> bool:
    return any(f.name == name and f.is_relation for f in model._meta.fields)


def _set_link(rows: CaseRows, row: Model, field: Any, value: Any) -> list[Finding]:
    """A link to another row of the same case, given as the row or its id."""
    if value in (None, ""):
        setattr(row, field.name, None)
        return []
    candidates = rows.many(field.related_model)
    if isinstance(value, Model):  # a row of this case, maybe not saved yet (batch)
        target = next((r for r in candidates if r is value or (r.pk and r.pk == value.pk)), None)
    else:
        target = next((r for r in candidates if str(r.pk) == str(value)), None)
    if target is None:
        plural = field.related_model._meta.verbose_name_plural
        return [
            Finding(
                field.name,
                _("Choose one of this case's {rows}.").format(rows=plural),
                "error",
                "link.other_case",
            )
        ]
    setattr(row, field.name, target)
    return []


# ---- judging and writing ----


@dataclass
class Plan:
    """A change applied to a case in memory, judged, with its derived consequences."""

    case: Case
    rows: CaseRows
    row: Model
    findings: list[Finding]
    derived: list[tuple[Model, dict[str, Any]]]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    def derived_of(self, row: Model) -> dict[str, Any]:
        return next((values for r, values in self.derived if r is row), {})


def plan(
    rows: CaseRows,
    model: type[Model],
    data: Mapping[str, Any],
    *,
    row_id: int | None = None,
    parent_id: int | None = None,
    acknowledged: Mapping[str, str] | None = None,
) -> Plan:
    """Apply `data` to the target row inside `rows`, judge it, derive the case (no query).
    The row keeps the acknowledgements of the warnings it raises (what the user confirmed)."""
    row = target_row(rows, model, row_id=row_id, parent_id=parent_id)
    findings = apply_data(rows, row, data)
    rows.put(row)
    refused = {f.field for f in findings}
    findings += [f for f in validate(row, rows) if f.field not in refused]
    warned = {f.rule for f in findings if not f.is_error}
    row.acknowledged_warnings = {  # type: ignore[attr-defined]
        code: comment for code, comment in (acknowledged or {}).items() if code in warned
    }
    derived = []
    if not any(f.is_error for f in findings):  # derive only what may be written
        derived = derive.changes(derive.derive_case(rows, {id(row): findings}))
    for changed_row, values in derived:
        for name, value in values.items():
            setattr(changed_row, name, value)
    return Plan(rows.case, rows, row, findings, derived)


def _judge(plan_: Plan, acknowledged: dict[str, str]) -> None:
    if plan_.errors:
        raise SectionInvalid(plan_.errors)
    warned = {f.rule for f in plan_.warnings}
    stray = sorted(set(acknowledged) - warned)
    if stray:
        raise refusal(
            None,
            "acknowledgement.unmatched",
            _(
                "Acknowledged warning(s) {codes} do not apply to these values: acknowledge only "
                "the warnings shown."
            ).format(codes=", ".join(stray)),
        )
    open_ = [f for f in plan_.warnings if f.rule not in acknowledged]
    if open_:
        raise WarningsToAcknowledge(open_)


def _check_writer(actor: Actor, case: Case, model: type[Model], based_on: int, reason: str) -> None:
    if not access.may_write(actor, case, model):
        raise PermissionDenied(
            _("You cannot change this section of case {code}.").format(code=case.code)
        )
    if based_on != case.version:
        raise EditConflict(expected=based_on, current=case.version)
    if case.status in STATUSES_NEEDING_REASON and not reason.strip():
        raise refusal("reason", "reason.required", reason_needed(case))


def _write_derived(changes: list[tuple[Model, dict[str, Any]]], *, skip: Model | None) -> None:
    """Store the derived values that changed (the case's own go with its version bump)."""
    for row, values in changes:
        if row is not skip and row.pk is not None and not isinstance(row, Case):
            manager(type(row)).filter(pk=row.pk).update(**values)


def _bump(case: Case, changes: list[tuple[Model, dict[str, Any]]]) -> None:
    """One UPDATE of the case: its version, and its derived summary when it changed."""
    summary = next((values for row, values in changes if row is case), {})
    Case.objects.filter(pk=case.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **summary
    )
    case.version += 1


def _audit(actor: Actor, source: str, reason: str, acknowledged: dict[str, str]) -> Any:
    extra = {"acknowledged_warnings": acknowledged} if acknowledged else {}
    return audit_context(source=source, user=actor.user, reason=reason, **extra)


@transaction.atomic
def section_save(
    *,
    actor: Actor,
    case: Case | str,
    model: type[Model],
    data: Mapping[str, Any],
    based_on: int,
    row_id: int | None = None,
    parent_id: int | None = None,
    reason: str = "",
    acknowledged: Acknowledgements = (),
    source: str = Source.WEB,
) -> Model:
    """Save one section row (see the module docstring for the contract)."""
    locked = locked_case(actor, case)
    _check_writer(actor, locked, model, based_on, reason)
    rows = snapshot.load_one(locked)
    acks = _acknowledgements(acknowledged)
    plan_ = plan(rows, model, data, row_id=row_id, parent_id=parent_id, acknowledged=acks)
    _judge(plan_, acks)
    row = plan_.row
    if isinstance(row, CentralReview):
        row.reviewed_by = actor.user
    with _audit(actor, source, reason, acks):
        try:
            with transaction.atomic():
                if row is locked:
                    locked.version += 1
                    locked.save()
                else:
                    row.save()
                    _bump(locked, plan_.derived)
        except IntegrityError as exc:  # a constraint the in-memory checks did not foresee
            raise refusal(None, "database.constraint", _integrity_message(exc)) from exc
        _write_derived(plan_.derived, skip=row)
        cases_changed.send(sender=Case, rows=[rows], actor=actor)
    return row


def section_preview(
    *,
    actor: Actor,
    case: Case | str,
    model: type[Model],
    data: Mapping[str, Any],
    row_id: int | None = None,
    parent_id: int | None = None,
) -> Plan:
    """What `section_save` would decide and compute, without writing (live page feedback)."""
    found = access.case_for(actor, case.code if isinstance(case, Case) else case)
    if not access.may_write(actor, found, model):
        raise PermissionDenied
    return plan(snapshot.load_one(found), model, data, row_id=row_id, parent_id=parent_id)


@transaction.atomic
def section_delete(
    *,
    actor: Actor,
    case: Case | str,
    model: type[Model],
    row_id: int | None,
    based_on: int,
    reason: str = "",
    source: str = Source.WEB,
) -> None:
    """Delete a row (never a case: cases are withdrawn), audited with its reason."""
    if model is Case:
        raise PermissionDenied(_("A case is withdrawn with a reason, never deleted."))
    locked = locked_case(actor, case)
    _check_writer(actor, locked, model, based_on, reason)
    rows = snapshot.load_one(locked)
    if model in ONE_PER_CASE and row_id is None:
        row = rows.one(model)
    else:
        row = next((r for r in rows.many(model) if r.pk == row_id), None)
    if row is None:
        raise Http404("No such row in this case.")
    rows.drop(row)
    changes = derive.changes(derive.derive_case(rows))
    with _audit(actor, source, reason, {}):
        try:
            with transaction.atomic():
                row.delete()
        except ProtectedError as exc:
            raise refusal(
                None,
                "row.in_use",
                _("This row is linked from {rows}: remove those links first.").format(
                    rows=", ".join(
                        sorted({str(o._meta.verbose_name) for o in exc.protected_objects})
                    )
                ),
            ) from exc
        _write_derived(changes, skip=None)
        _bump(locked, changes)
        cases_changed.send(sender=Case, rows=[rows], actor=actor)


@transaction.atomic
def case_create(
    *,
    actor: Actor,
    centre_id: int,
    group: str,
    identity: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    acknowledged: Acknowledgements = (),
    source: str = Source.WEB,
) -> Case:
    """A new case in one of the actor's centres, with its identity and consent."""
    if not access.may_create_case(actor, centre_id):
        raise PermissionDenied(_("Only an investigator of this centre can create its cases."))
    if group not in Group.values:
        raise refusal("group", "case.group", _("Group must be 'case' or 'control'."))
    case = Case(centre_id=centre_id, group=group, created_by=actor.user)
    rows = CaseRows(case=case)
    acks = _acknowledgements(acknowledged)
    case_plan = plan(rows, Case, data or {})
    plans = [case_plan]
    if identity is not None:
        plans.append(plan(rows, Identity, identity))
    findings = [f for p in plans for f in p.findings]
    _judge(Plan(case, rows, case, findings, []), acks)
    give_free_codes([case])
    with _audit(actor, source, "", acks):
        case.save()
        for p in plans[1:]:
            p.row.save()
        cases_changed.send(sender=Case, rows=[rows], actor=actor)
    return case


def _integrity_message(exc: IntegrityError) -> str:
    constraint = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(constraint, "constraint_name", None) or ""
    return _(
        "The database refused these values ({constraint}): reload the page and check them."
    ).format(constraint=name or _("a constraint"))
