"""Who gets what from each URL of the project: declared once, here; checked by
tests/test_route_access.py.

Every URL pattern (Django's resolver, includes and the admin followed) needs a declaration,
or the test fails naming it. A declaration says what a GET answers to each person

    anonymous        not signed in
    inv_own          investigator of centre A: "own" objects belong to centre A
    inv_other        investigator of centre B: "foreign" objects belong to centre B
    coordinator, reviewer (central reviewer), statistician, registry_admin

for each variant of its URL: an object of centre A ("own"), of centre B ("foreign"), one that
does not exist ("missing"), or none ("": the URL takes no object). Every user is staff, as in
tests/registry/test_admin.py: the scope, not the staff flag, must keep people out. The world
is that test's: case A has one row of every CRF model, skin biopsy and central review
included; case B every row but those two, so the central reviewer sees case A only.

A new page adds one entry to ROUTES, keyed by its URL name, e.g.

    "crf:section": Route(
        by_scope([(CASE_READERS, 200)], anonymous=LOGIN),  # or roles(403, inv_own=200, ...)
        variants=OBJECTS,
        kwargs=lambda world, variant: {"code": world.case_code(variant), "section": "lupus"},
    ),

Admin pages are declared per model family (ADMIN_FAMILIES, `admin_family`): a new CRF model's
admin is covered by the CRF family, a model outside every family fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.contrib import admin
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = (
    "anonymous",
    "inv_own",
    "inv_other",
    "coordinator",
    "reviewer",
    "statistician",
    "registry_admin",
)
OBJECTS = ("own", "foreign", "missing")
MISSING_PK = 2_000_000_000
MISSING_CODE = "LE-ZZZZZZZ"  # well formed, never issued


# ---- answers ----


@dataclass(frozen=True)
class Redirect:
    """A 302 to the URL named `to` (query string aside), or to a path ending with `ends_with`."""

    to: str | None = None
    ends_with: str = ""

    def matches(self, response) -> bool:
        if response.status_code != 302:
            return False
        path = response["Location"].split("?", 1)[0]
        return path == reverse(self.to) if self.to else path.endswith(self.ends_with)

    def __str__(self) -> str:
        return f"302 to {self.to}" if self.to else f"302 to …{self.ends_with}"


Answer = int | Redirect
Expect = Mapping[str, Answer | Mapping[str, Answer]]  # role -> answer, or -> {variant: answer}
Scope = Mapping[str, set[str]]  # role -> the variants ("own", "foreign") it reaches

LOGIN = Redirect("login")
ADMIN_LOGIN = Redirect("admin:login")
ADMIN_INDEX = Redirect("admin:index")


def answered(expected: Answer, response) -> bool:
    if isinstance(expected, Redirect):
        return expected.matches(response)
    return response.status_code == expected


def describe(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} to {response['Location']}"
    return str(response.status_code)


def roles(default: Answer, **per_role: Answer | Mapping[str, Answer]) -> dict:
    """`default` for every role, anonymous included, unless `per_role` says otherwise."""
    unknown = set(per_role) - set(ROLES)
    assert not unknown, f"unknown roles {sorted(unknown)}: use {ROLES}"
    return {role: per_role.get(role, default) for role in ROLES}


def by_scope(
    levels: Sequence[tuple[Scope, Answer]],
    *,
    otherwise: Answer = 404,
    missing: Answer = 404,
    **per_role: Answer | Mapping[str, Answer],
) -> dict:
    """Per role and object: the answer of the first level whose scope reaches the object,
    else `otherwise`; a missing object answers `missing`. With `otherwise=404`, another
    centre's record answers exactly like a missing one."""

    def answer(role: str, variant: str) -> Answer:
        if variant == "missing":
            return missing
        return next((a for scope, a in levels if variant in scope.get(role, ())), otherwise)

    unknown = set(per_role) - set(ROLES)
    assert not unknown, f"unknown roles {sorted(unknown)}: use {ROLES}"
    return {**{role: {v: answer(role, v) for v in OBJECTS} for role in ROLES}, **per_role}


# Scopes (crf.access): investigators reach their own centre's cases; the central
# reviewer biopsied cases (case A); coordinators and registry administrators every case.
CASE_READERS: Scope = {
    "inv_own": {"own"},
    "inv_other": {"foreign"},
    "coordinator": {"own", "foreign"},
    "reviewer": {"own"},
    "registry_admin": {"own", "foreign"},
}
# Identity, and writing clinical data (the cases are drafts): the owning centre only.
CENTRE_INVESTIGATORS: Scope = {"inv_own": {"own"}, "inv_other": {"foreign"}}
REGISTRY_ADMINS: Scope = {"registry_admin": {"own", "foreign"}}


