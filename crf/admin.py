"""The CRF in the Django admin: read-only, scoped through `crf.access` like every page.

Clinical data is entered and corrected in the CRF pages, through `crf.services` (the one
write contract); the admin is for registry administration, so here every CRF model can be
listed, viewed and its history read, never changed. Each model reaches its case by the path
it declares (`crf.models.base.path_to_case`), so a record of a case the user may not see
answers 404, exactly like a missing id, in the list, the object, its history and
autocomplete.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from pghistory.models import Events

from crf import access
from crf.models import CRF_MODELS, Case, Identity
from crf.models.base import case_of, path_to_case
from registry.admin import NotFoundAdminMixin


def actor_of(request: HttpRequest) -> access.Actor:
    return access.actor_for(request.user)


class CrfAdmin(NotFoundAdminMixin, admin.ModelAdmin):
    """Base admin of every CRF model: scoped, read-only."""

    list_per_page = 50
    object_history_template = "admin/crf/object_history.html"

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        path = path_to_case(model)
        if not self.list_select_related:
            self.list_select_related = ("__".join((*path, "centre")),)
        if not self.search_fields:
            self.search_fields = ("__".join((*path, "code")),)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return access.rows_visible(actor_of(request), self.model).select_related(
            *self.list_select_related
        )

    def _reads(self, request: HttpRequest) -> bool:
        actor = actor_of(request)
        if self.model is Identity:
            return bool(actor.centre_ids)
        return access.may_read_records(actor)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._reads(request)  # `obj` came through get_queryset, so it is in scope.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

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
        # Events of one statement share a timestamp: pgh_id orders them.
        events = Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")
        return super().history_view(request, object_id, {**(extra_context or {}), "events": events})


@admin.register(Case)
class CaseAdmin(CrfAdmin):
    list_display = ("code", "centre", "group", "status", "updated_at")
    list_filter = ("status", "group", ("centre", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("centre",)
    search_fields = ("code",)


for _model in CRF_MODELS:
    if not admin.site.is_registered(_model):
        admin.site.register(_model, CrfAdmin)
