"""Routes of the crf pages: what each role gets (see tests/route_access.py)."""

from tests.route_access import Route

ROUTES: dict[str, Route] = {}
