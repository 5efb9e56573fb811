"""Routes of the api pages: what each role gets (see tests/route_access.py).

The API answers 401 to a request without credentials (token authentication comes first,
so DRF answers with its WWW-Authenticate); signed-in pages' sessions are the clients here.
"""

from tests.route_access import (
    CASE_READERS,
    LOGIN,
    MISSING_PK,
    OBJECTS,
    Route,
    by_scope,
    roles,
)

SIGNED_IN = roles(200, anonymous=401)


def _row(world, variant):
    from crf.models import Treatment

    row = world.rows[variant][Treatment].pk if variant != "missing" else MISSING_PK
    return {"code": world.case_code(variant), "section": "treatment", "row_id": row}


ROUTES: dict[str, Route] = {
    "api:cases": Route(SIGNED_IN),  # statisticians: an empty list, as on the pages
    "api:case": Route(
        by_scope([(CASE_READERS, 200)], anonymous=401),
        variants=OBJECTS,
        kwargs=lambda world, variant: {"code": world.case_code(variant)},
    ),
    # POST only; the method is refused once the caller is known.
    "api:case_transition": Route(
        roles(405, anonymous=401),
        variants=OBJECTS,
        kwargs=lambda world, variant: {"code": world.case_code(variant), "name": "withdraw"},
    ),
    "api:section": Route(
        by_scope([(CASE_READERS, 200)], anonymous=401),
        variants=OBJECTS,
        kwargs=lambda world, variant: {
            "code": world.case_code(variant),
            "section": "demographics",
        },
    ),
    "api:row": Route(
        by_scope([(CASE_READERS, 200)], anonymous=401),
        variants=OBJECTS,
        kwargs=_row,
    ),
    "api:choices": Route(SIGNED_IN),
    "api:schema": Route(SIGNED_IN),
    "api:docs": Route(SIGNED_IN),
    "api:tokens": Route(roles(200, anonymous=LOGIN)),
    "api:token_revoke": Route(  # POST only
        roles(405, anonymous=LOGIN), kwargs=lambda world, variant: {"pk": MISSING_PK}
    ),
    "api:token_uses": Route(roles(404, anonymous=LOGIN, registry_admin=200)),
    # ---- spreadsheet import (exports.imports): a centre's investigators ----
    "imports:start": Route(roles(403, anonymous=LOGIN, inv_own=200, inv_other=200)),
    "imports:confirm": Route(roles(405, anonymous=LOGIN)),  # POST only
    "imports:template": Route(  # columns and codes only: no data
        roles(200, anonymous=LOGIN),
        variants=("xlsx", "csv"),
        kwargs=lambda world, variant: {"section": "demographics", "fmt": variant},
    ),
}
