"""The export pipeline: a source's rows, de-identified, into every format, with a codebook,
a re-identification report and a manifest.

    result = run_export(source=CurrentData(), profile=policy, formats=["csv", "dta"],
                        key=pseudonym_key(), sink=DirectorySink(path), k_threshold=5)

For each table plan (`exports.deid.export_plans`: the wide table, then each repeating group)
and each format, the source's rows are streamed (server-side cursor, chunks) through the
`Deidentifier` into the format's writer, which writes a temporary file through a
`DigestWriter` (SHA-256 and size computed on the way); the finished file is handed to the
sink (a directory, or Django's "exports" storage). One `RowNumbering` serves the whole
export, so a row keeps its number in every format and children point at their parent's.

Every table is read once per format rather than teed to all writers at once: the writers
stay independent and nothing but the current row is held (Stata and SPSS excepted, see
`exports.formats`). The source's snapshot makes every read see the same data.

For the current data, CSV and Parquet skip Python's per-cell work: each plan is compiled to
one SELECT that de-identifies in PostgreSQL (`exports.sql_plan`), streamed by `COPY … TO
STDOUT` into the file (`exports.copy_export`), and the k report is a GROUP BY. The Python
`Deidentifier` stays the reference (tested to give the same bytes), and writes freezes and
the other formats.

Files: `<table>.<ext>` per table and format, `codebook.csv`, `codebook.json`,
`reidentification.json`, then `manifest.json` (every other file's SHA-256 and rows). The
same data, profile, formats and key give byte-identical files (the manifest aside, which
states its creation time).
"""

from __future__ import annotations

import array
import datetime
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from exports import codebook, copy_export, deid, manifest, sql_files, sql_plan
from exports.dictionary import dictionary_rows
from exports.formats import FORMATS, WRITERS, write_table
from exports.manifest import DigestWriter, FileRecord
from exports.sources import CurrentData, Source

Progress = Callable[[int, int], None]  # (rows written, rows to write)
PROGRESS_EVERY = 1_000
SQL_FORMATS = ("csv", "parquet")  # written by COPY from the current data
CODEBOOK_CSV, CODEBOOK_JSON = "codebook.csv", "codebook.json"
REPORT_JSON, MANIFEST_JSON = "reidentification.json", "manifest.json"
# The k report's key variables in the wide table (see exports.deid.report_for_table).
K_SEX, K_AGE, K_CENTRE = "dem_sex", "dem_age_at_le_diagnosis", "case_centre"
# The first jobs of the SQL path's sessions (the rest biggest first): naming the cases in
# Python, and meanwhile the k report, the one statement that prints no pseudonym (at
# 100,000 cases both take about 0.3 s, which the naming once spent before the first COPY);
# then numbering the rows that children point at, before any statement reads the numbers.
NAMING = sys.maxsize


class Sink(Protocol):
    """Where finished files go: `put` takes the file at `path` and stores it as `name`."""

    def put(self, name: str, path: Path) -> None: ...


class DirectorySink:
    """Files in a local directory (the shell command), overwriting same-named files."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, path: Path) -> None:
        shutil.move(path, self.directory / name)


class StorageSink:
    """Files in a Django storage (local disk, or any django-storages backend) under `prefix`."""

    def __init__(self, storage: Storage, prefix: str):
        self.storage, self.prefix = storage, prefix
        self.stored: dict[str, str] = {}  # name -> name in the storage

    def put(self, name: str, path: Path) -> None:
        target = self.prefix + name
        if self.storage.exists(target):  # a previous attempt's: replaced, never renamed
            self.storage.delete(target)
        with open(path, "rb") as handle:
            self.stored[name] = self.storage.save(target, File(handle, name=name))
        os.unlink(path)


@dataclass(frozen=True)
class ExportResult:
    files: tuple[FileRecord, ...]  # every file but the manifest
    manifest: dict
    report: deid.ReidentificationReport


def pseudonym_key() -> bytes:
    """The secret that keys the pseudonyms: a setting from the environment, never stored in
    the database or written into an export."""
    return str(getattr(settings, "EXPORT_PSEUDONYM_KEY", "")).encode()


def check_formats(formats: Sequence[str]) -> list[str]:
    """The formats in the registry's order, each once; an unknown one is refused by name."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            _("Export formats %(given)s: choose one or more of %(known)s.")
            % {"given": ", ".join(unknown) or "(none)", "known": ", ".join(FORMATS)}
        )
    return [f for f in FORMATS if f in formats]


