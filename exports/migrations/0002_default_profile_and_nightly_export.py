"""Out of the box: the "deidentified" profile and a nightly export of it (django-celery-beat,
editable in the admin: Periodic tasks)."""

import json

from django.db import migrations

PROFILE = "deidentified"
TASK_NAME = "Nightly de-identified export"


def create(apps, schema_editor):
    # The profile's audit event needs its hash chain, installed only after migrate otherwise.
    from registry.integrity import install_chain

    install_chain()
    ExportProfile = apps.get_model("exports", "ExportProfile")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    ExportProfile.objects.get_or_create(
        name=PROFILE,
        defaults={
            "description": "Dates as days from the index date, ages top-coded at 90, no free "
            "text, centre kept, k threshold 5.",
        },
    )
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Paris",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "exports.tasks.scheduled_export",
            "crontab": schedule,
            "kwargs": json.dumps({"profile": PROFILE}),
            "description": "Every night at 02:30: the de-identified export in every format.",
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_jobs_profiles_files_downloads"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
