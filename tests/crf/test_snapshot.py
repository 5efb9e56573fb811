"""crf.snapshot: a case read in one statement holds what the ORM reads, value and type."""

from __future__ import annotations

import pytest

from crf import snapshot
from crf.models import Case, Demographics, HaematologicalDisease, Identity, SerologyPanel
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SerologyPanelFactory,
)

pytestmark = pytest.mark.django_db


def fields_of(row) -> dict[str, tuple[type, object]]:
    return {
        f.attname: (type(getattr(row, f.attname)), getattr(row, f.attname))
        for f in row._meta.concrete_fields
    }


def test_every_field_reads_as_the_orm_reads_it(case_a):
    DemographicsFactory(case=case_a, acknowledged_warnings={"date.order": ""})
    HaematologicalDiseaseFactory(case=case_a, platelets=130, hb=9.5)  # a whole float
    SerologyPanelFactory(case=case_a)
    rows = snapshot.load([case_a.pk])[case_a.pk]
    assert fields_of(rows.case) == fields_of(Case.objects.get(pk=case_a.pk))
    for model in (Identity, Demographics, HaematologicalDisease, SerologyPanel):
        (loaded,) = rows.many(model)
        stored = model.objects.get(pk=loaded.pk)
        assert fields_of(loaded) == fields_of(stored), model
        # Made as the ORM makes a row read from the database, without a field more or less.
        assert (loaded._state.adding, loaded._state.db) == (False, stored._state.db)
        assert set(vars(loaded)) - {"_state"} == set(vars(stored)) - {"_state"}
        assert loaded == stored
    (haem,) = rows.many(HaematologicalDisease)
    assert type(haem.platelets) is float


def test_a_column_left_out_takes_a_fresh_default_per_row():
    one = snapshot.assemble({"id": 1, "group": "case"}, {Demographics: [{"id": 1}]})
    two = snapshot.assemble({"id": 2, "group": "case"}, {Demographics: [{"id": 2}]})
    (first,), (second,) = one.many(Demographics), two.many(Demographics)
    confirmed = [vars(row)["acknowledged_warnings"] for row in (first, second)]
    assert confirmed == [{}, {}] and confirmed[0] is not confirmed[1]


def test_cases_read_in_several_chunks_read_as_each_alone(monkeypatch, centre_a):
    """Several chunks go through psycopg's pipeline (the next chunk's statement runs while
    this one's rows are built): the same rows, values and links as a case read alone."""
    cases = [CaseFactory(centre=centre_a) for _ in range(5)]
    for case in cases:
        DemographicsFactory(case=case)
        SerologyPanelFactory(case=case)
    monkeypatch.setattr(snapshot, "CHUNK", 2)
    ids = [case.pk for case in reversed(cases)]

    loaded = snapshot.load([*ids, ids[0], 10**9])  # a repeat and a missing id

    assert sorted(loaded) == sorted(ids)
    for pk, rows in loaded.items():
        alone = snapshot.load([pk])[pk]
        assert fields_of(rows.case) == fields_of(alone.case)
        for model in (Identity, Demographics, SerologyPanel):
            assert [fields_of(r) for r in rows.many(model)] == [
                fields_of(r) for r in alone.many(model)
            ], model
        (demographics,) = rows.many(Demographics)
        assert demographics.case is rows.case
