"""Patient 3 of the manuscript's Table 2 entered through the pages, as an investigator would
post them: MDS-IB1 with del(5q), TET2 71% and ASXL1 6% in the marrow, 33 cycles of
azacitidine with a partial haematological response, lupus in complete remission; the MDS
diagnosis known to the month only. The overview then says the computed values in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crf.codes import SledaiItem
from crf.models import HaematologicalDisease, NgsTest, NgsVariant, SledaiAssessment, Treatment
from tests.crf.pages import HTMX, new_row_url, posted, section_url


@pytest.fixture
def inv(client, investigator_a):
    client.force_login(investigator_a)
    return client


def ok(response) -> None:
    form = response.context.get("form") if response.context else None
    assert response.status_code in (200, 302), response.status_code
    assert form is None or not form.errors, form.errors


def test_patient_3_of_table_2_through_the_pages(inv, case_a):
    code = case_a.code
    ok(inv.post(
        section_url(case_a, "demographics"),
        posted(case_a, sex="female", le_diagnosis_date="2015-09-02",
               last_followup_date="2022-11-30", vital_status="alive"),
    ))  # fmt: skip
    ok(inv.post(
        section_url(case_a, "haematologicaldisease"),
        posted(
            case_a, disease="mds", diagnosis_date="2017-03", who2022_recorded="mds_ib1",
            hb="9.1", anc="1.4", platelets="88", pb_blasts="1", bm_blasts="7",
            dysgranulopoiesis="yes", dyserythropoiesis="yes", dysmegakaryopoiesis="no",
            cytogenetics_done="yes", karyotype="abnormal", del5q="on", abnormality_count="1",
            therapy_related="no", vexas_documented="no",
        ),
    ))  # fmt: skip
    haem = HaematologicalDisease.objects.get(case=case_a)
    assert haem.diagnosis_date_precision == "month"

    ok(inv.post(
        new_row_url(case_a, "ngstest"),
        posted(case_a, tissue="bone_marrow", result="variants", sampled_on="2017-03"),
        **HTMX,
    ))  # fmt: skip
    test = NgsTest.objects.get(case=case_a)
    for gene, vaf in (("TET2", "71"), ("ASXL1", "6")):
        ok(inv.post(
            new_row_url(case_a, "ngsvariant", parent=test.pk),
            posted(case_a, gene=gene, vaf=vaf, classification="pathogenic"),
            **HTMX,
        ))  # fmt: skip
    assert sorted(NgsVariant.objects.values_list("gene", "vaf")) == [
        ("ASXL1", 6.0),
        ("TET2", 71.0),
    ]

    ok(inv.post(
        new_row_url(case_a, "treatment"),
        posted(case_a, agent="azacitidine", regimen="azacitidine", target="haematological",
               cycles="33", started_on="2017-05"),
        **HTMX,
    ))  # fmt: skip
    treatment = Treatment.objects.get(case=case_a)
    ok(inv.post(
        new_row_url(case_a, "haematologicalresponse", parent=treatment.pk),
        posted(case_a, criteria="iwg_2006", category="partial_response"),
        **HTMX,
    ))  # fmt: skip
    quiet = {item: "no" for item in SledaiItem}
    ok(inv.post(
        new_row_url(case_a, "sledaiassessment"),
        posted(case_a, context="response", assessed_on="2019-06-01", **quiet),
        **HTMX,
    ))  # fmt: skip
    sledai = SledaiAssessment.objects.get(case=case_a)
    ok(inv.post(
        new_row_url(case_a, "lupusresponse", parent=treatment.pk),
        posted(case_a, recorded="complete_response", assessed_on="2019-06", sledai=sledai.pk),
        **HTMX,
    ))  # fmt: skip

    page = inv.get(reverse("crf:case_detail", args=[code])).content.decode()

    haem.refresh_from_db()
    assert haem.ipssr_score is not None
    assert f"{haem.ipssr_score:g} points:" in page  # IPSS-R in words, with its category
    assert "computed MDS-IB1" in page  # WHO 2022, computed beside the recorded MDS-IB1
    assert "Lupus response to Azacitidine" in page
    assert "derived Complete response (SLEDAI-2K = 0)" in page and "same as recorded" in page
    assert "approximate" in page  # the MDS diagnosis is known to the month only
    assert "SLEDAI-2K, Response assessment, 2019-06-01" in page
