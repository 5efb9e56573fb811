"""Who may see and change what: every access decision of the registry, in one place.

Pages, admin, API, import, exports, services and the audit trail ask this module and
restate nothing. A decision takes an `Actor`: the user, the roles their active memberships
give (`registry.roles`), and the *scope* of the channel they act through:

| scope        | channel                                   | rights                          |
|--------------|-------------------------------------------|---------------------------------|
| `session`    | a signed-in page (or the admin)            | the roles' rights               |
| `read`       | an API token scoped read                  | the roles' reads, no write      |
| `read_write` | an API token scoped read-write            | the roles' rights               |
| `export`     | the statisticians' de-identified exports  | export jobs and files only      |
| `system`     | the registry itself: demo and synthetic data | every case; no person   |

Roles:
- investigator: the cases of their one centre, with identity; writes their CRF sections
  (never the central review) until the case is locked or withdrawn; submits, withdraws,
  answers queries;
- coordinator: every case, pseudonymous; no CRF data entry; reviews, queries, verifies,
  locks, adjudicates, builds cohorts and freezes; reads the dashboard;
- central_reviewer: the cases with at least one skin biopsy, pseudonymous; writes central
  reviews of cases not locked or withdrawn; raises queries;
- statistician: no record-level page; de-identified exports only (with registry admins);
- registry_admin: every case, pseudonymous; unlocks; manages accounts and the admin.

Identity is seen by the owning centre's investigators only, whatever other role or flag.
What a user may not see answers exactly like what does not exist: 404, never 403 (which
would confirm it exists); 403 is for what they may see but not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import Http404

from crf.models import CRF_MODELS, Case, CentralReview, Identity, SkinBiopsy
from crf.models.base import case_lookup
from crf.models.case import READ_ONLY_STATUSES
from registry import roles
from registry.models import Role

NETWORK_READERS = frozenset({Role.COORDINATOR, Role.REGISTRY_ADMIN})


class Scope(StrEnum):
    SESSION = "session"
    READ = "read"
    READ_WRITE = "read_write"
    EXPORT = "export"
    SYSTEM = "system"


WRITING_SCOPES = frozenset({Scope.SESSION, Scope.READ_WRITE, Scope.SYSTEM})
RECORD_SCOPES = frozenset({Scope.SESSION, Scope.READ, Scope.READ_WRITE, Scope.SYSTEM})


@dataclass(frozen=True)
class Actor:
    """Someone acting through a channel: the user, their roles and centres, the scope."""

    user: Any
    scope: Scope
    roles: frozenset[str]
    centre_ids: frozenset[int]

    def has(self, *wanted: str) -> bool:
        return not self.roles.isdisjoint(wanted)

    @property
    def writes(self) -> bool:
        return self.scope in WRITING_SCOPES

    @property
    def reads_records(self) -> bool:
        return self.scope in RECORD_SCOPES


SYSTEM = Actor(user=None, scope=Scope.SYSTEM, roles=frozenset(), centre_ids=frozenset())


def actor_for(user: Any, scope: Scope = Scope.SESSION) -> Actor:
    """The actor of `user` through `scope` (an anonymous user holds no role)."""
    return Actor(
        user=user,
        scope=Scope(scope),
        roles=roles.roles_of(user),
        centre_ids=roles.investigator_centre_ids(user),
    )


# ---- reading patient data ----


def cases_visible(actor: Actor) -> QuerySet[Case]:
    """The cases this actor may open."""
    if not actor.reads_records:
        return Case.objects.none()
    if actor.has(*NETWORK_READERS) or actor.scope == Scope.SYSTEM:
        return Case.objects.all()
    visible = Case.objects.none()
    if actor.centre_ids:
        visible = visible | Case.objects.filter(centre_id__in=actor.centre_ids)
    if actor.has(Role.CENTRAL_REVIEWER):
        has_biopsy = Exists(SkinBiopsy.objects.filter(case=OuterRef("pk")))
        visible = visible | Case.objects.filter(has_biopsy)
    return visible


def may_read_records(actor: Actor) -> bool:
    """Does this actor see any record-level page at all (statisticians do not)?"""
    return actor.reads_records and (
        actor.has(*NETWORK_READERS, Role.CENTRAL_REVIEWER) or bool(actor.centre_ids)
    )


def case_for(actor: Actor, code: str) -> Case:
    """The case with this code, or Http404 when it does not exist or is not visible. Its
    centre comes in the same query: every page and answer about a case names it."""
    if not isinstance(code, str) or "\x00" in code:
        # PostgreSQL rejects NUL in text: a miss, not a 500.
        raise Http404("No such case.")
    try:
        return cases_visible(actor).select_related("centre").get(code=code)
    except Case.DoesNotExist as exc:
        raise Http404("No such case.") from exc


def rows_visible(actor: Actor, model: type[Model]) -> QuerySet:
    """Rows of `model` (any CRF model, or one that declares its path to a case) in the
    cases the actor may open; identity follows its own rule."""
    if model is Identity:
        return identities_visible(actor)
    lookup = case_lookup(model)
    return model._default_manager.filter(**{f"{lookup}__in": cases_visible(actor)})


def identities_visible(actor: Actor) -> QuerySet[Identity]:
    """Identity rows: only the owning centre's investigators see them, through a page or a
    token (never through the export scope)."""
    if not actor.reads_records:
        return Identity.objects.none()
    return Identity.objects.filter(case__centre_id__in=actor.centre_ids)


def may_see_identity(actor: Actor, case: Case) -> bool:
    return actor.reads_records and case.centre_id in actor.centre_ids


# ---- writing patient data ----


def may_write(actor: Actor, case: Case, model: type[Model]) -> bool:
    """May the actor write `model` rows of `case` (a case it can see) now?"""
    if not actor.writes or case.status in READ_ONLY_STATUSES:
        return False
    if actor.scope == Scope.SYSTEM:
        return True
    if model is CentralReview:
        return actor.has(Role.CENTRAL_REVIEWER)
    return case.centre_id in actor.centre_ids


def writable_cases(actor: Actor, model: type[Model]) -> QuerySet[Case]:
    """The queryset form of `may_write`: cases to which the actor may write `model` rows."""
    if not actor.writes:
        return Case.objects.none()
    open_cases = cases_visible(actor).exclude(status__in=READ_ONLY_STATUSES)
    if model is CentralReview:
        return open_cases if actor.has(Role.CENTRAL_REVIEWER) else Case.objects.none()
    return open_cases.filter(centre_id__in=actor.centre_ids)


def may_write_any(actor: Actor, model: type[Model]) -> bool:
    """Could the actor write some `model` row at all (no query: menus, admin buttons)?"""
    if not actor.writes:
        return False
    if model is CentralReview:
        return actor.has(Role.CENTRAL_REVIEWER)
    return bool(actor.centre_ids) and model in CRF_MODELS


def may_import(actor: Actor) -> bool:
    """Spreadsheet import: a centre's investigators, into their own centre's cases."""
    return actor.writes and bool(actor.centre_ids)


def may_create_case(actor: Actor, centre_id: int) -> bool:
    return actor.writes and (centre_id in actor.centre_ids or actor.scope == Scope.SYSTEM)


# ---- the case lifecycle (crf.lifecycle declares the transitions) ----


def may_transition(actor: Actor, case: Case, who: str) -> bool:
    """May the actor make a transition that belongs to `who` (`crf.lifecycle.BY_*`)?"""
    if not actor.writes:
        return False
    if who == "investigator":
        return case.centre_id in actor.centre_ids
    if who == "coordinator":
        return actor.has(Role.COORDINATOR)
    if who == "registry_admin":
        return actor.has(Role.REGISTRY_ADMIN)
    return False


# ---- queries, review, cohorts, exports, accounts ----


def may_raise_query(actor: Actor, case: Case) -> bool:
    return actor.writes and actor.has(Role.COORDINATOR, Role.CENTRAL_REVIEWER)


def may_answer_query(actor: Actor, case: Case) -> bool:
    return actor.writes and case.centre_id in actor.centre_ids


def may_manage_query(actor: Actor, raised_by_id: int | None) -> bool:
    """Close or re-open a query: the person who raised it, or any coordinator."""
    user_id = getattr(actor.user, "pk", None)
    return actor.writes and (
        (user_id is not None and user_id == raised_by_id) or actor.has(Role.COORDINATOR)
    )


def may_review_cases(actor: Actor) -> bool:
    """The case review page (eligibility, discrepancies, workflow): coordinators, and
    registry administrators, who unlock."""
    return actor.reads_records and actor.has(Role.COORDINATOR, Role.REGISTRY_ADMIN)


def may_adjudicate(actor: Actor) -> bool:
    """Include / exclude decisions, confirmed discrepancies, control selections, freezes."""
    return actor.writes and actor.has(Role.COORDINATOR)


def may_review_pathology(actor: Actor) -> bool:
    return actor.reads_records and actor.has(Role.CENTRAL_REVIEWER)


def may_coordinate(actor: Actor) -> bool:
    """Adjudication, cohorts, freezes and the network dashboard."""
    return actor.reads_records and actor.has(Role.COORDINATOR)


EXPORTERS = frozenset({Role.STATISTICIAN, Role.REGISTRY_ADMIN})


def may_export(actor: Actor) -> bool:
    """De-identified exports (start, follow, re-identification report, download, analysis):
    statisticians and registry administrators, through a page, a token or the export
    scope. Coordinators work on records and freezes, not on exported files."""
    return actor.has(*EXPORTERS) and actor.scope != Scope.SYSTEM


def may_trace_export_ids(actor: Actor) -> bool:
    """Follow a number of the study's tables back to the cases it counts (their pseudonymous
    codes and record pages): coordinators and registry administrators, signed in. They also
    read the study's tables of an export (not its files)."""
    return actor.scope == Scope.SESSION and actor.has(*NETWORK_READERS)


def may_manage_export_profiles(actor: Actor) -> bool:
    """Which free text leaves, how dates and ages are coarsened, the k threshold: registry
    administrators, in a signed-in session."""
    return actor.scope == Scope.SESSION and actor.has(Role.REGISTRY_ADMIN)


def may_manage_accounts(actor: Actor) -> bool:
    return actor.scope == Scope.SESSION and roles.manages_accounts(actor.user)
