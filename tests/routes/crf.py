"""Routes of the crf pages: what each role gets (see tests/route_access.py).

Readers of a case (its centre's investigators, coordinators, the central reviewer of a
biopsied case, registry administrators) open its overview, sections and history; only the
owning centre's investigators get the forms that write (others who see the case: 403);
another centre's case answers like a missing one (404).
"""

from tests.route_access import (
    CASE_READERS,
    CENTRE_INVESTIGATORS,
    LOGIN,
    OBJECTS,
    Route,
    by_scope,
    roles,
)

READ = by_scope([(CASE_READERS, 200)], anonymous=LOGIN)
WRITE = by_scope([(CENTRE_INVESTIGATORS, 200), (CASE_READERS, 403)], anonymous=LOGIN)
POST_ONLY = roles(405, anonymous=LOGIN)


def _case(world, variant):
    return {"code": world.case_code(variant)}


def _section(slug):
    return lambda world, variant: {"code": world.case_code(variant), "slug": slug}


def _treatment(world, variant):
    from crf.models import Treatment

    return {
        "code": world.case_code(variant),
        "slug": "treatment",
        "row": world.pks(Treatment)[variant],
    }


ROUTES: dict[str, Route] = {
    "crf:case_create": Route(roles(403, anonymous=LOGIN, inv_own=200, inv_other=200)),
    "crf:case_submit": Route(POST_ONLY, variants=OBJECTS, kwargs=_case),
    "crf:case_withdraw": Route(WRITE, variants=OBJECTS, kwargs=_case),
    "crf:case_history": Route(READ, variants=OBJECTS, kwargs=_case),
    "crf:section": Route(READ, variants=OBJECTS, kwargs=_section("demographics")),
    "crf:preview": Route(POST_ONLY, variants=OBJECTS, kwargs=_section("demographics")),
    "crf:row_new": Route(WRITE, variants=OBJECTS, kwargs=_section("treatment")),
    "crf:row_edit": Route(WRITE, variants=OBJECTS, kwargs=_treatment),
    "crf:row_delete": Route(WRITE, variants=OBJECTS, kwargs=_treatment),
}
