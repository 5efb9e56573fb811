"""Accounts and sessions: the reviewed path to a role, reset links instead of passwords,
sign-in lockout, idle sign-out, and pages that no cache keeps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from registry import accounts, roles
from registry.middleware import SEEN
from registry.models import Centre, Membership, Role
from registry.settings.base import secret
from tests.factories import UserFactory, user_with_role


@pytest.fixture
def second_admin(db):
    return user_with_role(Role.REGISTRY_ADMIN, username="radmin2", is_staff=True)


def _asked(actor, user, centre) -> Membership:
    return accounts.membership_request(
        actor=actor, membership=Membership(user=user, role=Role.INVESTIGATOR, centre=centre)
    )


# ---- four eyes ----


def test_a_membership_takes_effect_when_a_second_administrator_approves_it(
    registry_admin, second_admin, centre_a
):
    newcomer = UserFactory(username="newcomer")

    membership = _asked(registry_admin, newcomer, centre_a)
    assert roles.investigator_centre_ids(newcomer) == frozenset()

    with pytest.raises(PermissionDenied):
        accounts.membership_approve(actor=registry_admin, membership=membership)
    assert roles.investigator_centre_ids(newcomer) == frozenset()

    accounts.membership_approve(actor=second_admin, membership=membership)
    assert roles.investigator_centre_ids(newcomer) == frozenset({centre_a.pk})

    events = apps.get_model("registry", "MembershipEvent").objects.filter(pgh_obj=membership)
    assert [e.pgh_context["reason"] for e in events.order_by("pgh_id")] == [
        "membership requested",
        "membership approved",
    ]


def test_nobody_approves_their_own_access(registry_admin, second_admin):
    # An administrator asks for a second role for a colleague; the colleague cannot approve it.
    membership = accounts.membership_request(
        actor=registry_admin, membership=Membership(user=second_admin, role=Role.COORDINATOR)
    )
    with pytest.raises(PermissionDenied):
        accounts.membership_approve(actor=second_admin, membership=membership)
    assert not roles.has_role(second_admin, Role.COORDINATOR)


def test_the_database_refuses_a_self_approved_membership(registry_admin):
    membership = Membership.objects.get(user=registry_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(approved_by=registry_admin)


def test_only_registry_administrators_ask_or_approve(coordinator, registry_admin, centre_a):
    newcomer = UserFactory(username="newcomer")
    with pytest.raises(PermissionDenied):
        _asked(coordinator, newcomer, centre_a)
    membership = _asked(registry_admin, newcomer, centre_a)
    with pytest.raises(PermissionDenied):
        accounts.membership_approve(actor=coordinator, membership=membership)


def test_changing_the_centre_of_a_membership_asks_for_approval_again(
    client, registry_admin, investigator_a, centre_b
):
    client.force_login(registry_admin)
    membership = Membership.objects.get(user=investigator_a)
    change = reverse("admin:registry_membership_change", args=[membership.pk])

    response = client.post(
        change,
        {
            "user": investigator_a.pk,
            "role": Role.INVESTIGATOR,
            "centre": centre_b.pk,
            "is_active": "on",
        },  # fmt: skip
    )

    assert response.status_code == 302
    roles.forget(investigator_a)
    assert roles.investigator_centre_ids(investigator_a) == frozenset()  # not centre B yet


def test_the_centre_named_in_the_header_comes_with_the_memberships(
    investigator_a, coordinator, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert roles.investigator_centres(investigator_a) == [("alpha", "Hôpital Alpha")]
        assert roles.has_role(investigator_a, Role.INVESTIGATOR)
    assert roles.investigator_centres(coordinator) == []
    Centre.objects.filter(code="alpha").update(name="Hôpital Alpha Nord")
    roles.forget(investigator_a)  # read again after a change
    assert roles.investigator_centres(investigator_a) == [("alpha", "Hôpital Alpha Nord")]


def test_an_administrator_cannot_change_their_own_membership(client, registry_admin):
    client.force_login(registry_admin)
    own = Membership.objects.get(user=registry_admin)
    change = reverse("admin:registry_membership_change", args=[own.pk])

    response = client.post(change, {"user": registry_admin.pk, "role": Role.COORDINATOR})

    assert response.status_code == 403
    assert Membership.objects.get(pk=own.pk).role == Role.REGISTRY_ADMIN


def test_the_approve_action_skips_what_the_administrator_asked_for(
    client, registry_admin, second_admin, centre_a
):
    mine = _asked(registry_admin, UserFactory(username="one"), centre_a)
    theirs = _asked(second_admin, UserFactory(username="two"), centre_a)
    client.force_login(registry_admin)

    client.post(
        reverse("admin:registry_membership_changelist"),
        {"action": "approve", "_selected_action": [mine.pk, theirs.pk]},
    )

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.approved_at, theirs.approved_by) == (None, registry_admin)


# ---- passwords ----


def test_no_administrator_sets_a_password(registry_admin, investigator_a):
    with pytest.raises(NoReverseMatch):
        reverse("admin:auth_user_password_change", args=[investigator_a.pk])


def test_a_new_account_has_no_password_until_its_owner_chooses_one(client, registry_admin):
    client.force_login(registry_admin)

    response = client.post(
        reverse("admin:registry_user_add"),
        {"username": "newcomer", "email": "newcomer@example.org", "first_name": "New"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    newcomer = apps.get_model("registry", "User").objects.get(username="newcomer")
    assert not newcomer.has_usable_password()


def test_an_administrator_sends_a_reset_link_to_the_users_own_address(
    client, registry_admin, investigator_a
):
    investigator_a.email = "inv.a@example.org"
    investigator_a.save()
    client.force_login(registry_admin)

    client.post(
        reverse("admin:registry_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [investigator_a.pk]},
    )

    assert [m.to for m in mail.outbox] == [["inv.a@example.org"]]
    assert "/reset/" in mail.outbox[0].body
    unchanged = type(investigator_a).objects.get(pk=investigator_a.pk).password
    assert unchanged == investigator_a.password  # a link, never a password set for them


# ---- sign-in and sessions ----


def _fail_login(client, username: str, address: str):
    return client.post(
        reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
    )


def test_an_account_guessed_at_from_many_addresses_is_locked(client, investigator_a):
    investigator_a.set_password("right-password-123")
    investigator_a.save()
    for n in range(5):
        _fail_login(client, "inv_a", f"10.0.0.{n + 1}")

    response = client.post(
        reverse("login"),
        {"username": "inv_a", "password": "right-password-123"},
        REMOTE_ADDR="10.0.0.99",
    )

    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_one_address_guessing_many_accounts_is_locked(client, investigator_a):
    investigator_a.set_password("right-password-123")
    investigator_a.save()
    for n in range(5):
        _fail_login(client, f"nobody{n}", "10.0.0.7")

    response = client.post(
        reverse("login"),
        {"username": "inv_a", "password": "right-password-123"},
        REMOTE_ADDR="10.0.0.7",
    )

    assert response.status_code == 429


def test_a_session_idle_for_too_long_signs_out(client, settings, investigator_a, case_a):
    client.force_login(investigator_a)
    page = reverse("crf:case_detail", kwargs={"code": case_a.code})
    assert client.get(page).status_code == 200

    session = client.session
    session[SEEN] = int(time.time()) - settings.REGISTRY_SESSION_IDLE_SECONDS - 1
    session.save()

    response = client.get(page)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert SESSION_KEY not in client.session


def test_pages_of_a_signed_in_user_are_never_stored(client, investigator_a, case_a):
    client.force_login(investigator_a)

    response = client.get(reverse("crf:case_detail", kwargs={"code": case_a.code}))

    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


# ---- production settings ----


@pytest.mark.parametrize(
    "value",
    ["change-me-to-a-long-random-string-" + "x" * 40, "short", "dev-only-" + "x" * 60],
    ids=["placeholder", "short", "dev-key"],
)
def test_a_placeholder_secret_is_refused(monkeypatch, value):
    monkeypatch.setenv("REGISTRY_TEST_SECRET", value)
    with pytest.raises(ImproperlyConfigured, match="REGISTRY_TEST_SECRET is a placeholder"):
        secret("REGISTRY_TEST_SECRET")

    monkeypatch.setenv("REGISTRY_TEST_SECRET", "k" * 64)
    assert secret("REGISTRY_TEST_SECRET") == "k" * 64


def test_production_starts_only_with_real_secrets():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings.prod",
        "DJANGO_SECRET_KEY": "k" * 64,
        "REGISTRY_AUDIT_SEAL_KEY": "change-me-to-another-long-random-string",
        "DJANGO_ALLOWED_HOSTS": "registry.example.org",
        "DJANGO_EMAIL_URL": "smtp://localhost:25",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "REGISTRY_AUDIT_SEAL_KEY is a placeholder" in run.stderr