def run_export(
    *,
    source: Source,
    profile: deid.Profile,
    formats: Sequence[str],
    key: bytes,
    sink: Sink,
    k_threshold: int,
    progress: Progress | None = None,
    created_at: datetime.datetime | None = None,
    use_sql: bool = True,
) -> ExportResult:
    """`use_sql=False` writes every file through the Python `Deidentifier` (the reference
    the SQL path is tested against)."""
    formats = check_formats(formats)
    deid.check_key(key)
    entries = dictionary_rows()
    plans = deid.export_plans(profile, entries)
    numbering = deid.RowNumbering(remembered=deid.referenced_tables(plans))
    records: list[FileRecord] = []
    k_rows: list[tuple] = []
    report_progress = progress or (lambda done, total: None)
    with tempfile.TemporaryDirectory(prefix="registry-export-") as work:
        with source.snapshot(), ExitStack() as stack:
            compiled = _sql_export(source, plans, key, profile) if use_sql else None
            sql, name_cases = compiled or (None, None)
            wide = plans[0]
            report = None
            reports: list[deid.ReidentificationReport] = []  # the SQL path's, when it runs
            queries: list[sql_files.QueryJob] = []
            if name_cases is not None:
                stack.enter_context(copy_export.query_settings(connection.connection.cursor()))
                # First the pseudonyms (Python), while the other session runs the k report
                # (which prints none); then the files, which wait for them if they must.
                queries.append(sql_files.QueryJob(lambda _cursor: name_cases(), weight=NAMING))
            if sql is not None and sql_plan.compilable(wide):
                deid.report_from_groups((), threshold=k_threshold)  # a bad threshold: refused now
                queries.append(
                    sql_files.QueryJob(lambda cursor: reports.append(
                        _k_report_sql(cursor, sql, wide, k_threshold)
                    ), weight=NAMING - 1)
                )  # fmt: skip
            if sql is not None and set(formats) & set(SQL_FORMATS):
                # The row numbers several of the files' statements read, numbered once.
                queries.extend(
                    sql_files.QueryJob(partial(sql.number, table=table), weight=NAMING - 2)
                    for table in sql.numbered_apart
                )
            counts, exact = _counts(source, sql, plans)
            jobs = [
                sql_files.FileJob(plan, fmt, name, Path(work) / name)
                for plan in plans
                for fmt in formats
                for name in [f"{plan.name}.{WRITERS[fmt][0]}"]
            ]

            def progress() -> None:
                # A file's rows once written, else the count (an estimate: never below the
                # rows already written).
                total = sum(
                    job.written if job.written is not None else max(job.done, counts[job.plan.name])
                    for job in jobs
                )
                report_progress(sum(job.done for job in jobs), total)

            progress()

            by_sql = [
                job
                for job in jobs
                if sql is not None and job.fmt in SQL_FORMATS and sql_plan.compilable(job.plan)
            ]
            if sql is not None and (by_sql or queries):
                for job in by_sql:
                    job.weight = counts[job.plan.name] * len(job.plan.columns)
                shared = getattr(source, "shareable", False) and len(by_sql) > 1
                snapshot = sql_files.export_snapshot() if shared else None
                sql_files.write_files(
                    sql,
                    [*by_sql, *queries],
                    snapshot=snapshot,
                    progress=progress,
                    every=PROGRESS_EVERY,
                )
                report = reports[0] if reports else None
            for job in jobs:  # the Python path, in the export's order (its row numbering)
                if job in by_sql:
                    continue
                with job.path.open("wb") as handle:
                    out = DigestWriter(handle)
                    rows: Iterable[Sequence] = deid.Deidentifier(
                        job.plan, key=key, numbering=numbering
                    ).rows(source.rows(job.plan))
                    if job.plan is wide and job.fmt == formats[0] and report is None:
                        rows = _keep_k_keys(job.plan, rows, k_rows)
                    rows = _counted(rows, lambda n, job=job: _tick(job, n, progress))
                    job.written = write_table(
                        job.fmt, job.plan.columns, rows, out, table=job.plan.name
                    )
                job.record = out.record(
                    job.name, table=job.plan.name, fmt=job.fmt, rows=job.written
                )
                _tick(job, job.written, progress)
            for job in jobs:
                if exact and job.written != counts[job.plan.name]:
                    raise RuntimeError(
                        f"{job.name}: {job.written} rows written, {counts[job.plan.name]} "
                        "counted: the source changed during the export; run it again."
                    )
                assert job.record is not None
                records.append(job.record)
                sink.put(job.name, job.path)
            progress()  # every file written: the exact total (the other session's too)
        if report is None:
            report = deid.reidentification_report(k_rows, threshold=k_threshold)
        documents = {
            CODEBOOK_CSV: ("csv", codebook.to_csv(codebook.codebook_rows(plans))),
            CODEBOOK_JSON: ("json", codebook.to_json(plans)),
            REPORT_JSON: ("json", _json(report_as_dict(report))),
        }
        for name, (fmt, text) in documents.items():
            content = text.encode("utf-8")
            records.append(manifest.file_record(name, content, fmt=fmt))
            _put_bytes(sink, Path(work) / name, name, content)
        document = manifest.build_manifest(
            files=records,
            profile=profile,
            dictionary_version=manifest.dictionary_version(entries),
            freeze_id=source.freeze,
            created_at=created_at or timezone.now(),
            software_version=manifest.software_version(),
        )
        document["reidentification"] = {
            "k": report.k,
            "threshold": report.threshold,
            "rows_at_risk": len(report.at_risk),
            "keys": ["sex", "age decade", "centre"],
        }
        content = manifest.to_json(document).encode()
        _put_bytes(sink, Path(work) / MANIFEST_JSON, MANIFEST_JSON, content)
    return ExportResult(tuple(records), document, report)


