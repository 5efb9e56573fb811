"""Pages of the API tokens: each user creates (secret shown once), lists and revokes their
own; registry administrators read every token's uses."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from registry import tokens
from registry.models import ApiToken, TokenScope, TokenUse
from registry.roles import reads_audit_log

USES_SHOWN = 500


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. 'nightly sync'.")
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text=_("Read only, or read and write (within your own rights)."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=tokens.MAX_DAYS,
        initial=30,
        help_text=_("At most 90 days."),
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    secret, created = "", None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = tokens.issue(request.user, **form.cleaned_data)
        except ValueError as exc:
            form.add_error("name", str(exc))
    context = {
        "form": TokenForm() if secret else form,
        "tokens": tokens.tokens_of(request.user),
        "created": created,
        "secret": secret,  # shown in this answer only; never stored
        "api_url": request.build_absolute_uri("/api/v1/cases/"),
    }
    return render(request, "registry/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens.tokens_of(request.user).filter(pk=pk).first()
    if token is None:  # someone else's token answers like a missing one
        raise Http404
    tokens.revoke(token)
    messages.success(
        request, gettext("Token '{name}' is revoked: it no longer works.").format(name=token.name)
    )
    return redirect("api:tokens")


@login_required
def token_uses(request: HttpRequest) -> HttpResponse:
    if not reads_audit_log(request.user):
        raise Http404
    uses = TokenUse.objects.select_related("token", "user")[:USES_SHOWN]
    every_token = ApiToken.objects.select_related("user")
    return render(request, "registry/token_uses.html", {"uses": uses, "tokens": every_token})
