"""The write contract's cost: the batch path's rows per second and one section save's queries.

Targets (issue 5): at least 5,000 section rows per second validated and audited through the
batch path on this machine; a single `section_save` in under 15 queries.
"""

import datetime as dt
import random
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks import report
from crf import access
from crf.batch import Item, NewCase, batch_save
from crf.models import (
    Case,
    Demographics,
    HaematologicalDisease,
    Identity,
    LupusProfile,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)
from crf.services import section_save
from registry.models import Centre, Membership, Role, User

pytestmark = pytest.mark.django_db


def patient(centre: Centre, n: int, rng: random.Random) -> list[Item]:
    """Ten section rows of one new case, plausible values."""
    case = NewCase(centre_id=centre.pk, data={"consent": "yes"})
    le = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randint(0, 3000))
    return [
        Item(case, Identity, {"local_identifier": f"B{n}", "initials": "AB",
                              "date_of_birth": dt.date(1950, 1, 1)}),
        Item(case, Demographics, {"sex": rng.choice(["male", "female"]), "le_diagnosis_date": le,
                                  "last_followup_date": le + dt.timedelta(days=900)}),
        Item(case, LupusProfile, {"le_type": "sle", "renal": "no", "cutaneous": "yes"}),
        Item(case, SliccCriteria, {"ana": "yes", "anti_dsdna": "yes", "synovitis": "yes",
                                   "acute_or_subacute_cle": "yes"}),
        Item(case, SerologyPanel, {"at_le_diagnosis": True, "ana": "positive", "ana_titre": 320,
                                   "c3": 0.7, "c3_lower_limit": 0.9}),
        Item(case, SledaiAssessment, {"context": "le_diagnosis", "rash": "yes",
                                      "arthritis": "yes"}),
        Item(case, HaematologicalDisease, {"disease": "mds", "diagnosis_date": le, "hb": 9.1,
             "anc": 1.1, "platelets": 120, "bm_blasts": 2, "cytogenetics_done": "yes",
             "karyotype": "normal"}),
        Item(case, Treatment, {"agent": "hydroxychloroquine", "regimen": "hcq_alone",
                               "started_on": le}),
        Item(case, Treatment, {"agent": "oral_corticosteroids", "regimen": "hcq_ocs",
                               "started_on": le}),
        Item(case, SledaiAssessment, {"context": "follow_up",
                                      "assessed_on": le + dt.timedelta(days=200)}),
    ]  # fmt: skip


@pytest.fixture
def investigator():
    centre = Centre.objects.create(code="bench", name="Bench")
    user = User.objects.create(username="bench")
    Membership.objects.create(user=user, role=Role.INVESTIGATOR, centre=centre)
    return centre, user


def test_batch_write_rows_per_second(investigator):
    centre, user = investigator
    rng = random.Random(5)
    items = [item for n in range(1000) for item in patient(centre, n, rng)]
    started = time.perf_counter()
    batch_save(actor=access.actor_for(user), items=items, source="import", reason="bench")
    elapsed = time.perf_counter() - started
    assert Case.objects.count() == 1000
    report.record("batch write, 10,000 rows validated and audited", len(items) / elapsed,
                  "rows/s", ">= 5000", note=f"{elapsed:.2f} s")  # fmt: skip


def test_single_section_save_queries(investigator):
    centre, user = investigator
    actor = access.actor_for(user)
    batch_save(actor=actor, items=patient(centre, 1, random.Random(1)), source="import")
    case = Case.objects.get()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        section_save(actor=actor, case=case, model=HaematologicalDisease,
                     data={"hb": 8.7}, based_on=case.version)  # fmt: skip
        elapsed = time.perf_counter() - started
    report.record(
        "one section_save", len(queries), "queries", "< 15", note=f"{elapsed * 1000:.0f} ms"
    )
