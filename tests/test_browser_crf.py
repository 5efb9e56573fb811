"""In Chromium, as an investigator would: create a case, fill demographics with a date known
only to the month, add an NGS test and its variant in place, read and acknowledge a unit
warning, then find it all on the overview and in the history. Every page is checked with
axe-core and photographed (var/screenshots/en/)."""

from __future__ import annotations

import re

import pytest

pytest.register_assert_rewrite("tests.browser")

from crf.models import Case, NgsVariant  # noqa: E402
from tests.browser import (  # noqa: E402
    BROWSER_MARKS,
    PASSWORD,
    assert_accessible,
    log_in,
    screenshot,
)

pytest_plugins = ["tests.browser"]
pytestmark = BROWSER_MARKS


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def test_investigator_enters_a_case_and_acknowledges_a_warning(page, investigator_a):
    log_in(page, "inv_a", PASSWORD)
    page.get_by_role("link", name="New case").click()
    expect(page.get_by_role("heading", name="New case", level=1)).to_be_visible()
    page.get_by_label("Case: MDS/CMML-associated LE").check()
    page.get_by_label("Local hospital identifier").fill("IPP-T2-3")
    page.get_by_label("Initials").fill("PT")
    page.get_by_label("Date of birth").fill("1948-02-11")
    page.get_by_label("Non-opposition / consent recorded").select_option(label="Yes")
    page.get_by_label("Date of non-opposition / consent").fill("2023-09-01")
    page.get_by_role("button", name="Create the case").click()

    case = Case.objects.get()
    expect(page.get_by_role("heading", name=f"Case {case.code}")).to_be_visible()
    expect(page.get_by_role("region", name="Identity")).to_contain_text("IPP-T2-3")

    # Demographics: the LE diagnosis known to the month only.
    page.get_by_role("link", name="1. Demographics and follow-up").first.click()
    page.get_by_role("group", name="Sex").get_by_label("Male", exact=True).check()  # one click
    page.get_by_label("Date of LE diagnosis").fill("2016-04")
    page.get_by_label("Date of last follow-up").fill("2023-06-30")
    page.get_by_role("group", name="Vital status").get_by_label("Alive").check()
    live = page.get_by_role("region", name="Computed as you type")
    expect(live).to_contain_text("approximate")
    assert_accessible(page)
    screenshot(page, "section-demographics")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(page.get_by_label("Date of LE diagnosis")).to_have_value("2016-04")

    # A repeating group, in place: an NGS test, then its variant.
    page.get_by_role("navigation", name="Sections of the case").get_by_role(
        "link", name="6. Next-generation sequencing"
    ).click()
    page.get_by_role("link", name="Add NGS test").click()
    form = page.locator("form.registry-row-form")
    form.get_by_label("Sample date").fill("2019-05")
    form.get_by_role("group", name="Tissue").get_by_label("Bone marrow").check()
    form.get_by_role("group", name="Result").get_by_label("Variant(s) found").check()
    form.get_by_role("button", name="Save").click()
    test_row = page.get_by_role("article").filter(has_text="Bone marrow")
    expect(test_row).to_contain_text("2019-05")
    assert page.url.endswith("/s/ngstest/")  # saved in place, no page change

    test_row.get_by_role("link", name="Add NGS variant").click()
    form = page.locator("form.registry-row-form")
    form.get_by_label("Gene (HGNC symbol)").fill("TET2")
    form.get_by_label("VAF", exact=True).fill("0.71")
    form.get_by_role("group", name="Classification").get_by_label("Pathogenic", exact=True).check()
    form.get_by_role("button", name="Save").click()

    warning = page.get_by_role("group", name="Check these warnings")
    expect(warning).to_contain_text("looks like a fraction")
    assert_accessible(page)
    screenshot(page, "section-warning")
    warning.get_by_role("checkbox").check()
    warning.get_by_label("Comment on the warnings").fill("VAF 0.71% on the report")
    page.locator("form.registry-row-form").get_by_role("button", name="Save").click()
    expect(test_row).to_contain_text("TET2")
    assert NgsVariant.objects.get().acknowledged_warnings == {
        "unit.vaf_fraction": "VAF 0.71% on the report"
    }

    # The overview: every section, the computed values in words, no warning left.
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Computed values")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Cannot be computed yet — missing:")
    expect(page.locator("main")).to_contain_text("None: every warning is confirmed")
    assert_accessible(page)
    screenshot(page, "overview")

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("History of case"))
    expect(page.locator("main")).to_contain_text("VAF 0.71% on the report")
    assert_accessible(page)
    screenshot(page, "history")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("table").get_by_role("link", name=case.code)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "case-list")

    # The same pages in French (var/screenshots/fr/), for whoever checks the translations.
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    for name, path in (
        ("case-list", "/cases/"),
        ("overview", f"/cases/{case.code}/"),
        ("section-demographics", f"/cases/{case.code}/s/demographics/"),
        ("history", f"/cases/{case.code}/history/"),
    ):
        page.goto(path)
        assert_accessible(page)
        screenshot(page, name)


def test_two_people_edit_one_section_and_nothing_is_lost(new_page, investigator_a, case_a):
    from tests.factories import DemographicsFactory

    DemographicsFactory(case=case_a)
    url = f"/cases/{case_a.code}/s/demographics/"
    first, second = new_page(), new_page()
    for page in (first, second):
        log_in(page, "inv_a", PASSWORD)
        page.goto(url)

    first.get_by_role("group", name="Sex").get_by_label("Female").check()
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.get_by_role("status").filter(has_text="Saved")).to_be_visible()

    second.get_by_role("group", name="Sex").get_by_label("Unknown").check()
    second.get_by_role("button", name="Save", exact=True).click()

    conflict = second.get_by_role("alert").filter(has_text="Someone else saved this section")
    expect(conflict.get_by_role("row", name="Sex")).to_contain_text("Female")
    expect(conflict.get_by_role("row", name="Sex")).to_contain_text("Unknown")
    expect(second.get_by_role("group", name="Sex").get_by_label("Unknown")).to_be_checked()
    assert_accessible(second)
    screenshot(second, "section-conflict")

    second.get_by_role("button", name="Save", exact=True).click()  # after reading theirs
    expect(second.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(second.get_by_role("group", name="Sex").get_by_label("Unknown")).to_be_checked()
