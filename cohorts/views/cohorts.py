"""Cohorts and freezes: the case and control cohorts, random control selections with their
seed, data freezes (members and audit position)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cohorts import freezes, selection
from cohorts.models import ControlSelection, Freeze
from cohorts.views.common import actor_of, require, run
from crf import access
from crf.models import Case


class SelectionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    ratio = forms.IntegerField(
        label=gettext_lazy("Controls per case"), min_value=1, max_value=selection.MAX_RATIO,
        initial=2,
    )  # fmt: skip
    match_on = forms.MultipleChoiceField(
        label=gettext_lazy("Match on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, m.label) for code, m in selection.MATCHERS.items()],
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Leave empty for a new random seed; it is stored with the draw."),
    )


class FreezeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    selection = forms.ModelChoiceField(
        label=gettext_lazy("Controls"),
        queryset=ControlSelection.objects.all(),
        required=False,
        empty_label=gettext_lazy("The whole control cohort"),
    )


@login_required
def cohorts_page(request: HttpRequest) -> HttpResponse:
    require(access.may_coordinate(actor_of(request)))
    context = {
        "case_cohort": selection.case_cohort().select_related("centre"),
        "control_count": selection.control_cohort().count(),
        "selections": ControlSelection.objects.select_related("created_by"),
        "freezes": Freeze.objects.select_related("created_by", "selection"),
        "selection_form": SelectionForm(),
        "freeze_form": FreezeForm(),
    }
    return render(request, "cohorts/cohorts.html", context)


@login_required
@require_POST
def select_controls(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    require(access.may_adjudicate(actor))
    form = SelectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        run(
            request,
            lambda: selection.select_controls(
                actor=actor,
                name=data["name"],
                ratio=data["ratio"],
                match_on=data["match_on"],
                seed=data["seed"],
            ),
            _("Controls selected; the seed is stored with the draw."),
        )
    else:
        run(request, lambda: _invalid(form), "")
    return redirect("cohorts:cohorts")


@login_required
@require_POST
def take_freeze(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    require(access.may_adjudicate(actor))
    form = FreezeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        run(
            request,
            lambda: freezes.take_freeze(
                actor=actor, name=data["name"], note=data["note"], selection=data["selection"]
            ),
            _("Data frozen: its members and data version are recorded."),
        )
    else:
        run(request, lambda: _invalid(form), "")
    return redirect("cohorts:cohorts")


@login_required
def freeze_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(access.may_coordinate(actor_of(request)))
    freeze = Freeze.objects.select_related("selection", "created_by").filter(pk=pk).first()
    if freeze is None:
        raise Http404("No such freeze.")
    cases = Case.objects.filter(pk__in=freeze.member_ids).select_related("centre")
    by_id = {c.pk: c for c in cases}
    reproduced = None
    if freeze.selection is not None:
        reproduced = selection.redraw(freeze.selection).control_ids == freeze.selection.control_ids
    context = {
        "freeze": freeze,
        "cases": [by_id[pk] for pk in freeze.case_ids if pk in by_id],
        "controls": [by_id[pk] for pk in freeze.control_ids if pk in by_id],
        "reproduced": reproduced,
        "events": sum(freeze.position.values()),
    }
    return render(request, "cohorts/freeze_detail.html", context)


def _invalid(form: forms.Form) -> None:
    from django.core.exceptions import ValidationError

    raise ValidationError({name: errors for name, errors in form.errors.items()})
