"""Where an export's rows come from: the current data, or (later) a data freeze.

The pipeline asks a `Source` for the rows of each table plan (`exports.deid.TablePlan`):
tuples of the values named by `plan.sources` (ORM lookups from `plan.model`), one per row,
in a stable order that says nothing about the patient (the random case code, then the row's
database id). A source streams: it never holds a table in memory.

`CurrentData` reads the live tables with PostgreSQL server-side cursors, every table in one
REPEATABLE READ snapshot (so the tables agree with each other), leaving out withdrawn cases.

A freeze (the coordinators' `cohorts` app) plugs in through `source_for(freeze)`: it calls
`cohorts.freezes.export_source(freeze)`, which must return an object with this module's
`Source` interface (see docs/exports.md, "Freezes"); until that exists, asking for a freeze
is refused with a clear message.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crf.codes import Status
from crf.models import Case
from crf.models.base import case_lookup
from exports.deid import TablePlan

CHUNK_ROWS = 2_000


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

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        # A caller already inside a transaction (a test, a shell session) keeps its own view.
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def _queryset(self, plan: TablePlan) -> QuerySet:
        if plan.model is Case:
            return Case.objects.exclude(status=Status.WITHDRAWN).order_by("code")
        to_case = case_lookup(plan.model)
        return plan.model._default_manager.exclude(
            **{f"{to_case}__status": Status.WITHDRAWN}
        ).order_by(f"{to_case}__code", "pk")

    def count(self, plan: TablePlan) -> int:
        return self._queryset(plan).count()

    def rows(self, plan: TablePlan) -> Iterator[Sequence]:
        # Inside a transaction, .iterator() reads through a server-side cursor in chunks.
        return self._queryset(plan).values_list(*plan.sources).iterator(chunk_size=CHUNK_ROWS)


class FreezeUnavailable(ValueError):
    """A freeze was asked for and no freeze provider is installed, or it does not exist."""


FREEZE_PROVIDER = "cohorts.freezes"


def source_for(freeze: str | None) -> Source:
    """The current data (freeze None or ""), or the rows of freeze `freeze`."""
    if not freeze:
        return CurrentData()
    try:
        provider = importlib.import_module(FREEZE_PROVIDER)
    except ImportError:
        raise FreezeUnavailable(
            _(
                "Freeze %(freeze)s: this registry has no data freezes yet; export the current "
                "data (leave the freeze out) or create the freeze first."
            )
            % {"freeze": freeze}
        ) from None
    return provider.export_source(freeze)