# ---- declarations ----


@dataclass(frozen=True)
class Route:
    """The expected answer to a GET, per role and URL variant.

    `kwargs(world, variant)` builds the URL's keyword arguments (None for one: the world has
    no such object, the variant is skipped); `path(world, variant)` the whole path, for a
    route without a name; `query(world, variant)` its query string.
    """

    expect: Expect
    variants: tuple[str, ...] = ("",)
    kwargs: Callable[..., dict] | None = None
    path: Callable[..., str] | None = None
    query: Callable[..., dict] | None = None

    def answer(self, role: str, variant: str) -> Answer:
        expected = self.expect[role]
        return expected[variant] if isinstance(expected, Mapping) else expected


def _autocomplete_query(world, variant: str) -> dict:
    # "case": the case field of a skin biopsy form, as the admin's widget asks it.
    if variant == "case":
        return {"app_label": "crf", "model_name": "skinbiopsy", "field_name": "case"}
    return {}


STAFF = roles(200, anonymous=ADMIN_LOGIN)
ADMIN_APPS = ("crf", "registry", "pghistory", "auth", "axes", "django_celery_beat")

ROUTES: dict[str, Route] = {
    "home": Route(roles(200, anonymous=LOGIN)),
    "healthz": Route(roles(200)),
    "login": Route(roles(200)),
    "logout": Route(roles(405)),  # POST only
    "set_language": Route(roles(405)),  # POST only
    # Passwords: a reset link for anyone (the same answer whether the address is known);
    # a link that does not verify shows "expired", never whose it was.
    "password_reset": Route(roles(200)),
    "password_reset_done": Route(roles(200)),
    "password_reset_confirm": Route(
        roles(200), kwargs=lambda world, variant: {"uidb64": "MQ", "token": "set-password"}
    ),
    "password_reset_complete": Route(roles(200)),
    "password_change": Route(roles(200, anonymous=LOGIN)),
    "password_change_done": Route(roles(200, anonymous=LOGIN)),
    # Nobody in the probe has an authenticator yet: set-up shows its key, verify sends there.
    "two_factor_setup": Route(roles(200, anonymous=LOGIN)),
    "two_factor_verify": Route(roles(Redirect("two_factor_setup"), anonymous=LOGIN)),
    # Statisticians get the page, empty: no case is visible to them.
    "crf:case_list": Route(roles(200, anonymous=LOGIN)),
    "crf:case_detail": Route(
        by_scope([(CASE_READERS, 200)], anonymous=LOGIN),
        variants=OBJECTS,
        kwargs=lambda world, variant: {"code": world.case_code(variant)},
    ),
    # ---- Django's admin site ----
    "admin:index": Route(STAFF),
    "admin:login": Route(roles(ADMIN_INDEX, anonymous=200)),
    "admin:logout": Route(roles(405, anonymous=ADMIN_INDEX)),  # POST only
    "admin:password_change": Route(STAFF),
    "admin:password_change_done": Route(STAFF),
    "admin:jsi18n": Route(STAFF),
    "admin:autocomplete": Route(
        {
            **roles(403, anonymous=ADMIN_LOGIN),  # without its parameters: refused
            **{
                role: {"": 403, "case": 403 if role == "statistician" else 200}
                for role in ROLES[1:]
            },
        },
        variants=("", "case"),
        query=_autocomplete_query,
    ),
    # No "view on site" route (RegistryAdminSite): no CRF model has a public URL, and the
    # stock view answered a missing object and another centre's one differently.
    "admin:app_list": Route(
        {
            **{role: dict.fromkeys(ADMIN_APPS, 404) for role in ROLES},
            "anonymous": ADMIN_LOGIN,
            **{
                role: {**dict.fromkeys(ADMIN_APPS, 404), "crf": 200}
                for role in ("inv_own", "inv_other", "coordinator", "reviewer")
            },
            "registry_admin": {
                **dict.fromkeys(ADMIN_APPS, 404),
                "crf": 200,
                "registry": 200,
                "pghistory": 200,
            },
        },
        variants=ADMIN_APPS,
        kwargs=lambda world, variant: {"app_label": variant},
    ),
    # No administrator sets a password (registry.admin): reset links only, so no route.
    "admin/(?P<url>.*)$": Route(
        roles(404, anonymous=ADMIN_LOGIN), path=lambda world, variant: "/admin/no-such-page/"
    ),
}


# ---- admin pages, per model family ----


@dataclass(frozen=True)
class AdminFamily:
    """The answers of a family of models' admin pages, one per admin view."""

    changelist: Expect
    add: Expect
    change: Expect
    history: Expect
    delete: Expect
    # `<path:object_id>/` redirects to the change page without looking the object up.
    redirect: Expect = field(
        default_factory=lambda: roles(Redirect(ends_with="/change/"), anonymous=ADMIN_LOGIN)
    )


