"""The review workflow and queries (cohorts.workflow, cohorts.queries): who moves a case,
open queries block verification, answers correct values through the write contract, the
stored assessment follows every change, e-mails tell the centre."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cohorts.models import CaseAssessment, MessageKind, Query, QueryMessage, QueryStatus
from cohorts.queries import answer_query, close_query, raise_query, reopen_query
from cohorts.workflow import case_lock, case_start_review, case_unlock, case_verify
from crf import access
from crf.models import Case, Demographics, HaematologicalDisease
from crf.services import section_save
from registry.models import Role
from tests.factories import DemographicsFactory, user_with_role


def actor(user):
    return access.actor_for(user)


def status(case, value):
    Case.objects.filter(pk=case.pk).update(status=value)
    case.refresh_from_db()
    return case


def fresh(case):
    case.refresh_from_db()
    return case


@pytest.fixture
def demo_a(case_a):
    return DemographicsFactory(case=case_a, sex="female")


def field_query(coordinator, case, **kw):
    return raise_query(
        actor=actor(coordinator),
        case=case,
        text="Sex: please check against the hospital record.",
        model="demographics",
        field="sex",
        **kw,
    )


# ---- the whole path ----


def test_query_answer_close_verify_lock(coordinator, investigator_a, case_a, demo_a):
    status(case_a, "submitted")
    query = field_query(coordinator, case_a)

    assert (query.value, query.status) == ("Female", "open")
    assert fresh(case_a).status == "queried"  # taken into review, then queried

    answer_query(
        actor=actor(investigator_a), query=query, text="Corrected from the file.", value="male"
    )

    assert Demographics.objects.get(case=case_a).sex == "male"
    answer = QueryMessage.objects.get(query=query, kind=MessageKind.ANSWER)
    assert (answer.value_before, answer.value_after) == ("Female", "Male")
    assert fresh(case_a).status == "answered"

    close_query(actor=actor(coordinator), query=query)
    case_verify(actor=actor(coordinator), case=case_a, based_on=fresh(case_a).version)
    case_lock(actor=actor(coordinator), case=case_a, based_on=fresh(case_a).version)

    assert fresh(case_a).status == "locked"
    with pytest.raises(PermissionDenied):
        section_save(
            actor=actor(investigator_a),
            case=case_a,
            model=Demographics,
            data={"sex": "female"},
            based_on=case_a.version,
            reason="x",
        )


def test_the_answer_is_the_audited_reason_for_change(coordinator, investigator_a, case_a, demo_a):
    status(case_a, "submitted")
    query = field_query(coordinator, case_a)
    answer_query(actor=actor(investigator_a), query=query, text="Typo in the CRF.", value="male")

    event = Demographics.pgh_event_model.objects.filter(pgh_obj_id=demo_a.pk).latest("pgh_id")
    assert (event.sex, event.pgh_context["reason"]) == ("male", "Typo in the CRF.")


def test_an_invalid_corrected_value_writes_nothing(coordinator, investigator_a, case_a, demo_a):
    status(case_a, "in_review")
    query = field_query(coordinator, case_a)

    with pytest.raises(ValidationError):
        answer_query(actor=actor(investigator_a), query=query, text="x", value="neither")

    assert Demographics.objects.get(case=case_a).sex == "female"
    assert not QueryMessage.objects.filter(query=query, kind=MessageKind.ANSWER).exists()
    assert Query.objects.get(pk=query.pk).status == "open"


def test_open_queries_block_verify_and_lock(coordinator, case_a, demo_a):
    status(case_a, "in_review")
    query = field_query(coordinator, case_a)
    status(case_a, "answered")

    with pytest.raises(ValidationError) as refused:
        case_verify(actor=actor(coordinator), case=case_a, based_on=case_a.version)
    assert "open query" in str(refused.value)
    assert fresh(case_a).status == "answered"

    close_query(actor=actor(coordinator), query=query)
    case_verify(actor=actor(coordinator), case=case_a, based_on=fresh(case_a).version)
    assert fresh(case_a).status == "verified"


def test_reopening_queries_the_case_again(coordinator, investigator_a, case_a, demo_a):
    status(case_a, "in_review")
    query = field_query(coordinator, case_a)
    answer_query(actor=actor(investigator_a), query=query, text="It is right.")
    close_query(actor=actor(coordinator), query=query)

    reopen_query(actor=actor(coordinator), query=query, text="The file says otherwise.")

    assert (Query.objects.get(pk=query.pk).status, fresh(case_a).status) == ("open", "queried")
    kinds = list(query.messages.values_list("kind", flat=True))
    assert kinds == ["raise", "answer", "close", "reopen"]


def test_a_case_stays_queried_while_one_query_waits(coordinator, investigator_a, case_a, demo_a):
    status(case_a, "in_review")
    first = field_query(coordinator, case_a)
    raise_query(actor=actor(coordinator), case=case_a, text="Whole case: dates?")
    answer_query(actor=actor(investigator_a), query=first, text="Checked.")

    assert fresh(case_a).status == "queried"


# ---- who may ----


def test_another_centres_investigator_gets_404(coordinator, investigator_b, case_a, demo_a):
    status(case_a, "in_review")
    query = field_query(coordinator, case_a)

    with pytest.raises(Http404):
        answer_query(actor=actor(investigator_b), query=query, text="x")
    with pytest.raises(Http404):
        close_query(actor=actor(investigator_b), query=query.pk)


def test_investigators_and_statisticians_do_not_raise(investigator_a, statistician, case_a):
    with pytest.raises(PermissionDenied):
        raise_query(actor=actor(investigator_a), case=case_a, text="x")
    with pytest.raises(Http404):  # statisticians see no case at all
        raise_query(actor=actor(statistician), case=case_a, text="x")


def test_only_the_raiser_or_a_coordinator_closes(
    coordinator, central_reviewer, investigator_a, case_a
):
    from tests.factories import SkinBiopsyFactory

    SkinBiopsyFactory(case=case_a)
    query = raise_query(actor=actor(central_reviewer), case=case_a, text="Biopsy date?")
    with pytest.raises(PermissionDenied):
        close_query(actor=actor(investigator_a), query=query)
    close_query(actor=actor(central_reviewer), query=query)
    assert Query.objects.get(pk=query.pk).status == QueryStatus.CLOSED


def test_no_query_on_a_locked_case(coordinator, case_a):
    status(case_a, "locked")
    with pytest.raises(ValidationError):
        raise_query(actor=actor(coordinator), case=case_a, text="x")
    assert not Query.objects.exists()


def test_a_query_names_a_real_field_of_a_real_section(coordinator, case_a, demo_a):
    with pytest.raises(ValidationError) as bad_model:
        raise_query(actor=actor(coordinator), case=case_a, text="x", model="nosuch")
    with pytest.raises(ValidationError) as bad_field:
        raise_query(
            actor=actor(coordinator), case=case_a, text="x", model="demographics", field="nosuch"
        )
    assert "model" in bad_model.value.message_dict and "field" in bad_field.value.message_dict
    with pytest.raises(ValidationError):
        raise_query(actor=actor(coordinator), case=case_a, text="  ")


def test_unlock_takes_a_registry_admin_and_a_reason(coordinator, registry_admin, case_a):
    status(case_a, "locked")
    with pytest.raises(PermissionDenied):
        case_unlock(actor=actor(coordinator), case=case_a, based_on=case_a.version, reason="x")
    with pytest.raises(ValidationError):
        case_unlock(actor=actor(registry_admin), case=case_a, based_on=case_a.version, reason="")
    case_unlock(
        actor=actor(registry_admin),
        case=case_a,
        based_on=case_a.version,
        reason="Late laboratory correction",
    )
    assert fresh(case_a).status == "verified"
    event = Case.pgh_event_model.objects.filter(pgh_obj_id=case_a.pk).latest("pgh_id")
    assert event.pgh_context["transition"] == "unlock"
    assert event.pgh_context["reason"] == "Late laboratory correction"


def test_investigators_do_not_review(investigator_a, case_a):
    status(case_a, "submitted")
    with pytest.raises(PermissionDenied):
        case_start_review(actor=actor(investigator_a), case=case_a, based_on=case_a.version)


# ---- e-mail ----


def test_a_new_query_emails_the_centres_investigators_without_data(
    coordinator, investigator_a, investigator_b, case_a, demo_a, django_capture_on_commit_callbacks
):
    colleague = user_with_role(Role.INVESTIGATOR, case_a.centre, username="inv_a2")
    with django_capture_on_commit_callbacks(execute=True):
        field_query(coordinator, case_a)

    assert sorted(m.to[0] for m in mail.outbox) == sorted([investigator_a.email, colleague.email])
    body = mail.outbox[0].body
    assert case_a.code in body and "Female" not in body and "hospital record" not in body


# ---- the stored assessment ----


def test_every_save_restores_the_verdict_with_its_version(investigator_a, case_a):
    section_save(
        actor=actor(investigator_a),
        case=case_a,
        model=HaematologicalDisease,
        data={"disease": "mds", "vexas_documented": "yes"},
        based_on=case_a.version,
    )

    stored = CaseAssessment.objects.get(case=case_a)
    assert stored.eligibility == "not_eligible"
    assert stored.eligibility_version.startswith("Study eligibility")
    vexas = next(c for c in stored.verdict["criteria"] if c["code"] == "vexas")
    assert vexas["status"] == "met"

    section_save(
        actor=actor(investigator_a),
        case=case_a,
        model=HaematologicalDisease,
        data={"vexas_documented": "no"},
        based_on=fresh(case_a).version,
    )
    stored.refresh_from_db()
    assert stored.eligibility != "not_eligible" or all(
        c["code"] != "vexas" for c in stored.verdict["criteria"] if c["passes"] is False
    )
    vexas = next(c for c in stored.verdict["criteria"] if c["code"] == "vexas")
    assert vexas["status"] == "not_met"
