"""The SQL path's files (exports.sql_plan, exports.copy_export), written by up to `WORKERS`
database sessions at once.

PostgreSQL runs each COPY in one backend process: a second session, reading the same
snapshot (`pg_export_snapshot()` / `SET TRANSACTION SNAPSHOT`), writes other files on the
other core. It is used only when the export owns its transaction: a caller's open
transaction (a test, a shell session) may hold rows another session cannot see. The biggest
files go first (after naming the cases, the k report and numbering the rows several
files point at), so the two sessions finish together.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, connections, transaction

from exports import copy_export, deid, sql_plan
from exports.manifest import DigestWriter, FileRecord

WORKERS = 2
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")


@dataclass(eq=False)
class FileJob:
    """One file of the export: a table in a format."""

    plan: deid.TablePlan
    fmt: str
    name: str
    path: Path
    weight: int = 0  # for the order of the SQL files: biggest first
    done: int = 0  # rows written so far (progress)
    written: int | None = None
    record: FileRecord | None = field(default=None, repr=False)


@dataclass(eq=False)
class QueryJob:
    """Work for whichever session is free: naming the cases (Python), the k report, numbering
    the rows children point at."""

    run: Callable[[object], None]  # run(cursor)
    weight: int = 0


def export_snapshot() -> str:
    """The current transaction's snapshot, for another session to read the same data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        return cursor.fetchone()[0]


def write_files(
    sql: sql_plan.SqlExport,
    jobs: Sequence[FileJob | QueryJob],
    *,
    snapshot: str | None,
    progress: Callable[[], None],
    every: int,
) -> None:
    """Write every job's file; `snapshot` (from `export_snapshot`) lets a second session
    help. `progress` is called from this thread only."""
    pending = sorted(jobs, key=lambda job: -job.weight)
    lock = threading.Lock()
    failed: list[BaseException] = []

    def take() -> FileJob | QueryJob | None:
        with lock:
            return None if failed or not pending else pending.pop(0)

    helper = None
    if snapshot is not None and len(pending) > 1 and WORKERS > 1:
        helper = threading.Thread(
            target=_helper, args=(sql, snapshot, take, failed, every), daemon=True
        )
        helper.start()
    try:
        _drain(sql, connection.connection.cursor(), take, progress, every)
    except BaseException as error:
        failed.append(error)
        raise
    finally:
        if helper is not None:
            helper.join()
    if failed:
        raise failed[0]


def _helper(sql, snapshot: str, take, failed: list, every: int) -> None:
    """A second session on the exported snapshot (this thread's own Django connection)."""
    if not _SNAPSHOT_ID.match(snapshot):
        failed.append(ValueError(f"Unexpected snapshot id {snapshot!r}."))
        return
    own = connections["default"]  # a connection of this thread's own
    try:
        with transaction.atomic():
            with own.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            cursor = own.connection.cursor()
            with copy_export.query_settings(cursor):
                _drain(sql, cursor, take, lambda: None, every)
    except BaseException as error:
        failed.append(error)
    finally:
        own.close()


def _drain(sql, cursor, take, progress: Callable[[], None], every: int) -> None:
    while (job := take()) is not None:
        if isinstance(job, QueryJob):
            job.run(cursor)
            continue
        target = sql_plan.CSV if job.fmt == "csv" else sql_plan.ARROW

        def tick(n: int, job: FileJob = job) -> None:
            job.done = n
            progress()

        with job.path.open("wb") as handle:
            out = DigestWriter(handle)
            statement = sql.select(job.plan, target)
            if job.fmt == "csv":
                job.written = copy_export.write_csv(cursor, statement, out, tick, every)
            else:
                job.written = copy_export.write_parquet(
                    cursor, statement, job.plan.columns, out, tick
                )
        job.done = job.written
        job.record = out.record(job.name, table=job.plan.name, fmt=job.fmt, rows=job.written)
        progress()
