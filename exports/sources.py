"""Where an export's rows come from: the current data, or a data freeze.

The pipeline asks a `Source` for the rows of each table plan (`exports.deid.TablePlan`):
tuples of the values named by `plan.sources` (ORM lookups from `plan.model`), one per row,
in a stable order that says nothing about the patient (the random case code, then the row's
database id). A source streams: it never holds a table in memory.

`CurrentData` reads the live tables with PostgreSQL server-side cursors, every table in one
REPEATABLE READ snapshot (so the tables agree with each other), leaving out withdrawn cases.

`CaseRowsSource` reads cases held as `crf.rows.CaseRows` (what `crf.snapshot.load` gives for
the live data, and what the coordinators' `cohorts.freezes.rows_as_of(ids, position)` gives
for a freeze), a chunk of cases at a time, in case-code order; the same rows give the same
bytes as `CurrentData`.

`source_for(freeze)` gives a freeze as a `CaseRowsSource` over its members rebuilt by
`cohorts.freezes.rows_as_of` at the freeze's audit position (docs/exports.md, "Freezes").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from crf.codes import Status
from crf.models import Case
from crf.models.base import case_lookup
from crf.rows import CaseRows
from exports import extensions
from exports.deid import TablePlan
from registry.models import Centre

CHUNK_ROWS = 2_000
# (group, {case id: CaseRows} of a chunk) -> {case id: the group's model instance or None}
VariablesLoader = Callable[
    [extensions.CaseVariables, Mapping[int, CaseRows]], Mapping[int, Model | None]
]


class Source(Protocol):
    """What the pipeline reads; `freeze` is None for the current data."""

    freeze: str | None

    def snapshot(self) -> AbstractContextManager[None]:
        """Every `count` and `rows` inside sees the same data."""
        ...

    def count(self, plan: TablePlan) -> int: ...

    def rows(self, plan: TablePlan) -> Iterator[Sequence]: ...


class CurrentData:
    """The registry's live tables, withdrawn cases left out."""

    freeze: str | None = None
    # True inside a snapshot of its own transaction: another session may share it
    # (exports.sql_files); a caller's transaction may hold rows no other session sees.
    shareable: bool = False

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        # A caller already inside a transaction (a test, a shell session) keeps its own view.
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self.shareable = outermost
            try:
                yield
            finally:
                self.shareable = False

    def queryset(self, plan: TablePlan) -> QuerySet:
        """The plan's rows (withdrawn cases left out), in the export's order."""
        if plan.model is Case:
            return Case.objects.exclude(status=Status.WITHDRAWN).order_by("code")
        to_case = case_lookup(plan.model)
        return plan.model._default_manager.exclude(
            **{f"{to_case}__status": Status.WITHDRAWN}
        ).order_by(f"{to_case}__code", "pk")

    def count(self, plan: TablePlan) -> int:
        return self.queryset(plan).count()

    def rows(self, plan: TablePlan) -> Iterator[Sequence]:
        # Inside a transaction, .iterator() reads through a server-side cursor in chunks.
        return self.queryset(plan).values_list(*plan.sources).iterator(chunk_size=CHUNK_ROWS)


