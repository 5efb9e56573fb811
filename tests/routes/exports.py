"""Routes of the exports pages: what each role gets (see tests/route_access.py).

Statisticians and registry administrators use the exports (crf.access.may_export); every
other role meets a 404 on every exports page, exactly as on a page that does not exist.
The world has no export: `_done_job` makes a finished one (a real CSV export of the world's
two cases, profile k threshold 1 so its files can be downloaded) inside the test's own
transaction.
"""

from __future__ import annotations

from tests.route_access import ADMIN_LOGIN, LOGIN, MISSING_PK, Redirect, Route, roles

JOB_VARIANTS = ("job", "missing")


def _api_anonymous() -> int:
    """What DRF answers a caller without credentials: 401 when the first authentication
    class sends a challenge (a token), else 403."""
    from rest_framework.settings import api_settings

    first = api_settings.DEFAULT_AUTHENTICATION_CLASSES[0]
    return 401 if first().authenticate_header(None) else 403


API_ANONYMOUS = _api_anonymous()
EXPORTERS = {"statistician": 200, "registry_admin": 200}


def _done_job():
    from exports import jobs
    from exports.models import ExportProfile

    profile, _created = ExportProfile.objects.get_or_create(
        name="routes", defaults={"k_threshold": 1}
    )
    job = jobs.create_job(profile=profile, formats=["csv"])
    return jobs.run_job(job.pk)


def _job_kwargs(world, variant: str) -> dict:
    return {"job_id": _done_job().pk if variant == "job" else MISSING_PK}


def _file_kwargs(world, variant: str) -> dict:
    return {**_job_kwargs(world, variant), "name": "cases.csv"}


def _figure_kwargs(world, variant: str) -> dict:
    return {**_job_kwargs(world, variant), "fmt": "svg"}


def _exporters_only() -> dict:
    """The job for exporters; a missing job, and anything for anyone else: 404."""
    return {
        **{role: dict.fromkeys(JOB_VARIANTS, 404) for role in roles(404)},
        "anonymous": LOGIN,
        **{role: {"job": 200, "missing": 404} for role in EXPORTERS},
    }


def _profile_kwargs(world, variant: str) -> dict:
    from exports.models import ExportProfile

    if variant == "missing":
        return {"object_id": MISSING_PK}
    profile, _created = ExportProfile.objects.get_or_create(name="routes-admin")
    return {"object_id": profile.pk}


PROFILE_VARIANTS = ("profile", "missing")
# Profiles in the admin: registry administrators only; a profile is never deleted (403).
_PROFILE_OBJECT = {
    **{role: dict.fromkeys(PROFILE_VARIANTS, 404) for role in roles(404)},
    "anonymous": ADMIN_LOGIN,
    "registry_admin": {"profile": 200, "missing": 404},
}

ROUTES: dict[str, Route] = {
    "exports:list": Route(roles(404, anonymous=LOGIN, **EXPORTERS)),
    "exports:start": Route(roles(405, anonymous=LOGIN)),  # POST only
    "exports:accept_report": Route(
        roles(405, anonymous=LOGIN), variants=JOB_VARIANTS, kwargs=_job_kwargs
    ),
    "exports:detail": Route(_exporters_only(), variants=JOB_VARIANTS, kwargs=_job_kwargs),
    "exports:progress": Route(_exporters_only(), variants=JOB_VARIANTS, kwargs=_job_kwargs),
    "exports:download": Route(_exporters_only(), variants=JOB_VARIANTS, kwargs=_file_kwargs),
    # The study's tables: exporters, and coordinators (who follow numbers back to cases).
    "exports:analysis": Route(
        {**_exporters_only(), "coordinator": {"job": 200, "missing": 404}},
        variants=JOB_VARIANTS,
        kwargs=_job_kwargs,
    ),
    "exports:figure3": Route(
        {**_exporters_only(), "coordinator": {"job": 200, "missing": 404}},
        variants=JOB_VARIANTS,
        kwargs=_figure_kwargs,
    ),
    # The cases behind a number: coordinators and registry administrators only.
    "exports:analysis_cases": Route(
        {
            **{role: dict.fromkeys(JOB_VARIANTS, 404) for role in roles(404)},
            "anonymous": LOGIN,
            "coordinator": {"job": 200, "missing": 404},
            "registry_admin": {"job": 200, "missing": 404},
        },
        variants=JOB_VARIANTS,
        kwargs=_job_kwargs,
        query=lambda world, variant: {
            "table": "table1",
            "row": "female_male",
            "column": 0,
            "number": "female_n",
        },  # fmt: skip
    ),
    # The API (JSON): the same people; anonymous callers are refused by DRF (403 with the
    # session authentication alone; 401 once token authentication is configured).
    "exports:api_jobs": Route(roles(404, anonymous=API_ANONYMOUS, **EXPORTERS)),
    "exports:api_job": Route(
        {**_exporters_only(), "anonymous": API_ANONYMOUS}, variants=JOB_VARIANTS, kwargs=_job_kwargs
    ),
    "exports:api_accept_report": Route(
        roles(405, anonymous=API_ANONYMOUS), variants=JOB_VARIANTS, kwargs=_job_kwargs
    ),
    "exports:api_download": Route(
        {**_exporters_only(), "anonymous": API_ANONYMOUS},
        variants=JOB_VARIANTS,
        kwargs=_file_kwargs,
    ),
    "admin:exports_exportprofile_changelist": Route(
        roles(403, anonymous=ADMIN_LOGIN, registry_admin=200)
    ),
    "admin:exports_exportprofile_add": Route(roles(403, anonymous=ADMIN_LOGIN, registry_admin=200)),
    "admin:exports_exportprofile_change": Route(
        _PROFILE_OBJECT, variants=PROFILE_VARIANTS, kwargs=_profile_kwargs
    ),
    "admin:exports_exportprofile_history": Route(
        _PROFILE_OBJECT, variants=PROFILE_VARIANTS, kwargs=_profile_kwargs
    ),
    "admin:exports_exportprofile_delete": Route(
        {**_PROFILE_OBJECT, "registry_admin": {"profile": 403, "missing": 404}},
        variants=PROFILE_VARIANTS,
        kwargs=_profile_kwargs,
    ),
    "admin/exports/exportprofile/<path:object_id>/": Route(
        roles(Redirect(ends_with="/change/"), anonymous=ADMIN_LOGIN),
        variants=("missing",),
        path=lambda world, variant: f"/admin/exports/exportprofile/{MISSING_PK}/",
    ),
}
