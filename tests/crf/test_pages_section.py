"""Section pages: one form per section saved through crf.services, partial dates typed once,
errors beside their field, warnings acknowledged with a comment, stale edits shown side by
side, repeating groups added, edited and removed in place, read-only when locked."""

from __future__ import annotations

import re
from datetime import date

import pytest

from crf import access, services
from crf.codes import DatePrecision, Status
from crf.models import (
    Case,
    Demographics,
    HaematologicalDisease,
    NgsTest,
    NgsVariant,
    SledaiAssessment,
    Treatment,
)
from tests.crf.pages import HTMX, fresh, new_row_url, posted, row_url, section_url
from tests.factories import DemographicsFactory, TreatmentFactory


@pytest.fixture
def inv(client, investigator_a):
    client.force_login(investigator_a)
    return client


def demographics_post(case: Case, **changes) -> dict:
    values = {
        "sex": "female",
        "le_diagnosis_date": "2012-03",
        "last_followup_date": "2023-01-10",
        "vital_status": "alive",
    }
    return posted(case, **{**values, **changes})


def test_a_month_only_date_is_typed_once_and_stored_with_its_precision(inv, case_a):
    response = inv.post(section_url(case_a, "demographics"), demographics_post(case_a))

    assert response.status_code == 302
    demo = Demographics.objects.get(case=case_a)
    assert (demo.le_diagnosis_date, demo.le_diagnosis_date_precision) == (
        date(2012, 3, 15),
        DatePrecision.MONTH,
    )
    page = inv.get(section_url(case_a, "demographics")).content.decode()
    assert 'value="2012-03"' in page  # shown as it was entered, not as the stored 15th
    assert fresh(case_a).version == 2


