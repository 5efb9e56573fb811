from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from registry import twofactor, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Passwords are chosen by their owners only: a reset link (asked for here, or sent by a
    # registry administrator), or the change form when signed in.
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/changed/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/two-factor/", twofactor.setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", twofactor.verify, name="two_factor_verify"),
    path("language/", views.set_language, name="set_language"),
    path("cases/", include("crf.urls")),
    path("review/", include("cohorts.urls")),
    path("api/", include("crf.api.urls")),
    path("imports/", include("exports.imports.urls")),
    path("exports/", include("exports.urls")),
    path("admin/", admin.site.urls),
]
