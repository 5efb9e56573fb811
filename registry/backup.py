"""Backups of the registry database: `make backup`, `make restore FILE=... INTO=...`.

    python -m registry.backup dump [--dir var/backups]
    python -m registry.backup restore FILE --into NAME [--force]

- **dump**: `pg_dump -Fc` of DATABASE_URL's database (the embedded one when it is unset) to
  `<dir>/<database>-<UTC timestamp>.dump`, written under a temporary name and renamed only
  when complete, then `<file>.sha256` in `sha256sum` format (`sha256sum -c` checks it too).
- **restore**: checks the file against its `.sha256` first (a missing or different
  checksum restores nothing), creates the database NAME on the same server if missing and
  refuses one that holds tables unless `--force` (then the dump's objects replace theirs),
  then `pg_restore` in a single transaction that stops at the first error: a failed
  restore leaves nothing half-restored.

Owners and grants are restored as dumped: restore on a server where the registry's roles
exist (`manage.py db_roles` creates them). `PG_BIN` names the folder of pg_dump and
pg_restore when those on PATH are older than the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import environ
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

DEFAULT_DIR = Path("var/backups")
CHUNK = 1 << 20


class BackupError(Exception):
    """What went wrong, said so that the operator knows what to do."""


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    from registry import devdb

    return devdb.database_url()


def libpq_env(url: str, database: str | None = None) -> dict[str, str]:
    """The environment pg_dump, pg_restore and psycopg read the connection from."""
    config = environ.Env.db_url_config(url)
    values = {
        "PGHOST": config.get("HOST") or "",
        "PGPORT": str(config.get("PORT") or ""),
        "PGUSER": config.get("USER") or "",
        "PGPASSWORD": config.get("PASSWORD") or "",
        "PGDATABASE": database or config["NAME"],
    }
    return {**os.environ, **{k: v for k, v in values.items() if v}}


def tool(name: str) -> str:
    folder = os.environ.get("PG_BIN", "")
    return str(Path(folder) / name) if folder else name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_file(dump: Path) -> Path:
    return dump.with_name(dump.name + ".sha256")


def dump(url: str, folder: Path = DEFAULT_DIR) -> Path:
    """A custom-format dump of the database of `url` and its checksum; returns the dump."""
    env = libpq_env(url)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{env['PGDATABASE']}-{stamp}.dump"
    partial = target.with_name(target.name + ".partial")
    done = subprocess.run(
        [tool("pg_dump"), "--format=custom", f"--file={partial}"],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump of {env['PGDATABASE']} failed: {done.stderr.strip()}")
    partial.rename(target)
    checksum_file(target).write_text(f"{sha256_of(target)}  {target.name}\n")
    return target


def verify_checksum(path: Path) -> None:
    recorded = checksum_file(path)
    if not recorded.exists():
        raise BackupError(f"{recorded} is missing: without its checksum {path} is not restored.")
    expected = recorded.read_text().split()[0]
    if sha256_of(path) != expected:
        raise BackupError(
            f"{path} does not match {recorded.name} (damaged or altered): restore another backup."
        )


def connect(url: str, database: str, autocommit: bool = False) -> psycopg.Connection:
    """A connection to `database` on the server of `url`."""
    env = libpq_env(url, database)
    params = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
    conninfo = make_conninfo(
        "", dbname=database, **{key: env[name] for key, name in params.items() if name in env}
    )
    return psycopg.connect(conninfo, autocommit=autocommit)


def _user_tables(url: str, database: str) -> int | None:
    """How many tables the database holds outside the system schemas; None if it is absent."""
    with connect(url, "postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if exists.fetchone() is None:
            return None
    with connect(url, database) as target:
        row = target.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%'"
        ).fetchone()
        return int(row[0]) if row else 0


def create_database(url: str, database: str) -> None:
    with connect(url, "postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def drop_database(url: str, database: str) -> None:
    with connect(url, "postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))


def restore(path: Path, into: str, url: str, *, force: bool = False) -> None:
    """Restore `path` into the database `into` on the server of `url` (see the module doc)."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    verify_checksum(path)
    tables = _user_tables(url, into)
    created = tables is None
    if created:
        create_database(url, into)
    elif tables and not force:
        raise BackupError(
            f"Database {into} already holds {tables} tables: restore into a new name, or "
            "FORCE=1 (--force) to replace its contents."
        )
    command = [tool("pg_restore"), "--exit-on-error", "--single-transaction", f"--dbname={into}"]
    if tables:
        command += ["--clean", "--if-exists"]
    done = subprocess.run(
        [*command, str(path)], env=libpq_env(url, into), capture_output=True, text=True
    )
    if done.returncode != 0:
        if created:
            drop_database(url, into)
        raise BackupError(f"pg_restore into {into} failed, nothing restored: {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry.backup", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="pg_dump DATABASE_URL's database with a checksum")
    dumping.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    restoring = commands.add_parser("restore", help="restore a checked dump into a database")
    restoring.add_argument("file", type=Path)
    restoring.add_argument("--into", required=True, help="database to restore into")
    restoring.add_argument("--force", action="store_true", help="replace a non-empty database")
    args = parser.parse_args(argv)
    url = database_url()
    try:
        if args.command == "dump":
            target = dump(url, args.dir)
            print(
                f"==> backup: {target} ({target.stat().st_size:,} bytes) and {target.name}.sha256"
            )
        else:
            restore(args.file, args.into, url, force=args.force)
            print(f"==> restore: {args.file} restored into database {args.into}")
    except BackupError as error:
        print(f"!! {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
