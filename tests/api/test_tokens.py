"""API tokens: hashed, scoped, expiring, revocable, every use logged; their pages."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry import tokens
from registry.models import ApiToken, TokenUse
from tests.api.conftest import token_client


def test_the_token_is_stored_hashed_only(investigator_a):
    token, secret = tokens.issue(investigator_a, name="sync", scope="read", days=10)

    stored = ApiToken.objects.get(pk=token.pk)
    assert secret.startswith("rgt_") and len(secret) > 40
    assert secret not in {stored.digest, stored.prefix, stored.name}
    assert stored.digest == tokens.digest_of(secret)
    assert stored.expires_at - stored.created_at < dt.timedelta(days=10, seconds=5)


@pytest.mark.parametrize("days", [0, 91, 365])
def test_a_token_lasts_at_most_90_days(investigator_a, days):
    with pytest.raises(ValueError, match="1 to 90 days"):
        tokens.issue(investigator_a, name="long", scope="read", days=days)
    assert not ApiToken.objects.exists()


def test_the_database_refuses_a_token_beyond_90_days(investigator_a):
    token, _secret = tokens.issue(investigator_a, name="sync", scope="read", days=90)
    token.expires_at = token.created_at + dt.timedelta(days=91)
    with pytest.raises(IntegrityError), transaction.atomic():
        token.save()


def test_two_tokens_of_a_user_have_different_names(investigator_a):
    tokens.issue(investigator_a, name="sync", scope="read", days=5)
    with pytest.raises(ValueError, match="already have a token named"):
        tokens.issue(investigator_a, name="sync", scope="read_write", days=5)


def test_a_read_token_reads_but_cannot_write(investigator_a, case_a):
    client = token_client(investigator_a, scope="read")

    assert client.get(f"/api/v1/cases/{case_a.code}/").status_code == 200
    response = client.patch(
        f"/api/v1/cases/{case_a.code}/", {"consent": "yes"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert "read" in response.json()["detail"]
    case_a.refresh_from_db()
    assert (case_a.consent, case_a.version) == ("", 1)


def test_an_expired_token_gets_401(investigator_a, case_a):
    client = token_client(investigator_a, days=1)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_gets_401(investigator_a, case_a):
    client = token_client(investigator_a)
    assert client.get("/api/v1/cases/").status_code == 200
    tokens.revoke(ApiToken.objects.get())

    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_unknown_token_and_no_credentials_get_401(db):
    client = APIClient()
    assert client.get("/api/v1/cases/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer rgt_not-a-token")
    assert client.get("/api/v1/cases/").status_code == 401


def test_every_use_is_logged_refused_ones_included(investigator_a, case_a):
    client = token_client(investigator_a, scope="read")
    client.get("/api/v1/cases/", REMOTE_ADDR="10.1.2.3")
    client.patch(
        f"/api/v1/cases/{case_a.code}/", {"consent": "yes"}, format="json", HTTP_IF_MATCH='"1"'
    )
    client.get("/api/v1/cases/LE-ZZZZZZZ/")
    tokens.revoke(ApiToken.objects.get())
    client.get("/api/v1/cases/")

    uses = list(TokenUse.objects.order_by("pk").values_list("method", "path", "status"))
    assert uses == [
        ("GET", "/api/v1/cases/", 200),
        ("PATCH", f"/api/v1/cases/{case_a.code}/", 403),
        ("GET", "/api/v1/cases/LE-ZZZZZZZ/", 404),
        ("GET", "/api/v1/cases/", 401),
    ]
    first = TokenUse.objects.order_by("pk").first()
    assert (first.user, first.client_address) == (investigator_a, "10.1.2.3")
    assert ApiToken.objects.get().last_used_at is not None


def test_last_used_moves_once_a_minute_while_every_use_is_logged(investigator_a):
    client = token_client(investigator_a, scope="read")
    client.get("/api/v1/cases/")
    first = ApiToken.objects.get().last_used_at
    client.get("/api/v1/cases/")
    assert ApiToken.objects.get().last_used_at == first  # within the minute: not rewritten
    assert TokenUse.objects.count() == 2

    ApiToken.objects.update(last_used_at=first - tokens.LAST_USED_GRAIN)
    client.get("/api/v1/cases/")
    assert ApiToken.objects.get().last_used_at > first
    assert TokenUse.objects.count() == 3


def test_session_calls_keep_working_with_csrf(investigator_a, case_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(investigator_a)

    assert client.get(f"/api/v1/cases/{case_a.code}/").status_code == 200
    refused = client.patch(
        f"/api/v1/cases/{case_a.code}/", {"consent": "yes"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not TokenUse.objects.exists()  # no token, nothing logged as a token use


# ---- the pages ----


def test_the_owner_creates_sees_once_lists_and_revokes(client, investigator_a):
    client.force_login(investigator_a)
    page = client.post(reverse("api:tokens"), {"name": "nightly", "scope": "read", "days": 30})

    assert page.status_code == 200
    secret = page.context["secret"]
    assert secret.startswith("rgt_") and secret in page.content.decode()
    again = client.get(reverse("api:tokens")).content.decode()
    assert "nightly" in again and secret not in again

    token = ApiToken.objects.get(name="nightly")
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_beyond_90_days_is_refused_by_the_form(client, investigator_a):
    client.force_login(investigator_a)
    page = client.post(reverse("api:tokens"), {"name": "long", "scope": "read", "days": 120})

    assert page.status_code == 200 and page.context["form"].errors["days"]
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked(client, investigator_a, investigator_b):
    token, _secret = tokens.issue(investigator_b, name="theirs", scope="read", days=5)
    client.force_login(investigator_a)

    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_registry_administrators_read_every_use(client, investigator_a, registry_admin, case_a):
    token_client(investigator_a).get("/api/v1/cases/")
    client.force_login(registry_admin)

    page = client.get(reverse("api:token_uses"))
    assert page.status_code == 200
    assert "/api/v1/cases/" in page.content.decode() and "inv_a" in page.content.decode()
    client.force_login(investigator_a)
    assert client.get(reverse("api:token_uses")).status_code == 404
