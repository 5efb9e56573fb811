"""The batch path's bulk statements (registry.bulk) against row-by-row section saves: the
same stored values, the same audit events, the same re-assessment of every touched case,
and a number of queries that does not grow with the rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cohorts.models import CaseAssessment
from crf import access
from crf.batch import Item, NewCase, batch_save
from crf.models import Case, Demographics, HaematologicalDisease, Identity, Treatment
from crf.services import section_save

pytestmark = pytest.mark.django_db

# Bookkeeping that differs between two twins by construction (ids, codes, times, hashes).
UNCOMPARED = {"pgh_id", "pgh_created_at", "pgh_hash", "pgh_obj", "pgh_obj_id", "pgh_context",
              "pgh_context_id", "id", "code", "case", "case_id", "created_at",
              "updated_at"}  # fmt: skip


def patients(actor, centre, prefix, count):
    """`count` new cases with an identity, demographics and a haematological disease."""
    items = []
    for n in range(count):
        case = NewCase(centre_id=centre.pk, data={"consent": "yes"})
        items += [
            Item(case, Identity, {"local_identifier": f"{prefix}{n}", "initials": "AB",
                                  "date_of_birth": dt.date(1950, 1, 1)}),
            Item(case, Demographics, {"sex": "male", "le_diagnosis_date": dt.date(2015, 1, 10)}),
            Item(case, HaematologicalDisease, {"disease": "mds", "hb": 9.5, "anc": 1.2,
                 "diagnosis_date": dt.date(2015, 2, 1), "platelets": 130, "bm_blasts": 3,
                 "cytogenetics_done": "yes", "karyotype": "normal"}),
        ]  # fmt: skip
    batch_save(actor=actor, items=items, source="import")
    return list(Case.objects.filter(identity__local_identifier__startswith=prefix).order_by("pk"))


def changes(n):
    """What the twins receive, per case: derived values change with them (ages, IPSS-R)."""
    return [
        (Demographics, {"sex": "female", "le_diagnosis_date": dt.date(2016, 3, 1 + n),
                        "last_followup_date": dt.date(2020, 5, 17)}),
        (HaematologicalDisease, {"hb": 7.5 + n / 10, "platelets": 40, "karyotype": "abnormal",
                                "minus_7": True}),
        (Treatment, {"agent": "rituximab", "regimen": "rituximab",
                     "started_on": dt.date(2016, 4, 2)}),
    ]  # fmt: skip


def by_section_saves(actor, cases):
    for n, case in enumerate(cases):
        for model, data in changes(n):
            case.refresh_from_db()
            section_save(actor=actor, case=case, model=model, data=data,
                         based_on=case.version, reason="lab report", source="import")  # fmt: skip


def by_batch(actor, cases):
    items = [
        Item(case.code, model, data) for n, case in enumerate(cases) for model, data in changes(n)
    ]
    return batch_save(actor=actor, items=items, source="import", reason="lab report")


def without_ids(data):
    """A stored verdict or discrepancy list without the row ids its evidence cites."""
    if isinstance(data, dict):
        return {k: without_ids(v) for k, v in data.items() if k not in ("pk", "key")}
    if isinstance(data, list):
        return [without_ids(v) for v in data]
    return data


def values(row):
    return {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if f.attname not in UNCOMPARED
    }


def events(model, case):
    """The audit events of the case's rows of `model`, oldest first, without bookkeeping."""
    rows = model.objects.filter(case=case) if model is not Case else Case.objects.filter(pk=case.pk)
    found = model.pgh_event_model.objects.filter(pgh_obj_id__in=rows.values("pk"))
    context_keys = ("source", "reason", "user", "username", "centre")
    return [
        (values(e), {k: e.pgh_context[k] for k in context_keys}) for e in found.order_by("pgh_id")
    ]


@pytest.fixture
def twins(investigator_a, centre_a):
    actor = access.actor_for(investigator_a)
    return actor, patients(actor, centre_a, "ROW", 3), patients(actor, centre_a, "BULK", 3)


def test_a_bulk_update_stores_and_audits_what_row_by_row_saves_do(twins):
    actor, one_by_one, in_bulk = twins
    by_section_saves(actor, one_by_one)
    result = by_batch(actor, in_bulk)
    assert result.updated == {"Case": 3, "Demographics": 3, "HaematologicalDisease": 3}
    assert result.created == {"Case": 0, "Treatment": 3}
    for row_case, bulk_case in zip(one_by_one, in_bulk, strict=True):
        for model in (Demographics, HaematologicalDisease, Treatment):
            (row,) = model.objects.filter(case=row_case)
            (bulk,) = model.objects.filter(case=bulk_case)
            assert values(row) == values(bulk)
            assert events(model, row_case) == events(model, bulk_case)
        assert events(Case, row_case) == events(Case, bulk_case)
        # The batch bumps each case's version once, where each save bumps it once.
        assert Case.objects.get(pk=bulk_case.pk).version == bulk_case.version + 1
        assert values(Case.objects.get(pk=row_case.pk)) | {"version": 0} == values(
            Case.objects.get(pk=bulk_case.pk)
        ) | {"version": 0}
    haem = HaematologicalDisease.objects.get(case=in_bulk[2])
    assert haem.hb == pytest.approx(7.7) and haem.ipssr_category  # recomputed, not stale


