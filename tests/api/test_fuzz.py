"""Fuzzing the API from its own OpenAPI schema (schemathesis) as every role of two centres.

Each role gets a personal token and a few dozen generated requests per operation of
/api/schema/ (bodies, queries and headers from the schema; the path aimed at its own case,
the other centre's case or a made-up one, at real section names and row ids, with the
case's current ETag or a generated one; half of the section writes get a body of the
section's own field names with values of every JSON type, as the schema's bodies are
free-form). Every answer must be below 500, and must not hold
what the role may not see: canaries planted in each centre's clinical data and identity,
and the other centre's case code, unless the request itself carried it (an echo is not a
leak). The owner's own read of its case shows the canaries, so the search would find them
(and does, if a role is forbidden its own identity). The app runs in-process (WSGI) on the
test database.

20 examples per operation and role in make test (45-80 s on 2 cores, by load); make security
runs it again with REGISTRY_FUZZ_EXAMPLES=60.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

from crf import lifecycle
from crf.api.sections import SECTIONS
from crf.models import Case, Demographics, Identity
from crf.services import writable_fields
from registry.models import Role
from tests.api.conftest import token_client
from tests.factories import user_with_role
from tests.registry.test_admin import fill_case

EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "20"))
CLINICAL = {"a": "CANARY-CLINICAL-ALPHA-4417", "b": "CANARY-CLINICAL-BETA-9052"}
IDENTIFIER = {"a": "IPP-CANARY-ALPHA-3381", "b": "IPP-CANARY-BETA-6620"}
BIRTH = {"a": "1931-07-29", "b": "1929-11-03"}
# What each role must never be shown: (kind, centre) pairs.
IDENTITY_OF_BOTH = {("identity", "a"), ("identity", "b")}
FORBIDDEN = {
    "investigator_a": {("identity", "b"), ("clinical", "b"), ("code", "b")},
    "investigator_b": {("identity", "a"), ("clinical", "a"), ("code", "a")},
    "coordinator": IDENTITY_OF_BOTH,
    "registry_admin": IDENTITY_OF_BOTH,
    "central_reviewer": IDENTITY_OF_BOTH,
    "statistician": IDENTITY_OF_BOTH | {("clinical", "a"), ("clinical", "b")},
}


@dataclass
class World:
    codes: dict[str, str]
    rows: list[tuple[str, int]]  # (section, row id) of both cases

    def secrets(self, kind: str, centre: str) -> list[str]:
        return {
            "identity": [IDENTIFIER[centre], BIRTH[centre]],
            "clinical": [CLINICAL[centre]],
            "code": [self.codes[centre]],
        }[kind]


def plant(case: Case, centre: str) -> list[tuple[str, int]]:
    rows = fill_case(case, biopsy=centre == "a")
    Demographics.objects.filter(case=case).update(death_cause_detail=CLINICAL[centre])
    Identity.objects.filter(case=case).update(
        local_identifier=IDENTIFIER[centre], date_of_birth=BIRTH[centre]
    )
    names = {model: name for name, model in SECTIONS.items()}
    return [(names[m], row.pk) for m, row in rows.items() if m in names]


@pytest.fixture
def world(case_a, case_b) -> World:
    rows = plant(case_a, "a") + plant(case_b, "b")
    return World({"a": case_a.code, "b": case_b.code}, rows)


@pytest.fixture
def wsgi_app():
    """Django's WSGI app on the test's transaction: like the test client, it must not close
    the connection when a request starts or ends (the client reconnects that handler after
    each of its own requests, so it is taken off around every call)."""
    handler = WSGIHandler()

    def app(environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return app


def users(centre_a, centre_b):
    return {
        "investigator_a": lambda: user_with_role(Role.INVESTIGATOR, centre_a, username="fz_a"),
        "investigator_b": lambda: user_with_role(Role.INVESTIGATOR, centre_b, username="fz_b"),
        "coordinator": lambda: user_with_role(Role.COORDINATOR, username="fz_coord"),
        "registry_admin": lambda: user_with_role(Role.REGISTRY_ADMIN, username="fz_admin"),
        "central_reviewer": lambda: user_with_role(Role.CENTRAL_REVIEWER, username="fz_patho"),
        "statistician": lambda: user_with_role(Role.STATISTICIAN, username="fz_stats"),
    }


def sent(case: schemathesis.Case) -> str:
    """Everything the request carried, to tell an echo from a leak."""
    parts = [case.path_parameters, case.query, case.headers, case.body]
    return json.dumps(parts, default=str, ensure_ascii=False)


def leaks(text: str, request: str, world: World, role: str) -> list[str]:
    return [
        secret
        for kind, centre in sorted(FORBIDDEN[role])
        for secret in world.secrets(kind, centre)
        if secret in text and secret not in request
    ]


def path_parameters(draw, operation, world: World) -> dict:
    """Aim most requests at real objects: own, foreign or missing case, real sections/rows."""
    names = {p.name for p in operation.path_parameters}
    chosen: dict = {}
    if "code" in names:
        chosen["code"] = draw(st.sampled_from([world.codes["a"], world.codes["b"], "LE-ZZZZZZZ"]))
    if "row_id" in names:
        chosen["section"], chosen["row_id"] = draw(st.sampled_from(world.rows))
    elif "section" in names:
        chosen["section"] = draw(st.sampled_from(sorted(SECTIONS)))
    if "name" in names and "code" in names:
        chosen["name"] = draw(st.sampled_from(sorted(lifecycle.TRANSITIONS)))
    # Now and then leave everything to the generator.
    return draw(st.sampled_from([chosen, chosen, chosen, {}]))


# The schema's bodies are free-form objects: half of the writes to a section get a body
# made of that section's own field names with values of every JSON type instead.
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.dates().map(str),
    st.sampled_from(["", "unknown", "not_done", "2020-02", "2020", "1e999", "-0"]),
)


def section_body(draw, operation, params: dict):
    model = SECTIONS.get(params.get("section", ""))
    if model is None or operation.method.upper() not in ("POST", "PUT", "PATCH"):
        return NOT_SET
    if not draw(st.booleans()):
        return NOT_SET
    names = sorted(writable_fields(model)) + ["reason", "acknowledge"]
    return draw(st.dictionaries(st.sampled_from(names), ANY_VALUE, max_size=5))


def if_match(draw, code: str | None) -> dict:
    version = Case.objects.filter(code=code).values_list("version", flat=True).first()
    if version is None or not draw(st.booleans()):
        return {}
    return {"If-Match": f'"{version}"'}


def fuzz(
    operation, world: World, role: str, auth: dict, app, failures: list[str], answers: Counter
) -> None:
    """EXAMPLES generated requests to one operation; what goes wrong is added to failures."""

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def one_request(data):
        params = path_parameters(data.draw, operation, world)
        headers = {**auth, **if_match(data.draw, params.get("code"))}
        body = section_body(data.draw, operation, params)
        case = data.draw(operation.as_strategy(path_parameters=params, headers=headers, body=body))
        response = case.call(app=app)
        answers[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
        text = response.content.decode(errors="replace") + json.dumps(response.headers)
        found = leaks(text, sent(case), world, role)
        if found:
            failures.append(f"{case.method} {case.formatted_path} showed {found}")

    one_request()


@pytest.mark.parametrize("role", sorted(FORBIDDEN))
def test_no_role_gets_a_server_error_or_what_it_may_not_see(
    role, world, wsgi_app, centre_a, centre_b, api_a
):
    schema_response = api_a.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema_response.status_code == 200
    schema = schemathesis.openapi.from_dict(json.loads(schema_response.content))
    client = token_client(users(centre_a, centre_b)[role]())
    auth = {"Authorization": f"Bearer {client.secret}"}

    # The owner sees its canaries: the search below would find them if they leaked.
    own = api_a.get(f"/api/v1/cases/{world.codes['a']}/").content.decode()
    assert all(s in own for s in (IDENTIFIER["a"], BIRTH["a"], CLINICAL["a"]))

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    failures: list[str] = []
    answers: Counter = Counter()
    for operation in operations:
        fuzz(operation, world, role, auth, wsgi_app, failures, answers)
    assert not failures, "\n".join(sorted(set(failures))[:30])
    assert answers[2] >= len(operations), answers  # real answers, not only refusals
    # Nothing this role did could reach the foreign canaries: they are still there to find.
    for kind, centre in FORBIDDEN[role]:
        if kind == "identity":
            assert Identity.objects.filter(local_identifier=IDENTIFIER[centre]).exists()