def _sql_export(
    source: Source, plans: Sequence[deid.TablePlan], key: bytes, profile: deid.Profile
) -> tuple[sql_plan.SqlExport, Callable[[], None]] | None:
    """The SELECTs of the current data's tables, and the call that gives them every
    exported case's pseudonym (computed in Python: the key never reaches the database);
    None for another source.

    One plain query gives each exported case's id, code and index date (computed by
    PostgreSQL, `sql_plan.index_value`) in case-code order: this is the only per-case work
    in Python before the first COPY, so it reads through psycopg's own cursor (no model
    rows, no date objects); the keyed hashes are left to the naming call."""
    if not isinstance(source, CurrentData):
        return None
    wide = plans[0]
    dates = [wide.sources[i] for i in wide._context[1:]]  # the index date's four lookups
    ordered = source.queryset(wide).values_list("pk", "code", *dates)  # in case-code order
    inner, params = ordered.query.sql_with_params()
    query = (
        f"SELECT o.pk, o.code, {sql_plan.index_value('o.le', 'o.le_p', 'o.mds', 'o.mds_p')} "
        f"FROM ({inner}) AS o(pk, code, le, le_p, mds, mds_p) ORDER BY o.code"
    )
    with connection.connection.cursor() as cursor:
        cursor.execute(query, params)
        cases = cursor.fetchall()
    size = max((pk for pk, _code, _iv in cases), default=0) + 1
    places = array.array("i", bytes(4 * size))  # at each case id: its place (0: not exported)
    index_dates = array.array("i", bytes(4 * size))  # at each case id: sql_plan.index_value
    for place, (pk, _code, iv) in enumerate(cases, start=1):
        places[pk] = place
        index_dates[pk] = iv
    # PostgreSQL arrays start at 1.
    ordinals = "{" + ",".join(map(str, places[1:])) + "}"
    index_literal = "{" + ",".join(map(str, index_dates[1:])) + "}"
    sql = sql_plan.SqlExport(plans, len(cases), ordinals, index_literal)
    codes = [code for _pk, code, _iv in cases]

    def name() -> None:
        pseudonyms = None
        try:
            pseudonyms = deid.pseudonyms(codes, key=key, profile=profile.name)
        finally:
            codes.clear()  # not kept while the files are written
            sql.name(pseudonyms)  # None on an error: no statement waits for ever

    return sql, name


