"""Section pages: one form per section, repeating groups edited in place (htmx), the live
preview of computed values, removing a row.

Every write goes through the form to `crf.services.section_save` / `section_delete`; these
views only choose the row, render, and turn the service's refusals into what a person reads:
errors beside their field, warnings to acknowledge with a comment, the reason for change
once the case is submitted, and on a stale edit both versions side by side with nothing
typed lost. Each URL works without JavaScript (full page); htmx requests get the fragment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crf import access, explain, overview, services
from crf.access import Actor
from crf.extensions import FIELD_NOTES
from crf.models import Case, Identity
from crf.models.case import STATUSES_NEEDING_REASON
from crf.page_forms import BOOKKEEPING, PageSectionForm, page_form
from crf.rows import CaseRows
from crf.sections import SECTIONS, Section, is_child, model_for, row_name, section_of, value_text
from crf.services import EditConflict, SectionInvalid


@dataclass
class Where:
    """The case and section a request is about, as the actor may see them."""

    actor: Actor
    case: Case
    model: type[Model]
    rows: CaseRows

    @property
    def section(self) -> Section:
        return section_of(self.model)

    @property
    def writable(self) -> bool:
        return access.may_write(self.actor, self.case, self.model)


def _where(request: HttpRequest, code: str, slug: str) -> Where:
    actor = access.actor_for(request.user)
    case = access.case_for(actor, code)
    model = model_for(slug)
    if model is Identity and not access.may_see_identity(actor, case):
        raise Http404("No such section.")
    return Where(actor, case, model, overview.rows_for(actor, case))


def _row(where: Where, row_id: int | None) -> Model | None:
    model = where.model
    if model is Case:
        return where.rows.case
    if row_id is None:
        return where.rows.one(model) if not section_of(model).repeats else None
    found = next((r for r in where.rows.many(model) if r.pk == row_id), None)
    if found is None:
        raise Http404("No such row in this case.")
    return found


def _parent_id(request: HttpRequest, where: Where) -> int | None:
    if not is_child(where.model):
        return None
    raw = request.GET.get("parent") or request.POST.get("parent") or ""
    if not raw.isdigit():
        raise Http404("No parent row given.")
    return int(raw)


def _form(request: HttpRequest, where: Where, row: Model | None, parent_id: int | None):
    data = request.POST if request.method == "POST" else None
    return page_form(where.model)(
        data,
        actor=where.actor,
        case=where.case,
        row_id=row.pk if row is not None and where.model is not Case else None,
        parent_id=parent_id,
        instance=row,
    )


@dataclass
class Outcome:
    saved: Model | None = None
    conflict: list[tuple[str, str, str]] = field(default_factory=list)
    form: PageSectionForm | None = None


def _save(request: HttpRequest, where: Where, form: PageSectionForm, row: Model | None) -> Outcome:
    """Save through the form (the service judges); on a conflict, rebind the person's input
    to the current version and list what the other person saved beside it."""
    if not form.is_valid():
        return Outcome(form=form)
    try:
        return Outcome(saved=form.save())
    except SectionInvalid:
        return Outcome(form=form)  # errors and warnings are on the form
    except EditConflict:
        current = access.case_for(where.actor, where.case.code)
        rows = overview.rows_for(where.actor, current)
        data = request.POST.copy()
        data["based_on"] = str(current.version)
        where_now = Where(where.actor, current, where.model, rows)
        theirs = _row(where_now, row.pk if row is not None and row is not where.case else None)
        rebound = _form_from(data, where_now, theirs, form.parent_id)
        rebound.is_valid()  # the person's input, checked again (their values stay as typed)
        return Outcome(form=rebound, conflict=_differences(rebound, theirs))


def _form_from(data: Any, where: Where, row: Model | None, parent_id: int | None):
    return page_form(where.model)(
        data,
        actor=where.actor,
        case=where.case,
        row_id=row.pk if row is not None and where.model is not Case else None,
        parent_id=parent_id,
        instance=row,
    )


def _differences(form: PageSectionForm, theirs: Model | None) -> list[tuple[str, str, str]]:
    """(field, what is saved now, what this person typed) where they differ."""
    out = []
    for name, formfield in form.fields.items():
        if name in BOOKKEEPING:
            continue
        typed = form.data.getlist(name) if hasattr(form.data, "getlist") else []
        yours = ", ".join(t for t in typed if t)
        if isinstance(formfield, forms.ChoiceField) and not isinstance(
            formfield, forms.ModelChoiceField
        ):
            labels = dict(formfield.choices)  # type: ignore[arg-type]
            yours = ", ".join(str(labels.get(t, t)) for t in typed if t)
        elif isinstance(formfield, forms.BooleanField):
            yours = _("yes") if typed and typed[-1] in ("on", "true", "True", "1") else _("no")
        saved = value_text(theirs, name) if theirs is not None else ""
        if isinstance(formfield, forms.BooleanField) and theirs is not None:
            saved = _("yes") if getattr(theirs, name) else _("no")
        if isinstance(formfield, forms.ModelChoiceField) and typed and typed[0]:
            target = next(
                (r for r, _label in formfield.choices if str(r) == typed[0]), None
            )  # fmt: skip
            yours = str(dict(formfield.choices).get(target, typed[0])) if target else typed[0]
        if saved != yours:
            out.append((str(formfield.label), saved or "—", yours or "—"))
    return out


def _notes(where: Where, row: Model | None) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    notes: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for extension in FIELD_NOTES:
        for name, note in extension.notes(where.actor, where.case, where.model, row).items():
            notes.setdefault(name, []).append((extension.template, note))
    return notes


def _form_context(where: Where, form: PageSectionForm, row: Model | None, **extra: Any) -> dict:
    return {
        "case": where.case,
        "section": where.section,
        "model": where.model,
        "model_name": str(where.model._meta.verbose_name),
        "form": form,
        "row": row,
        "row_name": row_name(row) if row is not None and where.section.repeats else "",
        "needs_reason": where.case.status in STATUSES_NEEDING_REASON,
        "notes": _notes(where, row),
        "action": extra.pop("action", ""),
        "preview_url": reverse("crf:preview", args=[where.case.code, where.model._meta.model_name]),
        "parent_id": form.parent_id,
        "live_id": "live-{}-{}-{}".format(
            where.model._meta.model_name, row.pk if row is not None else "new", form.parent_id or ""
        ),
        **extra,
    }


# ---- a section page ----


@dataclass
class RowView:
    row: Model
    name: str
    values: list[tuple[str, str]]
    children: list[ChildGroup]


@dataclass
class ChildGroup:
    model: type[Model]
    title: str
    rows: list[RowView]
    may_add: bool
    slug: str


def _shown(model: type[Model]) -> list[str]:
    return ["consent", "consent_date"] if model is Case else overview.shown_fields(model)


def _row_views(where: Where, model: type[Model], rows: list[Model]) -> list[RowView]:
    from crf.sections import CHILDREN

    out = []
    for row in rows:
        children = []
        for child in CHILDREN.get(model, ()):
            link = child.case_link  # type: ignore[attr-defined]
            mine = [c for c in where.rows.many(child) if getattr(c, link) is row]
            one = child._meta.get_field(link).one_to_one
            children.append(
                ChildGroup(
                    model=child,
                    title=capfirst(str(child._meta.verbose_name_plural)),
                    rows=_row_views(where, child, mine),
                    may_add=access.may_write(where.actor, where.case, child) and not (one and mine),
                    slug=str(child._meta.model_name),
                )
            )
        out.append(RowView(row, row_name(row), overview.fields_of(row, _shown(model)), children))
    return out


def _rows_context(where: Where) -> dict[str, Any]:
    model = where.section.model
    return {
        "case": where.case,
        "section": where.section,
        "row_views": _row_views(where, model, where.rows.many(model)),
        "writable": access.may_write(where.actor, where.case, model),
        "child_writable": {
            str(c._meta.model_name): access.may_write(where.actor, where.case, c)
            for c in where.section.children
        },
    }


def _rows_fragment(request: HttpRequest, where: Where) -> HttpResponse:
    """The refreshed list of rows, swapped in place of the old one (after a save)."""
    case = access.case_for(where.actor, where.case.code)
    fresh = Where(where.actor, case, where.section.model, overview.rows_for(where.actor, case))
    response = render(request, "crf/_rows.html", _rows_context(fresh))
    response["HX-Retarget"] = "#section-rows"
    response["HX-Reswap"] = "outerHTML"
    return response


def _saved_message(request: HttpRequest, where: Where) -> None:
    messages.success(
        request, _("Saved: {section}.").format(section=str(where.model._meta.verbose_name))
    )


@login_required
def section(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    where = _where(request, code, slug)
    if where.section.model is not where.model or where.model not in {s.model for s in SECTIONS}:
        raise Http404("No such section.")
    sections = overview.sections_for(where.actor, where.case)
    after = [s for s in sections[1:] if sections[sections.index(s) - 1] == where.section]
    next_section = after[0] if after else None
    context: dict[str, Any] = {
        "case": where.case,
        "section": where.section,
        "sections": sections,
        "section_urls": overview.section_urls(where.case.code),
        "next_section": next_section,
        "computed": [
            c for c in explain.computed_values(where.rows) if c.section == where.section.slug
        ],
    }
    if where.section.repeats:
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "crf/section.html", {**context, **_rows_context(where)})
    row = _row(where, None)
    if not where.writable:
        if request.method == "POST":
            raise PermissionDenied(_("This section cannot be changed now."))
        values = overview.fields_of(row, _shown(where.model)) if row is not None else []
        return render(request, "crf/section.html", {**context, "values": values})
    form = _form(request, where, row, None)
    outcome = Outcome(form=form)
    if request.method == "POST":
        outcome = _save(request, where, form, row)
        if outcome.saved is not None:
            _saved_message(request, where)
            if request.POST.get("then") == "next" and next_section is not None:
                return redirect("crf:section", code=where.case.code, slug=next_section.slug)
            return redirect("crf:section", code=where.case.code, slug=slug)
    assert outcome.form is not None
    return render(
        request,
        "crf/section.html",
        {
            **context,
            **_form_context(where, outcome.form, row, conflict=outcome.conflict),
            "action": request.path,
        },
    )


# ---- a row of a repeating group, in place ----


def _row_page(request: HttpRequest, where: Where, row: Model | None) -> HttpResponse:
    if not where.writable:
        raise PermissionDenied(_("This section cannot be changed now."))
    parent_id = _parent_id(request, where) if row is None else None
    form = _form(request, where, row, parent_id)
    outcome = Outcome(form=form)
    if request.method == "POST":
        outcome = _save(request, where, form, row)
        if outcome.saved is not None:
            _saved_message(request, where)
            if request.htmx:  # type: ignore[attr-defined]
                return _rows_fragment(request, where)
            return redirect("crf:section", code=where.case.code, slug=where.section.slug)
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        _focus_first_field(form)  # the form appeared in place: the keyboard goes into it
    action = request.path + (f"?parent={parent_id}" if parent_id else "")
    assert outcome.form is not None
    context = _form_context(where, outcome.form, row, conflict=outcome.conflict, action=action)
    context["parent_name"] = _parent_name(where, parent_id, row)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "crf/_row_form.html", context)
    return render(request, "crf/row_page.html", context)


def _focus_first_field(form: PageSectionForm) -> None:
    first = next((f for name, f in form.fields.items() if name not in BOOKKEEPING), None)
    if first is not None and not isinstance(first.widget, forms.HiddenInput):
        first.widget.attrs["autofocus"] = True


def _parent_name(where: Where, parent_id: int | None, row: Model | None) -> str:
    from crf.models.base import link_to_case, parent_model

    if row is not None and is_child(where.model):
        return row_name(getattr(row, link_to_case(where.model) or ""))
    if parent_id is None:
        return ""

    parent = next(
        (r for r in where.rows.many(parent_model(where.model)) if r.pk == parent_id), None
    )
    if parent is None:
        raise Http404("No such parent row in this case.")
    return row_name(parent)


@login_required
def row_new(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    where = _where(request, code, slug)
    if not section_of(where.model).repeats:
        raise Http404("This section has one row: open its page.")
    return _row_page(request, where, None)


@login_required
def row_edit(request: HttpRequest, code: str, slug: str, row: int) -> HttpResponse:
    where = _where(request, code, slug)
    if not section_of(where.model).repeats:
        raise Http404("This section has one row: open its page.")
    return _row_page(request, where, _row(where, row))


class DeleteForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput)
    reason_for_change = forms.CharField(
        label=gettext_lazy("Reason for change"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


@login_required
def row_delete(request: HttpRequest, code: str, slug: str, row: int) -> HttpResponse:
    where = _where(request, code, slug)
    if not section_of(where.model).repeats:
        raise Http404("This section has one row.")
    target = _row(where, row)
    if not where.writable:
        raise PermissionDenied(_("This section cannot be changed now."))
    form = DeleteForm(request.POST or None, initial={"based_on": where.case.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.section_delete(
                actor=where.actor,
                case=where.case,
                model=where.model,
                row_id=row,
                based_on=form.cleaned_data["based_on"],
                reason=form.cleaned_data["reason_for_change"],
            )
        except EditConflict as exc:
            form.add_error(None, str(exc))
        except SectionInvalid as exc:
            for finding in exc.findings:
                name = "reason_for_change" if finding.field == "reason" else None
                form.add_error(name, finding.message)
        else:
            messages.success(
                request,
                _("Removed: {row}.").format(row=row_name(target)),  # type: ignore[arg-type]
            )
            if request.htmx:  # type: ignore[attr-defined]
                return _rows_fragment(request, where)
            return redirect("crf:section", code=where.case.code, slug=where.section.slug)
    context = {
        "case": where.case,
        "section": where.section,
        "form": form,
        "row": target,
        "row_name": row_name(target),  # type: ignore[arg-type]
        "model_name": str(where.model._meta.verbose_name),
        "needs_reason": where.case.status in STATUSES_NEEDING_REASON,
        "action": request.path,
    }
    template = "crf/_delete_form.html" if request.htmx else "crf/row_delete.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# ---- live preview ----


@login_required
@require_POST
def preview(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    """What saving would compute and say (no write): the section's computed values, the
    errors and the warnings, refreshed as fields are filled."""
    where = _where(request, code, slug)
    raw = request.POST.get("row", "")
    row = _row(where, int(raw)) if raw.isdigit() else _row(where, None)
    parent_id = _parent_id(request, where) if row is None else None
    form = _form(request, where, row, parent_id)
    context: dict[str, Any] = {"errors": [], "warnings": [], "computed": []}
    if form.is_valid():
        plan = form.preview()
        context["errors"] = [f.message for f in plan.errors]
        context["warnings"] = [f.message for f in plan.warnings]
        context["computed"] = [
            c for c in explain.computed_values(plan.rows) if c.section == where.section.slug
        ]
    else:
        context["errors"] = [
            f"{form.fields[name].label if name in form.fields else ''}: {error}".lstrip(": ")
            for name, errors in form.errors.items()
            for error in errors
        ]
    return render(request, "crf/_preview.html", context)
