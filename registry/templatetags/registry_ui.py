"""Template tags of the layout: who is signed in, the main navigation, the language switch.

`{% load registry_ui %}`. The navigation is declared once, in `NAV` below: a new page adds
one `NavEntry` (its URL name, label and the roles that see it). tests/test_route_access.py
checks that every entry answers 200 to every role it is shown to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from registry.models import Role
from registry.roles import investigator_centres, roles_of

register = template.Library()

# Role names as people read them. Same English as registry.models.Role, which is not yet
# marked for translation; once it is, `Role(code).label` can replace this table.
ROLE_LABELS: dict[str, Promise] = {
    Role.INVESTIGATOR: _("Centre investigator"),
    Role.COORDINATOR: _("Coordinator"),
    Role.CENTRAL_REVIEWER: _("Central reviewer (pathologist)"),
    Role.STATISTICIAN: _("Statistician"),
    Role.REGISTRY_ADMIN: _("Registry administrator"),
}


@dataclass(frozen=True)
class NavEntry:
    """A link of the main navigation, shown to the holders of any of `roles`
    (`roles=None`: to every signed-in user)."""

    url_name: str
    label: Promise
    roles: frozenset[str] | None
    staff_only: bool = False  # Django's admin also wants is_staff
    # The URL names of the pages that mark this entry current; None: its URL namespace's.
    current_for: frozenset[str] | None = None

    def shown_to(self, user) -> bool:
        if self.staff_only and not user.is_staff:
            return False
        return self.roles is None or not self.roles.isdisjoint(roles_of(user))

    def is_current(self, request: HttpRequest | None) -> bool:
        """The current page is this entry's page, or belongs to its URL namespace."""
        match = getattr(request, "resolver_match", None)
        if match is None:
            return False
        if self.current_for is not None:
            return match.view_name in self.current_for | {self.url_name}
        namespace, _sep, _name = self.url_name.rpartition(":")
        return match.view_name == self.url_name or bool(namespace and namespace in match.namespaces)


NAV: tuple[NavEntry, ...] = (
    NavEntry("home", _("Home"), None),
    NavEntry(
        "crf:case_list",
        _("Cases"),
        frozenset(Role) - {Role.STATISTICIAN},  # statisticians: no record-level page
    ),
    # cohorts: queries, the coordinators' dashboard and cohorts, central pathology.
    NavEntry(
        "cohorts:query_list",
        _("Queries"),
        frozenset(Role) - {Role.STATISTICIAN},
        current_for=frozenset({"cohorts:query_detail", "cohorts:query_new"}),
    ),
    NavEntry(
        "cohorts:dashboard",
        _("Dashboard"),
        frozenset({Role.COORDINATOR}),
        current_for=frozenset(),
    ),
    NavEntry(
        "cohorts:cohorts",
        _("Cohorts"),
        frozenset({Role.COORDINATOR}),
        current_for=frozenset({"cohorts:freeze_detail"}),
    ),
    NavEntry(
        "cohorts:pathology_list",
        _("Central pathology"),
        frozenset({Role.CENTRAL_REVIEWER}),
        current_for=frozenset({"cohorts:pathology_biopsy"}),
    ),
    NavEntry("imports:start", _("Import"), frozenset({Role.INVESTIGATOR})),
    NavEntry("exports:list", _("Exports"), frozenset({Role.STATISTICIAN, Role.REGISTRY_ADMIN})),
    NavEntry("admin:index", _("Administration"), frozenset({Role.REGISTRY_ADMIN}), staff_only=True),
)


def nav_for(user) -> list[NavEntry]:
    """The entries `user` sees, in declaration order (none when signed out)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [entry for entry in NAV if entry.shown_to(user)]


@dataclass(frozen=True)
class SignedIn:
    """What the header says about the signed-in user."""

    name: str
    roles: list[Promise]
    centres: list[tuple[str, str]]  # (code, name)


def signed_in_as(user) -> SignedIn | None:
    if not getattr(user, "is_authenticated", False):
        return None
    held = roles_of(user)
    return SignedIn(
        name=user.get_full_name() or user.get_username(),
        roles=[ROLE_LABELS[role] for role in Role if role in held],
        centres=investigator_centres(user),
    )


@register.inclusion_tag("registry/includes/signed_in.html", takes_context=True)
def signed_in(context: template.Context) -> dict:
    return {"who": signed_in_as(context.get("user"))}


@register.inclusion_tag("registry/includes/main_nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict:
    request = context.get("request")
    entries = nav_for(context.get("user"))
    links = [
        {"url": reverse(e.url_name), "label": e.label, "current": e.is_current(request)}
        for e in entries
    ]
    return {"links": links}


@register.inclusion_tag("registry/includes/language_switch.html", takes_context=True)
def language_switch(context: template.Context) -> dict:
    """Buttons for the other languages, each written in its own language."""
    request = context.get("request")
    current = get_language()
    others = [
        {"code": code, "name": get_language_info(code)["name_local"].capitalize()}
        for code, _name in settings.LANGUAGES
        if code != current
    ]
    return {
        "others": others,
        "next": request.get_full_path() if request is not None else "",
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


ALERT_CLASSES = {
    messages.DEBUG: "secondary",
    messages.INFO: "info",
    messages.SUCCESS: "success",
    messages.WARNING: "warning",
    messages.ERROR: "danger",
}


@register.filter
def alert_class(message) -> str:
    """The Bootstrap alert colour of a django.contrib.messages message."""
    return ALERT_CLASSES.get(message.level, "info")


@register.filter
def alert_role(message) -> str:
    """Errors and warnings interrupt a screen reader (alert); the rest wait (status)."""
    return "alert" if message.level >= messages.WARNING else "status"
