"""Several clients editing one case at the same time lose no update.

Real parallel connections: each thread is its own client with its own database connection
(a transactional test, so every commit is seen by the others). The write contract locks the
case and refuses a write based on a stale version (`EditConflict`, 412 through the API);
a client that is refused reads the case again and re-enters its change, as the pages ask.

- Different fields and repeating groups of one case, written in parallel through
  crf.services: every acknowledged write is in the final state, the version went up once per
  write, and the audit holds an event for each.
- Two clients writing the same field with the same ETag (If-Match): exactly one wins, the
  other gets 412 and nothing it sent is stored or audited.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connections

from crf import access
from crf.models import Case, Demographics, HaematologicalDisease, Treatment
from crf.services import EditConflict, WarningsToAcknowledge, section_save
from registry.audit import Source
from tests.api.conftest import token_client
from tests.factories import DemographicsFactory, HaematologicalDiseaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRITES_PER_CLIENT = 8


def run_in_parallel(*clients: Callable[[], None]) -> None:
    """Start every client at once, each on its own connection; re-raise what any raised."""
    start = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def body(client: Callable[[], None]) -> None:
        try:
            start.wait()
            client()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client is stuck"
    assert not errors, errors


def save_until_acknowledged(user, code: str, model, data: dict, conflicts: list[int]):
    """What a client does: write on the version it read; on a conflict, read again and
    re-enter; confirm the warnings it is shown. Returns the saved row once acknowledged."""
    actor = access.actor_for(user, access.Scope.READ_WRITE)
    acknowledged: dict[str, str] = {}
    while True:
        version = Case.objects.values_list("version", flat=True).get(code=code)
        try:
            return section_save(
                actor=actor,
                case=code,
                model=model,
                data=data,
                based_on=version,
                acknowledged=acknowledged,
                source=Source.API,
            )
        except EditConflict:
            conflicts.append(1)
        except WarningsToAcknowledge as exc:
            acknowledged = {f.rule: "confirmed by the test client" for f in exc.findings}


def audited_values(model, pk: int, field: str) -> list:
    """The values the row's `field` took, event by event (an event of another field of the
    row, a derived value for instance, repeats the value and is skipped)."""
    events = model.pgh_event_model.objects.filter(pgh_obj_id=pk).order_by("pgh_id")
    values: list = []
    for value in events.values_list(field, flat=True):
        if not values or values[-1] != value:
            values.append(value)
    return values


def test_parallel_writers_of_different_fields_and_rows_lose_no_update(investigator_a, case_a):
    demographics = DemographicsFactory(case=case_a)
    haem = HaematologicalDiseaseFactory(case=case_a)
    code, version_before = case_a.code, Case.objects.get(pk=case_a.pk).version
    follow_ups = [dt.date(2023, 2, 1 + i) for i in range(WRITES_PER_CLIENT)]
    platelets = [140 + i for i in range(WRITES_PER_CLIENT)]
    starts = [dt.date(2019, 3, 1 + i) for i in range(WRITES_PER_CLIENT)]
    acknowledged: dict[str, list] = {"follow_up": [], "platelets": [], "treatments": []}
    conflicts: list[int] = []

    def follow_up_writer():
        for day in follow_ups:
            save_until_acknowledged(
                investigator_a, code, Demographics, {"last_followup_date": day}, conflicts
            )
            acknowledged["follow_up"].append(day)

    def platelet_writer():
        for count in platelets:
            save_until_acknowledged(
                investigator_a, code, HaematologicalDisease, {"platelets": count}, conflicts
            )
            acknowledged["platelets"].append(count)

    def treatment_writer():
        for day in starts:
            row = save_until_acknowledged(
                investigator_a,
                code,
                Treatment,
                {"agent": "hydroxychloroquine", "regimen": "hcq_alone", "started_on": day},
                conflicts,
            )
            acknowledged["treatments"].append(row.pk)

    run_in_parallel(follow_up_writer, platelet_writer, treatment_writer)

    writes = WRITES_PER_CLIENT * 3
    assert [len(v) for v in acknowledged.values()] == [WRITES_PER_CLIENT] * 3
    assert conflicts, "the clients never overlapped: the test proved nothing"
    # Nothing lost: the last value of each field, every row, one version per write.
    demographics.refresh_from_db()
    haem.refresh_from_db()
    assert demographics.last_followup_date == acknowledged["follow_up"][-1]
    assert haem.platelets == acknowledged["platelets"][-1]
    treatments = Treatment.objects.filter(case=case_a)
    assert sorted(treatments.values_list("pk", flat=True)) == sorted(acknowledged["treatments"])
    assert sorted(treatments.values_list("started_on", flat=True)) == starts
    assert Case.objects.get(pk=case_a.pk).version == version_before + writes
    # The audit holds an event for each acknowledged write, in the order they were made.
    follow_up_events = audited_values(Demographics, demographics.pk, "last_followup_date")
    assert follow_up_events[1:] == acknowledged["follow_up"]
    assert audited_values(HaematologicalDisease, haem.pk, "platelets")[1:] == platelets
    inserted = Treatment.pgh_event_model.objects.filter(pgh_label="insert")
    assert sorted(inserted.values_list("pgh_obj_id", flat=True)) == sorted(
        acknowledged["treatments"]
    )
    assert {e["source"] for e in inserted.values_list("pgh_context", flat=True)} == {"api"}


def test_two_clients_writing_one_field_with_one_etag_one_wins_one_gets_412(investigator_a, case_a):
    demographics = DemographicsFactory(case=case_a)
    url = f"/api/v1/cases/{case_a.code}/sections/demographics/"
    clients = [token_client(investigator_a, days=7), token_client(investigator_a, days=8)]
    for round_ in range(5):
        values = [dt.date(2024, 1 + round_, 10 + i).isoformat() for i in range(2)]
        etags = [c.get(url)["ETag"] for c in clients]
        assert etags[0] == etags[1]
        statuses: list[tuple[int, str]] = []

        def writer(client, value, etag, statuses=statuses):
            def write():
                body = {"last_followup_date": value}
                response = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)
                statuses.append((response.status_code, value))

            return write

        run_in_parallel(*(writer(c, v, e) for c, v, e in zip(clients, values, etags, strict=True)))

        assert sorted(s for s, _ in statuses) == [200, 412], statuses
        [won] = [v for s, v in statuses if s == 200]
        [lost] = [v for s, v in statuses if s == 412]
        demographics.refresh_from_db()
        assert demographics.last_followup_date.isoformat() == won
        audited = audited_values(Demographics, demographics.pk, "last_followup_date")
        assert audited[-1].isoformat() == won
        assert lost not in [d.isoformat() for d in audited]
