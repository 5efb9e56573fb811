"""Adjudication, cohorts, control selection and data freezes (cohorts.adjudication,
cohorts.selection, cohorts.freezes)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from cohorts.adjudication import adjudicate, confirm_discrepancy
from cohorts.freezes import freeze_rows, take_freeze
from cohorts.models import Adjudication, CaseAssessment
from cohorts.selection import case_cohort, control_cohort, draw, redraw, select_controls
from crf import access, snapshot
from crf.models import Case, CutaneousLesion, Demographics, Identity
from crf.services import section_delete, section_save
from tests.factories import CaseFactory, CentreFactory


def actor(user):
    return access.actor_for(user)


def fresh(case):
    case.refresh_from_db()
    return case


def save(user, case, model, data, **kw):
    return section_save(
        actor=actor(user), case=case, model=model, data=data, based_on=fresh(case).version, **kw
    )


def eligible(case, verdict="eligible"):
    CaseAssessment.objects.update_or_create(
        case=case,
        defaults={
            "eligibility": verdict,
            "eligibility_version": "t",
            "verdict": {},
            "quality_version": "t",
        },  # fmt: skip
    )


# ---- adjudication ----


def test_an_inclusion_against_the_computed_verdict_needs_a_justification(coordinator, case_a):
    with pytest.raises(ValidationError) as refused:
        adjudicate(actor=actor(coordinator), case=case_a, decision="include", reason="Reviewed")
    assert "justification" in refused.value.message_dict
    assert not Adjudication.objects.exists()

    done = adjudicate(
        actor=actor(coordinator),
        case=case_a,
        decision="include",
        reason="Reviewed",
        justification="SLICC met on the source documents; CRF being completed.",
    )
    assert (done.computed, done.overrules) == ("undetermined", True)


def test_an_exclusion_of_an_undetermined_case_needs_no_justification(coordinator, case_a):
    done = adjudicate(actor=actor(coordinator), case=case_a, decision="exclude", reason="VEXAS")
    assert (done.overrules, done.justification) == (False, "")


def test_only_coordinators_adjudicate_and_never_a_locked_case(investigator_a, coordinator, case_a):
    with pytest.raises(PermissionDenied):
        adjudicate(actor=actor(investigator_a), case=case_a, decision="exclude", reason="x")
    Case.objects.filter(pk=case_a.pk).update(status="locked")
    with pytest.raises(ValidationError):
        adjudicate(actor=actor(coordinator), case=case_a, decision="exclude", reason="x")


def test_the_decision_is_audited_with_its_reason(coordinator, case_a):
    adjudicate(actor=actor(coordinator), case=case_a, decision="exclude", reason="First look")
    adjudicate(actor=actor(coordinator), case=case_a, decision="exclude", reason="Confirmed")
    events = Adjudication.pgh_event_model.objects.order_by("pgh_id")
    assert [e.pgh_context["reason"] for e in events] == ["First look", "Confirmed"]


def test_a_confirmed_discrepancy_leaves_the_open_list(investigator_a, coordinator, case_a):
    section_save(actor=actor(investigator_a), case=case_a, model=Case, data={"consent": "no"},
                 based_on=case_a.version, acknowledged={"consent.no": "As recorded"})  # fmt: skip
    save(investigator_a, case_a, Demographics, {"sex": "female"})
    stored = CaseAssessment.objects.get(case=case_a)
    assert stored.open_discrepancies == 1
    key = stored.discrepancies[0]["key"]

    confirm_discrepancy(actor=actor(coordinator), case=case_a, key=key, comment="Opposed later")

    stored.refresh_from_db()
    assert stored.open_discrepancies == 0 and stored.discrepancies[0]["key"] == key
    with pytest.raises(ValidationError):
        confirm_discrepancy(actor=actor(coordinator), case=case_a, key=key, comment="again")


# ---- cohorts and selection ----


def test_membership_follows_adjudication_over_the_computed_verdict(coordinator, centre_a):
    eligible_case, excluded, included, plain = (CaseFactory(centre=centre_a) for _ in range(4))
    eligible(eligible_case)
    eligible(excluded)
    Adjudication.objects.create(case=excluded, decision="exclude", reason="x", computed="eligible",
                                justification="y", decided_by=coordinator)  # fmt: skip
    Adjudication.objects.create(
        case=included,
        decision="include",
        reason="x",
        computed="undetermined",
        justification="y",
        decided_by=coordinator,
    )
    eligible(plain, "undetermined")

    assert set(case_cohort()) == {eligible_case, included}


def test_draw_is_reproducible_and_matches(centre_a):
    cases = [[1, ["female"]], [2, ["male"]]]
    pool = [[10 + i, ["female" if i % 2 else "male"]] for i in range(10)]

    first, again = draw(cases, pool, 2, seed=42), draw(cases, pool, 2, seed=42)
    assert first == again and first.shortfall == 0
    keys = dict((pk, key) for pk, key in pool)
    assert all(keys[control] == dict(cases)[case] for case, control in first.pairs)
    assert len(set(first.control_ids)) == 4
    others = {tuple(draw(cases, pool, 2, seed=s).control_ids) for s in range(20)}
    assert len(others) > 1  # the seed matters


def test_a_pool_too_small_is_reported_not_padded():
    result = draw([[1, []], [2, []]], [[10, []], [11, []], [12, []]], 2, seed=1)
    assert (len(result.control_ids), result.shortfall) == (3, 1)


def test_selection_stores_its_seed_and_redraws_the_same_controls(coordinator, centre_a):
    for _ in range(2):
        case = CaseFactory(centre=centre_a)
        Demographics.objects.create(case=case, sex="female", age_at_le_diagnosis=52)
        eligible(case)
    for i in range(8):
        control = CaseFactory(centre=centre_a, group="control")
        Demographics.objects.create(case=control, sex="female" if i < 6 else "male",
                                    age_at_le_diagnosis=50 + i)  # fmt: skip
        eligible(control)

    chosen = select_controls(actor=actor(coordinator), name="Main 2:1", ratio=2,
                             match_on=["sex", "age_band"])  # fmt: skip

    assert len(chosen.control_ids) == 4 and chosen.shortfall == 0
    assert redraw(chosen).control_ids == chosen.control_ids
    again = select_controls(actor=actor(coordinator), name="Same seed", ratio=2,
                            match_on=["sex", "age_band"], seed=chosen.seed)  # fmt: skip
    assert again.control_ids == chosen.control_ids
    males = set(Demographics.objects.filter(sex="male").values_list("case_id", flat=True))
    assert not males & set(chosen.control_ids)


def test_selection_refuses_bad_input(coordinator, investigator_a):
    with pytest.raises(PermissionDenied):
        select_controls(actor=actor(investigator_a), name="x", ratio=2)
    with pytest.raises(ValidationError) as bad:
        select_controls(actor=actor(coordinator), name="x", ratio=0, match_on=["eye_colour"])
    assert "ratio" in bad.value.message_dict


# ---- freezes ----


def dump(rows) -> str:
    """Every value of every row of the case, as text: what an export would be built from."""
    out = []
    for row in rows.all_rows():
        values = model_to_dict(row)
        values.pop("updated_at", None)
        out.append([type(row).__name__, row.pk, values])
    return json.dumps(out, default=str, sort_keys=True)


def test_a_freeze_yields_the_values_as_they_were(investigator_a, coordinator, case_a):
    save(investigator_a, case_a, Demographics, {"sex": "female", "le_diagnosis_date": "2019-03-01"})
    lesion = save(investigator_a, case_a, CutaneousLesion, {"subtype": "chilblain"})
    Adjudication.objects.create(
        case=case_a,
        decision="include",
        reason="x",
        computed="undetermined",
        justification="y",
        decided_by=coordinator,
    )
    freeze = take_freeze(actor=actor(coordinator), name="Manuscript v1")
    before = [dump(rows) for rows in freeze_rows(freeze)]

    save(investigator_a, case_a, Demographics, {"sex": "male"})
    section_delete(actor=actor(investigator_a), case=case_a, model=CutaneousLesion,
                   row_id=lesion.pk, based_on=fresh(case_a).version)  # fmt: skip
    save(investigator_a, case_a, CutaneousLesion, {"subtype": "dle_localized"})

    (frozen,) = freeze_rows(freeze)
    assert frozen.one(Demographics).sex == "female"
    assert frozen.one(Identity) is None  # a freeze never carries identities
    assert [r.subtype for r in frozen.many(CutaneousLesion)] == ["chilblain"]
    live = snapshot.load_one(fresh(case_a))
    assert live.one(Demographics).sex == "male"
    assert [r.subtype for r in live.many(CutaneousLesion)] == ["dle_localized"]
    assert [dump(rows) for rows in freeze_rows(freeze)] == before  # regenerated identically


def test_a_freeze_records_the_selection_members(coordinator, centre_a):
    case = CaseFactory(centre=centre_a)
    eligible(case)
    controls = [CaseFactory(centre=centre_a, group="control") for _ in range(3)]
    for control in controls:
        eligible(control)
    chosen = select_controls(actor=actor(coordinator), name="1:2", ratio=2)

    freeze = take_freeze(actor=actor(coordinator), name="With selection", selection=chosen)

    assert freeze.case_ids == [case.pk]
    assert sorted(freeze.control_ids) == sorted(chosen.control_ids)
    assert set(freeze.position) >= {"crf_caseevent", "crf_demographicsevent"}
    assert [r.case.pk for r in freeze_rows(freeze)] == [case.pk, *sorted(chosen.control_ids)]
    with pytest.raises(ValidationError):
        take_freeze(actor=actor(coordinator), name="With selection")


def test_control_cohort_excludes_withdrawn(centre_a):
    control = CaseFactory(centre=centre_a, group="control")
    eligible(control)
    assert list(control_cohort()) == [control]
    Case.objects.filter(pk=control.pk).update(status="withdrawn", withdrawn_reason="x")
    assert list(control_cohort()) == []


def test_centres_do_not_matter_for_membership(centre_a):
    other = CaseFactory(centre=CentreFactory(code="gamma"))
    eligible(other)
    assert list(case_cohort()) == [other]
