"""The application's database role (registry.dbroles): the registry works with it, and it can
do nothing but read and write rows — no temporary tables, no DDL, no trigger switches, no
event of its own making."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from crf import access
from crf.batch import Item, NewCase, batch_save
from crf.lifecycle import case_submit
from crf.models import Case, Demographics, Identity
from crf.services import section_save
from registry import integrity
from registry.audit import audit_context
from registry.dbroles import grant_app_role


@pytest.fixture
def app_role(db):
    """A fresh application role, set up as `manage.py db_roles` does, and the test's
    session switched to it (all of it is undone with the test's transaction)."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    call_command("db_roles", role=role, stdout=None)
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def refused(statement: str) -> str:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as error:
        return str(error)
    return ""


def test_the_role_has_no_attribute_beyond_logging_in(db):
    role = grant_app_role(f"app_{uuid.uuid4().hex[:8]}", password="s3cret-for-the-test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
            "rolbypassrls FROM pg_roles WHERE rolname = %s",
            [role],
        )
        assert cursor.fetchone() == (True, False, False, False, False, False)


@pytest.mark.parametrize(
    "statement",
    [
        # A temporary table named like an event table would shadow it for unqualified names.
        'CREATE TEMP TABLE "crf_identityevent" (LIKE "crf_identityevent")',
        "CREATE TABLE public.shadow (id int)",
        'ALTER TABLE "crf_case" DISABLE TRIGGER ALL',
        "SET session_replication_role = replica",
        'DROP TABLE "crf_caseevent"',
        "UPDATE \"crf_caseevent\" SET pgh_label = 'forged'",
        "INSERT INTO \"crf_caseevent\" (pgh_label, pgh_obj_id) VALUES ('forged', 1)",
        'TRUNCATE "crf_case" CASCADE',
    ],
    ids=[
        "temp-table",
        "create-table",
        "disable-trigger",
        "replica",
        "drop-table",
        "update-event",
        "insert-event",
        "truncate",
    ],  # fmt: skip
)
def test_the_application_role_only_reads_and_writes_rows(app_role, statement):
    assert refused(statement), f"{statement!r} was allowed to {app_role}"


def test_the_registry_works_and_is_audited_as_the_application_role(
    app_role, investigator_a, centre_a
):
    """The write paths (batch with COPY, section save, submission) and the audit seal, with
    the grants production runs."""
    me = access.actor_for(investigator_a)
    new = NewCase(centre_id=centre_a.pk, group="control", data={"consent": "yes"})
    batch_save(
        actor=me,
        source="import",
        items=[
            Item(
                new,
                Identity,
                {
                    "local_identifier": "IPP-APP",
                    "initials": "AP",
                    "date_of_birth": dt.date(1960, 3, 1),
                },
            ),
            Item(new, Demographics, {"sex": "female", "le_diagnosis_date": dt.date(2010, 5, 1)}),
        ],  # fmt: skip
    )
    case = Case.objects.get(identity__local_identifier="IPP-APP")
    section_save(
        actor=me,
        case=case,
        model=Demographics,
        data={"sex": "female", "le_diagnosis_date": dt.date(2010, 6, 1)},
        based_on=case.version,
        row_id=case.demographics.pk,
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (app_role,)
    events = Demographics.pgh_event_model.objects.filter(pgh_obj_id=case.demographics.pk)
    assert [e.pgh_label for e in events.order_by("pgh_id")] == ["insert", "update"]
    assert {e.pgh_context["user"] for e in events} == {investigator_a.pk}
    assert integrity.verify() == []
    with audit_context(source="shell", user=None, reason="nightly seal"):
        assert integrity.seal() > 0


def test_submission_works_as_the_application_role(app_role, investigator_a, case_a):
    # The submit guard refuses an incomplete case; the refusal itself needs only reads.
    with pytest.raises(ValidationError):
        case_submit(actor=access.actor_for(investigator_a), case=case_a, based_on=case_a.version)
