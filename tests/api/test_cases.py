"""The REST API over the write contract: every section round-trips, 412 on a stale
If-Match, 400 with field paths, warnings confirmed by code, foreign = missing = 404,
identity for the owning centre only, a bounded number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from crf.api import sections as S
from crf.models import CRF_MODELS, Case, CentralReview, Identity, Treatment
from crf.services import writable_fields
from registry.audit import Source
from tests.api.conftest import token_client

MISSING = "LE-ZZZZZZZ"


def url(code, section=None, row=None):
    parts = [f"/api/v1/cases/{code}/"]
    if section:
        parts.append(f"sections/{section}/")
    if row:
        parts.append(f"{row}/")
    return "".join(parts)


def write(client, method, path, data, version, **extra):
    """A write that confirms the warnings the registry answers with (once)."""
    response = getattr(client, method)(path, data, format="json", HTTP_IF_MATCH=f'"{version}"')
    if response.status_code == 400 and response.json().get("acknowledge"):
        assert not response.json()["errors"], response.json()
        data = {**data, "acknowledge": response.json()["acknowledge"]}
        response = getattr(client, method)(path, data, format="json", HTTP_IF_MATCH=f'"{version}"')
    return response


def version_of(code):
    return Case.objects.get(code=code).version


def fields_of(row_json, model):
    return {name: row_json[name] for name in writable_fields(model)}


def test_every_section_round_trips(api_a, filled_a, case_a, central_reviewer):
    """Each section of a filled case is written to a new case through the API, read back
    identical, written again, then deleted."""
    reviewer = token_client(central_reviewer)
    source = api_a.get(url(case_a.code)).json()
    created = api_a.post("/api/v1/cases/", {"group": "case"}, format="json")
    assert created.status_code == 201, created.json()
    code = created.json()["code"]
    new_ids: dict[type, int] = {}

    order = [m for m in CRF_MODELS if m not in (Case, Identity)]
    for model in order:
        name = S.section_name(model)
        original = source["sections"][name]
        original = original[0] if isinstance(original, list) else original
        data = fields_of(original, model)
        for fname, field in writable_fields(model).items():  # links to rows of the new case
            if field.is_relation and data[fname] is not None:
                data[fname] = new_ids[field.related_model]
        link = S.parent_link(model)
        if link:
            data[link] = new_ids[type(getattr(filled_a[model], link))]
        client = reviewer if model is CentralReview else api_a
        response = write(client, "post", url(code, name), data, version_of(code))
        assert response.status_code in (200, 201), (name, response.json())
        new_ids[model] = response.json()["id"]
        assert response["ETag"] == f'"{version_of(code)}"'

        read = client.get(url(code, name)).json()
        read = read[0] if isinstance(read, list) else read
        assert fields_of(read, model) == fields_of(original, model) | {
            f: data[f] for f in data if f in writable_fields(model)
        }, name

    for model in reversed(order):  # children first: rows in use cannot be deleted
        name = S.section_name(model)
        client = reviewer if model is CentralReview else api_a
        row = new_ids[model] if S.is_repeating(model) else None
        again = write(client, "put", url(code, name, row), {}, version_of(code))
        assert again.status_code == 200, (name, again.json())
        gone = client.delete(url(code, name, row), HTTP_IF_MATCH=f'"{version_of(code)}"')
        assert gone.status_code == 204, (name, gone.content)
        assert client.get(url(code, name, row)).status_code == 404


def test_a_whole_case_is_created_in_one_atomic_request(api_a, centre_a):
    body = {
        "group": "case",
        "consent": "yes",
        "identity": {"local_identifier": "IPP-9", "initials": "AB", "date_of_birth": "1950-02-03"},
        "sections": {
            "demographics": {"sex": "female"},
            "treatment": [{"agent": "hydroxychloroquine", "lupusresponse": {}}],
            "ngstest": [{"tissue": "bone_marrow", "ngsvariant": [{"gene": "TET2"}]}],
        },
    }
    response = api_a.post("/api/v1/cases/", body, format="json")
    if response.status_code == 400 and response.json().get("acknowledge"):
        body["acknowledge"] = response.json()["acknowledge"]
        response = api_a.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 201, response.json()
    case = response.json()
    assert case["identity"]["local_identifier"] == "IPP-9"
    assert case["sections"]["demographics"]["sex"] == "female"
    assert len(case["sections"]["lupusresponse"]) == 1
    assert case["sections"]["ngsvariant"][0]["test"] == case["sections"]["ngstest"][0]["id"]
    assert response["ETag"] == f'"{case["version"]}"'
    from pghistory.models import Events

    contexts = Events.objects.tracks(Case.objects.get(code=case["code"])).values_list(
        "pgh_context", flat=True
    )
    assert {c["source"] for c in contexts} == {Source.API}


def test_one_bad_row_in_a_whole_case_writes_nothing_and_names_its_path(api_a):
    body = {
        "group": "case",
        "sections": {
            "demographics": {"sex": "female"},
            "treatment": [{"agent": "hydroxychloroquine"}, {"agent": "no-such-agent"}],
        },
    }
    before = Case.objects.count()
    response = api_a.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["sections.treatment[1].agent"]
    assert errors[0]["rule"] == "field.invalid" and "valid choice" in errors[0]["message"]
    assert Case.objects.count() == before and not Treatment.objects.exists()


def test_a_stale_if_match_gets_412_and_writes_nothing(api_a, filled_a, case_a):
    path = url(case_a.code, "demographics")
    current = api_a.get(path)
    version = int(current["ETag"].strip('"'))
    assert write(api_a, "patch", path, {"death_cause_detail": "x"}, version).status_code == 200

    stale = api_a.patch(
        path, {"death_cause_detail": "y"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert stale.status_code == 412
    assert stale["ETag"] == f'"{version + 1}"'
    assert api_a.get(path).json()["death_cause_detail"] == "x"
    missing = api_a.patch(path, {"death_cause_detail": "y"}, format="json")
    assert missing.status_code == 428


def test_validation_errors_name_the_field_path_and_rule(api_a, filled_a, case_a):
    response = api_a.patch(
        url(case_a.code, "demographics"),
        {"sex": "unknown-sex", "colour": "blue"},
        format="json",
        HTTP_IF_MATCH=f'"{version_of(case_a.code)}"',
    )

    assert response.status_code == 400
    by_field = {e["field"]: e for e in response.json()["errors"]}
    assert by_field["demographics.sex"]["rule"] == "field.invalid"
    assert by_field["demographics.colour"]["rule"] == "field.not_writable"


def test_computed_values_are_read_only_with_their_rule_version(api_a, filled_a, case_a):
    sledai = api_a.get(url(case_a.code, "sledaiassessment")).json()[0]
    assert "rule_version" in sledai["computed"] and "rule_version" not in sledai
    response = api_a.patch(
        url(case_a.code, "sledaiassessment", sledai["id"]),
        {"rule_version": "forged"},
        format="json",
        HTTP_IF_MATCH=f'"{version_of(case_a.code)}"',
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["rule"] == "field.not_writable"


def test_after_submission_a_write_needs_a_reason(api_a, filled_a, case_a):
    Case.objects.filter(pk=case_a.pk).update(status="submitted")
    path = url(case_a.code, "demographics")
    response = api_a.patch(
        path,
        {"death_cause_detail": "z"},
        format="json",
        HTTP_IF_MATCH=f'"{version_of(case_a.code)}"',
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["rule"] == "reason.required"

    with_reason = write(
        api_a,
        "patch",
        path,
        {"death_cause_detail": "z", "reason": "lab report"},
        version_of(case_a.code),
    )
    assert with_reason.status_code == 200


def test_withdraw_needs_a_reason_then_withdraws(api_a, case_a):
    path = f"/api/v1/cases/{case_a.code}/transitions/withdraw/"
    refused = api_a.post(path, {}, format="json", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "reason"

    done = api_a.post(path, {"reason": "duplicate"}, format="json", HTTP_IF_MATCH='"1"')
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert done.json()["withdrawn_reason"] == "duplicate"


# ---- scope ----


def foreign_requests(code, rows):
    """Every route and method, addressed at case `code` (and its rows)."""
    yield "get", url(code)
    yield "patch", url(code)
    yield "post", f"/api/v1/cases/{code}/transitions/withdraw/"
    for model in CRF_MODELS:
        if model is Case:
            continue
        name = S.section_name(model)
        yield "get", url(code, name)
        if S.is_repeating(model):
            yield "post", url(code, name)
            row = rows.get(model)
            for method in ("get", "put", "patch", "delete"):
                yield method, url(code, name, row.pk if row else 2_000_000_000)
        else:
            for method in ("put", "patch", "delete"):
                yield method, url(code, name)


def test_another_centres_case_is_404_like_a_missing_one_on_every_route(
    api_a, filled_a, filled_b, case_b
):
    for method, path in foreign_requests(case_b.code, filled_b):
        foreign = getattr(api_a, method)(path, {}, format="json", HTTP_IF_MATCH='"1"')
        missing = getattr(api_a, method)(
            path.replace(case_b.code, MISSING), {}, format="json", HTTP_IF_MATCH='"1"'
        )
        assert foreign.status_code == 404, (method, path, foreign.status_code)
        assert foreign.content == missing.content, (method, path)
    assert version_of(case_b.code) == 1


def test_a_row_of_another_case_is_404(api_a, filled_a, filled_b, case_a):
    foreign_row = filled_b[Treatment].pk
    assert api_a.get(url(case_a.code, "treatment", foreign_row)).status_code == 404


def test_identity_only_for_the_owning_centre(filled_a, case_a, coordinator):
    coord = token_client(coordinator, scope="read")
    case = coord.get(url(case_a.code)).json()
    assert "identity" not in case and case["sections"]["demographics"] is not None
    assert coord.get(url(case_a.code, "identity")).status_code == 404
    assert "identity" not in coord.get("/api/v1/choices/").json()["sections"]


def test_the_list_shows_only_visible_cases_with_filters(api_a, case_a, case_b):
    listed = api_a.get("/api/v1/cases/").json()
    assert [c["code"] for c in listed["results"]] == [case_a.code]
    assert api_a.get("/api/v1/cases/", {"centre": "beta"}).json()["count"] == 0
    assert api_a.get("/api/v1/cases/", {"status": "locked"}).json()["count"] == 0
    assert api_a.get("/api/v1/cases/", {"status": "draft"}).json()["count"] == 1
    assert api_a.get("/api/v1/cases/", {"changed_since": "2999-01-01"}).json()["count"] == 0
    bad = api_a.get("/api/v1/cases/", {"status": "nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
    assert api_a.get("/api/v1/choices/").json()["centres"] == ["alpha"]


def test_options_and_the_browsable_api_leak_nothing(api_a, case_a):
    assert api_a.options("/api/v1/cases/").status_code == 405
    html = api_a.get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert html.status_code == 406


# ---- queries ----


def test_a_case_read_and_the_list_take_a_bounded_number_of_queries(
    api_a, filled_a, case_a, centre_a
):
    api_a.get("/api/v1/choices/")  # the token's first use also sets its "last used"
    with CaptureQueriesContext(connection) as one:
        assert api_a.get(url(case_a.code)).status_code == 200
    from tests.factories import CaseFactory, IdentityFactory
    from tests.registry.test_admin import fill_case

    for _ in range(5):
        other = CaseFactory(centre=centre_a)
        IdentityFactory(case=other, local_identifier=f"IPP-{other.pk}")
        fill_case(other, biopsy=True)
    with CaptureQueriesContext(connection) as read:
        assert api_a.get(url(case_a.code)).status_code == 200
    with CaptureQueriesContext(connection) as listed:
        assert api_a.get("/api/v1/cases/").json()["count"] == 6

    assert len(read) == len(one) <= 10
    assert len(listed) <= 10


def test_the_schema_lists_every_route(api_a):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    schema = api_a.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]) >= {
        "/api/v1/cases/",
        "/api/v1/cases/{code}/",
        "/api/v1/cases/{code}/transitions/{name}/",
        "/api/v1/cases/{code}/sections/{section}/",
        "/api/v1/cases/{code}/sections/{section}/{row_id}/",
        "/api/v1/choices/",
        "/api/v1/exports/jobs/",
        "/api/v1/exports/jobs/{job_id}/",
        "/api/v1/exports/jobs/{job_id}/accept-report/",
        "/api/v1/exports/jobs/{job_id}/files/{name}",
    }


def test_a_whole_case_links_its_rows_by_reference(api_a):
    body = {
        "group": "case",
        "sections": {
            "treatment": [{"agent": "azacitidine"}],
            "adverseevent": [
                {"category": "infection", "treatment": {"ref": "sections.treatment[0]"}}
            ],
        },
    }
    response = api_a.post("/api/v1/cases/", body, format="json")
    if response.status_code == 400 and response.json().get("acknowledge"):
        body["acknowledge"] = response.json()["acknowledge"]
        response = api_a.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 201, response.json()
    sections = response.json()["sections"]
    assert sections["adverseevent"][0]["treatment"] == sections["treatment"][0]["id"]

    body["sections"]["adverseevent"][0]["treatment"] = {"ref": "sections.nothing[3]"}
    bad = api_a.post("/api/v1/cases/", body, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "sections.adverseevent[0].treatment"


def test_identity_and_the_case_fields_round_trip(api_a, case_a):
    identity = api_a.get(url(case_a.code, "identity")).json()
    changed = {**identity, "initials": "ZX", "date_of_birth": "1960-04-05"}
    saved = write(api_a, "put", url(case_a.code, "identity"), changed, version_of(case_a.code))
    assert saved.status_code == 200, saved.json()
    assert fields_of(api_a.get(url(case_a.code, "identity")).json(), Identity) == fields_of(
        changed, Identity
    )

    case = api_a.get(url(case_a.code)).json()
    update = {**case, "consent": "yes", "consent_date": "2020-01-02"}
    saved = write(api_a, "patch", url(case_a.code), update, case["version"])
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["consent"], saved.json()["consent_date"]) == ("yes", "2020-01-02")
    refused = write(api_a, "patch", url(case_a.code), {"status": "locked"}, saved.json()["version"])
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "status"


def test_a_body_that_is_not_json_is_refused(api_a, case_a):
    response = api_a.patch(
        url(case_a.code), {"consent": "yes"}, format="multipart", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 415
    assert version_of(case_a.code) == 1
