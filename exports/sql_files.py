"""The SQL path's files (exports.sql_plan, exports.copy_export), written by up to `WORKERS`
database sessions at once.

PostgreSQL runs each COPY in one backend process: a second session, reading the same
snapshot (`pg_export_snapshot()` / `SET TRANSACTION SNAPSHOT`), writes other files on the
other core. It is used only when the export owns its transaction: a caller's open
transaction (a test, a shell session) may hold rows another session cannot see. The biggest
files go first, so the two sessions finish together.
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
# The wide table (one row per case, the biggest) is written by both sessions, in two parts
# split at a multiple of this many cases, when it has at least twice as many.
SPLIT_ROWS = 10_000
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
    places: tuple[int, int] | None = None  # only these cases' rows (see `split`)
    rest: SpoolJob | None = None  # the table's other part, spooled by another session


@dataclass(eq=False)
class SpoolJob:
    """The second part of a split table, spooled to `path` for its FileJob to append."""

    plan: deid.TablePlan
    fmt: str
    places: tuple[int, int]
    path: Path
    weight: int = 0
    finished: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def chunks(self):
        self.finished.wait()
        if self.error is not None:
            raise RuntimeError(f"{self.plan.name}: its second part failed") from self.error
        yield from copy_export.spooled(self.path)
        self.path.unlink()


def split(jobs: Sequence[FileJob], wide: deid.TablePlan, cases: int) -> list[SpoolJob]:
    """Split the wide table's files in two parts (its rows are its cases, by place): this
    session's part and one spooled by the other; returns the spool jobs to queue."""
    half = cases // 2 // SPLIT_ROWS * SPLIT_ROWS
    if half < SPLIT_ROWS:
        return []
    spools = []
    for job in jobs:
        if job.plan is wide:
            job.places = (1, half)
            rest = job.path.with_name(job.path.name + ".rest")
            job.rest = SpoolJob(wide, job.fmt, (half + 1, cases), rest, job.weight + 1)
            spools.append(job.rest)
    return spools


@dataclass(eq=False)
class QueryJob:
    """A query to run in whichever session is free (the k report)."""

    run: Callable[[object], None]  # run(cursor)
    weight: int = 0


def export_snapshot() -> str:
    """The current transaction's snapshot, for another session to read the same data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        return cursor.fetchone()[0]


def write_files(
    sql: sql_plan.SqlExport,
    jobs: Sequence[FileJob | QueryJob | SpoolJob],
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

    def take() -> FileJob | QueryJob | SpoolJob | None:
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
        if isinstance(job, SpoolJob):
            try:
                copy_export.spool(cursor, sql.select(job.plan, target, places=job.places), job.path)
            except BaseException as error:
                job.error = error
                raise
            finally:
                job.finished.set()
            continue

        def tick(n: int, job: FileJob = job) -> None:
            job.done = n
            progress()

        with job.path.open("wb") as handle:
            out = DigestWriter(handle)
            statement = sql.select(job.plan, target, places=job.places)
            then = job.rest.chunks() if job.rest is not None else ()
            if job.fmt == "csv":
                job.written = copy_export.write_csv(cursor, statement, out, tick, every, then=then)
            else:
                job.written = copy_export.write_parquet(
                    cursor, statement, job.plan.columns, out, tick, then=then
                )
        job.done = job.written
        job.record = out.record(job.name, table=job.plan.name, fmt=job.fmt, rows=job.written)
        progress()
