"""Every URL of the project answers each person as tests/route_access.py declares.

One GET per (route, role, object); the world and one signed-in client per role are built
once for the module, inside a transaction rolled back at its end; each test runs in a
savepoint of its own (the `db` fixture).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from registry.templatetags.registry_ui import NAV
from tests import route_access as ra

PATTERNS = ra.project_patterns()
KEYS = list(dict.fromkeys(pattern.key for pattern in PATTERNS))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = ra.build_world()
        clients = {"anonymous": Client()}
        for role, user in built.users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        yield built, clients
        transaction.set_rollback(True)


def test_every_route_is_declared():
    undeclared = [p for p in PATTERNS if ra.declaration(p.key) is None]

    assert not undeclared, (
        "Routes without a declared answer: add each to ROUTES in tests/route_access.py, "
        "keyed by its URL name (admin models: a family in admin_family()):\n"
        + "\n".join(f"- {p.key!r} (/{p.route})" for p in undeclared)
    )


def test_every_declaration_has_a_route():
    stale = sorted(set(ra.ROUTES) - set(KEYS))

    assert not stale, f"Declared in tests/route_access.py but no such route: {stale}"


@pytest.mark.parametrize("key", KEYS)
def test_route_answers_as_declared(key, world, db):
    built, clients = world
    route = ra.declaration(key)
    if route is None:
        pytest.fail(f"{key!r} has no declared answer in tests/route_access.py", pytrace=False)

    wrong = []
    for variant, url in ra.requests_of(key, route, built):
        query = route.query(built, variant) if route.query else {}
        for role in ra.ROLES:
            response = clients[role].get(url, query)
            expected = route.answer(role, variant)
            if not ra.answered(expected, response):
                wrong.append(
                    f"  {role:<15} {variant or '-':<8} GET {url} {query or ''}: "
                    f"expected {expected}, got {ra.describe(response)}"
                )

    if wrong:
        pytest.fail(f"{key!r} does not answer as declared:\n" + "\n".join(wrong), pytrace=False)


@pytest.mark.parametrize("entry", NAV, ids=lambda entry: entry.url_name)
def test_navigation_shows_a_link_only_to_roles_it_opens_for(entry, world, db):
    built, clients = world
    route = ra.declaration(entry.url_name)
    assert route is not None and route.variants == ("",), f"{entry.url_name}: not a plain page"

    shown = [role for role, user in built.users.items() if entry.shown_to(user)]

    assert shown, f"{entry.url_name} is shown to nobody"
    assert {role: route.answer(role, "") for role in shown} == dict.fromkeys(shown, 200)
