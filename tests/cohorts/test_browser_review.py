"""In Chromium, the coordinators' workflow as people do it: a coordinator raises a query on a
field from the case review, the centre's investigator finds it on the home page and answers
it by correcting the value, a central reviewer records a reclassification, the coordinator
closes the query, verifies and locks the case, and the investigator can no longer edit it.

The investigator answers in the query thread (the section forms are the investigators'
pages, extended by the lead once merged)."""

from __future__ import annotations

import re

import pytest

pytest.register_assert_rewrite("tests.browser")

from crf import access  # noqa: E402
from crf.models import Case, Demographics  # noqa: E402
from crf.services import section_save  # noqa: E402
from tests.browser import BROWSER_MARKS, PASSWORD, assert_accessible, log_in, screenshot  # noqa: E402
from tests.factories import SkinBiopsyFactory  # noqa: E402

pytest_plugins = ["tests.browser"]
pytestmark = BROWSER_MARKS


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@pytest.fixture
def submitted_case(investigator_a, case_a):
    section_save(actor=access.actor_for(investigator_a), case=case_a, model=Demographics,
                 data={"sex": "female", "le_diagnosis_date": "2019-03-01"},
                 based_on=case_a.version)  # fmt: skip
    SkinBiopsyFactory(case=case_a, local_diagnosis="cle")
    Case.objects.filter(pk=case_a.pk).update(status="submitted")
    case_a.refresh_from_db()
    return case_a


def test_query_answer_reclassify_close_verify_lock(
    new_page, coordinator, investigator_a, central_reviewer, submitted_case
):
    code = submitted_case.code
    coord = new_page()
    log_in(coord, "coord", PASSWORD)
    expect(coord.get_by_role("link", name=f"Review case {code}")).to_be_visible()
    coord.get_by_role("link", name=f"Review case {code}").click()
    expect(coord.get_by_role("heading", name=f"Review of case {code}")).to_be_visible()
    assert_accessible(coord)
    screenshot(coord, "case_review")

    # A query on one field, from the value the criterion rests on.
    coord.get_by_role("link", name="Query date of LE diagnosis").first.click()
    expect(coord.locator("#query-value")).to_have_text("2019-03-01")
    coord.get_by_label("What should the centre check?").fill(
        "The letter says April 2019: please check the date of LE diagnosis."
    )
    coord.get_by_role("button", name="Raise the query").click()
    expect(coord.locator("#query-status")).to_have_text("Open")
    query_url = coord.url
    assert_accessible(coord)

    # The investigator sees it on the home page and corrects the value in the thread.
    inv = new_page()
    log_in(inv, "inv_a", PASSWORD)
    queries = inv.get_by_role("region", name="Queries to answer")
    queries.get_by_role("link", name=re.compile(f"on case {code}")).click()
    expect(inv.get_by_text("The letter says April 2019")).to_be_visible()
    assert_accessible(inv)
    inv.get_by_label("Your answer").fill("Checked against the letter: corrected.")
    inv.get_by_label(re.compile("Corrected value")).fill("2019-04-01")
    inv.get_by_role("button", name="Send the answer").click()
    expect(inv.locator("#query-status")).to_have_text("Answered")
    expect(inv.get_by_text("Value corrected")).to_contain_text("2019-03-01 → 2019-04-01")
    screenshot(inv, "query_thread")

    # The central reviewer reclassifies the skin biopsy.
    patho = new_page()
    log_in(patho, "patho", PASSWORD)
    patho.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Central pathology"
    ).click()
    assert_accessible(patho)
    patho.get_by_role("link", name=f"Review the biopsy of {code}").click()
    patho.get_by_label("Central diagnosis", exact=True).select_option("mds_cmml_cutis")
    patho.get_by_label("Reason for change").fill("Central review of the slides")
    patho.get_by_role("button", name="Save the central review").click()
    expect(patho.locator("#central-diagnosis")).to_contain_text("MDS/CMML cutis")
    expect(patho.locator("#central-diagnosis")).to_contain_text("Reclassified")
    assert_accessible(patho)

    # The coordinator closes the query, verifies and locks.
    coord.goto(query_url)
    coord.get_by_role("button", name="Close the query").click()
    expect(coord.locator("#query-status")).to_have_text("Closed")
    coord.get_by_role("link", name="Open the case review").click()
    pathology = coord.get_by_role("region", name="Central pathology")
    expect(pathology).to_contain_text("MDS/CMML cutis")
    expect(pathology).to_contain_text("Reclassified")
    coord.get_by_role("button", name="Verify").click()
    expect(coord.locator("#case-status")).to_have_text("Verified")
    coord.get_by_role("button", name="Lock").click()
    expect(coord.locator("#case-status")).to_have_text("Locked")
    assert_accessible(coord)

    # Locked: the investigator can no longer change the case.
    submitted_case.refresh_from_db()
    assert (
        Demographics.objects.get(case=submitted_case).le_diagnosis_date.isoformat() == "2019-04-01"
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        section_save(actor=access.actor_for(investigator_a), case=submitted_case,
                     model=Demographics, data={"sex": "male"},
                     based_on=submitted_case.version, reason="late change")  # fmt: skip
    inv.goto(query_url)
    expect(inv.get_by_role("button", name="Send the answer")).to_have_count(0)


def test_dashboard_is_accessible(page, coordinator, submitted_case):
    log_in(page, "coord", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Coordination dashboard")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts").click()
    assert_accessible(page)
