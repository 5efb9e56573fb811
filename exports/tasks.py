"""Celery tasks of the exports: run a job, and the scheduled export.

`run_export_job` acknowledges its message only when it returns (acks_late) and gives it back
to the broker when its worker process dies (reject_on_worker_lost): a killed worker's job is
picked up again and restarted (`exports.jobs.run_job` is idempotent and restarts cleanly).
"""

from __future__ import annotations

from celery import shared_task

from exports import jobs
from exports.formats import FORMATS
from exports.models import ExportJob, ExportProfile
from registry.audit import task_context

RETRY_SECONDS = 5
MAX_RETRIES = 120  # ten minutes of "held elsewhere" before giving up


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def run_export_job(self, job_id: int) -> str:
    job = ExportJob.objects.filter(pk=job_id).select_related("requested_by").first()
    user = job.requested_by if job is not None else None
    with task_context(self.name, user=user):
        try:
            done = jobs.run_job(job_id)
        except jobs.JobBusy as busy:
            raise self.retry(exc=busy, countdown=RETRY_SECONDS) from None
    return done.status if done is not None else "nothing to do"


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def scheduled_export(self, profile: str = "deidentified", formats: list[str] | None = None) -> int:
    """The nightly export (django-celery-beat): a job of `profile`, run in this task."""
    chosen = ExportProfile.objects.get(name=profile)
    with task_context(self.name):
        job = jobs.create_job(
            profile=chosen,
            formats=formats or list(FORMATS),
            trigger=ExportJob.Trigger.SCHEDULE,
        )
        jobs.run_job(job.pk)
    return job.pk
