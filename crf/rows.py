"""A case in memory: the case and every row of it, linked to each other.

`CaseRows` is what the write services validate and derive on, what eligibility and the
data-quality rules read, and what the API and the overview render: one object, built by
`crf.snapshot.load` in one query (or by the batch path from rows not yet saved), in which
every link between rows (variant → test, review → biopsy, response → treatment and
SLEDAI-2K, NGS test → biopsy) points at the in-memory object, so nothing it feeds queries
the database again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Model

from crf.models import (
    CRF_MODELS,
    Case,
    CentralReview,
    HaematologicalResponse,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SkinBiopsy,
    Treatment,
)
from crf.models.base import field as field_of
from crf.models.base import link_to_case, related

M = TypeVar("M", bound=Model)

# Models with at most one row per case (a OneToOne to the case): everything else repeats.
ONE_PER_CASE: tuple[type[Model], ...] = tuple(
    m
    for m in CRF_MODELS
    if m is not Case and link_to_case(m) == "case" and field_of(m, "case").one_to_one
)
REPEATING: tuple[type[Model], ...] = tuple(
    m for m in CRF_MODELS if m is not Case and m not in ONE_PER_CASE
)


@dataclass
class CaseRows:
    """Every row of one case, by model. Rows not saved yet (pk None) may be among them."""

    case: Case
    rows: dict[type[Model], list[Model]] = field(default_factory=dict)

    def one(self, model: type[M]) -> M | None:
        """The case's row of a one-per-case section (Demographics, HaematologicalDisease…)."""
        found = self.rows.get(model, [])
        return found[0] if found else None  # type: ignore[return-value]

    def many(self, model: type[M]) -> list[M]:
        """The case's rows of a repeating group, in the model's order."""
        return self.rows.get(model, [])  # type: ignore[return-value]

    def all_rows(self) -> Iterator[Model]:
        yield self.case
        for model in CRF_MODELS:
            if model is not Case:
                yield from self.rows.get(model, [])

    # ---- rows hanging off another row ----

    def variants_of(self, test: NgsTest) -> list[NgsVariant]:
        return [v for v in self.many(NgsVariant) if v.test is test]

    def review_of(self, biopsy: SkinBiopsy) -> CentralReview | None:
        return next((r for r in self.many(CentralReview) if r.biopsy is biopsy), None)

    def lupus_response_of(self, treatment: Treatment) -> LupusResponse | None:
        return next((r for r in self.many(LupusResponse) if r.treatment is treatment), None)

    def haem_response_of(self, treatment: Treatment) -> HaematologicalResponse | None:
        return next(
            (r for r in self.many(HaematologicalResponse) if r.treatment is treatment), None
        )

    # ---- changing the picture (services apply a write here before validating it) ----

    def put(self, row: Model) -> None:
        """Add `row`, or replace the row with the same identity (same pk, or same object)."""
        model = type(row)
        if model is Case:
            self.case = row  # type: ignore[assignment]
            return
        rows = self.rows.setdefault(model, [])
        for i, existing in enumerate(rows):
            if existing is row or (row.pk is not None and existing.pk == row.pk):
                rows[i] = row
                return
        rows.append(row)

    def drop(self, row: Model) -> None:
        """Remove `row` and what hangs off it (a test's variants, a treatment's responses)."""
        model = type(row)
        self.rows[model] = [r for r in self.rows.get(model, []) if r is not row]
        for child in CRF_MODELS:
            link = link_to_case(child)
            if link and link != "case" and related(child, link) is model:
                for orphan in [r for r in self.many(child) if getattr(r, link) is row]:
                    self.drop(orphan)
