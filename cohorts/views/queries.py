"""Query pages: the list of queries a user may see, a new query, and a query's thread
(answer, possibly correcting the value; close; re-open)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cohorts import queries as services
from cohorts.models import Query, QueryStatus
from cohorts.views.common import actor_of, int_or_none, require, run
from crf import access, snapshot
from crf.models import Case
from crf.services import writable_fields

PAGE_SIZE = 25
STATUS_FILTERS = {"waiting": (QueryStatus.OPEN,), "answered": (QueryStatus.ANSWERED,),
                  "closed": (QueryStatus.CLOSED,)}  # fmt: skip


class QueryForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What should the centre check?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your answer"),
        help_text=gettext_lazy("Kept in the audit trail as the reason for any correction."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args: Any, value_field: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if value_field is not None:
            self.fields["value"] = value_field


def correctable(query: Query) -> Any:
    """The form field to correct the queried value with, or None (not one writable field)."""
    if not query.field or not query.model:
        return None
    model: type[Model] | None = services.MODELS_BY_NAME.get(query.model)
    if model is None or query.field not in writable_fields(model):
        return None
    field = writable_fields(model)[query.field].formfield()
    if field is None:
        return None
    field.required = False
    field.label = _("Corrected value (leave empty to keep {value})").format(
        value=query.value or _("it as it is")
    )
    return field


@login_required
def query_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    require(access.may_read_records(actor))
    # What waits for this person: answers to give (investigators), answers to read (raisers).
    default = "waiting" if actor.centre_ids else "answered"
    shown = request.GET.get("status", default)
    found = services.queries_visible(actor).select_related("case", "raised_by")
    if shown in STATUS_FILTERS:
        found = found.filter(status__in=STATUS_FILTERS[shown])
    page = Paginator(found.order_by("raised_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    for query in page:
        query.where = services.describe(query)  # type: ignore[attr-defined]
    filters = [("waiting", _("Waiting for an answer")), ("answered", _("Answered")),
               ("closed", _("Closed")), ("all", _("All"))]  # fmt: skip
    return render(
        request, "cohorts/query_list.html", {"page": page, "shown": shown, "filters": filters}
    )


@login_required
def query_new(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    case = access.case_for(actor, code)
    require(access.may_raise_query(actor, case))
    params = request.POST if request.method == "POST" else request.GET
    target = {
        "model": params.get("model", ""),
        "row_id": int_or_none(params.get("row")),
        "field": params.get("field", ""),
    }
    form = QueryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created: list[Query] = []
        if run(
            request,
            lambda: created.append(
                services.raise_query(
                    actor=actor,
                    case=case,
                    text=form.cleaned_data["text"],
                    base_url=request.build_absolute_uri("/"),
                    **target,
                )
            ),
            _("Query raised; the centre's investigators are told."),
        ):
            return redirect("cohorts:query_detail", pk=created[0].pk)
    where = _("whole case")
    if target["model"]:
        where = services.describe(Query(case=case, **target))
    value = ""
    if target["model"] in services.MODELS_BY_NAME and target["field"]:
        try:
            model = services.section_model(target["model"])
            row = services.target_row(snapshot.load_one(case), model, target["row_id"])
            services.queryable_field(model, target["field"])
            value = services.value_shown(row, target["field"])
        except Exception:  # an unknown target: the service names the problem on POST
            value = ""
    context = {"case": case, "form": form, "target": target, "where": where, "value": value}
    return render(request, "cohorts/query_new.html", context)


@login_required
def query_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    query = services.query_for(actor, pk)
    case: Case = query.case
    may_answer = access.may_answer_query(actor, case) and query.status != QueryStatus.CLOSED
    form = AnswerForm(value_field=correctable(query) if may_answer else None)
    context = {
        "query": query,
        "case": case,
        "where": services.describe(query),
        "thread": query.messages.select_related("author"),
        "answer_form": form if may_answer else None,
        "may_manage": access.may_manage_query(actor, query.raised_by_id),
        "may_review": access.may_review_cases(actor),
    }
    return render(request, "cohorts/query_detail.html", context)


@login_required
@require_POST
def query_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    query = services.query_for(actor, pk)
    text = request.POST.get("text", "")
    if action == "answer":
        require(access.may_answer_query(actor, query.case))
        form = AnswerForm(request.POST, value_field=correctable(query))
        value = None
        if form.is_valid() and form.cleaned_data.get("value") not in (None, ""):
            value = request.POST.get("value")
        elif not form.is_valid() and "value" in form.errors:
            run(request, lambda: _invalid(form), "")
            return redirect("cohorts:query_detail", pk=query.pk)
        run(
            request,
            lambda: services.answer_query(
                actor=actor,
                query=query,
                text=text,
                value=value,
                based_on=int_or_none(request.POST.get("based_on")),
            ),
            _("Answer sent."),
        )
    elif action == "close":
        require(access.may_manage_query(actor, query.raised_by_id))
        run(request, lambda: services.close_query(actor=actor, query=query, text=text),
            _("Query closed."))  # fmt: skip
    elif action == "reopen":
        require(access.may_manage_query(actor, query.raised_by_id))
        run(request, lambda: services.reopen_query(actor=actor, query=query, text=text),
            _("Query re-opened."))  # fmt: skip
    else:
        require(False)
    return redirect("cohorts:query_detail", pk=query.pk)


def _invalid(form: forms.Form) -> None:
    from django.core.exceptions import ValidationError

    raise ValidationError({name: errors for name, errors in form.errors.items()})
