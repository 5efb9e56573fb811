"""The database roles: an owner that migrates, an application role that only reads and writes.

The owner (the role of `manage.py migrate`) owns every table, the audit triggers and
their functions. The application role (web, Celery, shell: `REGISTRY_DB_APP_ROLE`, default
`registry_app`) is granted exactly what the registry needs, after every migrate
(`manage.py db_roles`, run by `make migrate` and by the compose `migrate` service):

- plain DML on the data tables; `SELECT` only on the event tables (the audit triggers
  write them as their owner), `SELECT, INSERT` on the seals (`registry.audit.app_role_grants`);
- no temporary tables (`TEMPORARY` revoked from PUBLIC: a temporary table could shadow a
  table an unqualified query names), no objects in the schema or the database, no role
  attributes (`NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`).

docs/audit.md says what this guarantees and what a compromised application could still do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from psycopg import sql

from registry.audit import app_role_grants

ATTRIBUTES = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"


def statements(
    role: str, database: str, tables: list[str], password: str | None, login: bool
) -> list[str]:
    """The set-up of `role` on `database`, in order; idempotent (run after every migrate)."""
    grants = app_role_grants(role, tables)  # refuses a role name that is not plain
    who = f'"{role}"'
    db = sql.Identifier(database).as_string()
    schema = sql.Identifier(settings.REGISTRY_DB_SCHEMA).as_string()
    out = [
        # Created here unless it exists (compose creates it with the database, and the
        # owner may not create roles); parallel set-ups (test workers) may race: one wins.
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {who} NOLOGIN {ATTRIBUTES}; END IF; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"REVOKE TEMPORARY, CREATE ON DATABASE {db} FROM PUBLIC",
        f"REVOKE TEMPORARY, CREATE ON DATABASE {db} FROM {who}",
        f"GRANT CONNECT ON DATABASE {db} TO {who}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
    ]
    if password is not None:
        out.append(f"ALTER ROLE {who} LOGIN PASSWORD {sql.Literal(password).as_string()}")
    elif login:
        out.append(f"ALTER ROLE {who} LOGIN")  # a development server's trust authentication
    return out + grants


def grant_app_role(
    role: str | None = None, *, password: str | None = None, login: bool = False
) -> str:
    """Create (if missing) and grant the application role on this database; returns it."""
    role = role or settings.REGISTRY_DB_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
        tables = connection.introspection.table_names(cursor)
        for statement in statements(role, database, tables, password, login):
            cursor.execute(statement)
    return role
