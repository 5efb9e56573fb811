"""Admin for centres, accounts and memberships, and the scope of pghistory's events admin.

Permissions come from roles (`registry.roles`), never from Django's model permissions:
registry administrators manage centres, users and memberships; nobody else does. (Access
to patient data is decided in `crf.access`; registry knows nothing of the CRF.)
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from pghistory.admin import EventsAdmin

from registry import accounts, roles
from registry.models import Centre, Membership, User


class NotFoundAdminMixin:
    """Lookups that cannot match behave like a miss: 404 for objects, nothing for searches.

    Django's default redirects with a "doesn't exist" message; ours cannot tell a record of
    another centre from one that never existed.
    """

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # Someone who may not see this model at all learns nothing from an id: 404 whether
        # the object exists or not (never 403 for one and 404 for the other).
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            raise Http404
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
    """The user's memberships, read-only here: asked for and approved on the Membership
    admin (registry.accounts: the reviewed path)."""

    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("role", "centre", "is_active", "approved_at", "approved_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AccountCreationForm(forms.ModelForm):
    """A new account has no password: its owner chooses one through a reset link."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")


@admin.register(User)
class RegistryUserAdmin(NotFoundAdminMixin, AccountsPermissionsMixin, UserAdmin):
    inlines = (MembershipInline,)
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "memberships__role", "memberships__centre")
    # Roles are memberships: Django groups and per-user permissions are not used.
    fieldsets = (
        (None, {"fields": ("username",)}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ("send_password_reset", "reset_second_factor")
    add_form = AccountCreationForm
    add_fieldsets = ((None, {"fields": ("username", "first_name", "last_name", "email")}),)

    def get_inlines(self, request: HttpRequest, obj: Model | None) -> tuple:
        return self.inlines if obj is not None else ()  # a new account has no membership yet

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        # Only a superuser makes superusers: a registry administrator cannot escalate, nor
        # change their own account's access.
        fields = [*self.readonly_fields]
        if not request.user.is_superuser:
            fields.append("is_superuser")
        if obj is not None and obj.pk == request.user.pk:
            fields += ["is_active", "is_staff", "is_superuser"]
        return tuple(dict.fromkeys(fields))

    def get_urls(self):
        # No administrator sets another user's password: reset links only.
        return [u for u in super().get_urls() if "password" not in str(u.pattern)]

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        if not change:
            obj.set_unusable_password()  # the user chooses one through a reset link
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Send a password reset link"))
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet) -> None:
        sent = [u for u in queryset if accounts.password_reset_send(
            actor=request.user, user=u, request=request)]  # fmt: skip
        self.message_user(request, _("Reset links sent: {n}.").format(n=len(sent)))

    @admin.action(description=_("Reset the second factor (lost phone)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset:
            accounts.second_factor_reset(actor=request.user, user=user)
        self.message_user(request, _("They set up a new authenticator app at their next sign-in."))


@admin.register(Membership)
class MembershipAdmin(AccountsAdmin):
    """Memberships through the reviewed path: added or changed here, they take effect when a
    second registry administrator approves them (registry.accounts)."""

    list_display = ("user", "role", "centre", "is_active", "approved_at", "requested_by")
    list_filter = ("role", "centre", "is_active", ("approved_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "centre", "requested_by")
    search_fields = ("user__username", "user__last_name", "centre__code")
    autocomplete_fields = ("user",)
    readonly_fields = ("requested_by", "approved_by", "approved_at", "created_at")
    actions = ("approve",)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Nobody edits their own access, even a registry administrator.
        own = obj is not None and obj.user_id == request.user.pk
        return super().has_change_permission(request, obj) and not own

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        grants = {"user", "role", "centre"} & set(form.changed_data)
        if not change or grants:
            accounts.membership_request(actor=request.user, membership=obj)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Approve the selected memberships"))
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        approved = refused = 0
        for membership in queryset.filter(approved_at__isnull=True):
            try:
                accounts.membership_approve(actor=request.user, membership=membership)
                approved += 1
            except PermissionDenied:
                refused += 1
        self.message_user(
            request,
            _("Approved: {approved}; refused (asked for or received by you): {refused}.").format(
                approved=approved, refused=refused
            ),
        )


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


# django-otp's device admin would let an administrator read or plant another user's
# secret key: second factors are set up by their owner and only reset here (User action).
admin.site.unregister(TOTPDevice)
