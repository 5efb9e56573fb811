"""Export jobs: create one, run it (from a Celery task or the shell), read its files.

Safe to retry. `run_job` is idempotent: a finished job is left alone, and a job another
process is running (it holds the job's PostgreSQL advisory lock) is left to it. A job whose
worker died (the lock went with its connection) is restarted from the beginning: the
previous attempt's files are replaced, the same data and profile give the same bytes. A job
is never resumed half-way: resuming would need the row numbering of the files already
written, and restarting costs only time.

Progress is written through a connection of its own, committed at once, so a page polling
the job sees it while the export reads its snapshot.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from exports.models import ExportDownload, ExportFile, ExportJob, ExportProfile
from exports.pipeline import StorageSink, check_formats, pseudonym_key, run_export
from exports.sources import source_for

log = logging.getLogger(__name__)
STORAGE = "exports"
_LOCK_NAMESPACE = 0x45585054  # "EXPT": keeps our advisory locks apart from anyone else's
PROGRESS_SECONDS = 0.5


def export_storage():
    return storages[STORAGE]


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "dta": "application/x-stata-dta",
    "sav": "application/x-spss-sav",
    "parquet": "application/vnd.apache.parquet",
}


def file_download(job: ExportJob, name: str, user: Any) -> FileResponse:
    """File `name` of a finished job, as an attachment; the download is recorded (who, when,
    which checksum) first. Pages and API alike: 404 for a file that is not downloadable."""
    file = ExportFile.objects.filter(job=job, name=name).first()
    if file is None or not job.downloadable:
        raise Http404("No such file.")
    ExportDownload.objects.create(file=file, user=user, sha256=file.sha256)
    handle = export_storage().open(file.stored_as, "rb")
    response = FileResponse(handle, as_attachment=True, filename=f"export-{job.pk}-{file.name}")
    response["Content-Type"] = CONTENT_TYPES.get(file.format, "application/octet-stream")
    return response


def create_job(
    *,
    profile: ExportProfile,
    formats: Sequence[str],
    freeze: str = "",
    user=None,
    trigger: str = ExportJob.Trigger.PAGE,
) -> ExportJob:
    """A queued job; the profile's policy is copied, so later edits do not change it."""
    return ExportJob.objects.create(
        profile=profile,
        policy=profile.policy().as_dict(),
        k_threshold=profile.k_threshold,
        formats=check_formats(formats),
        freeze=freeze or "",
        requested_by=user,
        trigger=trigger,
    )


def enqueue(job: ExportJob) -> None:
    """Run the job in a worker once the transaction that made it commits."""
    from exports.tasks import run_export_job

    transaction.on_commit(lambda: run_export_job.delay(job.pk))


class JobBusy(Exception):
    """Another live process holds the job (or a dead one's lock is not released yet)."""


def run_job(job_id: int, *, wait_seconds: float = 5.0) -> ExportJob | None:
    """Run (or re-run after a lost worker) job `job_id`; None when there is nothing to do.

    Raises `JobBusy` when the job's lock stays taken for `wait_seconds` (the task retries
    later: by then the job is finished, or the dead worker's lock is gone).
    """
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return None
    deadline = time.monotonic() + wait_seconds
    while True:
        with _job_lock(job.pk) as locked:
            if locked:
                job.refresh_from_db()
                return None if job.finished else _run(job)
        if time.monotonic() >= deadline:
            raise JobBusy(f"export job {job.pk} is held by another process")
        time.sleep(0.2)


def _run(job: ExportJob) -> ExportJob:
    storage = export_storage()
    _forget_files(job, storage)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING,
        attempts=job.attempts + 1,
        started_at=now,
        heartbeat_at=now,
        worker_pid=os.getpid(),
        rows_done=0,
        rows_total=0,
        error="",
    )
    job.refresh_from_db()
    from exports.deid import Profile

    policy = Profile(
        name=job.policy["name"],
        date_mode=job.policy["date_mode"],
        age_mode=job.policy["age_mode"],
        allowed_free_text=frozenset(job.policy["allowed_free_text"]),
        keep_centre=job.policy["keep_centre"],
    )
    sink = StorageSink(storage, job.storage_prefix)
    progress = _ProgressWriter(job.pk)
    try:
        result = run_export(
            source=source_for(job.freeze),
            profile=policy,
            formats=job.formats,
            key=pseudonym_key(),
            sink=sink,
            k_threshold=job.k_threshold,
            progress=progress,
        )
    except Exception as error:
        log.exception("export job %s failed", job.pk)
        _forget_files(job, storage)  # no half-written export stays behind
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(), error=str(error)
        )
        job.refresh_from_db()
        return job
    finally:
        progress.close()
    with transaction.atomic():
        ExportFile.objects.bulk_create(
            ExportFile(
                job=job,
                name=record.name,
                table=record.table,
                format=record.format,
                rows=record.rows,
                sha256=record.sha256,
                size=record.bytes,
                stored_as=sink.stored[record.name],
            )
            for record in [*result.files, _manifest_record(sink, storage)]
        )
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            finished_at=timezone.now(),
            manifest=result.manifest,
            k_report=_report_summary(result),
            rows_done=progress.total,
            rows_total=progress.total,
        )
    job.refresh_from_db()
    return job


def _report_summary(result) -> dict:
    from exports.pipeline import report_as_dict

    return report_as_dict(result.report)


def _manifest_record(sink: StorageSink, storage):
    import hashlib

    from exports.manifest import FileRecord
    from exports.pipeline import MANIFEST_JSON

    with storage.open(sink.stored[MANIFEST_JSON], "rb") as handle:
        content = handle.read()
    digest = hashlib.sha256(content).hexdigest()
    return FileRecord(MANIFEST_JSON, "", "json", None, digest, len(content))


def _forget_files(job: ExportJob, storage) -> None:
    """A previous attempt's files, in the storage and in the database, are removed."""
    ExportFile.objects.filter(job=job).delete()
    try:
        _dirs, names = storage.listdir(job.storage_prefix)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in names:
        storage.delete(job.storage_prefix + name)


@contextmanager
def _job_lock(job_id: int) -> Iterator[bool]:
    """A session advisory lock on the job: held while it runs, gone if the process dies."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, job_id])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, job_id])


class _ProgressWriter:
    """Writes (rows done, rows to write) on a connection of its own, at most twice a second."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.total = 0
        self._last = 0.0
        self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
        self._broken = False

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        now = time.monotonic()
        if self._broken or (now - self._last < PROGRESS_SECONDS and done not in (0, total)):
            return
        self._last = now
        try:
            with self._connection.cursor() as cursor:
                # Progress is a courtesy: never wait on a lock for it (a caller's transaction
                # holding the job's row would otherwise block the export for good).
                cursor.execute("SET lock_timeout = '1s'")
                cursor.execute(
                    "UPDATE exports_exportjob SET rows_done = %s, rows_total = %s, "
                    "heartbeat_at = now() WHERE id = %s",
                    [done, total, self.job_id],
                )
        except DatabaseError:
            log.warning("export job %s: progress not written", self.job_id, exc_info=True)
            self._broken = True

    def close(self) -> None:
        self._connection.close()
