"""In a real browser, as a person would: log in, read the cases, meet another centre's 404.

Debian's Chromium at /usr/bin/chromium, driven by Playwright's sync API; no browser is ever
downloaded. One browser per module, one fresh context (cookies) per test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "registry-test"  # tests.factories.UserFactory

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread: it must see committed rows.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (make browser)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop running in this thread while the browser
        # lives, and Django then refuses ORM calls here; transactional_db flushes the tables
        # after each test while this module's browser is still up. Nothing runs concurrently.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("User name").press_sequentially(username)
    page.get_by_label("Password").press_sequentially(password)
    page.get_by_role("button", name="Log in").click()


def test_investigator_reads_own_case_and_meets_404_for_the_other_centre(
    page, investigator_a, case_a, case_b
):
    from playwright.sync_api import expect

    # The data exists (fixtures above) before the first click.
    identity = case_a.identity
    own, foreign = case_a.code, case_b.code

    log_in(page, "inv_a", PASSWORD)

    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=own)).to_be_visible()
    expect(table).not_to_contain_text(foreign)

    table.get_by_role("link", name=own).click()
    expect(page.get_by_role("heading", name=f"Case {own}")).to_be_visible()
    facts = page.get_by_role("region", name="Identity")
    expect(facts).to_contain_text(identity.local_identifier)
    expect(facts).to_contain_text(identity.initials)
    expect(facts).to_contain_text(identity.date_of_birth.isoformat())

    response = page.goto(f"/cases/{foreign}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text("Not Found")
    expect(page.locator("body")).not_to_contain_text(foreign)

    page.goto("/cases/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cases/$"))


def test_wrong_password_shows_the_error(page, investigator_a):
    from playwright.sync_api import expect

    log_in(page, "inv_a", "not-the-password")

    expect(page.get_by_role("alert")).to_have_text(
        "Your user name and password did not match. Please try again."
    )
    expect(page.get_by_label("User name")).to_be_visible()
    page.goto("/cases/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
