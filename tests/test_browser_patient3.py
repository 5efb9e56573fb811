"""In Chromium, as an investigator would: enter patient 3 of the manuscript's Table 2 (MDS-IB1,
del(5q), TET2 71% and ASXL1 6%, 33 cycles of azacitidine, partial haematological response,
lupus in complete remission) through every required section of the pages, with the MDS
diagnosis known to the month only; meet a validation error and a unit warning on the way;
submit; read the computed values on the overview, in English then in French; and get a 404
for another centre's case. axe-core checks every section form visited."""

from __future__ import annotations

import re

import pytest

pytest.register_assert_rewrite("tests.browser")

from crf.models import Case, HaematologicalDisease, NgsVariant  # noqa: E402
from tests.browser import (  # noqa: E402
    BROWSER_MARKS,
    PASSWORD,
    assert_accessible,
    log_in,
    screenshot,
)

pytest_plugins = ["tests.browser"]
pytestmark = BROWSER_MARKS

# What a person ticks for every question the chart answers in the negative.
NEGATIVE = ("No", "Negative", "None", "Absent")


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def open_section(page, slug: str) -> None:
    # From the overview's section list or a section page's navigation, whichever is shown.
    page.locator(f"a[href$='/s/{slug}/']").first.click()
    page.wait_for_load_state()


def answer_the_rest(form) -> None:
    """Give the negative answer to every question still unanswered (the chart says no)."""
    groups = form.locator("[role=group]:has(input[type=radio]), fieldset:has(input[type=radio])")
    for i in range(groups.count()):
        group = groups.nth(i)
        if group.locator("input[type=radio]:checked:not([value=''])").count():
            continue
        for label in NEGATIVE:
            option = group.get_by_label(label, exact=True)
            if option.count():
                option.first.check()
                break
    selects = form.locator("select")
    for i in range(selects.count()):
        select = selects.nth(i)
        if select.input_value() or (select.get_attribute("name") or "").endswith("_missing"):
            continue
        offered = [text.strip() for text in select.locator("option").all_inner_texts()]
        for label in NEGATIVE:
            if label in offered:
                select.select_option(label=label)
                break


