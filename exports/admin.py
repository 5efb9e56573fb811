"""Export profiles in the admin: registry administrators edit them (crf.access decides);
everyone else meets a 404 on their pages, as on a page that does not exist."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from crf import access
from exports.models import ExportProfile
from registry.admin import NotFoundAdminMixin


@admin.register(ExportProfile)
class ExportProfileAdmin(NotFoundAdminMixin, admin.ModelAdmin):
    list_display = ("name", "date_mode", "age_mode", "keep_centre", "k_threshold", "updated_at")
    fields = (
        "name",
        "description",
        "date_mode",
        "age_mode",
        "keep_centre",
        "allowed_free_text",
        "k_threshold",
    )

    def _manages(self, request: HttpRequest) -> bool:
        return access.may_manage_export_profiles(access.actor_for(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._manages(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._manages(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._manages(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._manages(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # its name keys the pseudonyms of past exports: kept, like centres