class CaseRowsSource:
    """Cases as `CaseRows`, loaded `chunk` cases at a time by `load(ids)`, in the order of
    `case_ids` (give them in case-code order). For data that do not change (a freeze): no
    snapshot is needed."""

    def __init__(
        self,
        *,
        freeze: str | None,
        case_ids: Sequence[int],
        load: Callable[[Sequence[int]], Mapping[int, CaseRows]],
        chunk: int = 200,
        case_variables: VariablesLoader | None = None,
    ):
        self.freeze = freeze
        # The rows of the extensions' models (exports.extensions) for a chunk of cases: as of
        # the freeze for a freeze, else the live ones.
        self.case_variables = case_variables or (lambda group, loaded: group.current(list(loaded)))
        self._variables: dict[type[Model], Mapping[int, Model | None]] = {}
        self._loaded: Mapping[int, CaseRows] = {}
        self.case_ids = list(case_ids)
        self.load = load
        self.chunk = chunk
        self._counts: dict[type[Model], int] | None = None
        self._centres: dict[int, str] = {}

    def snapshot(self) -> AbstractContextManager[None]:
        return nullcontext()

    def _cases(self) -> Iterator[CaseRows]:
        for start in range(0, len(self.case_ids), self.chunk):
            part = self.case_ids[start : start + self.chunk]
            loaded = self.load(part)
            self._variables = {}  # loaded for this chunk when a plan asks for them
            self._loaded = loaded
            for pk in part:
                if pk in loaded:
                    yield loaded[pk]

    @staticmethod
    def _objects(rows: CaseRows, model: type[Model]) -> list[Model]:
        if model is Case:
            return [rows.case]
        return sorted(rows.many(model), key=lambda row: row.pk)

    def count(self, plan: TablePlan) -> int:
        if self._counts is None:  # one pass counts every table
            counts: dict[type[Model], int] = {}
            for rows in self._cases():
                counts[Case] = counts.get(Case, 0) + 1
                for model, items in rows.rows.items():
                    counts[model] = counts.get(model, 0) + len(items)
            self._counts = counts
        return self._counts.get(plan.model, 0)

    def rows(self, plan: TablePlan) -> Iterator[Sequence]:
        paths = [lookup.split("__") for lookup in plan.sources]
        for rows in self._cases():
            for obj in self._objects(rows, plan.model):
                yield tuple(self._resolve(rows, obj, path) for path in paths)

    def _resolve(self, rows: CaseRows, obj: Any, path: list[str]) -> Any:
        """The value an ORM lookup (`demographics__le_diagnosis_date`, `centre__code`,
        `treatment__case__code`) names, read from the case's rows in memory."""
        for i, name in enumerate(path):
            if obj is None:
                return None
            if name == "pk":
                return obj.pk
            field = type(obj)._meta.get_field(name)
            if not field.is_relation:
                return getattr(obj, field.attname)
            target = field.related_model
            if target is Centre:
                return self._centre_value(getattr(obj, field.attname), path[i + 1 :])
            if target is Case:
                obj = rows.case
            elif field.auto_created and not field.concrete:  # reverse one-to-one from the case
                group = extensions.group_of(target)
                obj = rows.one(target) if group is None else self._variable_row(group, rows)
            elif i == len(path) - 1:
                return getattr(obj, field.attname)  # a key: the id it holds
            else:
                obj = getattr(obj, field.name)  # linked in memory (crf.rows)
        return obj

    def _variable_row(self, group: extensions.CaseVariables, rows: CaseRows) -> Model | None:
        if group.model not in self._variables:
            self._variables[group.model] = self.case_variables(group, self._loaded)
        return self._variables[group.model].get(rows.case.pk)

    def _centre_value(self, centre_id: int | None, rest: list[str]) -> Any:
        if centre_id is None or rest in ([], ["id"], ["pk"]):
            return centre_id
        if rest != ["code"]:
            raise ValueError(f"centre__{'__'.join(rest)}: only the centre's code is exported.")
        if not self._centres:
            self._centres = dict(Centre.objects.values_list("pk", "code"))
        return self._centres.get(centre_id)


class FreezeUnavailable(ValueError):
    """A freeze was asked for that does not exist."""


def source_for(freeze: str | None) -> Source:
    """The current data (freeze None or ""), or the rows of freeze `freeze` (by name or id),
    its members as of its audit position (`cohorts.freezes`)."""
    if not freeze:
        return CurrentData()
    from cohorts import freezes
    from cohorts.models import Freeze

    found = Freeze.objects.filter(name=freeze).first()
    if found is None and freeze.isdigit():
        found = Freeze.objects.filter(pk=int(freeze)).first()
    if found is None:
        raise FreezeUnavailable(
            _("Freeze %(freeze)s does not exist: give the name of an existing freeze.")
            % {"freeze": freeze}
        )
    ids = list(
        Case.objects.filter(pk__in=found.member_ids).order_by("code").values_list("pk", flat=True)
    )
    return CaseRowsSource(
        freeze=found.name,
        case_ids=ids,
        load=lambda part: freezes.rows_as_of(part, found.position),
        case_variables=lambda group, loaded: group.as_of(found, loaded),
    )
