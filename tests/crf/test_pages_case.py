"""Case pages: the list (one query per page, search, filters, sorting), a new case, the
overview (sections with completeness, computed values in words and what they lack, the
warnings outstanding, identity for the owning centre only), submit, withdraw, history."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from crf import access, services
from crf.codes import Status
from crf.models import Case, Demographics, HaematologicalDisease, Identity
from tests.crf.pages import fresh, posted, section_url
from tests.factories import CaseFactory, HaematologicalDiseaseFactory, IdentityFactory

LIST = "/cases/"


@pytest.fixture
def inv(client, investigator_a):
    client.force_login(investigator_a)
    return client


def save(user, case: Case, model, **data):
    return services.section_save(
        actor=access.actor_for(user),
        case=case,
        model=model,
        data=data,
        based_on=fresh(case).version,
    )


# ---- the list ----


def codes_in(response) -> list[str]:
    return [case.code for case in response.context["page"].object_list]


def test_the_list_shows_the_centres_cases_with_their_state(inv, case_a, case_b, investigator_a):
    save(investigator_a, case_a, Demographics, sex="female")

    response = inv.get(LIST)

    page = response.content.decode()
    assert codes_in(response) == [case_a.code]
    assert case_b.code not in page
    assert f"{fresh(case_a).completeness} %" in page
    assert "Draft" in page and "Last change" in page


def test_search_filters_and_sort(inv, centre_a, case_a, investigator_a):
    control = CaseFactory(centre=centre_a, group="control")
    IdentityFactory(case=control, local_identifier="IPP-42")
    submitted = CaseFactory(centre=centre_a, status=Status.SUBMITTED)

    assert codes_in(inv.get(LIST, {"q": case_a.code[3:7].lower()})) == [case_a.code]
    assert codes_in(inv.get(LIST, {"q": "IPP-42"})) == [control.code]  # own identifier
    assert codes_in(inv.get(LIST, {"group": "control"})) == [control.code]
    assert codes_in(inv.get(LIST, {"status": "submitted"})) == [submitted.code]
    assert codes_in(inv.get(LIST, {"sort": "code"})) == sorted(
        [case_a.code, control.code, submitted.code]
    )
    assert codes_in(inv.get(LIST, {"status": "no-such"})) != []  # unknown filter: ignored


def test_a_local_identifier_finds_nothing_for_another_centre(client, coordinator, case_a):
    client.force_login(coordinator)

    assert codes_in(client.get(LIST, {"q": case_a.identity.local_identifier})) == []


@pytest.mark.parametrize("cases", [3, 40])
def test_the_list_runs_the_same_queries_whatever_the_number_of_cases(
    inv, centre_a, cases, django_assert_max_num_queries
):
    CaseFactory.create_batch(cases, centre=centre_a)
    inv.get(LIST)  # a first request fills the process-wide caches, whatever ran before

    with django_assert_max_num_queries(8):
        response = inv.get(LIST)

    assert len(response.context["page"].object_list) == min(cases, 25)
    if cases > 25:
        assert 'href="?sort=-updated&amp;page=2"' in response.content.decode() or (
            "page=2" in response.content.decode()
        )


# ---- a new case ----


def new_case(**changes) -> dict:
    return {
        "group": "case",
        "local_identifier": "IPP-777",
        "initials": "AB",
        "date_of_birth": "1950-04-02",
        "consent": "yes",
        "consent_date": "2024-01-05",
        **changes,
    }


def test_an_investigator_creates_a_case_in_their_centre(inv, centre_a):
    response = inv.post(reverse("crf:case_create"), {"centre": centre_a.pk, **new_case()})

    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.code}/"
    assert (case.centre, case.group, case.consent) == (centre_a, "case", "yes")
    assert Identity.objects.get(case=case).local_identifier == "IPP-777"


def test_a_new_case_is_refused_with_the_field_and_the_fix(inv, centre_a):
    response = inv.post(
        reverse("crf:case_create"), {"centre": centre_a.pk, **new_case(initials="ab1")}
    )

    assert "Initials are 1 to 4 capital letters." in response.content.decode()
    assert not Case.objects.exists()


def test_a_refused_consent_is_not_accepted_silently(inv, centre_a):
    response = inv.post(
        reverse("crf:case_create"), {"centre": centre_a.pk, **new_case(consent="no")}
    )

    assert "withdraw the case instead" in response.content.decode()
    assert not Case.objects.exists()


def test_a_case_cannot_be_created_in_another_centre(inv, centre_b):
    response = inv.post(reverse("crf:case_create"), {"centre": centre_b.pk, **new_case()})

    assert response.status_code == 200  # not one of the choices
    assert "Select a valid choice" in response.content.decode()
    assert not Case.objects.exists()


def test_only_investigators_create_cases(client, coordinator):
    client.force_login(coordinator)

    assert client.get(reverse("crf:case_create")).status_code == 403


# ---- the overview ----


def overview(client, case: Case) -> str:
    return client.get(reverse("crf:case_detail", args=[case.code])).content.decode()


def test_the_overview_says_the_computed_values_in_words(inv, case_a, investigator_a):
    save(investigator_a, case_a, Demographics, le_diagnosis_date=date(2017, 1, 10))
    save(
        investigator_a, case_a, HaematologicalDisease,
        disease="mds", diagnosis_date=date(2018, 6, 1), hb=9.5, anc=1.2, platelets=130,
        bm_blasts=3, cytogenetics_done="yes", karyotype="normal",
    )  # fmt: skip

    page = overview(inv, case_a)

    haem = HaematologicalDisease.objects.get(case=case_a)
    assert f"{haem.ipssr_score:g} points:" in page
    assert "Case occurs after LE" in page or "days from LE to MDS/CMML diagnosis" in page
    assert "WHO 2016" in page and "Cannot be computed yet — missing: Peripheral blasts" in page


def test_the_overview_says_why_who_2016_is_blank_for_a_cmml(inv, case_a, investigator_a):
    save(
        investigator_a, case_a, HaematologicalDisease,
        disease="cmml", diagnosis_date=date(2018, 6, 1), hb=11, anc=5, platelets=90,
        bm_blasts=4, wbc=14,
    )  # fmt: skip

    page = overview(inv, case_a)

    assert "CMML subtype" in page
    assert "missing: Monocytes, Monocytes, Peripheral blasts" in page


def test_the_overview_lists_sections_missing_answers_and_outstanding_warnings(
    inv, case_a, investigator_a
):
    HaematologicalDiseaseFactory(case=case_a, anc=22)  # written before the rule existed
    page = overview(inv, case_a)

    assert f'href="{section_url(case_a, "demographics")}">1. Demographics and follow-up</a>' in page
    assert "Required answers still missing" in page
    assert f'href="{section_url(case_a, "demographics")}"' in page
    assert "is outside the usual range" in page  # the ANC of 22, saved with a warning open


def test_identity_is_shown_to_the_owning_centre_only(inv, client, coordinator, case_a):
    assert case_a.identity.local_identifier in overview(inv, case_a)

    client.force_login(coordinator)
    page = overview(client, case_a)
    assert case_a.identity.local_identifier not in page and "Identity" not in page
    assert client.get(section_url(case_a, "identity")).status_code == 404


def test_another_centres_case_answers_like_a_missing_one(inv, case_b):
    foreign = inv.get(reverse("crf:case_detail", args=[case_b.code]))
    missing = inv.get(reverse("crf:case_detail", args=["LE-ZZZZZZZ"]))

    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


@pytest.mark.parametrize("rows", [1, 15])
def test_the_overview_runs_a_bounded_number_of_queries(
    inv, case_a, investigator_a, rows, django_assert_max_num_queries
):
    from tests.factories import TreatmentFactory

    for _ in range(rows):
        TreatmentFactory(case=case_a)
    inv.get(reverse("crf:case_detail", args=[case_a.code]))  # stamps the session (idle timeout)
    # The CRF's own reads (10 at most) and one query for each panel cohorts registers
    # (discrepancies, queries, adjudication), whatever the number of rows.
    with django_assert_max_num_queries(13):
        assert inv.get(reverse("crf:case_detail", args=[case_a.code])).status_code == 200


# ---- submit, withdraw, history ----


def test_submitting_an_incomplete_case_lists_what_is_missing(inv, case_a):
    response = inv.post(reverse("crf:case_submit", args=[case_a.code]), posted(case_a), follow=True)

    page = response.content.decode()
    assert "lacks" in page and "required answer" in page
    assert fresh(case_a).status == Status.DRAFT


def test_a_case_is_withdrawn_with_a_reason_and_becomes_read_only(inv, case_a):
    url = reverse("crf:case_withdraw", args=[case_a.code])

    refused = inv.post(url, posted(case_a, reason=""))
    assert "This field is required." in refused.content.decode()

    inv.post(url, posted(case_a, reason="patient opposed"))

    case = fresh(case_a)
    assert (case.status, case.withdrawn_reason) == (Status.WITHDRAWN, "patient opposed")
    assert "This case is read-only" in overview(inv, case_a)
    assert inv.get(url).status_code == 403  # withdrawn: nothing left to withdraw
    history = inv.get(reverse("crf:case_history", args=[case_a.code])).content.decode()
    assert "(status: withdraw)" in history and "patient opposed" in history


def test_the_history_says_who_changed_what_and_why(inv, case_a, investigator_a):
    save(investigator_a, case_a, Demographics, sex="female")
    Case.objects.filter(pk=case_a.pk).update(status=Status.SUBMITTED)
    services.section_save(
        actor=access.actor_for(investigator_a),
        case=case_a,
        model=Demographics,
        data={"sex": "male"},
        based_on=fresh(case_a).version,
        reason="corrected from the chart",
    )

    page = inv.get(reverse("crf:case_history", args=[case_a.code])).content.decode()

    assert "inv_a" in page
    assert '<span class="fw-semibold">Sex</span>: Female → Male' in page
    assert "corrected from the chart" in page


def test_identity_changes_stay_out_of_another_readers_history(client, coordinator, case_a):
    client.force_login(coordinator)

    page = client.get(reverse("crf:case_history", args=[case_a.code])).content.decode()

    assert case_a.identity.local_identifier not in page
    assert "Identity" not in page


def test_a_complete_case_is_submitted_from_its_overview(inv, centre_a, investigator_a):
    from tests.crf.pages import complete_required

    control = CaseFactory(centre=centre_a, group="control")
    IdentityFactory(case=control)
    complete_required(investigator_a, control)
    assert "Submit the case" in overview(inv, control)

    response = inv.post(
        reverse("crf:case_submit", args=[control.code]), posted(control), follow=True
    )

    assert fresh(control).status == Status.SUBMITTED
    page = response.content.decode()
    assert "is submitted: every later change asks for a reason" in page
    assert "Submit the case" not in page
