"""The batch write path: many rows of many cases, judged exactly like `section_save`.

Spreadsheet import, the demo data, the synthetic cohorts of the benchmarks and the API's
whole-case creation write through `batch_save`: the cases are loaded once (one query per
500 cases, `crf.snapshot`), every item is applied in memory and judged by `crf.validation`
in the context of its case as the batch leaves it, every derived value of every touched
case is computed once, and then everything is written with one bulk statement per model,
each case's version bumped once, under one audit context. All or nothing: a single error
anywhere raises `BatchInvalid` listing every problem (item, field, rule, message) and
writes nothing; `batch_check` is the same judgement without writing (an import's dry run).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Model
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crf import access, completeness, derive, snapshot
from crf.access import Actor
from crf.codes import Group, Status
from crf.completeness import Survey
from crf.copy import copy_rows
from crf.models import CRF_MODELS, Case, CentralReview
from crf.models.base import field as field_of
from crf.models.base import new_row, related
from crf.models.case import STATUSES_NEEDING_REASON, give_free_codes
from crf.rows import CaseRows
from crf.services import apply_data, cases_changed, reason_needed, target_row
from crf.validation import Finding, validate
from registry.audit import Source, audit_context
from registry.bulk import AnyOf, update_rows
from registry.gcpause import collector_paused


@dataclass(eq=False)
class NewCase:
    """A case created by the batch, in one of the actor's centres. Only the registry itself
    (`crf.access.SYSTEM`: demo and synthetic data) may seed a case in another status."""

    centre_id: int
    group: str = Group.CASE
    data: Mapping[str, Any] = field(default_factory=dict)  # the case section (consent…)
    status: str = Status.DRAFT


@dataclass(eq=False)
class Item:
    """One row to write. `case` is an existing case (instance or code) or a `NewCase`;
    `row_id` an existing row of it (else a new row); `parent` the parent of a new nested row
    (an `Item` of this batch, or an existing row's id). In `data`, a link to another row may
    be given as an `Item` of this batch."""

    case: Case | str | NewCase
    model: type[Model]
    data: Mapping[str, Any]
    row_id: int | None = None
    parent: Item | int | None = None
    acknowledged: frozenset[str] = frozenset()
    row: Model | None = field(default=None, init=False)  # set when applied


@dataclass(frozen=True)
class Problem:
    index: int  # the item's position in the batch
    field: str | None
    rule: str
    message: str
    severity: str


class BatchInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s); nothing was written.")
        self.problems = problems


@dataclass
class BatchResult:
    cases: list[CaseRows]
    created: dict[str, int]  # model name -> rows inserted
    updated: dict[str, int]  # model name -> rows updated
    warnings: list[Problem]


def _write_order() -> list[type[Model]]:
    """CRF models, each after the models its rows link to (a biopsy before the NGS test
    that points at it)."""
    order: list[type[Model]] = []

    def visit(model: type[Model]) -> None:
        if model in order:
            return
        for f in model._meta.concrete_fields:
            target = related(model, f.name) if f.is_relation else None
            if target in CRF_MODELS and target is not model:
                visit(target)
        order.append(model)

    for model in CRF_MODELS:
        visit(model)
    return order


WRITE_ORDER = _write_order()


class _Batch:
    def __init__(self, actor: Actor, items: Sequence[Item], acknowledge_all: bool):
        self.actor, self.items, self.acknowledge_all = actor, items, acknowledge_all
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.cases: dict[int, CaseRows] = {}  # by id() of the case object
        self.new_cases: list[Case] = []
        self.dirty: dict[int, dict[int, Model]] = defaultdict(dict)  # case -> rows to write
        self.changed_fields: dict[int, set[str]] = defaultdict(set)  # id(row) -> fields
        self.items_of: dict[int, tuple[int, Item]] = {}  # id(row) -> the item writing it
        self.findings: dict[int, list[Finding]] = {}  # id(row) -> its validation
        self.surveys: dict[int, Survey] = {}  # id(CaseRows) -> its completeness survey
        self.today = timezone.localdate()

    def problem(self, index: int, f: Finding) -> None:
        entry = Problem(index, f.field, f.rule, f.message, f.severity)
        (self.problems if f.is_error else self.warnings).append(entry)

    # ---- resolving cases ----

    def load_cases(self, reason: str) -> None:
        codes = {i.case.code if isinstance(i.case, Case) else i.case for i in self.items}
        codes = {c for c in codes if isinstance(c, str)}
        visible = access.cases_visible(self.actor).filter(AnyOf(F("code"), codes))
        locked = visible.select_for_update(of=("self",)).order_by("pk")  # id order: two
        found = dict(locked.values_list("code", "pk"))  # batches never deadlock
        # Read after the lock: the snapshot's case rows are the locked cases as they stand.
        loaded = snapshot.load(found.values())
        self.by_code = {code: loaded[pk] for code, pk in found.items()}
        self.new_rows: dict[int, CaseRows] = {}
        self.reason = reason

    def rows_of(self, index: int, item: Item) -> CaseRows | None:
        if isinstance(item.case, NewCase):
            rows = self.new_rows.get(id(item.case))
            if rows is None:
                rows = self._create(index, item.case)
            return rows
        code = item.case.code if isinstance(item.case, Case) else item.case
        rows = self.by_code.get(code)
        if rows is None:
            self.problem(
                index,
                Finding(
                    None,
                    _("No case {code} you may see.").format(code=code),
                    "error",
                    "case.unknown",
                ),
            )
        return rows

    def _create(self, index: int, new: NewCase) -> CaseRows | None:
        if not access.may_create_case(self.actor, new.centre_id) or (
            new.status != Status.DRAFT and not self._system()
        ):
            self.problem(
                index,
                Finding(None, _("You cannot create cases in this centre."), "error", "case.centre"),
            )
            return None
        case = cast(Case, new_row(Case))
        case.centre_id, case.group, case.status = new.centre_id, new.group, new.status
        case.created_by = self.actor.user
        rows = CaseRows(case=case)
        for f in apply_data(rows, case, new.data) + validate(case, rows, today=self.today):
            self.problem(index, f)
        self.new_rows[id(new)] = rows
        self.new_cases.append(case)
        return rows

    def _system(self) -> bool:
        return self.actor.scope == access.Scope.SYSTEM

    # ---- applying items ----

    def apply(self) -> None:
        for index, item in sorted(
            enumerate(self.items), key=lambda p: WRITE_ORDER.index(p[1].model)
        ):
            rows = self.rows_of(index, item)
            if rows is None:
                continue
            case = rows.case
            if case.pk is not None and not self._may_write(case, item.model):
                self.problem(
                    index,
                    Finding(
                        None,
                        _("You cannot change case {code}.").format(code=case.code),
                        "error",
                        "case.read_only",
                    ),
                )
                continue
            needs_reason = case.pk is not None and case.status in STATUSES_NEEDING_REASON
            if needs_reason and not self.reason:
                self.problem(
                    index, Finding("reason", reason_needed(case), "error", "reason.required")
                )
                continue
            self._apply(index, item, rows)

    def _may_write(self, case: Case, model: type[Model]) -> bool:
        return access.may_write(self.actor, case, model)

    def _apply(self, index: int, item: Item, rows: CaseRows) -> None:
        data = {k: (v.row if isinstance(v, Item) else v) for k, v in item.data.items()}
        parent = item.parent.row if isinstance(item.parent, Item) else None
        try:
            row = self._target(rows, item, parent)
        except Http404 as exc:
            self.problem(index, Finding(None, str(exc), "error", "row.unknown"))
            return
        # What changes matters for an existing row only (a new row is copied whole).
        new = row.pk is None
        fields = () if new else row._meta.concrete_fields
        before = {f.attname: getattr(row, f.attname) for f in fields}
        for f in apply_data(rows, row, data):
            self.problem(index, f)
        rows.put(row)
        item.row = row
        self.items_of[id(row)] = (index, item)
        if isinstance(row, CentralReview) and not self._system():
            row.reviewed_by = self.actor.user
        changed = {a for a, v in before.items() if getattr(row, a) != v}
        if new or changed:
            self.dirty[id(rows.case)][id(row)] = row
            self.changed_fields[id(row)] |= changed
        self.cases[id(rows.case)] = rows

    def _target(self, rows: CaseRows, item: Item, parent: Model | None) -> Model:
        if parent is not None:  # a new row under a new row of this batch
            link = item.model.case_link  # type: ignore[attr-defined]
            return new_row(item.model, **{link: parent})
        parent_id = item.parent if isinstance(item.parent, int) else None
        return target_row(rows, item.model, row_id=item.row_id, parent_id=parent_id)

    # ---- deriving and writing ----

    def judge(self) -> None:
        """Validate every written row once, in its case as the whole batch leaves it (an early
        item is judged with the rows a later one adds), and keep the confirmed warnings."""
        for rows in self.cases.values():
            for row in self.dirty[id(rows.case)].values():
                index, item = self.items_of[id(row)]
                acknowledged = item.acknowledged
                findings = validate(row, rows, today=self.today)
                self.findings[id(row)] = findings
                for f in findings:
                    if f.is_error or not (self.acknowledge_all or f.rule in acknowledged):
                        self.problem(index, f if f.is_error else _unacknowledged(f))
                    else:
                        self.problem(index, f)
                row.acknowledged_warnings = {  # type: ignore[attr-defined]
                    f.rule: "" for f in findings if not f.is_error
                }
                self.changed_fields[id(row)].add("acknowledged_warnings")

    def derive(self) -> None:
        for key, rows in self.cases.items():
            # Requirements read entered fields only, never derived ones (a test checks): the
            # survey taken here still holds when the assessment reads the written case.
            survey = self.surveys[id(rows)] = completeness.survey(rows)
            for row, values in derive.changes(
                derive.derive_case(rows, self.findings, today=self.today, survey=survey)
            ):
                for name, value in values.items():
                    setattr(row, name, value)
                self.dirty[key][id(row)] = row
                self.changed_fields[id(row)] |= {field_of(type(row), n).attname for n in values}

    def write(self) -> tuple[dict[str, int], dict[str, int]]:
        """New rows by COPY; changed rows by one UPDATE per model (`registry.bulk`), each
        touched existing case's version bumped in its own row's UPDATE."""
        created: dict[str, int] = defaultdict(int)
        updated: dict[str, int] = defaultdict(int)
        now = timezone.now()
        rows_by_model: dict[type[Model], list[Model]] = defaultdict(list)
        for dirty in self.dirty.values():
            for row in dirty.values():
                rows_by_model[type(row)].append(row)
        # New rows are copied with their derived values: they are never updated after.
        new_by_model: dict[type[Model], list[Model]] = defaultdict(list)
        old_by_model: dict[type[Model], list[Model]] = defaultdict(list)
        for model, rows in rows_by_model.items():
            for r in rows:
                (new_by_model if r.pk is None else old_by_model)[model].append(r)
        changed_cases = old_by_model.get(Case, [])
        if changed_cases:
            updated["Case"] = len(changed_cases)  # a case's own values (not only its version)
        old_by_model[Case] = self._bumped_cases(changed_cases, now)
        give_free_codes(self.new_cases)
        copy_rows(Case, self.new_cases, now=now)
        created["Case"] = len(self.new_cases)
        for model in WRITE_ORDER:
            new = [] if model is Case else new_by_model.get(model, [])
            old = old_by_model.get(model, [])
            if new:
                copy_rows(model, new, now=now)
                created[model.__name__] += len(new)
            if old:
                for r in old:  # a link to a row copied above takes that row's new id
                    r._prepare_related_fields_for_save(  # type: ignore[attr-defined]
                        operation_name="batch_save"
                    )
                attnames = set().union(*(self.changed_fields[id(r)] for r in old))
                if any(f.attname == "updated_at" for f in model._meta.concrete_fields):
                    for r in old:
                        r.updated_at = now  # type: ignore[attr-defined]
                    attnames.add("updated_at")
                if model is Case:
                    attnames.add("version")
                fields = _attnames(model, attnames)
                if fields:
                    update_rows(model, old, fields)
                    if model is not Case:
                        updated[model.__name__] += len(old)
        return dict(created), dict(updated)

    def _bumped_cases(self, changed: list[Model], now: Any) -> list[Model]:
        """The existing cases this batch writes to (each once), version bumped in memory:
        they are locked since `load_cases`, so version + 1 is what the database holds + 1."""
        touched: dict[int, Model] = {id(c): c for c in changed}
        for key, rows in self.cases.items():
            if self.dirty[key] and rows.case.pk is not None:
                touched[id(rows.case)] = rows.case
        for case in touched.values():
            assert isinstance(case, Case)
            case.version += 1
            case.updated_at = now
        return list(touched.values())


def _attnames(model: type[Model], attnames: set[str]) -> list[str]:
    """The concrete columns to update (by attname), never the key, in a stable order."""
    known = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return [a for a in known if a in attnames]


def _unacknowledged(f: Finding) -> Finding:
    return Finding(f.field, f.message, "error", f.rule)


def _judged(actor: Actor, items: Sequence[Item], reason: str, acknowledge_all: bool) -> _Batch:
    """The batch applied in memory and judged (`BatchInvalid` on any problem); the derived
    values, which decide nothing, are left to the writer."""
    batch = _Batch(actor, items, acknowledge_all)
    batch.load_cases(reason)
    batch.apply()
    if not batch.problems:
        batch.judge()
    if batch.problems:
        raise BatchInvalid(sorted(batch.problems, key=lambda p: p.index))
    return batch


def batch_check(
    *, actor: Actor, items: Sequence[Item], reason: str = "", acknowledge_all: bool = False
) -> list[Problem]:
    """The warnings the batch would be saved with; `BatchInvalid` when it would be refused."""
    with transaction.atomic(), collector_paused():
        batch = _judged(actor, items, reason, acknowledge_all)
        transaction.set_rollback(True)
    return batch.warnings


@transaction.atomic
def batch_save(
    *,
    actor: Actor,
    items: Sequence[Item],
    source: str,
    reason: str = "",
    acknowledge_all: bool = False,
    **audit: Any,
) -> BatchResult:
    """Validate every item, then write them all (or nothing), audited under one context
    with `source`, the actor, `reason` and any extra `audit` keys (e.g. file_sha256)."""
    if source not in Source.values:
        raise ValueError(f"Unknown audit source {source!r}.")
    if not actor.writes:
        raise PermissionDenied
    with collector_paused():
        batch = _judged(actor, items, reason, acknowledge_all)
        batch.derive()
        with audit_context(source=source, user=actor.user, reason=reason, **audit):
            created, updated = batch.write()
            rows = list(batch.cases.values())
            cases_changed.send(sender=Case, rows=rows, actor=actor, surveys=batch.surveys)
    return BatchResult(rows, created, updated, batch.warnings)


def items_from_rows(instances: Sequence[Model]) -> list[Item]:
    """Items creating these unsaved rows (new cases among them), links kept: a way to
    describe a whole new case with model instances (demo and synthetic data). Parents come
    before the rows that point at them."""
    from crf.models.base import link_to_case
    from crf.services import CASE_FIELDS, writable_fields

    made: dict[int, Item | NewCase] = {}
    items: list[Item] = []
    for row in instances:
        if isinstance(row, Case):
            data = {name: getattr(row, name) for name in CASE_FIELDS}
            made[id(row)] = NewCase(row.centre_id, row.group, data, row.status)
            continue
        data = {}
        for name, spec in writable_fields(type(row)).items():
            value = getattr(row, name)
            data[name] = made[id(value)] if spec.is_relation and value is not None else value
        parent = getattr(row, link_to_case(type(row)) or "case")
        owner = made[id(parent)]
        item = (
            Item(case=owner, model=type(row), data=data)
            if isinstance(owner, NewCase)
            else Item(case=owner.case, model=type(row), data=data, parent=owner)
        )
        made[id(row)] = item
        items.append(item)
    return items