def test_an_unreadable_date_names_the_field_and_the_fix_and_saves_nothing(inv, case_a):
    response = inv.post(
        section_url(case_a, "demographics"), demographics_post(case_a, le_diagnosis_date="03.2012")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert "Enter the date as YYYY-MM-DD" in page
    assert 'id="error_1_id_le_diagnosis_date"' in page  # beside its field (crispy's error id)
    assert not Demographics.objects.filter(case=case_a).exists()


def test_a_rule_error_lands_on_its_field(inv, case_a):
    response = inv.post(
        section_url(case_a, "demographics"),
        demographics_post(case_a, death_date="2020-01-01"),  # alive, yet a death date
    )

    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "Date of death 2020-01-01 is before the date of last follow-up" in page
    assert 'id="error_1_id_death_date"' in page
    assert not Demographics.objects.filter(case=case_a).exists()


def test_a_stale_edit_shows_both_versions_and_keeps_what_was_typed(inv, case_a, investigator_a):
    DemographicsFactory(case=case_a)
    stale = fresh(case_a).version
    # Someone else saves first (through the service, as their page would).
    services.section_save(
        actor=access.actor_for(investigator_a),
        case=case_a,
        model=Demographics,
        data={"sex": "female"},
        based_on=stale,
    )

    response = inv.post(
        section_url(case_a, "demographics"),
        {**demographics_post(case_a, sex="unknown"), "based_on": stale},
    )

    page = response.content.decode()
    assert "Someone else saved this section" in page
    assert "Saved by the other person" in page and "What you typed" in page
    assert "<td>Female</td><td>Unknown</td>" in page  # theirs beside mine
    assert re.search(r'value="unknown"[^>]*checked', page)  # my input kept in the form
    assert f'name="based_on" value="{fresh(case_a).version}"' in page  # ready to save again
    assert Demographics.objects.get(case=case_a).sex == "female"


def test_a_warning_is_shown_in_full_and_saved_once_acknowledged_with_a_comment(inv, case_a):
    test = NgsTest.objects.create(case=case_a, tissue="bone_marrow", result="variants")
    url = new_row_url(case_a, "ngsvariant", parent=test.pk)
    values = posted(case_a, gene="TET2", vaf="0.71", classification="pathogenic")

    first = inv.post(url, values).content.decode()

    assert "Check these warnings" in first
    assert "looks like a fraction" in first
    assert not NgsVariant.objects.exists()

    without_comment = inv.post(url, {**values, "acknowledged": "unit.vaf_fraction"})
    assert "Say why the values are right" in without_comment.content.decode()
    assert not NgsVariant.objects.exists()

    saved = inv.post(
        url,
        {**values, "acknowledged": "unit.vaf_fraction", "acknowledgement_comment": "VAF 0.71%"},
    )

    assert saved.status_code == 302
    variant = NgsVariant.objects.get()
    assert variant.test == test and variant.vaf == 0.71
    assert variant.acknowledged_warnings == {"unit.vaf_fraction": "VAF 0.71%"}


def test_after_submission_a_change_asks_for_a_reason(inv, case_a):
    DemographicsFactory(case=case_a)
    Case.objects.filter(pk=case_a.pk).update(status=Status.SUBMITTED)
    url = section_url(case_a, "demographics")

    assert "Reason for change" in inv.get(url).content.decode()
    refused = inv.post(url, demographics_post(case_a))
    assert "Give a reason for change" in refused.content.decode()
    assert Demographics.objects.get(case=case_a).sex == "male"

    saved = inv.post(url, {**demographics_post(case_a), "reason_for_change": "chart review"})
    assert saved.status_code == 302
    assert Demographics.objects.get(case=case_a).sex == "female"


def test_a_treatment_is_added_edited_and_removed_in_place(inv, case_a):
    new = inv.post(
        new_row_url(case_a, "treatment"),
        posted(
            case_a,
            agent="azacitidine",
            regimen="azacitidine",
            target="haematological",
            cycles="33",
            started_on="2019",
        ),  # fmt: skip
        **HTMX,
    )

    assert new.status_code == 200
    assert new["HX-Retarget"] == "#section-rows"
    treatment = Treatment.objects.get(case=case_a)
    assert treatment.started_on_precision == DatePrecision.YEAR
    assert "Azacitidine" in new.content.decode()
    assert "Saved: treatment." in new.content.decode()  # out-of-band message

    edit = inv.get(row_url(case_a, "treatment", treatment.pk), **HTMX)
    assert edit.templates[0].name == "crf/_row_form.html"  # a fragment, not a page
    assert edit.content.decode().count("autofocus") == 1  # the keyboard goes into the form
    inv.post(
        row_url(case_a, "treatment", treatment.pk),
        posted(
            case_a, agent="azacitidine", regimen="azacitidine", target="haematological", cycles="34"
        ),
        **HTMX,
    )
    treatment.refresh_from_db()
    assert treatment.cycles == 34 and treatment.started_on is None

    removed = inv.post(
        row_url(case_a, "treatment", treatment.pk, "row_delete"), posted(case_a), **HTMX
    )
    assert removed["HX-Retarget"] == "#section-rows"
    assert not Treatment.objects.filter(case=case_a).exists()


def test_a_link_between_rows_is_chosen_by_what_a_person_recognises(inv, case_a):
    treatment = TreatmentFactory(case=case_a, agent="azacitidine", started_on=date(2019, 3, 1))
    sledai = SledaiAssessment.objects.create(
        case=case_a, context="le_diagnosis", assessed_on=date(2019, 2, 1)
    )

    page = inv.get(new_row_url(case_a, "lupusresponse", parent=treatment.pk)).content.decode()

    assert f'<option value="{sledai.pk}">At LE diagnosis, 2019-02-01</option>' in page
    assert "Azacitidine" in page  # the treatment the response is recorded against


def test_a_row_is_named_by_its_labels_in_the_reader_s_language():
    """What a person recognises a row by reads the choices' labels in the active language
    (memoised per language), a code no longer among the choices as it is stored."""
    from django.utils import translation

    from crf.sections import row_name

    treatment = Treatment(agent="oral_corticosteroids", regimen="hcq_ocs", started_on=None)
    with translation.override("en"):
        assert (
            row_name(treatment) == "Oral corticosteroids, HCQ + oral corticosteroids, date unknown"
        )
    with translation.override("fr"):
        assert row_name(treatment).startswith("Corticoïdes oraux, ")
        assert row_name(treatment).endswith(", date inconnue")
    treatment.agent = "a_retired_code"
    with translation.override("en"):
        assert row_name(treatment).startswith("a_retired_code, HCQ + oral corticosteroids")


def test_a_withdrawn_case_is_read_only(inv, case_a, investigator_a):
    DemographicsFactory(case=case_a)
    Case.objects.filter(pk=case_a.pk).update(status=Status.WITHDRAWN, withdrawn_reason="x")

    page = inv.get(section_url(case_a, "demographics")).content.decode()

    assert "Read-only" in page and 'name="based_on"' not in page
    assert '<dt class="col-sm-5">Sex</dt><dd class="col-sm-7">Male</dd>' in page
    assert (
        inv.post(section_url(case_a, "demographics"), demographics_post(case_a)).status_code == 403
    )
    assert inv.get(new_row_url(case_a, "treatment")).status_code == 403


def test_the_live_preview_says_what_a_save_would_compute(inv, case_a):
    url = f"{section_url(case_a, 'haematologicaldisease')}preview/"
    values = posted(case_a, disease="mds", hb="9.5", anc="1.2", platelets="130", bm_blasts="3")

    page = inv.post(url, values).content.decode()

    assert "IPSS-R" in page and "Cannot be computed yet" in page
    assert "cytogenetics done = yes" in page
    page = inv.post(url, {**values, "cytogenetics_done": "yes", "karyotype": "normal"}).content
    assert "points: Very low" in page.decode() or "points: Low" in page.decode()
    assert not HaematologicalDisease.objects.exists()  # a preview writes nothing


@pytest.mark.parametrize("rows", [1, 12])
def test_section_pages_run_a_bounded_number_of_queries(
    inv, case_a, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        TreatmentFactory(case=case_a)
    with django_assert_max_num_queries(12):
        assert inv.get(section_url(case_a, "treatment")).status_code == 200
    with django_assert_max_num_queries(14):
        assert (
            inv.get(row_url(case_a, "treatment", Treatment.objects.first().pk)).status_code == 200
        )
    with django_assert_max_num_queries(30):
        response = inv.post(
            new_row_url(case_a, "treatment"),
            posted(case_a, agent="azacitidine", regimen="azacitidine", target="haematological"),
            **HTMX,
        )
        assert response.status_code == 200


def test_the_owning_centre_corrects_the_identity(inv, case_a):
    response = inv.post(
        section_url(case_a, "identity"),
        posted(case_a, local_identifier="IPP-9", initials="JD", date_of_birth="1955-03-14"),
    )

    assert response.status_code == 302
    assert fresh(case_a).identity.local_identifier == "IPP-9"


def test_the_central_reviewer_writes_the_review_of_a_biopsy_only(client, central_reviewer, case_a):
    from crf.models import CentralReview
    from tests.factories import SkinBiopsyFactory

    biopsy = SkinBiopsyFactory(case=case_a)
    client.force_login(central_reviewer)

    page = client.get(section_url(case_a, "skinbiopsy")).content.decode()
    assert "Add central review" in page and "Add skin biopsy" not in page
    assert client.get(new_row_url(case_a, "skinbiopsy")).status_code == 403

    response = client.post(
        new_row_url(case_a, "centralreview", parent=biopsy.pk),
        posted(case_a, diagnosis="cle"),
    )
    assert response.status_code == 302
    assert CentralReview.objects.get().biopsy == biopsy


@pytest.mark.parametrize("rows", [1, 12])
def test_a_section_save_runs_a_bounded_number_of_queries(
    inv, case_a, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        TreatmentFactory(case=case_a)
    with django_assert_max_num_queries(22):
        response = inv.post(section_url(case_a, "demographics"), demographics_post(case_a))
    assert response.status_code == 302
    with django_assert_max_num_queries(14):
        assert inv.get(section_url(case_a, "demographics")).status_code == 200


def test_save_and_go_to_the_next_section(inv, case_a):
    response = inv.post(
        section_url(case_a, "demographics"), {**demographics_post(case_a), "then": "next"}
    )

    assert response["Location"] == section_url(case_a, "lupusprofile")
    assert Demographics.objects.filter(case=case_a).exists()


def test_a_row_still_linked_from_another_is_not_removed_and_the_page_says_why(inv, case_a):
    from crf.models import LupusResponse

    treatment = TreatmentFactory(case=case_a)
    sledai = SledaiAssessment.objects.create(case=case_a, context="follow_up")
    LupusResponse.objects.create(treatment=treatment, sledai=sledai)

    response = inv.post(
        row_url(case_a, "sledaiassessment", sledai.pk, "row_delete"), posted(case_a)
    )

    assert response.status_code == 200
    assert "This row is linked from" in response.content.decode()
    assert SledaiAssessment.objects.filter(pk=sledai.pk).exists()
