"""A second factor (TOTP, django-otp) after the password.

Required of the roles that read the whole network (`NETWORK_ROLES`: coordinators, central
reviewers, statisticians, registry administrators) and of superusers;
optional for investigators, and required of them too once they have set one up. Until
verified, a signed-in session reaches only the set-up and verification pages (and log-out):
pages redirect there, the API answers 403. API tokens are their own credential (issued to a
verified user) and are not asked for a code.

`settings.REGISTRY_REQUIRE_SECOND_FACTOR` turns the requirement on: production always;
development and the demo leave it off unless asked (`REGISTRY_REQUIRE_SECOND_FACTOR=true`)
so the demo accounts sign in with their printed passwords; tests turn it on where they test it.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import django_otp
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from registry import roles
from registry.models import NETWORK_ROLES

# Whether the user has an authenticator ("required") or not ("optional"), asked once a
# session; roles are read on every request, so a new network role asks for it at once.
SESSION_KEY = "registry_second_factor"
OPEN_URL_NAMES = ("two_factor_setup", "two_factor_verify", "logout", "set_language", "healthz")


def _needs_verification(request: HttpRequest) -> bool:
    user = request.user
    if not settings.REGISTRY_REQUIRE_SECOND_FACTOR or not user.is_authenticated:
        return False
    if user.is_verified():  # type: ignore[union-attr]
        return False
    if user.is_superuser or roles.roles_of(user) & NETWORK_ROLES:
        return True
    if SESSION_KEY not in request.session:
        has_device = django_otp.user_has_device(user)
        request.session[SESSION_KEY] = "required" if has_device else "optional"
    return request.session[SESSION_KEY] == "required"


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class SecondFactorMiddleware:
    """Keeps an unverified session that needs a second factor on the set-up/verify pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _needs_verification(request):
            return self.get_response(request)
        open_paths = (settings.STATIC_URL, *(reverse(name) for name in OPEN_URL_NAMES))
        if request.path.startswith(open_paths):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            message = _("Verify your second factor in the browser first: %(url)s")
            return JsonResponse(
                {"detail": str(message) % {"url": reverse("two_factor_verify")}}, status=403
            )
        has_device = django_otp.user_has_device(request.user)
        target = reverse("two_factor_verify" if has_device else "two_factor_setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError(_("Enter the digits only, e.g. 123456."))
        return code


def _qr_svg(device: TOTPDevice) -> str:
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    svg = out.getvalue().decode()
    return mark_safe(svg[svg.index("<svg") :])  # generated from our own URL: no user input


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), confirm with a code."""
    if django_otp.user_has_device(request.user):
        if not request.user.is_verified():  # type: ignore[union-attr]
            return redirect(
                f"{reverse('two_factor_verify')}?{urlencode({'next': _safe_next(request)})}"
            )
        message = _(
            "Your authenticator app is set up. To replace it (a new phone), ask a registry "
            "administrator to reset it: you will set up the new one at your next sign-in."
        )
        context = {"title": _("Second factor"), "message": message}
        return render(request, "registry/account_message.html", context)
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            request.session[SESSION_KEY] = "required"
            return redirect(_safe_next(request))
        form.add_error("code", _("This code does not match: check the app's clock and retry."))
    key = device.config_url.split("secret=")[1].split("&")[0]
    context = {"form": form, "qr": _qr_svg(device), "key": key, "next": _safe_next(request)}
    return render(request, "registry/two_factor_setup.html", context)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Enter the current code of the authenticator app set up before."""
    if not django_otp.user_has_device(request.user):
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _safe_next(request)})}")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = django_otp.match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            django_otp.login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", _("This code does not match (or too many tries: wait a minute)."))
    context = {"form": form, "next": _safe_next(request)}
    return render(request, "registry/two_factor_verify.html", context)