def _counts(
    source: Source, sql: sql_plan.SqlExport | None, plans: Sequence[deid.TablePlan]
) -> tuple[dict[str, int], bool]:
    """Rows per table, and whether they are exact (each file is then checked against its
    count: a source read in several statements may change between them). In the export's
    own snapshot nothing can change, so the SQL path counts nothing: the wide table's rows
    are its cases, the others' come from the planner's statistics (for the order of the
    files and the progress bar only)."""
    if sql is None:
        return {plan.name: source.count(plan) for plan in plans}, True
    if not getattr(source, "shareable", False):
        statement = sql.counts()  # every table in one statement
        with connection.connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            row = cursor.fetchone()
        return {plan.name: n for plan, n in zip(plans, row, strict=True)}, True
    tables = [plan.model._meta.db_table for plan in plans]
    with connection.cursor() as cursor:  # reltuples: -1 before the first ANALYZE
        cursor.execute(
            "SELECT greatest(c.reltuples, 0)::bigint FROM unnest(%s::text[]) WITH ORDINALITY "
            "AS t(name, n) LEFT JOIN pg_class AS c ON c.oid = to_regclass(t.name) ORDER BY t.n",
            [tables],
        )
        estimates = [n or 0 for (n,) in cursor.fetchall()]
    counts = {plan.name: n for plan, n in zip(plans, estimates, strict=True)}
    counts[plans[0].name] = sql.cases
    return counts, False


def _k_report_sql(
    cursor, sql: sql_plan.SqlExport, wide: deid.TablePlan, threshold: int
) -> deid.ReidentificationReport:
    statement = sql.k_groups(wide, threshold, sex=K_SEX, age=K_AGE, centre=K_CENTRE)
    cursor.execute(statement.sql, statement.params)
    groups = [
        ((sex, band, centre), size, places and [sql.pseudonym(p) for p in places])
        for sex, band, centre, size, places in cursor
    ]
    return deid.report_from_groups(groups, threshold=threshold)


def report_as_dict(report: deid.ReidentificationReport) -> dict:
    return {
        "k": report.k,
        "threshold": report.threshold,
        "rows": report.rows,
        "passes": report.passes,
        "keys": ["sex", "age_decade", "centre"],
        "groups": [
            {"sex": sex, "age_decade": age, "centre": centre, "size": size}
            for (sex, age, centre), size in report.groups
        ],
        "at_risk": list(report.at_risk),
    }


def _keep_k_keys(plan: deid.TablePlan, rows: Iterable[Sequence], into: list) -> Iterator:
    names = plan.column_names
    at = [names.index(n) if n in names else None for n in (deid.EXPORT_ID, K_SEX, K_AGE, K_CENTRE)]
    for row in rows:
        into.append(tuple(None if i is None else row[i] for i in at))
        yield row


def _tick(job: sql_files.FileJob, n: int, progress: Callable[[], None]) -> None:
    job.done = n
    progress()


def _counted(rows: Iterable[Sequence], tick: Callable[[int], None]) -> Iterator[Sequence]:
    n = 0
    for row in rows:
        yield row
        n += 1
        if n % PROGRESS_EVERY == 0:
            tick(n)


def _json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _put_bytes(sink: Sink, path: Path, name: str, content: bytes) -> None:
    path.write_bytes(content)
    sink.put(name, path)
