"""Admin for every CRF model, scoped through `registry.access` like every other page.

Each model reaches its case by the path it declares (`crf.models.base.path_to_case`:
`case`, `test__case`, `biopsy__case`, `treatment__case`). Querysets, object views,
foreign-key choices and autocomplete all filter along it, so a record of a case the user
may not see answers 404, exactly like a missing id. Saves and deletes go through
`crf.services`, like every other writer: validation, reason for change, audit, recompute.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.db.models.query import EmptyQuerySet
from django.http import HttpRequest, HttpResponse
from pghistory.models import Events

from crf.forms import CrfModelForm
from crf.models import CRF_MODELS, Case, CentralReview, Identity
from crf.models.base import case_lookup, case_of, path_to_case
from crf.models.case import READ_ONLY_STATUSES, STATUSES_NEEDING_REASON
from crf.services import case_create, may_write, section_delete, section_save
from registry.access import (
    can_review_pathology,
    cases_visible_to,
    identities_visible_to,
    investigator_centre_ids,
)
from registry.admin import NotFoundAdminMixin
from registry.audit import Source
from registry.models import Centre


def in_cases(model: type[Model], cases: QuerySet) -> QuerySet:
    """The rows of `model` belonging to `cases` (a subquery, one round trip)."""
    return model._default_manager.filter(**{f"{case_lookup(model)}__in": cases})


def writable_cases(user, model: type[Model]) -> QuerySet:
    """Cases to which `user` may add or change `model` rows (the queryset form of
    `crf.services.may_write`)."""
    open_cases = cases_visible_to(user).exclude(status__in=READ_ONLY_STATUSES)
    if model is CentralReview:
        return open_cases if can_review_pathology(user) else Case.objects.none()
    return open_cases.filter(centre_id__in=investigator_centre_ids(user))


class CrfAdmin(NotFoundAdminMixin, admin.ModelAdmin):
    """Base admin of every CRF model; subclasses only add presentation."""

    form = CrfModelForm
    list_per_page = 50
    object_history_template = "admin/crf/object_history.html"

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        path = path_to_case(model)
        if not self.list_select_related:
            self.list_select_related = ("__".join((*path, "centre")),)
        if not self.search_fields:
            self.search_fields = ("__".join((*path, "code")),)
        if path == ("case",) and not self.autocomplete_fields:
            self.autocomplete_fields = ("case",)

    # ---- scope ----

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if self.model is Identity:
            # Identity has its own rule: the owning centre's investigators, whatever else.
            return qs.filter(pk__in=identities_visible_to(request.user).values("pk"))
        return qs.filter(**{f"{case_lookup(self.model)}__in": cases_visible_to(request.user)})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        related = db_field.related_model
        if related is Centre:
            kwargs["queryset"] = Centre.objects.filter(pk__in=investigator_centre_ids(request.user))
        elif related in CRF_MODELS:
            kwargs["queryset"] = in_cases(related, writable_cases(request.user, self.model))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if match and match.url_name == "autocomplete":
            # Autocomplete feeds another model's form: offer what that form would accept.
            source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
            writable = writable_cases(request.user, source)
            queryset = queryset.filter(**{f"{case_lookup(self.model)}__in": writable})
        return queryset, may_have_duplicates

    # ---- permissions: roles, through registry.access ----

    def _reads(self, request: HttpRequest) -> bool:
        if self.model is Identity:
            return bool(investigator_centre_ids(request.user))
        # A role that sees no case at all (statistician, no role) gets no record pages.
        return not isinstance(cases_visible_to(request.user), EmptyQuerySet)

    def _writes(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:  # model level, no query: may this user write any row of this type?
            if self.model is CentralReview:
                return can_review_pathology(request.user)
            return bool(investigator_centre_ids(request.user))
        return may_write(request.user, case_of(obj), obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._reads(request)  # `obj` came through get_queryset, so it is in scope.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._writes(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._writes(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A case is withdrawn, never deleted. A row of a submitted case needs a reason for its
        # deletion, which the admin's confirmation page cannot ask: delete it from the CRF.
        if self.model is Case:
            return False
        if obj is not None and case_of(obj).status in STATUSES_NEEDING_REASON:
            return False
        return self._writes(request, obj)

    # ---- writes: through crf.services, the one write path ----

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        if isinstance(obj, Case) and not change:
            case_create(user=request.user, case=obj, source=Source.ADMIN)
            return
        section_save(
            user=request.user,
            instance=obj,
            reason=form.cleaned_data.get("reason_for_change", ""),
            acknowledged=form.acknowledged,
            source=Source.ADMIN,
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        section_delete(user=request.user, instance=obj, source=Source.ADMIN)

    def get_actions(self, request: HttpRequest) -> dict:
        # Bulk delete checks permission once, not per case: locked cases would be deletable.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # ---- presentation ----

    @admin.display(description="case")
    def case_code(self, obj: Model) -> str:
        return case_of(obj).code

    @admin.display(description="centre")
    def centre_code(self, obj: Model) -> str:
        return case_of(obj).centre.code

    def get_list_display(self, request: HttpRequest) -> tuple:
        if self.list_display != ("__str__",):
            return self.list_display
        return ("__str__", "case_code", "centre_code")

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Django's history, plus the trigger-captured audit trail of this one record."""
        obj = self.get_object(request, unquote(object_id))  # 404 outside scope
        # Events of one transaction share a timestamp: pgh_id orders them.
        events = Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")
        return super().history_view(request, object_id, {**(extra_context or {}), "events": events})


@admin.register(Case)
class CaseAdmin(CrfAdmin):
    list_display = ("code", "centre", "group", "status", "updated_at")
    list_filter = ("status", "group", ("centre", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("centre",)
    search_fields = ("code",)
    # The lifecycle (submit, review, lock, withdraw) belongs to the workflow services.
    readonly_fields = ("code", "status", "withdrawn_reason", "created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: Case, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CentralReview)
class CentralReviewAdmin(CrfAdmin):
    readonly_fields = ("reviewed_by", "reclassified")

    def save_model(self, request: HttpRequest, obj: CentralReview, form, change: bool) -> None:
        obj.reviewed_by = request.user
        super().save_model(request, obj, form, change)


for _model in CRF_MODELS:
    if not admin.site.is_registered(_model):
        admin.site.register(_model, CrfAdmin)
