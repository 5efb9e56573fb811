"""Query-count guards (issue 10): the paths people use most run the same number of queries
whatever the number of rows, so an N+1 (a query per case, per treatment, per biopsy…) fails
here instead of slowing the registry down at 100,000 cases.

Each path is counted twice: on a small data set, then after adding several times more rows
of what it lists or reads (cases for the list, dashboard and export; repeating rows for the
overview, section saves and the API's case read). The two counts must be equal, and under a
stated ceiling. Rows are written through crf.batch, as every CRF writer must.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.queries import raise_query
from crf import access
from crf.batch import Item, batch_save
from crf.models import (
    AdverseEvent,
    Case,
    CentralReview,
    CutaneousLesion,
    Demographics,
    EvolutionEvent,
    HaematologicalDisease,
    HaematologicalResponse,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SkinBiopsy,
    SledaiAssessment,
    Treatment,
)
from demo import synthetic
from exports import deid, pipeline
from exports.sources import CurrentData
from registry.audit import Source
from tests.api.conftest import token_client
from tests.crf.pages import HTMX, fresh, new_row_url, posted, section_url
from tests.factories import CentreFactory

SMALL_CASES, MORE_CASES = 3, 30  # more than a page (25 on the list) once added
MORE_COPIES = 7  # each repeating group: 1 row, then 8


# ---- counting ----


def queries_of(run: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    return [q["sql"] for q in captured.captured_queries]


def assert_flat(small: list[str], large: list[str], ceiling: int) -> None:
    """Same number of queries with more rows, and at most `ceiling`; on failure, the
    queries the larger data set added are shown (the N+1 to fix)."""
    added = [q for q in large if q not in small] or large[len(small) :]
    assert len(large) == len(small), (
        f"{len(small)} queries with few rows, {len(large)} with more; added:\n"
        + "\n".join(added[:10])
    )
    assert len(small) <= ceiling, f"{len(small)} queries (ceiling {ceiling}):\n" + "\n".join(small)


# ---- data, written through the batch path ----


def add_cases(centres, n: int, seed: int) -> None:
    """`n` synthetic patients (every section, ~10 repeating rows each) across `centres`."""
    synthetic.generate(cases=n, seed=seed, centre_ids=[c.pk for c in centres])


def add_repeating_rows(case: Case, copies: int) -> None:
    """`copies` rows of every repeating group of `case`, nested rows included."""
    on = date(2019, 3, 1)
    items: list[Item] = []
    for i in range(copies):
        aza = Item(case, Treatment, {"agent": "azacitidine", "regimen": "azacitidine",
                                     "target": "both", "route": "systemic", "cycles": 6,
                                     "started_on": on})  # fmt: skip
        biopsy = Item(case, SkinBiopsy, {"taken_on": on, "site": "fingers",
                                         "local_diagnosis": "cle"})  # fmt: skip
        blood = Item(case, NgsTest, {"tissue": "peripheral_blood", "result": "variants",
                                     "sampled_on": on})  # fmt: skip
        items += [
            aza,
            Item(case, LupusResponse, {"recorded": "clinical_response"}, parent=aza),
            Item(case, HaematologicalResponse, {"criteria": "iwg_2018",
                                                "category": "stable_disease"}, parent=aza),
            Item(case, AdverseEvent, {"category": "infection", "treatment": aza}),
            biopsy,
            Item(case, CentralReview, {"diagnosis": "cle"}, parent=biopsy),
            blood,
            Item(case, NgsVariant, {"gene": "TET2", "vaf": 20 + i}, parent=blood),
            Item(case, SerologyPanel, {"at_le_diagnosis": False, "sampled_on": on,
                                       "ana": "positive", "ana_titre": 320}),
            Item(case, SledaiAssessment, {"context": "follow_up", "assessed_on": on}),
            Item(case, CutaneousLesion, {"subtype": "chilblain"}),
            Item(case, EvolutionEvent, {"new_state": "mds_ib2", "occurred_on": on}),
        ]  # fmt: skip
    batch_save(actor=access.SYSTEM, items=items, source=Source.SYSTEM, acknowledge_all=True)


@pytest.fixture
def full_case(case_a) -> Case:
    """Case A with its single-row sections and one row of every repeating group."""
    items = [
        Item(case_a, Demographics, {"sex": "female", "le_diagnosis_date": date(2015, 1, 10),
                                    "last_followup_date": date(2023, 1, 10),
                                    "vital_status": "alive"}),
        Item(case_a, HaematologicalDisease, {"disease": "mds", "diagnosis_date": date(2015, 2, 1),
                                             "hb": 9.5, "anc": 1.2, "platelets": 130,
                                             "bm_blasts": 3, "cytogenetics_done": "yes",
                                             "karyotype": "normal"}),
    ]  # fmt: skip
    batch_save(actor=access.SYSTEM, items=items, source=Source.SYSTEM, acknowledge_all=True)
    add_repeating_rows(case_a, 1)
    return case_a


# ---- the seven paths ----


def test_investigator_case_list(client, investigator_a, centre_a):
    add_cases([centre_a], SMALL_CASES, seed=1)
    client.force_login(investigator_a)

    def run() -> None:
        response = client.get(reverse("crf:case_list"))
        assert response.status_code == 200

    run()  # the first request stamps the session (idle timeout)
    small = queries_of(run)
    add_cases([centre_a], MORE_CASES, seed=2)
    large = queries_of(run)

    listed = client.get(reverse("crf:case_list")).context["page"].object_list
    assert len(listed) == 25  # a full page, against 3 rows before
    assert_flat(small, large, ceiling=8)


def test_case_overview(client, investigator_a, full_case):
    client.force_login(investigator_a)

    def run() -> None:
        response = client.get(reverse("crf:case_detail", args=[full_case.code]))
        assert response.status_code == 200

    run()
    small = queries_of(run)
    add_repeating_rows(full_case, MORE_COPIES)
    large = queries_of(run)

    assert Treatment.objects.filter(case=full_case).count() == 1 + MORE_COPIES
    assert_flat(small, large, ceiling=13)


SECTION_SAVES = {  # slug -> (url, form data) of the n-th save
    # A one-row section saved while the case holds many repeating rows (the whole case is
    # judged and derived again), and a new row of a repeating group among many.
    "demographics": lambda case, n: (
        section_url(case, "demographics"),
        posted(
            case,
            sex="female",
            le_diagnosis_date="2015-01-10",
            last_followup_date=f"2023-01-{10 + n:02d}",
            vital_status="alive",
        ),
    ),  # fmt: skip
    "treatment": lambda case, n: (
        new_row_url(case, "treatment"),
        posted(
            case,
            agent="azacitidine",
            regimen="azacitidine",
            target="haematological",
            route="systemic",
            cycles=str(n),
            started_on="2019-04-01",
        ),
    ),  # fmt: skip
}


@pytest.mark.parametrize("section", SECTION_SAVES)
def test_section_save_through_the_page(client, investigator_a, full_case, section):
    client.force_login(investigator_a)
    saves = iter(range(1, 10))

    def run() -> None:
        url, data = SECTION_SAVES[section](fresh(full_case), next(saves))
        response = client.post(url, data, **HTMX)
        assert response.status_code in (200, 302) and b"Nothing was saved" not in response.content
        assert fresh(full_case).version == data["based_on"] + 1  # it was saved

    run()
    small = queries_of(run)
    add_repeating_rows(full_case, MORE_COPIES)
    large = queries_of(run)

    assert_flat(small, large, ceiling=22)


def test_api_case_list(investigator_a, centre_a, centre_b):
    api = token_client(investigator_a)
    add_cases([centre_a, centre_b], SMALL_CASES, seed=3)

    def run() -> None:
        response = api.get("/api/v1/cases/")
        assert response.status_code == 200

    run()
    small = queries_of(run)
    add_cases([centre_a, centre_b], MORE_CASES, seed=4)
    large = queries_of(run)

    assert api.get("/api/v1/cases/").json()["count"] > SMALL_CASES
    assert_flat(small, large, ceiling=9)


def test_api_case_read(investigator_a, full_case):
    api = token_client(investigator_a)

    def run() -> None:
        response = api.get(f"/api/v1/cases/{full_case.code}/")
        assert response.status_code == 200

    run()
    small = queries_of(run)
    add_repeating_rows(full_case, MORE_COPIES)
    large = queries_of(run)

    read = api.get(f"/api/v1/cases/{full_case.code}/").json()
    assert len(read["sections"]["treatment"]) == 1 + MORE_COPIES
    assert_flat(small, large, ceiling=10)


def test_deidentified_export(centre_a, centre_b, tmp_path: Path):
    add_cases([centre_a, centre_b], SMALL_CASES, seed=5)
    runs = iter(range(10))

    def run() -> None:
        pipeline.run_export(
            source=CurrentData(),
            profile=deid.Profile("deidentified"),
            formats=["csv"],
            key=b"k" * 40,
            sink=pipeline.DirectorySink(tmp_path / f"export-{next(runs)}"),
            k_threshold=2,
        )

    run()
    small = queries_of(run)
    add_cases([centre_a, centre_b], MORE_CASES, seed=6)
    large = queries_of(run)

    exported = (tmp_path / "export-2" / "cases.csv").read_text().count("\n")
    assert exported == 1 + SMALL_CASES + MORE_CASES  # header and every case
    assert_flat(small, large, ceiling=32)


def test_coordinator_dashboard(client, coordinator, centre_a, centre_b):
    add_cases([centre_a, centre_b], SMALL_CASES, seed=7)
    client.force_login(coordinator)

    def run() -> None:
        response = client.get(reverse("cohorts:dashboard"))
        assert response.status_code == 200

    run()
    small = queries_of(run)
    # More cases, in a centre more, with open queries on them.
    add_cases([centre_a, centre_b, CentreFactory(code="gamma")], MORE_CASES, seed=8)
    coordinating = access.actor_for(coordinator)
    for case in Case.objects.order_by("pk")[:10]:
        raise_query(actor=coordinating, case=case, text="Please check")
    large = queries_of(run)

    assert b"gamma" in client.get(reverse("cohorts:dashboard")).content
    assert_flat(small, large, ceiling=13)
