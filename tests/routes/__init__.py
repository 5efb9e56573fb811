"""Route declarations by area (one module per app: parallel work never collides), merged
into `tests.route_access.ROUTES`. Each module defines `ROUTES: dict[str, Route]`, built
with the helpers of `tests.route_access` (roles, by_scope, Route, LOGIN, ...)."""
