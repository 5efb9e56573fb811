"""In a real browser: an investigator creates an API token (shown once) and revokes it,
then imports a sheet (check, then confirm); the API documentation page runs under the CSP."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.browser")

from crf.models import Demographics  # noqa: E402
from exports.imports.columns import column_names  # noqa: E402
from registry.models import ApiToken  # noqa: E402
from tests.browser import BROWSER_MARKS, PASSWORD, assert_accessible, log_in, screenshot  # noqa: E402

pytest_plugins = ["tests.browser"]
pytestmark = BROWSER_MARKS


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def test_investigator_creates_sees_once_and_revokes_a_token(page, investigator_a):
    log_in(page, "inv_a", PASSWORD)
    page.get_by_role("banner").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Name").fill("nightly sync")
    page.get_by_label("Scope").select_option("read_write")
    page.get_by_role("button", name="Create the token").click()
    shown = page.locator("#new-token code").first.inner_text()
    assert shown.startswith("rgt_")
    assert_accessible(page)
    screenshot(page, "api_token_created")

    page.reload()  # a new GET: the token is not shown again
    expect(page.locator("main")).not_to_contain_text(shown)
    page.get_by_role("button", name='Revoke "nightly sync"').click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "revoked"
    )
    assert ApiToken.objects.get().revoked_at is not None


def test_investigator_imports_a_sheet_after_checking_it(
    page, investigator_a, case_a, tmp_path, settings
):
    settings.REGISTRY_IMPORT_ROOT = tmp_path / "uploads"
    header = column_names(Demographics)
    row = {name: "" for name in header} | {"case_code": case_a.code, "sex": "female"}
    sheet = tmp_path / "demographics.csv"
    sheet.write_text(",".join(header) + "\n" + ",".join(row[h] for h in header) + "\n")

    log_in(page, "inv_a", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import a spreadsheet")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Section").select_option("demographics")
    page.get_by_label("File (XLSX or CSV)").set_input_files(str(sheet))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Import: what it would do")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 to create")
    assert_accessible(page)
    screenshot(page, "import_report")
    assert not Demographics.objects.exists()
    page.get_by_role("button", name="Import the 1 rows").click()
    expect(page.locator("#messages")).to_contain_text("1 rows created")
    assert Demographics.objects.get().sex == "female"


def test_the_api_documentation_runs_under_the_csp(page, investigator_a):
    log_in(page, "inv_a", PASSWORD)
    page.goto("/api/docs/")
    expect(page.get_by_text("/api/v1/cases/", exact=True).first).to_be_visible()
