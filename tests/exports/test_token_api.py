"""The exports API with a personal `read` token (registry.tokens, the API's issue): start,
poll, download. Skipped where the tokens are not merged yet (the exports branch alone)."""

from __future__ import annotations

import hashlib

import pytest

tokens = pytest.importorskip("registry.tokens")

from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from exports.models import ExportDownload, ExportProfile  # noqa: E402


def test_a_read_token_starts_polls_and_downloads(
    db, statistician, investigator_a, case_a, django_capture_on_commit_callbacks
):
    ExportProfile.objects.create(name="token-test", k_threshold=1)
    _token, secret = tokens.issue(statistician, name="R script", scope="read", days=10)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert Client().get(reverse("exports_api:jobs")).status_code == 401

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("exports_api:jobs"),
            {"profile": "token-test", "formats": ["csv"]},
            "application/json",
        )
    assert started.status_code == 202
    polled = client.get(started.json()["url"]).json()
    assert polled["status"] == "done" and polled["requested_by"] == "stats"
    file = next(f for f in polled["files"] if f["name"] == "cases.csv")
    content = b"".join(client.get(file["url"]).streaming_content)
    assert hashlib.sha256(content).hexdigest() == file["sha256"]
    assert ExportDownload.objects.get().user == statistician

    _token, other = tokens.issue(investigator_a, name="mine", scope="read", days=10)
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {other}").get(reverse("exports_api:jobs"))
    assert refused.status_code == 404


@pytest.mark.parametrize("profile", ["nope", "deidentified\x00", 7, None])
def test_an_unknown_profile_is_a_400_naming_the_known_ones(db, statistician, profile):
    # "\x00": found by tests/api/test_fuzz.py (a 500: PostgreSQL refuses NUL in text).
    ExportProfile.objects.get_or_create(name="deidentified")
    _token, secret = tokens.issue(statistician, name="R script", scope="read", days=10)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    refused = client.post(
        reverse("exports_api:jobs"), {"profile": profile, "formats": ["csv"]}, "application/json"
    )
    assert refused.status_code == 400 and "deidentified" in refused.json()["profile"]
