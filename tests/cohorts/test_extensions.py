"""What cohorts adds to the CRF's pages and the home page (crf.extensions, registry.home),
the `reassess` command, and the coordinators' services under the application's database
role."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import translation

from cohorts import extensions
from cohorts.freezes import freeze_rows, take_freeze
from cohorts.models import Adjudication, CaseAssessment
from cohorts.queries import answer_query, close_query, raise_query
from crf import access, lifecycle, snapshot
from crf import extensions as crf_extensions
from crf.models import Case, Demographics
from crf.services import section_save
from registry import home
from tests.factories import CaseFactory, DemographicsFactory
from tests.registry.test_db_roles import app_role  # noqa: F401  (fixture)


def actor(user):
    return access.actor_for(user)


@pytest.fixture
def queried(coordinator, case_a):
    DemographicsFactory(case=case_a, sex="female")
    return raise_query(actor=actor(coordinator), case=case_a, text="Sex?", model="demographics",
                       field="sex")  # fmt: skip


def test_registered_once_each(db):
    assert sum(c.cell.__module__ == "cohorts.extensions" for c in crf_extensions.CASE_COLUMNS) == 2
    assert sum(p.template.startswith("cohorts/") for p in crf_extensions.CASE_PANELS) == 1
    assert sum(n.template.startswith("cohorts/") for n in crf_extensions.FIELD_NOTES) == 1
    assert lifecycle._GUARDS["verify"].count(lifecycle._GUARDS["verify"][-1]) == 1


def test_case_list_columns_annotate_in_the_same_query(
    coordinator, queried, case_a, case_b, django_assert_num_queries
):
    cases = Case.objects.order_by("pk")
    for column in crf_extensions.CASE_COLUMNS:
        cases = column.annotate(cases, actor(coordinator))
    with django_assert_num_queries(1):
        rows = {c.pk: c for c in cases}
    assert (rows[case_a.pk].open_queries, rows[case_b.pk].open_queries) == (1, 0)


def test_field_note_and_overview_panel(coordinator, investigator_a, queried, case_a):
    demo = Demographics.objects.get(case=case_a)
    notes = extensions.field_notes(actor(investigator_a), case_a, Demographics, demo)
    assert notes["sex"]["query"] == queried
    panel = extensions.overview_panel(actor(investigator_a), case_a, snapshot.load_one(case_a))
    assert panel["open_queries"] == [queried] and panel["verdict"].status == "undetermined"
    assert panel["may_review"] is False


def test_home_panels_list_what_waits(coordinator, investigator_a, investigator_b, queried):
    request = RequestFactory().get("/")
    request.user = investigator_a
    assert extensions.queries_to_answer(request)["queries"] == [queried]
    request.user = investigator_b
    assert extensions.queries_to_answer(request)["queries"] == []
    assert any(p.template == "cohorts/home/review.html" for p in home._PANELS)


def test_reassess_fills_missing_assessments(case_a, case_b):
    CaseAssessment.objects.all().delete()
    out = io.StringIO()
    call_command("reassess", stdout=out)
    assert "2 case(s)" in out.getvalue()
    assert CaseAssessment.objects.count() == 2


def test_queries_and_freezes_work_as_the_application_role(
    app_role,  # noqa: F811  (the fixture imported above)
    coordinator,
    investigator_a,
    centre_a,  # noqa: F811
):
    case = CaseFactory(centre=centre_a)
    section_save(actor=actor(investigator_a), case=case, model=Demographics,
                 data={"sex": "female"}, based_on=case.version)  # fmt: skip
    query = raise_query(actor=actor(coordinator), case=case, text="Sex?", model="demographics",
                        field="sex")  # fmt: skip
    answer_query(actor=actor(investigator_a), query=query, text="Male in fact", value="male")
    close_query(actor=actor(coordinator), query=query)
    Adjudication.objects.create(
        case=case,
        decision="include",
        reason="x",
        computed="undetermined",
        justification="y",
        decided_by=coordinator,
    )
    freeze = take_freeze(actor=actor(coordinator), name="As app role")
    (rows,) = freeze_rows(freeze)
    assert rows.one(Demographics).sex == "male"


def test_extension_cells_and_templates_render(coordinator, investigator_a, queried, case_a):
    """The CRF pages render these (crf.extensions); they are checked here on their own."""
    from django.template.loader import render_to_string

    from cohorts.assessment import reassess

    reassess([case_a])  # rows made by factories, not through the services
    listed = with_columns(Case.objects.filter(pk=case_a.pk), actor(coordinator)).get()
    cells = [c.cell(listed) for c in crf_extensions.CASE_COLUMNS]
    assert cells == ['<span class="badge text-bg-warning">1 open query</span>', "Undetermined"]
    listed.open_queries, listed.eligibility, listed.adjudicated = 0, "eligible", "exclude"
    assert [c.cell(listed) for c in crf_extensions.CASE_COLUMNS] == ["—", "Eligible · excluded"]
    with translation.override("fr"):
        listed.open_queries = 2
        assert [c.cell(listed) for c in crf_extensions.CASE_COLUMNS] == [
            '<span class="badge text-bg-warning">2 requêtes ouvertes</span>',
            "Éligible · exclus",
        ]
    note = extensions.field_notes(actor(investigator_a), case_a, Demographics, None)["sex"]
    html = render_to_string("cohorts/ext/field_note.html", {"note": note})
    assert f"Open query {queried.pk} on this field" in html and "Female" in html
    context = extensions.overview_panel(actor(investigator_a), case_a, snapshot.load_one(case_a))
    panel = render_to_string("cohorts/ext/overview_panel.html", context)
    assert "Documented VEXAS syndrome" in panel and f"Query {queried.pk}" in panel
    assert "Open the case review" not in panel  # investigators do not review


def with_columns(cases, who):
    for column in crf_extensions.CASE_COLUMNS:
        cases = column.annotate(cases, who)
    return cases
