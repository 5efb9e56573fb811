"""A real Celery worker on the real Redis broker runs export jobs end to end, and a worker
process killed in the middle of an export leaves a job that completes on redelivery with the
same checksums.

Marked `celery_worker`: it needs Redis (CELERY_BROKER_URL, set by .ci/run; else the local
redis://127.0.0.1:6379/15, skipped when nothing answers there). The worker is started here,
on the test database, with its own queue (other test runs sharing the broker never take its
tasks); the test sends the task to the broker itself (tasks are eager elsewhere in tests).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from demo import cohort, synthetic
from exports import jobs
from exports.models import ExportJob, ExportProfile
from exports.tasks import run_export_job
from registry.celery import app

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"
FORMATS = ["csv", "xlsx", "dta", "sav", "parquet"]
WAIT_SECONDS = 180


def _broker_answers() -> bool:
    try:
        with app.connection_for_write(BROKER) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def _database_url(db: dict) -> str:
    """The test database's URL for the worker's settings: a host name and port, or the
    embedded server's socket directory (`make test` without DATABASE_URL: registry.devdb)."""
    if str(db["HOST"]).startswith("/"):
        return f"postgres://{db['USER']}@/{quote(db['HOST'])}/{quote(db['NAME'], safe='')}"
    return (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )


@pytest.fixture
def worker(tmp_path):
    if not os.environ.get("CELERY_BROKER_URL") and not _broker_answers():
        pytest.skip(f"no Redis broker at {BROKER} (set CELERY_BROKER_URL)")
    db = settings.DATABASES["default"]
    queue = f"exports-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings.test",
        "DATABASE_URL": _database_url(db),
        "REGISTRY_DB_USER": db["USER"],
        "REGISTRY_EXPORT_ROOT": str(settings.EXPORT_ROOT),
        "REGISTRY_EXPORT_PSEUDONYM_KEY": settings.EXPORT_PSEUDONYM_KEY,
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": "",
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "registry",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--prefetch-multiplier=1",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],  # fmt: skip
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=settings.BASE_DIR,
    )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield queue, log
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def send(job: ExportJob, queue: str) -> None:
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(BROKER) as connection:
            run_export_job.apply_async(args=[job.pk], queue=queue, connection=connection)
    finally:
        app.conf.task_always_eager = eager


def wait_for(job: ExportJob, log: Path, condition) -> ExportJob:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        job.refresh_from_db()
        if condition(job):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"export job {job.pk} stuck as {job.status}:\n{log.read_text()}")
        time.sleep(0.05)


def checksums(job: ExportJob) -> dict[str, str]:
    return {f.name: f.sha256 for f in job.files.exclude(name="manifest.json")}


def test_a_worker_exports_and_a_killed_worker_s_job_completes_on_redelivery(worker):
    queue, log = worker
    centres = [c.pk for c in cohort.seed_centres().values()]
    synthetic.generate(cases=120, seed=9, centre_ids=centres)
    profile = ExportProfile.objects.create(name="worker-test")
    reference = jobs.run_job(jobs.create_job(profile=profile, formats=FORMATS).pk)
    assert reference.status == ExportJob.Status.DONE

    # End to end in the worker.
    job = jobs.create_job(profile=profile, formats=FORMATS)
    send(job, queue)
    job = wait_for(job, log, lambda j: j.finished)
    assert job.status == ExportJob.Status.DONE and job.attempts == 1
    assert job.worker_pid not in (None, os.getpid())
    assert checksums(job) == checksums(reference)

    # Killed once it has written something: the message goes back to the broker, the next
    # worker process restarts the job from the beginning.
    job = jobs.create_job(profile=profile, formats=FORMATS)
    send(job, queue)
    job = wait_for(job, log, lambda j: j.status == ExportJob.Status.RUNNING and j.rows_done > 0)
    os.kill(job.worker_pid, signal.SIGKILL)
    killed_pid = job.worker_pid
    job = wait_for(job, log, lambda j: j.finished)
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.attempts == 2 and job.worker_pid != killed_pid
    assert checksums(job) == checksums(reference)
    names = jobs.export_storage().listdir(job.storage_prefix)[1]
    assert sorted(names) == sorted(f.name for f in job.files.all())
