"""The benchmark database: the machine's PostgreSQL when it answers (else the embedded one),
a database of its own (`registry_bench`), built once with `generate_synthetic` and reused
while it holds the cases asked for."""

from __future__ import annotations

import os
import sys

import psycopg

MACHINE = "postgres://postgres@127.0.0.1:5432/"
NAME = "registry_bench"


def url(name: str = NAME) -> str:
    """BENCH_DATABASE_URL (for the default name), else the machine's PostgreSQL, else the
    embedded server."""
    if name == NAME and os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    try:
        with psycopg.connect(MACHINE + "postgres", connect_timeout=3, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return MACHINE + name
    except psycopg.OperationalError:
        from registry import devdb

        return devdb.database_url(name)


def build(cases: int, seed: int) -> int:
    """Migrate, then add synthetic patients until the database holds `cases`."""
    from django.core.management import call_command

    from crf.models import Case

    call_command("migrate", verbosity=0)
    have = Case.objects.count()
    if have < cases:
        print(f"building: {have:,} cases present, generating {cases - have:,} (seed {seed + have})")
        call_command("generate_synthetic", cases=cases - have, seed=seed + have, stdout=sys.stdout)
    # Eligibility and discrepancies of cases written before they were stored (the dashboard
    # reads them): what `reassess` does after a rule change.
    call_command("reassess", stale_only=True, stdout=sys.stdout)
    vacuum(analyze=True)
    return Case.objects.count()


def vacuum(*, analyze: bool = False) -> None:
    """Clear the dead rows the write measurements leave (they roll back: the database keeps
    its data, not its size). Where autovacuum is off (CI's PostgreSQL) they would pile up
    from run to run and slow every later read: 470,000 dead case rows once made the pages'
    p95 200 ms instead of 100. Quick when nothing is dead (the visibility map)."""
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE" if analyze else "VACUUM")


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"
