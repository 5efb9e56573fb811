"""Audit integrity: every event is chained to its object's previous event, and the event
tables are sealed with a key kept outside the database.

- **The chain.** A trigger on each event table (plain SQL, installed after every migrate,
  not skippable with pgtrigger.ignore) sets `pgh_hash = sha256(previous hash of the same
  object ‖ the event row as JSON)`. Changing, inserting or deleting an event in the middle
  of an object's history breaks the chain of every later event of that object.
- **The seals.** Someone able to rewrite the table could recompute the hashes, so
  `audit_verify --seal` records, per event table, its last event id and an HMAC-SHA-256
  (key `AUDIT_SEAL_KEY`, from the environment, never in the database) of every
  (id, hash) up to it. Verification recomputes them: any change to a sealed event —
  rewritten, deleted, inserted — no longer matches, even with the chain recomputed.
  Events after the last seal are protected by the chain only until the next seal (seal
  nightly, and after each data freeze).

`verify()` returns the problems found (empty: intact); `manage.py audit_verify` runs it
and exits non-zero on any problem (CI runs it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION "{schema}".registry_audit_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    previous text := '';
BEGIN
    -- An insert event is its object's first (ids are never reused): no lookup needed.
    IF NEW.pgh_label <> 'insert' THEN
        EXECUTE format(
            'SELECT pgh_hash FROM %I.%I WHERE pgh_obj_id = $1 ORDER BY pgh_id DESC LIMIT 1',
            TG_TABLE_SCHEMA, TG_TABLE_NAME
        ) INTO previous USING NEW.pgh_obj_id;
    END IF;
    NEW.pgh_hash := encode(
        sha256(convert_to(coalesce(previous, '') || (to_jsonb(NEW) - 'pgh_hash')::text, 'UTF8')),
        'hex'
    );
    RETURN NEW;
END;
$$;
"""
CHAIN_TRIGGER = """
CREATE TRIGGER registry_audit_chain BEFORE INSERT ON "{schema}"."{table}"
FOR EACH ROW EXECUTE FUNCTION "{schema}".registry_audit_chain();
"""


def event_tables() -> list[str]:
    """Every table carrying the chain column (every pghistory event table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = %s AND column_name = 'pgh_hash' ORDER BY table_name",
            [settings.REGISTRY_DB_SCHEMA],
        )
        return [name for (name,) in cursor.fetchall()]


def install_chain(**kwargs: object) -> None:
    """Install the chain function and its trigger on every event table (post_migrate)."""
    schema = settings.REGISTRY_DB_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_FUNCTION.format(schema=schema))
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'registry_audit_chain'"
        )
        chained = {name for (name,) in cursor.fetchall()}
        for table in event_tables():
            if table not in chained:
                cursor.execute(CHAIN_TRIGGER.format(schema=schema, table=table))


@dataclass(frozen=True)
class Problem:
    table: str
    event_id: int | None
    what: str

    def __str__(self) -> str:
        where = f"{self.table} event {self.event_id}" if self.event_id else self.table
        return f"{where}: {self.what}"


CHAIN_CHECK = """
SELECT pgh_id FROM (
    SELECT pgh_id, pgh_hash, pgh_label, row_number() OVER w AS n,
           encode(sha256(convert_to(
               coalesce(lag(pgh_hash) OVER w, '') || (to_jsonb(e) - 'pgh_hash')::text, 'UTF8'
           )), 'hex') AS expected
    FROM "{schema}"."{table}" e
    WINDOW w AS (PARTITION BY pgh_obj_id ORDER BY pgh_id)
) chained
WHERE pgh_hash <> expected OR (n = 1 AND pgh_label <> 'insert')
ORDER BY pgh_id
"""


def _broken_links(table: str) -> list[Problem]:
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_CHECK.format(schema=settings.REGISTRY_DB_SCHEMA, table=table))
        return [
            Problem(table, pgh_id, "its hash does not follow from the event and the one before")
            for (pgh_id,) in cursor.fetchall()
        ]


def _hashes(table: str, up_to: int) -> Iterator[tuple[int, str]]:
    # A server-side cursor: millions of events stream through in chunks.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(
            f'SELECT pgh_id, pgh_hash FROM "{settings.REGISTRY_DB_SCHEMA}"."{table}" '
            "WHERE pgh_id <= %s ORDER BY pgh_id",
            [up_to],
        )
        while rows := cursor.fetchmany(5000):
            yield from rows


def table_digest(table: str, up_to: int) -> str:
    """HMAC of every (id, hash) of the table up to `up_to`, with the key kept outside."""
    mac = hmac.new(settings.AUDIT_SEAL_KEY.encode(), digestmod=hashlib.sha256)
    mac.update(table.encode())
    for pgh_id, pgh_hash in _hashes(table, up_to):
        mac.update(f"{pgh_id}:{pgh_hash};".encode())
    return mac.hexdigest()


def _last_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT coalesce(max(pgh_id), 0) FROM "{settings.REGISTRY_DB_SCHEMA}"."{table}"'
        )
        return int(cursor.fetchone()[0])


@transaction.atomic
def seal() -> int:
    """Seal every event table as it is now; returns the number of seals written."""
    from registry.models import AuditSeal

    seals = [
        AuditSeal(table=table, last_event_id=last, digest=table_digest(table, last))
        for table in event_tables()
        if (last := _last_id(table))
    ]
    AuditSeal.objects.bulk_create(seals)
    return len(seals)


def verify() -> list[Problem]:
    """Every break of the chain, and every seal the tables no longer match."""
    from registry.models import AuditSeal

    problems: list[Problem] = []
    tables = event_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'registry_audit_chain' AND t.tgenabled <> 'D'"
        )
        chained = {name for (name,) in cursor.fetchall()}
    for table in tables:
        if table not in chained:
            problems.append(Problem(table, None, "the chain trigger is missing or disabled"))
        problems += _broken_links(table)
    latest = {
        s.table: s for s in AuditSeal.objects.order_by("table", "-last_event_id").distinct("table")
    }
    for table, sealed in latest.items():
        if table not in tables:
            problems.append(Problem(table, None, "a sealed event table is gone"))
        elif not hmac.compare_digest(sealed.digest, table_digest(table, sealed.last_event_id)):
            problems.append(
                Problem(table, None, f"events up to {sealed.last_event_id} changed since sealed")
            )
    return problems
