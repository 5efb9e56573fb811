"""Case variables another app holds, added to the wide table (one row per case).

The export reads the CRF models; an app above it (cohorts: the computed eligibility and the
coordinator's adjudication) declares a `CaseVariables` group from its `AppConfig.ready()`:
a model one-to-one with the case, and the variables it gives. exports never imports that
app. Each variable reads ORM lookups from the case (the current data reads them in the same
query and snapshot as the CRF columns); a freeze asks the group for its rows as of the
freeze (`as_of`), and the codebook states what "as of the freeze" means for the group.

A free-text variable is exported only when the profile allows its code (as for the CRF's
free text); the others are coded, boolean or text variables without patient text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from crf.rows import CaseRows
from exports.formats.columns import ColumnSpec


@dataclass(frozen=True)
class CaseVariable:
    """One exported variable: its column, the ORM lookups (from the case) it reads, and how
    the exported value is made of their values."""

    code: str  # `table.field`-like: the codebook's source, what a profile's free text names
    column: Callable[[], ColumnSpec]  # built with the plan, in the active language
    lookups: tuple[str, ...]
    value: Callable[..., Any]  # value(*values of lookups)
    free_text: bool = False
    # The same value in SQL from the SQL expressions of the lookups (exports.sql_plan), for
    # the current data; None: the wide table is then exported through Python.
    sql: Callable[..., str] | None = None


@dataclass(frozen=True)
class CaseVariables:
    """A model one-to-one with the case (reverse accessor `model`'s `case` field) and its
    variables. `as_of(freeze, rows)` gives, for the cases of `rows` (by case id), the model's
    instance as of the freeze (unsaved, or None)."""

    model: type[Model]
    variables: tuple[CaseVariable, ...]
    as_of: Callable[[Any, Mapping[int, CaseRows]], Mapping[int, Model | None]]
    freeze_note: Any  # str or lazy: the codebook's note: what a freeze exports for these variables

    @property
    def accessor(self) -> str:
        return self.model._meta.get_field("case").related_query_name()

    def current(self, case_ids: Sequence[int]) -> dict[int, Model]:
        """The live instances of these cases (one query)."""
        return {
            obj.case_id: obj  # type: ignore[attr-defined]
            for obj in self.model._default_manager.filter(case_id__in=list(case_ids))
        }


_GROUPS: dict[type[Model], CaseVariables] = {}


def register(group: CaseVariables) -> None:
    """Declare a group (idempotent: a second registration of the model replaces the first)."""
    _GROUPS[group.model] = group


def groups() -> tuple[CaseVariables, ...]:
    return tuple(_GROUPS.values())


def group_of(model: type[Model]) -> CaseVariables | None:
    return _GROUPS.get(model)
