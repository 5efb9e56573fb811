"""The registry's own pages: home (one area per role), log-in, language choice, health."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from registry.home import areas_for
from registry.i18n import SESSION_CHOICE, remember_choice_at_login, user_set_language

# ---- home ----


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/home.html", {"areas": areas_for(request)})


# ---- log-in ----


class LoginForm(AuthenticationForm):
    """Django's log-in form with the registry's wording (and its French)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Your user name and password did not match. Please try again."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # logs in; the session keeps its data
        remember_choice_at_login(self.request, form.get_user())
        return response


# ---- passwords ----
# Django's views in the registry's pages (registry/account_*.html; the admin keeps its own
# registration/ templates for its password form).

FORM = "registry/account_form.html"
MESSAGE = "registry/account_message.html"


class PasswordResetView(auth_views.PasswordResetView):
    # The same answer whether the address is known or not: nobody learns who has an account.
    template_name = FORM
    email_template_name = "registry/password_reset_email.txt"
    subject_template_name = "registry/password_reset_subject.txt"
    extra_context = {"title": _("Reset your password"), "submit": _("Send me a link")}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = MESSAGE
    extra_context = {
        "title": _("Check your e-mail"),
        "message": _(
            "If an account has this address, a link to choose a new password is on its way. "
            "It works once, for three days."
        ),
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = FORM
    post_reset_login = False  # sign in with the new password, through the lockout checks
    extra_context = {"title": _("Choose a new password"), "submit": _("Save the password")}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = MESSAGE
    extra_context = {"title": _("Password saved"), "message": _("You can now log in.")}


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = FORM
    extra_context = {"title": _("Change your password"), "submit": _("Save the password")}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = MESSAGE
    extra_context = {"title": _("Password changed"), "message": _("Your password was changed.")}


# ---- language ----


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language: saved on the user when signed in, else until log-in.

    POST `language` (a code of settings.LANGUAGES) and `next` (where to go back to).
    """
    language = request.POST.get("language", "")
    codes = dict(settings.LANGUAGES)
    if language not in codes:
        message = gettext(
            "Unknown language “%(language)s” in the field “language”: use one of %(codes)s."
        ) % {"language": language[:20], "codes": ", ".join(codes)}
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "home"
    response = redirect(next_url)

    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    else:
        request.session[SESSION_CHOICE] = language
    # The cookie keeps this browser's language on the login page after a log-out.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# ---- health ----


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose: the app answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return JsonResponse({"status": "ok"})
