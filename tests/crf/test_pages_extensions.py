"""What the layers above the CRF register (crf.extensions) shows on the CRF pages: a list
column in the page's one query, a panel on the overview, notes above a section form."""

from __future__ import annotations

import pytest
from django.db.models import Value
from django.urls import reverse
from django.utils.html import format_html

from crf import extensions
from tests.crf.pages import section_url
from tests.factories import CaseFactory


@pytest.fixture
def registered(tmp_path, settings):
    (tmp_path / "panel.html").write_text("<section>panel for {{ panel.code }}</section>")
    (tmp_path / "note.html").write_text("<em>note on {{ field_name }}: {{ note.text }}</em>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], str(tmp_path)]}]
    added = [
        extensions.CaseColumn(
            "Flag",
            lambda case: format_html("<span>flag {}</span>", case.page_flag),
            lambda qs, actor: qs.annotate(page_flag=Value(7)),
        ),
        extensions.CasePanel("panel.html", lambda actor, case, rows: {"code": case.code}),
        extensions.FieldNotes("note.html", lambda a, c, m, r: {"sex": {"text": "open query"}}),
    ]
    for extension in added:
        extensions.register(extension)
    yield
    for extension in added:
        for registry in (extensions.CASE_COLUMNS, extensions.CASE_PANELS, extensions.FIELD_NOTES):
            if extension in registry:
                registry.remove(extension)


@pytest.mark.parametrize("cases", [2, 30])
def test_extensions_render_on_the_crf_pages(
    client, investigator_a, case_a, registered, cases, django_assert_max_num_queries
):
    CaseFactory.create_batch(cases, centre=case_a.centre)
    client.force_login(investigator_a)

    with django_assert_max_num_queries(8):
        listing = client.get(reverse("crf:case_list")).content.decode()
    assert '<th scope="col">Flag</th>' in listing and "<td><span>flag 7</span></td>" in listing

    overview = client.get(reverse("crf:case_detail", args=[case_a.code])).content.decode()
    assert f"panel for {case_a.code}" in overview
    form = client.get(section_url(case_a, "demographics")).content.decode()
    assert "note on sex: open query" in form
