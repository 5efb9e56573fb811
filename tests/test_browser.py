"""In a real browser, as a person would: log in, read the cases, meet another centre's 404,
switch language, and find every page usable with a keyboard and accessible (axe-core).

The harness (Chromium, live server, log-in, axe, screenshots) is tests/browser.py.
"""

from __future__ import annotations

import re

import pytest

# Before its import, so that its asserts are rewritten (it is also loaded as a plugin below).
pytest.register_assert_rewrite("tests.browser")

from registry.models import User  # noqa: E402
from tests.browser import (  # noqa: E402
    BROWSER_MARKS,
    PASSWORD,
    assert_accessible,
    log_in,
    screenshot,
)

pytest_plugins = ["tests.browser"]  # its fixtures: browser, new_page, page
pytestmark = BROWSER_MARKS

LANGUAGES = {"en": "en-GB", "fr": "fr-FR"}  # our code -> the browser's Accept-Language


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@pytest.fixture
def named_investigator(investigator_a) -> User:
    investigator_a.first_name, investigator_a.last_name = "Marie", "Lambert"
    investigator_a.save(update_fields=["first_name", "last_name"])
    return investigator_a


def test_investigator_reads_own_case_and_meets_404_for_the_other_centre(
    page, investigator_a, case_a, case_b
):
    # The data exists (fixtures above) before the first click.
    identity = case_a.identity
    own, foreign = case_a.code, case_b.code

    log_in(page, "inv_a", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=own)).to_be_visible()
    expect(table).not_to_contain_text(foreign)
    assert_accessible(page)

    table.get_by_role("link", name=own).click()
    expect(page.get_by_role("heading", name=f"Case {own}")).to_be_visible()
    facts = page.get_by_role("region", name="Identity")
    expect(facts).to_contain_text(identity.local_identifier)
    expect(facts).to_contain_text(identity.initials)
    expect(facts).to_contain_text(identity.date_of_birth.isoformat())
    assert_accessible(page)

    response = page.goto(f"/cases/{foreign}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    expect(page.locator("body")).not_to_contain_text(foreign)
    assert_accessible(page)

    page.goto("/cases/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cases/$"))


def test_wrong_password_shows_the_error(page, investigator_a):
    log_in(page, "inv_a", "not-the-password")

    expect(page.get_by_role("alert")).to_have_text(
        "Your user name and password did not match. Please try again."
    )
    expect(page.get_by_label("User name")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    page.goto("/cases/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_header_names_the_user_their_centre_and_role_and_shows_only_their_work(
    page, named_investigator, statistician
):
    log_in(page, "inv_a", PASSWORD)

    header = page.get_by_role("banner")
    expect(header).to_contain_text("Marie Lambert")
    expect(header).to_contain_text("alpha – Hôpital Alpha")
    expect(header).to_contain_text("Centre investigator")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Home", "Cases", "Queries", "Import"])
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["Your cases", "What needs you", "Queries to answer"]
    )

    page.get_by_role("button", name="Log out").click()
    log_in(page, "stats", PASSWORD)
    expect(page.get_by_role("banner")).to_contain_text("Statistician")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(
        ["Home", "Exports"]
    )
    expect(page.get_by_role("heading", level=2)).to_have_text(["Exports"])


def test_keyboard_alone_reaches_the_content_first(page, investigator_a):
    log_in(page, "inv_a", PASSWORD)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("main").locator("a, button, input, select, textarea").first).to_be_focused()


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_and_home_are_accessible_in_each_language(
    new_page, language, named_investigator, coordinator, registry_admin
):
    page = new_page(locale=LANGUAGES[language])

    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
    screenshot(page, "login")

    for username, name in (("inv_a", "home-investigator"), ("coord", "home-coordinator")):
        log_in(page, username, PASSWORD)
        expect(page).to_have_url(re.compile(r"/$"))
        assert_accessible(page)
        screenshot(page, name)
        page.locator("header form[action$='/accounts/logout/'] button").click()

    log_in(page, "radmin", PASSWORD)
    assert_accessible(page)
    screenshot(page, "home-registry-admin")


def test_language_switch_on_the_login_page_stays_after_log_in(new_page, investigator_a):
    page = new_page(locale="en-GB")
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    page.get_by_role("button", name="Français").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    expect(page.get_by_label("Identifiant")).to_be_visible()
    expect(page.get_by_label("Mot de passe")).to_be_visible()
    log_in(page, "inv_a", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, inv_a")
    nav = page.get_by_role("navigation", name="Menu principal")
    nav.get_by_role("link", name="Dossiers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")
    assert User.objects.get(username="inv_a").language == "fr"

    # Saved on the user: French in another browser that asks for English.
    elsewhere = new_page(locale="en-GB")
    log_in(elsewhere, "inv_a", PASSWORD)
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Bienvenue, inv_a")

    elsewhere.get_by_role("button", name="English").click()
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Welcome, inv_a")
    assert User.objects.get(username="inv_a").language == "en"
