"""Case pages: the list, a new case, the overview, submit and withdraw, the history.

Thin: they ask `crf.access` what the user may see and do, let `crf.services` /
`crf.lifecycle` write, and render. The section forms are `crf.section_views`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crf import access, explain, history_page, lifecycle, overview, services
from crf import case_list as listing
from crf.codes import Group, Status
from crf.extensions import CASE_COLUMNS
from crf.models import Case, Identity
from crf.services import EditConflict, SectionInvalid
from registry.models import Centre, Role


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    actor = access.actor_for(request.user)
    query = listing.ListQuery.from_request(request.GET)
    cases = listing.cases_for(actor, query)
    page = Paginator(cases, listing.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": listing.listed(page.object_list),
        "query": query,
        "columns": CASE_COLUMNS,
        "sorts": listing.SORT_LABELS,
        "statuses": Status.choices,
        "groups": Group.choices,
        # Readers of more than one centre's cases see which centre each case is from.
        "network": actor.has(*access.NETWORK_READERS, Role.CENTRAL_REVIEWER),
        "may_create": bool(actor.centre_ids) and actor.writes,
        "query_string": query.as_query_string(),
    }
    return render(request, "crf/case_list.html", context)


# ---- a new case ----


class NewCaseForm(forms.Form):
    centre = forms.TypedChoiceField(label=gettext_lazy("Centre"), coerce=int)
    group = forms.ChoiceField(
        label=gettext_lazy("Group"), choices=Group.choices, widget=forms.RadioSelect
    )
    local_identifier = forms.CharField(
        label=gettext_lazy("Local hospital identifier"),
        max_length=50,
        help_text=gettext_lazy("Seen by your centre only; never exported."),
    )
    initials = forms.CharField(
        label=gettext_lazy("Initials"),
        max_length=4,
        help_text=gettext_lazy("Up to 4 capital letters, e.g. 'JD'."),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    consent = forms.ChoiceField(label=gettext_lazy("Non-opposition / consent recorded"))
    consent_date = forms.DateField(
        label=gettext_lazy("Date of non-opposition / consent"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["centre"].choices = [(c.pk, f"{c.code} – {c.name}") for c in centres]
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0].pk
            self.fields["centre"].widget = forms.HiddenInput()
        self.fields["consent"].choices = Case._meta.get_field("consent").choices  # type: ignore[assignment]

    def show(self, exc: SectionInvalid) -> None:
        for finding in exc.findings:
            name = finding.field if finding.field in self.fields else None
            self.add_error(name, finding.message)


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    actor = access.actor_for(request.user)
    centres = list(Centre.objects.filter(pk__in=actor.centre_ids).order_by("code"))
    if not centres or not actor.writes:
        raise PermissionDenied(_("Only a centre's investigators create its cases."))
    form = NewCaseForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_create(
                actor=actor,
                centre_id=data["centre"],
                group=data["group"],
                identity={k: data[k] for k in ("local_identifier", "initials", "date_of_birth")},
                data={"consent": data["consent"], "consent_date": data["consent_date"]},
            )
        except SectionInvalid as exc:
            form.show(exc)
        else:
            messages.success(
                request,
                _("Case {code} created. Fill in its sections; save a draft at any time.").format(
                    code=case.code
                ),
            )
            return redirect("crf:case_detail", code=case.code)
    return render(request, "crf/case_create.html", {"form": form})


# ---- the overview ----


@login_required
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = access.actor_for(request.user)
    case = access.case_for(actor, code)
    rows = overview.rows_for(actor, case)
    transitions = {t.name: t for t in lifecycle.available(actor, case)}
    context = {
        "case": case,
        "centre": case.centre,
        "identity": rows.one(Identity),
        "sections": overview.section_states(actor, rows),
        "section_urls": overview.section_urls(case.code),
        "missing": overview.missing_answers(rows),
        "computed": explain.computed_values(rows),
        "warnings": overview.open_warnings(rows),
        "panels": overview.panel_contexts(actor, case, rows),
        "may_submit": "submit" in transitions,
        "may_withdraw": "withdraw" in transitions,
        "read_only": case.status in (Status.LOCKED, Status.WITHDRAWN),
    }
    return render(request, "crf/case_detail.html", context)


# ---- lifecycle ----


def _based_on(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("based_on", ""))
    except ValueError:
        return -1  # a stale page: the service answers with a conflict


@login_required
@require_POST
def case_submit(request: HttpRequest, code: str) -> HttpResponse:
    actor = access.actor_for(request.user)
    case = access.case_for(actor, code)
    try:
        lifecycle.case_submit(actor=actor, case=case, based_on=_based_on(request))
    except EditConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Case {code} is submitted: every later change asks for a reason.").format(
                code=case.code
            ),
        )
    return redirect("crf:case_detail", code=case.code)


class WithdrawForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason for withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "E.g. 'patient opposed to the use of their data'. The case is kept, read-only."
        ),
    )


@login_required
def case_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    actor = access.actor_for(request.user)
    case = access.case_for(actor, code)
    if "withdraw" not in {t.name for t in lifecycle.available(actor, case)}:
        raise PermissionDenied(_("You cannot withdraw this case."))
    form = WithdrawForm(request.POST or None, initial={"based_on": case.version})
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.case_withdraw(
                actor=actor,
                case=case,
                based_on=form.cleaned_data["based_on"],
                reason=form.cleaned_data["reason"],
            )
        except EditConflict as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Case {code} is withdrawn.").format(code=case.code))
            return redirect("crf:case_detail", code=case.code)
    return render(request, "crf/case_withdraw.html", {"case": case, "form": form})


# ---- history ----


@login_required
def case_history(request: HttpRequest, code: str) -> HttpResponse:
    actor = access.actor_for(request.user)
    case = access.case_for(actor, code)
    entries = history_page.entries(case, include_identity=access.may_see_identity(actor, case))
    page = Paginator(entries, history_page.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crf/case_history.html", {"case": case, "page": page})
