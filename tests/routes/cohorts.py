"""Routes of the cohorts pages: what each role gets (see tests/route_access.py).

Queries and freezes are made on demand in the world (inside each test's savepoint): a query
on case A ("own") and on case B ("foreign"), raised by the coordinator; one freeze.
"""

from __future__ import annotations

from tests.route_access import (
    CASE_READERS,
    LOGIN,
    OBJECTS,
    ROLES,
    Route,
    Scope,
    by_scope,
    roles,
)

REVIEWERS: Scope = {"coordinator": {"own", "foreign"}, "registry_admin": {"own", "foreign"}}
RAISERS: Scope = {"coordinator": {"own", "foreign"}, "reviewer": {"own"}}
PATHOLOGISTS: Scope = {"reviewer": {"own"}}
POST_ONLY = roles(405, anonymous=LOGIN)


def _case(world, variant):
    return {"code": world.case_code(variant)}


def _query(world, variant: str) -> dict:
    from cohorts.models import Query

    if variant == "missing":
        return {"pk": 2_000_000_000}
    from crf.models import Case

    case = world.rows[variant][Case]
    query, _created = Query.objects.get_or_create(
        case=case, defaults={"raised_by": world.users["coordinator"], "model": ""}
    )
    return {"pk": query.pk}


def _freeze(world, variant: str) -> dict:
    from cohorts.models import Freeze

    if variant == "missing":
        return {"pk": 2_000_000_000}
    freeze, _created = Freeze.objects.get_or_create(
        name="Route test", defaults={"created_by": world.users["coordinator"]}
    )
    return {"pk": freeze.pk}


def _biopsy(world, variant: str) -> dict:
    from crf.models import SkinBiopsy

    return {"pk": world.pks(SkinBiopsy).get(variant)}


def only(role: str, answer=200, others=403) -> dict:
    return roles(others, anonymous=LOGIN, **{role: answer})


ROUTES: dict[str, Route] = {
    # The case review: coordinators and registry administrators; others who see the case
    # are refused (403); a case out of reach is missing (404).
    "cohorts:case_review": Route(
        by_scope([(REVIEWERS, 200), (CASE_READERS, 403)], anonymous=LOGIN),
        variants=OBJECTS,
        kwargs=_case,
    ),
    "cohorts:transition": Route(
        POST_ONLY,
        variants=OBJECTS,
        kwargs=lambda world, variant: {**_case(world, variant), "name": "verify"},
    ),
    "cohorts:adjudicate": Route(POST_ONLY, variants=OBJECTS, kwargs=_case),
    "cohorts:discrepancy": Route(POST_ONLY, variants=OBJECTS, kwargs=_case),
    "cohorts:query_new": Route(
        by_scope([(RAISERS, 200), (CASE_READERS, 403)], anonymous=LOGIN),
        variants=OBJECTS,
        kwargs=_case,
    ),
    # Statisticians have no record-level page.
    "cohorts:query_list": Route(roles(200, anonymous=LOGIN, statistician=403)),
    "cohorts:query_detail": Route(
        by_scope([(CASE_READERS, 200)], anonymous=LOGIN), variants=OBJECTS, kwargs=_query
    ),
    "cohorts:query_action": Route(
        POST_ONLY,
        variants=OBJECTS,
        kwargs=lambda world, variant: {**_query(world, variant), "action": "close"},
    ),
    "cohorts:dashboard": Route(only("coordinator")),
    "cohorts:dashboard_csv": Route(only("coordinator")),
    "cohorts:pathology_list": Route(only("reviewer")),
    # Case A holds the biopsy (case B none: no "foreign" request).
    "cohorts:pathology_biopsy": Route(
        by_scope([(PATHOLOGISTS, 200), (CASE_READERS, 403)], anonymous=LOGIN),
        variants=OBJECTS,
        kwargs=_biopsy,
    ),
    "cohorts:cohorts": Route(only("coordinator")),
    "cohorts:select_controls": Route(POST_ONLY),
    "cohorts:take_freeze": Route(POST_ONLY),
    "cohorts:freeze_detail": Route(
        {
            **{role: {"own": 403, "missing": 403} for role in ROLES},
            "anonymous": LOGIN,
            "coordinator": {"own": 200, "missing": 404},
        },
        variants=("own", "missing"),
        kwargs=_freeze,
    ),
}
