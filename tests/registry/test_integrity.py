"""Audit integrity (registry.integrity): hash-chained events, keyed seals, a verification
that proves the event tables were not altered — and catches it when they were."""

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from crf import access
from crf.models import Demographics
from crf.services import section_delete, section_save
from registry import integrity

pytestmark = pytest.mark.django_db

TABLE = Demographics.pgh_event_model._meta.db_table


def save(user, case, data, **kwargs):
    case.refresh_from_db()
    return section_save(actor=access.actor_for(user), case=case, model=Demographics,
                        data=data, based_on=case.version, **kwargs)  # fmt: skip


@pytest.fixture
def history(investigator_a, case_a):
    """A row inserted, updated twice and deleted: four chained events."""
    demo = save(investigator_a, case_a, {"sex": "male"})
    save(investigator_a, case_a, {"sex": "female"})
    save(investigator_a, case_a, {"vital_status": "alive"})
    case_a.refresh_from_db()
    section_delete(actor=access.actor_for(investigator_a), case=case_a, model=Demographics,
                   row_id=demo.pk, based_on=case_a.version)  # fmt: skip
    return demo


def sql(statement, params=()):
    with pgtrigger.ignore(), connection.cursor() as cursor:  # as a superuser would
        cursor.execute(statement, params)


def test_every_event_table_is_chained_and_intact(history):
    assert TABLE in integrity.event_tables()
    assert len(integrity.event_tables()) >= 19
    hashes = list(
        Demographics.pgh_event_model.objects.filter(pgh_obj_id=history.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "pgh_hash")
    )
    assert [label for label, _ in hashes] == ["insert", "update", "update", "delete"]
    assert all(len(h) == 64 for _, h in hashes) and len({h for _, h in hashes}) == 4
    assert integrity.verify() == []


def test_an_edited_event_breaks_the_chain(history):
    first = Demographics.pgh_event_model.objects.filter(pgh_obj_id=history.pk).order_by("pgh_id")
    sql(f'UPDATE "{TABLE}" SET sex = %s WHERE pgh_id = %s', ["female", first[0].pgh_id])
    problems = integrity.verify()
    assert [(p.table, p.event_id) for p in problems] == [(TABLE, first[0].pgh_id)]
    with pytest.raises(CommandError, match="altered"):
        call_command("audit_verify")


def test_a_deleted_event_breaks_the_chain_of_the_next(history):
    events = list(
        Demographics.pgh_event_model.objects.filter(pgh_obj_id=history.pk).order_by("pgh_id")
    )
    sql(f'DELETE FROM "{TABLE}" WHERE pgh_id = %s', [events[1].pgh_id])
    assert [p.event_id for p in integrity.verify()] == [events[2].pgh_id]


def test_a_rewritten_chain_still_fails_the_seal(history):
    integrity.seal()
    assert integrity.verify() == []
    last = Demographics.pgh_event_model.objects.filter(pgh_obj_id=history.pk).latest("pgh_id")
    # Whoever can rewrite the table can drop the last event (the chain before it stays valid):
    # only the keyed seal notices.
    sql(f'DELETE FROM "{TABLE}" WHERE pgh_id = %s', [last.pgh_id])
    problems = integrity.verify()
    assert [(p.table, p.event_id) for p in problems] == [(TABLE, None)]
    assert "changed since sealed" in problems[0].what


def test_a_seal_cannot_be_forged_without_the_key(history, settings):
    sealed = integrity.seal()
    settings.AUDIT_SEAL_KEY = "someone-else's-key"  # a forger's seals would be keyed so
    problems = integrity.verify()
    assert len(problems) == sealed > 0
    assert all("changed since sealed" in p.what for p in problems)


def test_a_disabled_chain_trigger_is_reported():
    sql(f'ALTER TABLE "{TABLE}" DISABLE TRIGGER registry_audit_chain')
    assert "missing or disabled" in str(integrity.verify()[0])


def test_the_command_seals_after_a_clean_check(history, capsys):
    call_command("audit_verify", "--seal")
    out = capsys.readouterr().out
    assert "Audit intact" in out and "Sealed" in out