def test_a_batch_re_assesses_every_touched_case_as_row_saves_do(twins):
    actor, one_by_one, in_bulk = twins
    untouched = in_bulk.pop()
    CaseAssessment.objects.all().delete()
    by_section_saves(actor, one_by_one)
    by_batch(actor, in_bulk)
    stored = {a.case_id: a for a in CaseAssessment.objects.all()}
    assert untouched.pk not in stored
    compared = ("eligibility", "eligibility_version", "verdict", "quality_version",
                "open_discrepancies", "missing_fields", "unknown_fields")  # fmt: skip
    for row_case, bulk_case in zip(one_by_one, in_bulk, strict=False):
        row, bulk = stored[row_case.pk], stored[bulk_case.pk]
        assert [without_ids(getattr(bulk, name)) for name in compared] == [
            without_ids(getattr(row, name)) for name in compared
        ]
        assert without_ids(bulk.discrepancies) == without_ids(row.discrepancies)
        assert bulk.missing_fields  # a real report (no follow-up sections yet), not a blank


def test_a_re_assessment_replaces_the_stored_row(twins):
    actor, _one_by_one, in_bulk = twins
    before = {a.case_id: (a.pk, a.evaluated_at) for a in CaseAssessment.objects.all()}
    by_batch(actor, in_bulk)
    after = {a.case_id: (a.pk, a.evaluated_at) for a in CaseAssessment.objects.all()}
    for case in in_bulk:
        assert after[case.pk][0] == before[case.pk][0]  # updated in place
        assert after[case.pk][1] > before[case.pk][1]


def test_the_queries_of_an_update_batch_do_not_grow_with_its_rows(investigator_a, centre_a):
    actor = access.actor_for(investigator_a)
    few, many = patients(actor, centre_a, "FEW", 2), patients(actor, centre_a, "MANY", 20)
    counted = []
    for cases in (few, many):
        with CaptureQueriesContext(connection) as queries:
            by_batch(actor, cases)
        counted.append(len(queries))
    assert counted[0] == counted[1]
    assert Treatment.objects.filter(case__in=many).count() == 20


def test_values_of_every_kind_survive_the_bulk_statement(investigator_a, case_a):
    actor = access.actor_for(investigator_a)
    batch_save(actor=actor, items=[Item(case_a.code, HaematologicalDisease,
               {"disease": "mds", "hb": 9.5, "bm_blasts": 3})], source="import")  # fmt: skip
    tricky = {
        "hb": Decimal("10.25"),
        "diagnosis_date": dt.date(2019, 12, 31),
        "platelets": 2500,
        "karyotype_iscn": 'del(5q) "isolated", 46,XX ; \\ naïve',
        "cytogenetics_done": "",
    }
    result = batch_save(actor=actor, items=[Item(case_a.code, HaematologicalDisease, tricky)],
                        source="import", acknowledge_all=True)  # fmt: skip
    haem = HaematologicalDisease.objects.get(case=case_a)
    assert (haem.hb, haem.diagnosis_date, haem.karyotype_iscn, haem.cytogenetics_done) == (
        10.25, dt.date(2019, 12, 31), tricky["karyotype_iscn"], ""
    )  # fmt: skip
    warned = {w.rule for w in result.warnings}
    assert warned and haem.acknowledged_warnings == dict.fromkeys(warned, "")  # a JSON column


def test_a_refused_batch_and_a_dry_run_leave_the_garbage_collector_running(investigator_a, case_a):
    import gc

    from crf.batch import BatchInvalid, batch_check

    bad = [Item(case_a.code, Demographics, {"sex": "neither"})]
    with pytest.raises(BatchInvalid):
        batch_save(actor=access.actor_for(investigator_a), items=bad, source="import")
    assert gc.isenabled()
    good = [Item(case_a.code, Demographics, {"sex": "male"})]
    batch_check(actor=access.actor_for(investigator_a), items=good)
    assert gc.isenabled()


def test_the_stored_assessment_is_the_one_of_the_case_as_stored(twins, monkeypatch):
    """The batch hands the assessment the completeness survey taken while deriving, and
    judges its cases in chunks, the next computed in a worker: what it stores is what a
    fresh look at each stored case gives."""
    from cohorts import assessment
    from crf import snapshot

    monkeypatch.setattr(assessment, "CHUNK", 2)  # three cases: two chunks, one in a worker
    actor, _one_by_one, in_bulk = twins
    items = [Item(case.code, model, data) for n, case in enumerate(in_bulk)
             for model, data in changes(n)] + [
        Item(in_bulk[0].code, Demographics, {"sex": "unknown"})]  # fmt: skip
    by_batch_items = batch_save(actor=actor, items=items, source="import")
    assert by_batch_items.updated["Demographics"] == 3
    stored = {a.case_id: a for a in CaseAssessment.objects.filter(case__in=in_bulk)}
    fresh = snapshot.load([c.pk for c in in_bulk])
    compared = ("eligibility", "verdict", "discrepancies", "open_discrepancies",
                "missing_fields", "unknown_fields")  # fmt: skip
    for case in in_bulk:
        recomputed = assessment.current(fresh[case.pk])
        assert [getattr(stored[case.pk], n) for n in compared] == [
            getattr(recomputed, n) for n in compared
        ]
    assert "demographics.sex" in stored[in_bulk[0].pk].unknown_fields
