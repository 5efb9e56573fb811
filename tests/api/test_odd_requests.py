"""Malformed or unexpected requests get a 4xx that says what to fix, never a 500, and
write nothing: no case, no row, no version bump, no audit event."""

import pytest
from django.db import connection

from crf.models import Case
from registry import integrity
from registry.models import TokenUse
from tests.factories import HaematologicalDiseaseFactory, TreatmentFactory


def written() -> tuple:
    """Every case with its version, and the number of audit events of every kind."""
    with connection.cursor() as cursor:
        events = []
        for table in integrity.event_tables():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            events.append(cursor.fetchone()[0])
    return sorted(Case.objects.values_list("code", "version")), events


ODD = [
    ("post", "/api/v1/cases/", []),
    ("post", "/api/v1/cases/", {"group": "case", "sections": []}),
    ("post", "/api/v1/cases/", {"group": "case", "sections": {"treatment": {"agent": "x"}}}),
    ("post", "/api/v1/cases/", {"group": "case", "sections": {"identity": {}}}),
    ("post", "/api/v1/cases/", {"group": "case", "sections": {"ngsvariant": [{}]}}),
    ("post", "/api/v1/cases/", {"group": "case", "centre": "beta"}),
    ("post", "/api/v1/cases/", {"group": "case", "identity": "x"}),
    ("post", "/api/v1/cases/", {"group": "case", "acknowledge": 5, "sections": {"treatment": [5]}}),
    (
        "post",
        "/api/v1/cases/",
        {
            "group": "case",
            "sections": {"treatment": [{"agent": "azacitidine", "lupusresponse": [{}]}]},
        },
    ),
    (
        "post",
        "/api/v1/cases/",
        {"group": "case", "sections": {"adverseevent": [{"treatment": {"ref": 3}}]}},
    ),
    ("post", "/api/v1/cases/", {"group": "case", "consent_date": "notadate", "status": "locked"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ODD)
def test_an_odd_case_creation_is_refused_cleanly(api_a, case_a, method, path, body):
    before = written()
    response = getattr(api_a, method)(path, body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert written() == before


def test_odd_requests_about_a_case_are_refused_cleanly(api_a, case_a):
    c = case_a.code
    before = written()
    for method, path, body, h in [
        ("patch", f"/api/v1/cases/{c}/", [], '"1"'),
        ("patch", f"/api/v1/cases/{c}/", {"consent": "yes"}, "abc"),
        ("patch", f"/api/v1/cases/{c}/sections/demographics/", {"sex": ["a"]}, '"1"'),
        ("patch", f"/api/v1/cases/{c}/sections/treatment/", {"agent": "x"}, '"1"'),
        ("post", f"/api/v1/cases/{c}/sections/ngsvariant/", {"test": "x"}, '"1"'),
        ("post", f"/api/v1/cases/{c}/sections/ngsvariant/", {"gene": "TET2"}, '"1"'),
        ("post", f"/api/v1/cases/{c}/sections/ngsvariant/", {"test": 99999, "gene": "TET2"}, '"1"'),
        ("post", f"/api/v1/cases/{c}/transitions/nope/", {}, '"1"'),
        ("post", f"/api/v1/cases/{c}/transitions/submit/", {}, '"1"'),
        ("delete", f"/api/v1/cases/{c}/sections/demographics/", {}, '"1"'),
        ("get", f"/api/v1/cases/{c}/sections/nope/", {}, '"1"'),
        ("get", f"/api/v1/cases/{c}/sections/demographics/5/", {}, '"1"'),
        ("get", "/api/v1/cases/?page=99", {}, '"1"'),
        ("get", "/api/v1/cases/?page_size=100000&changed_since=xx", {}, '"1"'),
        ("get", f"/api/v1/cases/{c}%00/", {}, '"1"'),
        ("put", f"/api/v1/cases/{c}/sections/sledaiassessment/", {}, '"1"'),
    ]:
        response = getattr(api_a, method)(path, body, format="json", HTTP_IF_MATCH=h)
        assert 400 <= response.status_code < 500, (method, path, response.content)
    assert TokenUse.objects.filter(path__endswith="\\x00/").exists()  # NUL logged, escaped
    assert written() == before


@pytest.mark.parametrize(
    ("section", "field", "value", "rule"),
    [
        ("haematologicaldisease", "hb", 108, "unit.hb_g_l"),
        ("haematologicaldisease", "hb", -3, None),
        ("haematologicaldisease", "hb", "ten", "field.invalid"),
        ("haematologicaldisease", "hb", "1e999", None),
        # Found by the fuzzing's section bodies: these answered 500, or stored an infinity
        # that no later JSON answer about the case could carry.
        ("treatment", "dose", "1e999", "field.invalid"),
        ("treatment", "dose", "nan", "field.invalid"),
        ("treatment", "dose", 10**400, "field.invalid"),
        ("treatment", "started_on", 20190101, "field.invalid"),
        ("identity", "date_of_birth", True, "field.invalid"),
        # Year 1 made the age-adjusted IPSS-R raise (500); dates before 1900 are refused.
        ("identity", "date_of_birth", "0001-01-01", "date.too_early"),
    ],
)
def test_an_out_of_range_or_malformed_value_is_a_400_naming_it_and_writes_nothing(
    api_a, case_a, section, field, value, rule
):
    rows = {"haematologicaldisease": HaematologicalDiseaseFactory(case=case_a)}
    rows["treatment"] = TreatmentFactory(case=case_a)
    path = f"/api/v1/cases/{case_a.code}/sections/{section}/"
    path += f"{rows['treatment'].pk}/" if section == "treatment" else ""
    before = written()
    response = api_a.patch(
        path, {field: value}, format="json", HTTP_IF_MATCH=f'"{version_of(case_a)}"'
    )

    assert response.status_code == 400, response.content
    [error] = [e for e in response.json()["errors"] if e["field"] == f"{section}.{field}"]
    assert error["message"] and (rule is None or error["rule"] == rule)
    assert written() == before
    assert api_a.get(path).status_code == 200  # the case still reads


def version_of(case) -> int:
    return Case.objects.get(pk=case.pk).version


def nul_requests(code: str) -> list[tuple[str, str, object, str]]:
    section = f"/api/v1/cases/{code}/sections/demographics/"
    identity = {"local_identifier": "I\x00", "initials": "AB", "date_of_birth": "1950-01-01"}
    who = "identity.local_identifier"
    return [
        ("get", "/api/v1/cases/?centre=a%00b", {}, "centre"),
        ("post", "/api/v1/cases/", {"group": "case", "centre": "alpha\x00"}, "centre"),
        ("post", "/api/v1/cases/", {"group": "case", "identity": identity}, who),
        ("patch", section, {"death_cause_detail": "a\x00b"}, "death_cause_detail"),
        ("patch", section, {"sex": "female", "reason": "typo\x00"}, "reason"),
        ("patch", section, {"sex\x00": "female"}, "sex\x00"),
        ("post", f"/api/v1/cases/{code}/transitions/withdraw/", {"reason": "r\x00"}, "reason"),
    ]  # fmt: skip


def test_a_nul_character_anywhere_is_a_400_naming_where_and_writes_nothing(api_a, case_a):
    # Found by probing what the fuzzing's loose body schemas do not generate: PostgreSQL
    # refuses NUL in text and JSON, which answered 500.
    api_a.raise_request_exception = False
    HaematologicalDiseaseFactory(case=case_a)
    before = written()
    for method, path, body, field in nul_requests(case_a.code):
        version = Case.objects.get(pk=case_a.pk).version
        response = getattr(api_a, method)(path, body, format="json", HTTP_IF_MATCH=f'"{version}"')
        assert response.status_code == 400, (path, body, response.status_code)
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == (field, "request.invalid"), (path, error)
        assert error["message"] == "Null characters are not allowed."
    assert written() == before
