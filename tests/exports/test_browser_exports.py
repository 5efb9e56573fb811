"""In a real browser: a statistician starts an export, watches its progress live (htmx
polling, under the CSP), and downloads a file whose checksum is the one the page shows.

The page's task goes to an in-memory broker that no worker reads: the job stays queued
until the test runs it (as a worker would), so the live progress is seen changing.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.browser")

from exports import jobs  # noqa: E402
from exports.models import ExportDownload, ExportJob, ExportProfile  # noqa: E402
from registry.celery import app  # noqa: E402
from tests.browser import BROWSER_MARKS, PASSWORD, assert_accessible, log_in  # noqa: E402

pytest_plugins = ["tests.browser"]
pytestmark = BROWSER_MARKS


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@contextmanager
def tasks_wait_for_a_worker():
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "memory://"
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved


def test_statistician_starts_an_export_sees_progress_and_downloads(
    page, statistician, case_a, case_b
):
    ExportProfile.objects.create(name="browser-test", k_threshold=1)
    log_in(page, "stats", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", name="Exports", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("De-identification profile").select_option(label="browser-test")
    for fmt in ("Excel (XLSX)", "Stata (.dta)", "SPSS (.sav)"):
        page.get_by_label(fmt).uncheck()
    with tasks_wait_for_a_worker():
        page.get_by_role("button", name="Start the export").click()
        job = ExportJob.objects.get()
        expect(page.get_by_role("heading", name=f"Export {job.pk}")).to_be_visible()
        expect(page.locator("#export-status")).to_have_text("Queued")
        expect(page.get_by_label("Progress of the export")).to_have_attribute("value", "0")
        assert_accessible(page)

    jobs.run_job(job.pk)  # the worker's part

    # The polling sees the job finish and reloads the page with the report and the files.
    expect(page.locator("#export-status")).to_have_text("Done", timeout=15_000)
    expect(page.get_by_role("heading", name="Re-identification report")).to_be_visible()
    link = page.get_by_role("link", name="Download cases.csv")
    expect(link).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as info:
        link.click()
    content = Path(info.value.path()).read_bytes()
    file = job.files.get(name="cases.csv")
    assert hashlib.sha256(content).hexdigest() == file.sha256
    assert content.startswith(b"export_id,")
    expect(page.get_by_text(file.sha256)).to_be_visible()
    assert ExportDownload.objects.filter(file=file, user=statistician).count() == 1

    page.get_by_role("link", name="Open the study's tables computed from this export").click()
    expect(page.get_by_role("heading", name=f"Study tables of export {job.pk}")).to_be_visible()
    figure = "Figure 3. Efficacy of lupus therapies in MDS/CMML-associated LE"
    expect(page.get_by_role("img", name=figure)).to_be_visible()
    assert_accessible(page)
