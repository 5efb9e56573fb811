"""Every CRF page renders for its owner on a case holding one row of every model."""

import pytest
from django.urls import reverse

from crf.sections import BY_SLUG, SECTIONS
from tests.registry.test_admin import fill_case


@pytest.fixture
def filled(case_a):
    return fill_case(case_a, biopsy=True)


def test_every_page_renders_for_the_owning_investigator(client, investigator_a, case_a, filled):
    client.force_login(investigator_a)
    code = case_a.code
    urls = [
        reverse("crf:case_list"),
        reverse("crf:case_create"),
        reverse("crf:case_detail", args=[code]),
        reverse("crf:case_history", args=[code]),
        reverse("crf:case_withdraw", args=[code]),
    ]
    urls += [reverse("crf:section", args=[code, s.slug]) for s in SECTIONS]
    for model, row in filled.items():
        slug = model._meta.model_name
        from crf.sections import section_of

        if section_of(model).repeats:
            urls.append(reverse("crf:row_edit", args=[code, slug, row.pk]))
            urls.append(reverse("crf:row_delete", args=[code, slug, row.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
    assert BY_SLUG


def test_section_addresses_are_what_reverse_gives(case_a):
    from crf.overview import section_urls

    assert section_urls(case_a.code) == {
        s.slug: reverse("crf:section", args=[case_a.code, s.slug]) for s in SECTIONS
    }
