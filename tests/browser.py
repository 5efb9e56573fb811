"""Browser harness: Playwright's sync API on Debian's Chromium, against pytest-django's live server.

Use it from a test module:

    pytest.register_assert_rewrite("tests.browser")  # before the import below
    from tests.browser import BROWSER_MARKS, PASSWORD, assert_accessible, log_in, screenshot

    pytest_plugins = ["tests.browser"]  # the fixtures: browser, new_page, page
    pytestmark = BROWSER_MARKS

    def test_something(page, investigator_a):
        log_in(page, "inv_a", PASSWORD)
        assert_accessible(page)
        screenshot(page, "home")

- `browser`: one headless /usr/bin/chromium per module (never a downloaded browser).
- `page`: a fresh context (cookies) per test, 1366x768, English browser; `new_page(locale=...)`
  opens more (another language, another person). Every page fails its test on a
  Content-Security-Policy violation or an uncaught JavaScript error.
- `log_in(page, username, password)`: through the login form, in any language.
- `axe(page)`: axe-core's violations (axe is served to the page from tests/vendor, same
  origin, so the CSP allows it); `assert_accessible(page)` fails on serious or critical ones.
- `screenshot(page, name)`: var/screenshots/<page language>/<name>.png (git-ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "registry-test"  # tests.factories.UserFactory
AXE_JS = ROOT / "tests" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
AXE_URL = "/__tests__/axe.min.js"  # answered by the harness, never by Django
SCREENSHOTS = ROOT / "var" / "screenshots"
FAILING_IMPACTS = ("serious", "critical")

BROWSER_MARKS = [
    pytest.mark.browser,
    # The live server runs in another thread: it must see committed rows.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (make browser)"),
]


def compile_translations() -> None:
    """Compile the French catalogues when a .mo is missing or older than its .po.

    `make test` compiles them already; this keeps a bare `pytest tests/test_browser.py` honest.
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.utils.translation import reloader

    stale = [
        po
        for locale in settings.LOCALE_PATHS
        for po in Path(locale).glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", locale=["fr"], ignore_patterns=[".venv"], verbosity=0)
        # Drop the catalogues this process already loaded (Django's own reload hook).
        reloader.translation_file_changed(sender=None, file_path=stale[0].with_suffix(".mo"))


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    compile_translations()
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
def new_page(browser, live_server) -> Iterator[Callable]:
    """`new_page(locale="fr-FR")`: a page in a context of its own (own cookies, own language)."""
    contexts, problems = [], []

    def open_page(locale: str = "en-GB"):
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(10_000)
        context.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE_JS))
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: _note_console(msg, problems))
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems == [], "the pages reported problems:\n" + "\n".join(problems)


def _note_console(message, problems: list[str]) -> None:
    # Chromium reports CSP refusals (inline script or style, foreign origin) on the console.
    if message.type == "error" and "Content Security Policy" in message.text:
        problems.append(f"CSP violation: {message.text}")


@pytest.fixture
def page(new_page):
    """A page in an English-speaking browser (Accept-Language: en-GB)."""
    return new_page()


def log_in(page, username: str, password: str) -> None:
    """Sign in through the login form, whatever the page's language."""
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.locator("#id_username").press_sequentially(username)
    form.locator("#id_password").press_sequentially(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def axe(page, *, options: dict | None = None) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule of axe's default set)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(
        "async (options) => (await axe.run(document, options)).violations",
        {"resultTypes": ["violations"], **(options or {})},
    )


def settle(page) -> None:
    """The page at rest: the pointer off the buttons and no colour transition running
    (a hover fading out, caught half-way, reads to axe as a contrast violation)."""
    page.mouse.move(0, 0)
    page.evaluate(
        """async () => await Promise.all(document.getAnimations()
            .filter((a) => a.effect.getTiming().iterations !== Infinity)
            .map((a) => a.finished.catch(() => null)))"""
    )


def assert_accessible(page) -> None:
    """No serious or critical axe violation on the page at rest."""
    settle(page)
    failing = [v for v in axe(page) if v["impact"] in FAILING_IMPACTS]
    lines = [
        f"- {v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in failing
    ]
    assert failing == [], f"axe on {page.url}:\n" + "\n".join(lines)


def screenshot(page, name: str) -> Path:
    """Save what a 1366x768 screen shows to var/screenshots/<html lang>/<name>.png."""
    language = page.locator("html").get_attribute("lang") or "unknown"
    path = SCREENSHOTS / language / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path