def save_section(page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()


def save_row(page) -> None:
    form = page.locator("form.registry-row-form")
    form.get_by_role("button", name="Save").click()
    expect(form).to_have_count(0)  # saved in place: the form gives way to the row


def test_investigator_enters_patient_3_of_table_2(page, investigator_a, case_b):
    log_in(page, "inv_a", PASSWORD)
    page.get_by_role("link", name="New case").click()
    page.get_by_label("Case: MDS/CMML-associated LE").check()
    page.get_by_label("Local hospital identifier").fill("IPP-P3")
    page.get_by_label("Initials").fill("PT")
    page.get_by_label("Date of birth").fill("1945-03-14")
    page.get_by_label("Non-opposition / consent recorded").select_option(label="Yes")
    page.get_by_label("Date of non-opposition / consent").fill("2022-01-10")
    page.get_by_role("button", name="Create the case").click()
    case = Case.objects.exclude(pk=case_b.pk).get()
    expect(page.get_by_role("heading", name=f"Case {case.code}")).to_be_visible()

    # 1. Demographics.
    open_section(page, "demographics")
    page.get_by_role("group", name="Sex").get_by_label("Female", exact=True).check()
    page.get_by_label("Date of LE diagnosis").fill("2015-09-02")
    page.get_by_label("Date of last follow-up").fill("2022-11-30")
    page.get_by_role("group", name="Vital status").get_by_label("Alive").check()
    assert_accessible(page)
    save_section(page)

    # 2–3. Lupus profile and classification criteria: SLE, the rest negative.
    open_section(page, "lupusprofile")
    form = page.locator("main form").first
    form.get_by_label("Systemic lupus erythematosus").check()
    answer_the_rest(form)
    assert_accessible(page)
    save_section(page)
    for slug in ("slicccriteria", "eularacrcriteria"):
        open_section(page, slug)
        answer_the_rest(page.locator("main form").first)
        assert_accessible(page)
        save_section(page)

    # 4. Serology.
    open_section(page, "serologypanel")
    page.get_by_role("link", name="Add serology panel").click()
    form = page.locator("form.registry-row-form")
    form.get_by_label("Sample date").fill("2015-09-02")
    form.get_by_label("At LE diagnosis").check()
    form.get_by_role("group", name="ANA", exact=True).get_by_label("Positive").check()
    form.get_by_role("group", name="ANA titre (reciprocal)").get_by_label("1:640").check()
    form.get_by_label("C3", exact=True).fill("0.95")
    form.get_by_label("C4", exact=True).fill("0.18")
    answer_the_rest(form)
    assert_accessible(page)
    save_row(page)

    # 5. SLEDAI-2K at LE diagnosis, and the one that will judge the lupus response.
    open_section(page, "sledaiassessment")
    for context, day in (("At LE diagnosis", "2015-09-02"), ("Response assessment", "2019-06-01")):
        page.get_by_role("link", name="Add SLEDAI-2K assessment").click()
        form = page.locator("form.registry-row-form")
        form.get_by_role("group", name="Context").get_by_label(context).check()
        form.get_by_label("Assessment date").fill(day)
        answer_the_rest(form)
        assert_accessible(page)
        save_row(page)

    # 6. The MDS: first a haemoglobin typed in g/L, which the registry refuses and explains.
    open_section(page, "haematologicaldisease")
    form = page.locator("main form").first
    form.get_by_role("group", name="Disease", exact=True).get_by_label("MDS", exact=True).check()
    form.get_by_label("Date of MDS/CMML diagnosis").fill("2017-03")
    form.get_by_label("WHO 2022, as recorded").select_option(label="MDS-IB1")
    form.get_by_label("Haemoglobin", exact=True).fill("91")
    form.get_by_label("Neutrophils (ANC)", exact=True).fill("1.4")
    form.get_by_label("Platelets", exact=True).fill("88")
    form.get_by_label("Marrow blasts", exact=True).fill("6")
    form.get_by_role("group", name="Dysgranulopoiesis").get_by_label("Yes").check()
    form.get_by_role("group", name="Dyserythropoiesis").get_by_label("Yes").check()
    form.get_by_role("group", name="Cytogenetics done").get_by_label("Yes").check()
    form.get_by_role("group", name="Karyotype", exact=True).get_by_label("Abnormal").check()
    form.get_by_label("Del(5q)", exact=True).check()
    form.get_by_label("Number of abnormalities").fill("1")
    answer_the_rest(form)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Nothing was saved")).to_be_visible()
    expect(page.locator("main form")).to_contain_text("it looks like g/L — enter 9.1")
    assert_accessible(page)
    screenshot(page, "patient3-unit-error")
    page.get_by_label("Haemoglobin", exact=True).fill("9.1")
    save_section(page)
    expect(page.get_by_label("Date of MDS/CMML diagnosis")).to_have_value("2017-03")
    haem = HaematologicalDisease.objects.get(case=case)
    assert (haem.hb, haem.diagnosis_date_precision) == (9.1, "month")

    # 7. NGS on the marrow: TET2 71%, ASXL1 6%, and a low-level DNMT3A the report gives as
    # 0.8%, which the registry takes for a fraction until the investigator confirms it.
    open_section(page, "ngstest")
    page.get_by_role("link", name="Add NGS test").click()
    form = page.locator("form.registry-row-form")
    form.get_by_label("Sample date").fill("2017-03")
    form.get_by_role("group", name="Tissue").get_by_label("Bone marrow").check()
    form.get_by_role("group", name="Result").get_by_label("Variant(s) found").check()
    assert_accessible(page)
    save_row(page)
    test_row = page.get_by_role("article").filter(has_text="Bone marrow")
    for gene, vaf in (("TET2", "71"), ("ASXL1", "6"), ("DNMT3A", "0.8")):
        test_row.get_by_role("link", name="Add NGS variant").click()
        form = page.locator("form.registry-row-form")
        form.get_by_label("Gene (HGNC symbol)").fill(gene)
        form.get_by_label("VAF", exact=True).fill(vaf)
        form.get_by_role("group", name="Classification").get_by_label(
            "Pathogenic", exact=True
        ).check()
        form.get_by_role("button", name="Save").click()
        if gene == "DNMT3A":
            warning = page.get_by_role("group", name="Check these warnings")
            expect(warning).to_contain_text("looks like a fraction")
            assert_accessible(page)
            screenshot(page, "patient3-unit-warning")
            warning.get_by_role("checkbox").check()
            warning.get_by_label("Comment on the warnings").fill("0.8% on the NGS report")
            form.get_by_role("button", name="Save").click()
        expect(form).to_have_count(0)
        expect(test_row).to_contain_text(gene)
    assert sorted(NgsVariant.objects.values_list("gene", "vaf")) == [
        ("ASXL1", 6.0),
        ("DNMT3A", 0.8),
        ("TET2", 71.0),
    ]
    confirmed = NgsVariant.objects.get(gene="DNMT3A").acknowledged_warnings
    assert confirmed == {"unit.vaf_fraction": "0.8% on the NGS report"}

    # 8. Azacitidine, 33 cycles, its haematological and lupus responses.
    open_section(page, "treatment")
    page.get_by_role("link", name="Add treatment").click()
    form = page.locator("form.registry-row-form")
    form.get_by_label("Agent", exact=True).select_option(label="Azacitidine")
    form.get_by_label("Regimen (treatment strategy)").select_option(label="Azacitidine")
    form.get_by_role("group", name="Target").get_by_label("Haematological disease").check()
    form.get_by_label("Number of cycles").fill("33")
    form.get_by_label("Start date").fill("2017-05")
    assert_accessible(page)
    save_row(page)
    treatment_row = page.get_by_role("article").filter(has_text="Azacitidine")
    treatment_row.get_by_role("link", name="Add haematological response").click()
    form = page.locator("form.registry-row-form")
    form.get_by_role("group", name="IWG criteria version").get_by_label("IWG 2006").check()
    form.get_by_label("Category").select_option(label="Partial response")
    save_row(page)
    treatment_row.get_by_role("link", name="Add lupus response").click()
    form = page.locator("form.registry-row-form")
    form.get_by_label("Complete response (SLEDAI-2K = 0)").check()
    form.get_by_label("Assessment date").fill("2019-06")
    sledai = form.get_by_label("SLEDAI-2K assessment")
    sledai.select_option(sledai.locator("option", has_text="2019-06-01").get_attribute("value"))
    save_row(page)

    # Submit, then read what the registry computed.
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status").filter(has_text="is submitted")).to_be_visible()
    case.refresh_from_db()
    assert case.status == "submitted"
    haem.refresh_from_db()
    main = page.locator("main")
    expect(main).to_contain_text(f"{haem.ipssr_score:g} points:")  # IPSS-R, with its category
    expect(main).to_contain_text("computed MDS-IB1")  # WHO 2022, beside the recorded one
    expect(main).to_contain_text("derived Complete response (SLEDAI-2K = 0)")
    expect(main).to_contain_text("same as recorded")  # the lupus response, as derived
    expect(main).to_contain_text("approximate")  # the MDS diagnosis, known to the month
    expect(main).to_contain_text("None: every warning is confirmed")
    assert_accessible(page)
    screenshot(page, "patient3-overview")

    # The same overview in French.
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Valeurs calculées")).to_be_visible()
    score = re.escape(f"{haem.ipssr_score:g}").replace(r"\.", "[.,]")  # either decimal mark
    expect(main).to_contain_text(re.compile(score + r" points\s?: .+groupe cytogénétique"))
    screenshot(page, "patient3-overview")

    # Another centre's case, typed in the address bar: a 404 like a case that never was.
    foreign = page.goto(f"/cases/{case_b.code}/")
    assert foreign is not None and foreign.status == 404
    foreign_page = page.locator("main").inner_text()
    missing = page.goto("/cases/LE-0000000/")
    assert missing is not None and missing.status == 404
    assert page.locator("main").inner_text() == foreign_page
    assert case_b.code not in page.content()
