"""The batch write path (crf.batch): many rows of many cases, judged like section_save."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from crf import access
from crf.batch import BatchInvalid, Item, NewCase, batch_check, batch_save
from crf.models import (
    Case,
    Demographics,
    HaematologicalDisease,
    Identity,
    NgsTest,
    NgsVariant,
    SkinBiopsy,
    Treatment,
)


def actor(user):
    return access.actor_for(user)


def new_patient(centre, n):
    case = NewCase(centre_id=centre.pk, group="case", data={"consent": "yes"})
    return [
        Item(case, Identity, {"local_identifier": f"IPP{n}", "initials": "AB",
                              "date_of_birth": dt.date(1950, 1, 1)}),
        Item(case, Demographics, {"sex": "male", "le_diagnosis_date": dt.date(2015, 1, 10)}),
        Item(case, HaematologicalDisease, {"disease": "mds", "diagnosis_date": dt.date(2015, 2, 1),
             "hb": 9.5, "anc": 1.2, "platelets": 130, "bm_blasts": 3,
             "cytogenetics_done": "yes", "karyotype": "normal"}),
    ]  # fmt: skip


def test_new_cases_and_their_rows_are_written_with_derived_values(investigator_a, centre_a):
    items = new_patient(centre_a, 1) + new_patient(centre_a, 2)
    result = batch_save(actor=actor(investigator_a), items=items, source="import")
    assert result.created == {"Case": 2, "Identity": 2, "Demographics": 2,
                              "HaematologicalDisease": 2}  # fmt: skip
    demo = Demographics.objects.get(case__identity__local_identifier="IPP1")
    assert (demo.age_at_le_diagnosis, demo.temporal_relation) == (65, "concomitant")
    haem = HaematologicalDisease.objects.get(case=demo.case)
    assert (haem.ipssr_score, haem.ipssr_category) == (3.0, "low")  # Hb 1, blasts 1, good 1
    assert set(Case.objects.values_list("centre", "status", "consent")) == {
        (centre_a.pk, "draft", "yes")
    }


def test_links_between_new_rows_of_the_batch(investigator_a, centre_a):
    case = NewCase(centre_id=centre_a.pk)
    biopsy = Item(case, SkinBiopsy, {"local_diagnosis": "cle"})
    skin = Item(case, NgsTest, {"tissue": "skin", "skin_biopsy": biopsy, "result": "variants"})
    blood = Item(case, NgsTest, {"tissue": "peripheral_blood", "result": "variants"})
    items = [
        # Any order: parents are written before the rows that point at them.
        Item(case, NgsVariant, {"gene": "TET2", "hgvs_c": "c.1A>T", "vaf": 30}, parent=skin),
        Item(case, NgsVariant, {"gene": "TET2", "hgvs_c": "c.1A>T", "vaf": 45}, parent=blood),
        skin,
        blood,
        biopsy,
    ]
    batch_save(actor=actor(investigator_a), items=items, source="import")
    test = NgsTest.objects.get(tissue="skin")
    assert test.skin_biopsy == SkinBiopsy.objects.get()
    assert (test.concordance, test.shared_genes) == ("concordant", "TET2")


def test_one_bad_row_refuses_the_whole_batch_and_names_it(investigator_a, centre_a):
    items = new_patient(centre_a, 1) + new_patient(centre_a, 2)
    items[5].data = {**items[5].data, "hb": 108}  # the second patient's haematology
    with pytest.raises(BatchInvalid) as refused:
        batch_save(actor=actor(investigator_a), items=items, source="import")
    (problem,) = refused.value.problems
    assert (problem.index, problem.field, problem.rule) == (5, "hb", "unit.hb_g_l")
    assert not Case.objects.exists() and not Identity.objects.exists()


def test_warnings_must_be_acknowledged_per_item(investigator_a, centre_a):
    items = new_patient(centre_a, 1)
    items[2].data = {**items[2].data, "hb": 22}  # outside the usual range: a warning
    with pytest.raises(BatchInvalid) as refused:
        batch_save(actor=actor(investigator_a), items=items, source="import")
    assert [p.rule for p in refused.value.problems] == ["range.usual"]
    assert [w.rule for w in batch_check(actor=actor(investigator_a), items=items,
                                        acknowledge_all=True)] == ["range.usual"]  # fmt: skip
    items[2].acknowledged = frozenset({"range.usual"})
    result = batch_save(actor=actor(investigator_a), items=items, source="import")
    assert [w.rule for w in result.warnings] == ["range.usual"]
    assert not Case.objects.filter(pk__isnull=True).exists()


def test_existing_cases_are_bumped_once_and_an_identical_batch_changes_nothing(
    investigator_a, case_a
):
    items = [
        Item(case_a.code, Demographics, {"sex": "female"}),
        Item(case_a.code, Treatment, {"agent": "rituximab", "regimen": "rituximab"}),
    ]
    version = case_a.version
    batch_save(actor=actor(investigator_a), items=items, source="import", file_sha256="abc")
    assert Case.objects.get(pk=case_a.pk).version == version + 1
    events = Demographics.pgh_event_model.objects.filter(pgh_obj_id=case_a.demographics.pk)
    assert events.get().pgh_context["file_sha256"] == "abc"

    again = [Item(case_a.code, Demographics, {"sex": "female"})]
    result = batch_save(actor=actor(investigator_a), items=again, source="import")
    assert result.updated == {} and result.created == {"Case": 0}
    assert Case.objects.get(pk=case_a.pk).version == version + 1
    assert events.count() == 1


def test_foreign_cases_are_unknown_and_nothing_is_written(investigator_a, case_b):
    with pytest.raises(BatchInvalid) as refused:
        batch_save(
            actor=actor(investigator_a),
            items=[Item(case_b.code, Demographics, {"sex": "male"})],
            source="import",
        )
    assert refused.value.problems[0].rule == "case.unknown"
    assert not Demographics.objects.exists()


def test_after_submission_a_batch_needs_a_reason(investigator_a, case_a):
    Case.objects.filter(pk=case_a.pk).update(status="submitted")
    items = [Item(case_a.code, Demographics, {"sex": "male"})]
    with pytest.raises(BatchInvalid) as refused:
        batch_save(actor=actor(investigator_a), items=items, source="import")
    assert refused.value.problems[0].rule == "reason.required"
    batch_save(actor=actor(investigator_a), items=items, source="import", reason="lab report")
    assert Demographics.objects.get().sex == "male"


def test_a_read_scope_cannot_batch(investigator_a, centre_a):
    with pytest.raises(PermissionDenied):
        batch_save(
            actor=access.actor_for(investigator_a, access.Scope.READ),
            items=new_patient(centre_a, 1),
            source="api",
        )


def test_only_the_registry_itself_seeds_cases_in_another_status(investigator_a, centre_a):
    seeded = NewCase(centre_id=centre_a.pk, status="locked")
    with pytest.raises(BatchInvalid):
        batch_save(actor=actor(investigator_a), items=[Item(seeded, Demographics, {})],
                   source="import")  # fmt: skip
    batch_save(actor=access.SYSTEM, items=[Item(seeded, Demographics, {})], source="system")
    assert Case.objects.get().status == "locked"


def test_a_batch_runs_a_bounded_number_of_queries(
    investigator_a, centre_a, django_assert_max_num_queries
):
    items = [item for n in range(30) for item in new_patient(centre_a, n)]
    # 12 for the batch, 1 to check the new codes are free, 2 for the stored eligibility and
    # discrepancies (cohorts.assessment: the confirmations read, the assessments stored).
    with django_assert_max_num_queries(15):
        batch_save(actor=actor(investigator_a), items=items, source="import")
    assert Case.objects.count() == 30


def test_a_new_case_never_takes_a_code_already_given(case_a, centre_a):
    """Random codes meet by chance at network scale: the write draws again, it never fails."""
    from crf.models.case import give_free_codes

    taken = Case(centre=centre_a, code=case_a.code)
    twins = [Case(centre=centre_a, code="LE-2222222"), Case(centre=centre_a, code="LE-2222222")]
    free = Case(centre=centre_a, code="LE-3333333")
    give_free_codes([taken, *twins, free])
    codes = [c.code for c in (taken, *twins, free)]
    assert len(set(codes)) == 4 and case_a.code not in codes
    assert (twins[0].code, free.code) == ("LE-2222222", "LE-3333333")  # no clash: kept
