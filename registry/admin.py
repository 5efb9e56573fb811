"""Admin for centres, accounts and memberships, and the scope of pghistory's events admin.

Permissions come from roles (`registry.roles`), never from Django's model permissions:
registry administrators manage centres, users and memberships; nobody else does. (Access
to patient data is decided in `crf.access`; registry knows nothing of the CRF.)
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from pghistory.admin import EventsAdmin

from registry import roles
from registry.models import Centre, Membership, User


class NotFoundAdminMixin:
    """Lookups that cannot match behave like a miss: 404 for objects, nothing for searches.

    Django's default redirects with a "doesn't exist" message; ours cannot tell a record of
    another centre from one that never existed.
    """

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404
        return obj

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if "\x00" in search_term:
            # PostgreSQL refuses NUL in text: a 500 (autocomplete's `term`) for a certain miss.
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]


class AccountsPermissionsMixin:
    """Registry administrators manage accounts; superusers too, to bootstrap the first one."""

    def _manages(self, request: HttpRequest) -> bool:
        return roles.manages_accounts(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._manages(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._manages(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._manages(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._manages(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._manages(request)


class AccountsAdmin(NotFoundAdminMixin, AccountsPermissionsMixin, admin.ModelAdmin):
    pass


@admin.register(Centre)
class CentreAdmin(AccountsAdmin):
    list_display = ("code", "name", "city", "country", "is_active")
    list_filter = ("is_active", "country")
    search_fields = ("code", "name", "city")

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # Centres own cases (PROTECT) and audit history: deactivate instead.


class MembershipInline(AccountsPermissionsMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("role", "centre", "is_active", "created_at")
    readonly_fields = ("created_at",)


@admin.register(User)
class RegistryUserAdmin(NotFoundAdminMixin, AccountsPermissionsMixin, UserAdmin):
    inlines = (MembershipInline,)
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "memberships__role", "memberships__centre")
    # Roles are memberships: Django groups and per-user permissions are not used.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        # Only a superuser makes superusers: a registry administrator cannot escalate.
        if request.user.is_superuser:
            return self.readonly_fields
        return (*self.readonly_fields, "is_superuser")


@admin.register(Membership)
class MembershipAdmin(AccountsAdmin):
    list_display = ("user", "role", "centre", "is_active", "created_at")
    list_filter = ("role", "centre", "is_active")
    list_select_related = ("user", "centre")
    search_fields = ("user__username", "user__last_name", "centre__code")
    autocomplete_fields = ("user",)


class RegistryEventsAdmin(NotFoundAdminMixin, EventsAdmin):
    """pghistory's network-wide events list, for registry administrators only, without identity.

    The stock admin lists every event of every centre, identity rows included, to any
    superuser. Registry administrators already read every case (pseudonymously), so the
    list shows them nothing new except who changed what; identity events stay with the
    owning centre (their history is on the Identity admin of its investigators).
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.reads_audit_log(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return roles.reads_audit_log(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Filters outside the aggregate, so `?event_model=crf.identityevent` cannot undo it.
        hidden = settings.AUDIT_EVENTS_HIDDEN_FROM_NETWORK
        return super().get_queryset(request).exclude(pgh_obj_model__in=hidden)
