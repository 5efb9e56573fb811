"""The coordinators' pages through Django's test client: what each shows and what its forms
do (the route-access test covers who gets what)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from cohorts.models import Adjudication, CaseAssessment, Freeze, Query
from cohorts.queries import raise_query
from crf import access
from crf.models import Case, CentralReview, Demographics
from crf.services import section_save
from tests.factories import SkinBiopsyFactory


def actor(user):
    return access.actor_for(user)


def fresh(case):
    case.refresh_from_db()
    return case


@pytest.fixture
def consent_no(investigator_a, case_a):
    """A case whose consent says no but holds data: one discrepancy."""
    section_save(actor=actor(investigator_a), case=case_a, model=Case, data={"consent": "no"},
                 based_on=case_a.version, acknowledged={"consent.no": "as recorded"})  # fmt: skip
    section_save(actor=actor(investigator_a), case=fresh(case_a), model=Demographics,
                 data={"sex": "female"}, based_on=fresh(case_a).version)  # fmt: skip
    Case.objects.filter(pk=case_a.pk).update(status="submitted")
    return fresh(case_a)


def test_review_page_shows_criteria_values_and_discrepancies(client, coordinator, consent_no):
    client.force_login(coordinator)
    page = client.get(reverse("cohorts:case_review", args=[consent_no.code])).content.decode()

    assert "Documented VEXAS syndrome" in page and "Undetermined" in page
    assert "case.consent_no_with_data" in page
    assert "Start review" in page
    # Each value a criterion rests on links to the section page that holds it.
    demographics = reverse("crf:section", args=[consent_no.code, "demographics"])
    assert f'href="{demographics}">Date of LE diagnosis</a>' in page
    assert client.get(demographics).status_code == 200


def test_one_click_turns_a_discrepancy_into_a_query(client, coordinator, consent_no):
    client.force_login(coordinator)
    key = CaseAssessment.objects.get(case=consent_no).discrepancies[0]["key"]

    response = client.post(
        reverse("cohorts:discrepancy", args=[consent_no.code]), {"key": key, "action": "query"}
    )

    assert response.status_code == 302
    query = Query.objects.get(case=consent_no)
    assert (query.model, query.field, query.rule, query.value) == (
        "case", "consent", "case.consent_no_with_data", "No"
    )  # fmt: skip
    assert fresh(consent_no).status == "queried"
    page = client.get(reverse("cohorts:case_review", args=[consent_no.code])).content.decode()
    assert "Query open" in page


def test_the_investigator_answers_by_correcting_the_value(client, coordinator, investigator_a,
                                                         consent_no):  # fmt: skip
    query = raise_query(actor=actor(coordinator), case=consent_no, text="Consent?",
                        model="case", field="consent")  # fmt: skip
    client.force_login(investigator_a)
    home = client.get(reverse("home")).content.decode()
    assert f"Query {query.pk} on case {consent_no.code}" in home

    thread = client.get(reverse("cohorts:query_detail", args=[query.pk])).content.decode()
    assert "Corrected value" in thread
    response = client.post(
        reverse("cohorts:query_action", args=[query.pk, "answer"]),
        {"text": "Signed form found", "value": "yes", "based_on": fresh(consent_no).version},
    )

    assert response.status_code == 302
    assert fresh(consent_no).consent == "yes"
    assert Query.objects.get(pk=query.pk).status == "answered"
    assert CaseAssessment.objects.get(case=consent_no).open_discrepancies == 0


def test_a_refused_answer_is_shown_and_nothing_written(client, coordinator, investigator_a,
                                                      consent_no):  # fmt: skip
    query = raise_query(actor=actor(coordinator), case=consent_no, text="Sex?",
                        model="demographics", field="sex")  # fmt: skip
    client.force_login(investigator_a)
    response = client.post(
        reverse("cohorts:query_action", args=[query.pk, "answer"]),
        {"text": "", "value": "male"},
        follow=True,
    )
    assert "Write the message" in response.content.decode()
    assert Demographics.objects.get(case=consent_no).sex == "female"


def test_adjudication_form_requires_the_justification_to_overrule(client, coordinator, consent_no):
    client.force_login(coordinator)
    url = reverse("cohorts:adjudicate", args=[consent_no.code])
    refused = client.post(url, {"decision": "include", "reason": "ok"}, follow=True)
    assert "write the justification" in refused.content.decode()
    client.post(url, {"decision": "include", "reason": "ok", "justification": "Source checked"})
    assert Adjudication.objects.get(case=consent_no).overrules


def test_workflow_buttons_move_the_case(client, coordinator, consent_no):
    client.force_login(coordinator)
    seen = consent_no.version
    client.post(reverse("cohorts:transition", args=[consent_no.code, "start_review"]),
                {"based_on": seen})  # fmt: skip
    assert fresh(consent_no).status == "in_review"
    stale = client.post(reverse("cohorts:transition", args=[consent_no.code, "verify"]),
                        {"based_on": seen}, follow=True)  # fmt: skip
    assert "changed by someone else" in stale.content.decode()
    assert fresh(consent_no).status == "in_review"


def test_dashboard_and_its_csv(client, coordinator, consent_no):
    raise_query(actor=actor(coordinator), case=consent_no, text="Check", model="case",
                field="consent")  # fmt: skip
    client.force_login(coordinator)
    page = client.get(reverse("cohorts:dashboard")).content.decode()
    assert "<svg" in page and "Cases by centre and status" in page and "alpha" in page

    response = client.get(reverse("cohorts:dashboard_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["table", "key", "subkey", "n"]
    assert ["cases_by_centre_status", "alpha", "queried", "1"] in rows
    assert ["open_queries_by_age", "under_7_days", "", "1"] in rows
    assert any(r[0] == "missing_required" and r[2] == "alpha" for r in rows)


def test_central_reviewer_records_a_reclassification(client, central_reviewer, case_a):
    biopsy = SkinBiopsyFactory(case=case_a, local_diagnosis="cle")
    client.force_login(central_reviewer)
    url = reverse("cohorts:pathology_biopsy", args=[biopsy.pk])
    page = client.get(url).content.decode()
    assert case_a.code in page and "IPP" not in page  # pseudonymous: no identity

    response = client.post(url, {"diagnosis": "mds_cmml_cutis", "based_on": case_a.version})

    assert response.status_code == 302, response.content.decode()[:2000]
    review = CentralReview.objects.get(biopsy=biopsy)
    assert (review.diagnosis, review.reviewed_by) == ("mds_cmml_cutis", central_reviewer)
    listing = client.get(reverse("cohorts:pathology_list")).content.decode()
    assert "Reclassified" in listing and "1 of 1 skin biopsies reviewed centrally" in listing


def test_cohorts_page_draws_and_freezes(client, coordinator, case_a, centre_a):
    from tests.factories import CaseFactory

    for case in (case_a, CaseFactory(centre=centre_a, group="control")):
        CaseAssessment.objects.create(case=case, eligibility="eligible", eligibility_version="t",
                                      verdict={}, quality_version="t")  # fmt: skip
    client.force_login(coordinator)
    client.post(reverse("cohorts:select_controls"), {"name": "Main", "ratio": 1, "seed": 7})
    client.post(reverse("cohorts:take_freeze"), {"name": "V1", "note": ""})
    freeze = Freeze.objects.get(name="V1")
    page = client.get(reverse("cohorts:freeze_detail", args=[freeze.pk])).content.decode()
    assert case_a.code in page
    assert "Main" in client.get(reverse("cohorts:cohorts")).content.decode()


def test_the_review_page_runs_a_bounded_number_of_queries(
    client, coordinator, consent_no, django_assert_max_num_queries
):
    for i in range(5):
        raise_query(actor=actor(coordinator), case=consent_no, text=f"Q{i}")
    client.force_login(coordinator)
    with django_assert_max_num_queries(25):
        client.get(reverse("cohorts:case_review", args=[consent_no.code]))


def test_review_and_overview_show_the_reclassification(client, coordinator, case_a):
    from cohorts.extensions import overview_panel
    from crf import snapshot

    biopsy = SkinBiopsyFactory(case=case_a, local_diagnosis="cle")
    CentralReview.objects.create(biopsy=biopsy, diagnosis="mds_cmml_cutis")
    client.force_login(coordinator)
    page = client.get(reverse("cohorts:case_review", args=[case_a.code])).content.decode()
    assert "Reclassified" in page and "MDS/CMML cutis" in page
    (shown,) = overview_panel(actor(coordinator), case_a, snapshot.load_one(case_a))["biopsies"]
    assert shown["reclassified"] and shown["review"].diagnosis == "mds_cmml_cutis"


def test_lists_run_a_bounded_number_of_queries(
    client, coordinator, central_reviewer, consent_no, django_assert_max_num_queries
):
    for i in range(30):
        raise_query(actor=actor(coordinator), case=consent_no, text=f"Q{i}")
        SkinBiopsyFactory(case=consent_no)
    client.force_login(coordinator)
    for name in ("cohorts:query_list", "cohorts:dashboard", "cohorts:cohorts"):
        with django_assert_max_num_queries(20):
            assert client.get(reverse(name), {"status": "all"}).status_code == 200
    client.force_login(central_reviewer)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("cohorts:pathology_list")).status_code == 200


def test_every_post_on_a_foreign_case_answers_like_a_missing_one(
    client, coordinator, investigator_b, consent_no
):
    query = raise_query(actor=actor(coordinator), case=consent_no, text="Check")
    client.force_login(investigator_b)
    posts = {
        reverse("cohorts:transition", args=[consent_no.code, "verify"]): "LE-ZZZZZZZ",
        reverse("cohorts:adjudicate", args=[consent_no.code]): "LE-ZZZZZZZ",
        reverse("cohorts:discrepancy", args=[consent_no.code]): "LE-ZZZZZZZ",
        reverse("cohorts:query_new", args=[consent_no.code]): "LE-ZZZZZZZ",
        reverse("cohorts:query_action", args=[query.pk, "answer"]): str(2_000_000_000),
        reverse("cohorts:query_action", args=[query.pk, "close"]): str(2_000_000_000),
    }
    for url, missing_id in posts.items():
        missing_url = url.replace(consent_no.code, missing_id).replace(
            f"/queries/{query.pk}/", f"/queries/{missing_id}/"
        )
        foreign = client.post(url, {"text": "x", "decision": "exclude", "reason": "x"})
        missing = client.post(missing_url, {"text": "x", "decision": "exclude", "reason": "x"})
        assert foreign.status_code == missing.status_code == 404, url
        assert foreign.content == missing.content, url
    assert Query.objects.get(pk=query.pk).messages.count() == 1


def test_dashboard_counts_each_missing_and_unknown_answer_per_centre_and_field(centre_a, centre_b):
    from cohorts import dashboard
    from tests.factories import CaseFactory

    def assessed(centre, missing, unknown, status="draft"):
        reason = "consent withdrawn" if status == "withdrawn" else ""
        case = CaseFactory(centre=centre, status=status, withdrawn_reason=reason)
        CaseAssessment.objects.update_or_create(
            case=case,
            defaults={"eligibility": "eligible", "eligibility_version": "t", "verdict": {},
                      "quality_version": "t", "missing_fields": missing,
                      "unknown_fields": unknown},
        )  # fmt: skip

    assessed(centre_a, ["demographics.sex", "case.consent"], ["demographics.sex"])
    assessed(centre_a, ["demographics.sex"], [])
    assessed(centre_b, ["demographics.sex"], ["haematology.ipss_r"])
    assessed(centre_b, ["case.consent"], ["case.consent"], status="withdrawn")  # left out

    board = dashboard.build()

    assert board.missing == {
        "demographics.sex": {"alpha": 2, "beta": 1},
        "case.consent": {"alpha": 1},
    }
    assert board.unknown == {"demographics.sex": {"alpha": 1}, "haematology.ipss_r": {"beta": 1}}
    assert board.missing_by_centre == {"alpha": 3, "beta": 1}
    assert board.unknown_by_centre == {"alpha": 1, "beta": 1}