def _crf_family(*, readers: Scope = CASE_READERS) -> AdminFamily:
    """A CRF model's admin: read-only (data entry is the CRF pages'), scoped by case
    (crf.access): no one adds or deletes; a visible row's delete page is refused (403), a
    foreign one is missing (404)."""
    readable = by_scope([(readers, 200)], anonymous=ADMIN_LOGIN)
    return AdminFamily(
        # A role that reads no row of the model (statisticians: none at all) gets no list.
        changelist=roles(403, anonymous=ADMIN_LOGIN, **{role: 200 for role in readers}),
        add=roles(403, anonymous=ADMIN_LOGIN),
        change=readable,
        history=readable,
        delete=by_scope([(readers, 403)], anonymous=ADMIN_LOGIN),
    )


CRF = _crf_family()
CASE = CRF
# Identity is read by its own centre's investigators only.
IDENTITY = _crf_family(readers=CENTRE_INVESTIGATORS)
CENTRAL_REVIEW = CRF

# Centres, users, memberships: registry administrators only. Others are refused the lists
# (403) and an object's pages are a miss (404) whether it exists or not.
_ACCOUNTS = by_scope([(REGISTRY_ADMINS, 200)], anonymous=ADMIN_LOGIN)
ACCOUNTS = AdminFamily(
    changelist=roles(403, anonymous=ADMIN_LOGIN, registry_admin=200),
    add=roles(403, anonymous=ADMIN_LOGIN, registry_admin=200),
    change=_ACCOUNTS,
    history=_ACCOUNTS,
    delete=_ACCOUNTS,
)
# Centres are kept (deactivated, never deleted): refused even to registry administrators.
CENTRES = replace(ACCOUNTS, delete=by_scope([(REGISTRY_ADMINS, 403)], anonymous=ADMIN_LOGIN))
# pghistory's events list: registry administrators, read only.
EVENTS = AdminFamily(
    changelist=roles(403, anonymous=ADMIN_LOGIN, registry_admin=200),
    add=roles(403, anonymous=ADMIN_LOGIN),
    change=_ACCOUNTS,
    history=_ACCOUNTS,
    delete=by_scope([(REGISTRY_ADMINS, 403)], anonymous=ADMIN_LOGIN),
)
# Third-party admins that use Django's model permissions, which no role holds: refused to all.
# Django answers a missing object's history with a redirect to the admin index.
DJANGO_PERMISSIONS = AdminFamily(
    changelist=roles(403, anonymous=ADMIN_LOGIN),
    add=roles(403, anonymous=ADMIN_LOGIN),
    change=roles(403, anonymous=ADMIN_LOGIN),
    history=roles(ADMIN_INDEX, anonymous=ADMIN_LOGIN),
    delete=roles(403, anonymous=ADMIN_LOGIN),
)


def admin_family(model: type[Model]) -> AdminFamily | None:
    """The declared family of `model`'s admin, or None (undeclared: the test names it)."""
    from pghistory.models import Events

    from crf.models import CRF_MODELS, Case, CentralReview, Identity
    from registry.models import Centre, Membership, User

    by_model = {
        Case: CASE,
        Identity: IDENTITY,
        CentralReview: CENTRAL_REVIEW,
        Centre: CENTRES,
        User: ACCOUNTS,
        Membership: ACCOUNTS,
        Events: EVENTS,
    }
    if model in by_model:
        return by_model[model]
    if model in CRF_MODELS:
        return CRF
    if model._meta.app_label in ("auth", "axes", "django_celery_beat"):
        return DJANGO_PERMISSIONS
    return None


ADMIN_VIEWS = ("changelist", "add", "change", "history", "delete")


def admin_model_routes() -> dict[str, tuple[type[Model], str]]:
    """Route key -> (model, admin view), for every model registered in the admin."""
    routes = {}
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        for view in ADMIN_VIEWS:
            routes[f"admin:{app}_{name}_{view}"] = (model, view)
        routes[f"admin/{app}/{name}/<path:object_id>/"] = (model, "redirect")
    return routes


def admin_route(model: type[Model], view: str) -> Route | None:
    family = admin_family(model)
    if family is None:
        return None
    expect = getattr(family, view)
    if view in ("changelist", "add"):
        return Route(expect)
    app, name = model._meta.app_label, model._meta.model_name
    if view == "redirect":
        return Route(
            expect,
            variants=("missing",),
            path=lambda world, v: f"/admin/{app}/{name}/{MISSING_PK}/",
        )
    return Route(
        expect,
        variants=OBJECTS,
        kwargs=lambda world, variant: {"object_id": world.pks(model).get(variant)},
    )


