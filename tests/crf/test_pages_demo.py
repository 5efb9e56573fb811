"""`make run`'s demo data through the pages: the demo investigator opens every page of a
seeded case and saves a section; the coordinator reads it; nothing needs the admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from crf.models import Case, Demographics
from crf.models.case import READ_ONLY_STATUSES
from crf.sections import SECTIONS
from registry.models import User
from tests.crf.pages import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def test_demo_accounts_do_their_work_from_the_pages(demo, client):
    investigator = User.objects.get(username="investigator1")
    client.force_login(investigator)
    listing = client.get(reverse("crf:case_list"))
    cases = listing.context["page"].object_list
    assert len({c.centre_id for c in cases}) == 1
    case = next(c for c in cases if c.status not in READ_ONLY_STATUSES)

    for url in [
        reverse("crf:case_detail", args=[case.code]),
        reverse("crf:case_history", args=[case.code]),
        *(reverse("crf:section", args=[case.code, s.slug]) for s in SECTIONS),
    ]:
        assert client.get(url).status_code == 200, url

    demo_row = Demographics.objects.get(case=case)
    page = client.get(reverse("crf:section", args=[case.code, "demographics"]))
    form = page.context["form"]
    data = {
        name: value
        for name, value in ((f.name, f.value()) for f in form if f.name not in ("acknowledged",))
        if value not in (None, "")
    }
    data["death_cause_detail"] = "checked in the page test"
    data["reason_for_change"] = "demo"
    response = client.post(reverse("crf:section", args=[case.code, "demographics"]), data)
    assert response.status_code == 302, response.context["form"].errors
    demo_row.refresh_from_db()
    assert demo_row.death_cause_detail == "checked in the page test"
    assert fresh(Case.objects.get(pk=case.pk)).version > 1

    client.force_login(User.objects.get(username="coordinator"))
    assert client.get(reverse("crf:case_detail", args=[case.code])).status_code == 200