# ---- the project's URL patterns ----


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name with its namespaces, or the route text when it has no name
    route: str


def project_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> list[Pattern]:
    """Every URL pattern of the project, includes followed, in resolver order."""
    resolver = resolver or get_resolver()
    found: list[Pattern] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += project_patterns(entry, route, inner)
        elif isinstance(entry, URLPattern):
            found.append(Pattern(f"{namespace}{entry.name}" if entry.name else route, route))
    return found


def declaration(key: str) -> Route | None:
    """The declared Route of a pattern key, from ROUTES or from its admin model family."""
    if key in ROUTES:
        return ROUTES[key]
    admin_key = admin_model_routes().get(key)
    return admin_route(*admin_key) if admin_key else None


def requests_of(key: str, route: Route, world) -> Iterator[tuple[str, str]]:
    """(variant, url) of each GET the declaration asks for."""
    for variant in route.variants:
        if route.path is not None:
            url = route.path(world, variant)
        else:
            kwargs = route.kwargs(world, variant) if route.kwargs else {}
            if any(value is None for value in kwargs.values()):
                continue  # no such object in the world for this model
            url = reverse(key, kwargs=kwargs)
        yield variant, url


# ---- the world ----


@dataclass
class World:
    """Two centres, one staff user per role, case A and case B with their rows."""

    users: dict[str, Model]
    rows: dict[str, dict[type[Model], Model]]  # "own"/"foreign" -> model -> row
    extra: dict[type[Model], dict[str, object]]  # primary keys of non-CRF objects

    def case_code(self, variant: str) -> str:
        from crf.models import Case

        return MISSING_CODE if variant == "missing" else self.rows[variant][Case].code

    def pks(self, model: type[Model]) -> dict[str, object]:
        """ "own"/"foreign"/"missing" primary keys of `model` (without a row: left out)."""
        found = dict(self.extra.get(model, {}))
        for variant in ("own", "foreign"):
            row = self.rows[variant].get(model)
            if row is not None:
                found.setdefault(variant, row.pk)
        return {**found, "missing": MISSING_PK}


def build_world() -> World:
    """tests/registry/test_admin.py's world, the users of tests/conftest.py, all staff."""
    from pghistory.models import Events

    from registry.models import Centre, Membership, Role, User
    from tests.factories import CaseFactory, CentreFactory, IdentityFactory, user_with_role
    from tests.registry.test_admin import fill_case

    centre_a = CentreFactory(code="alpha", name="Hôpital Alpha")
    centre_b = CentreFactory(code="beta", name="Hôpital Beta")
    users = {
        "inv_own": user_with_role(Role.INVESTIGATOR, centre_a, username="inv_a"),
        "inv_other": user_with_role(Role.INVESTIGATOR, centre_b, username="inv_b"),
        "coordinator": user_with_role(Role.COORDINATOR, username="coord"),
        "reviewer": user_with_role(Role.CENTRAL_REVIEWER, username="patho"),
        "statistician": user_with_role(Role.STATISTICIAN, username="stats"),
        "registry_admin": user_with_role(Role.REGISTRY_ADMIN, username="radmin"),
    }
    for user in users.values():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    case_a, case_b = CaseFactory(centre=centre_a), CaseFactory(centre=centre_b)
    IdentityFactory(case=case_a)
    IdentityFactory(case=case_b, local_identifier="IPP-B-1", initials="MB")
    rows = {"own": fill_case(case_a, biopsy=True), "foreign": fill_case(case_b, biopsy=False)}
    own_and_foreign = {"own": ("inv_own", case_a), "foreign": ("inv_other", case_b)}
    extra = {
        Centre: {"own": centre_a.pk, "foreign": centre_b.pk},
        User: {v: users[role].pk for v, (role, _case) in own_and_foreign.items()},
        Membership: {
            v: Membership.objects.get(user=users[role]).pk
            for v, (role, _case) in own_and_foreign.items()
        },
        Events: {
            v: Events.objects.tracks(case).order_by("pgh_id").first().pgh_slug
            for v, (_role, case) in own_and_foreign.items()
        },
    }
    return World(users=users, rows=rows, extra=extra)


# ---- the areas' own declarations (tests/routes/<area>.py) ----

from tests.routes import api, cohorts, exports  # noqa: E402
from tests.routes import crf as crf_routes  # noqa: E402

for _area in (crf_routes, cohorts, exports, api):
    _clash = set(_area.ROUTES) & set(ROUTES)
    assert not _clash, f"declared twice: {sorted(_clash)}"
    ROUTES.update(_area.ROUTES)
