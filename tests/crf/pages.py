"""Helpers of the CRF page tests: what a browser posts, read back through the services."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.urls import reverse

from crf import access, completeness, services, snapshot
from crf.models import Case


def fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def section_url(case: Case, slug: str) -> str:
    return reverse("crf:section", args=[case.code, slug])


def new_row_url(case: Case, slug: str, parent: int | None = None) -> str:
    url = reverse("crf:row_new", args=[case.code, slug])
    return f"{url}?parent={parent}" if parent else url


def row_url(case: Case, slug: str, pk: int, view: str = "row_edit") -> str:
    return reverse(f"crf:{view}", args=[case.code, slug, pk])


def posted(case: Case, **values) -> dict:
    """A form post: the version the page was read at, then the values typed."""
    return {"based_on": fresh(case).version, **values}


HTMX = {"HTTP_HX_REQUEST": "true"}


def answer(model, name: str) -> dict:
    """A value that answers a required field without raising a rule: a missing-data code
    where the field has them."""
    f = model._meta.get_field(name)
    if hasattr(f, "bounds"):
        return {f"{name}_missing": "unknown"}
    if f.choices:
        codes = [c for c, _ in f.choices]
        return {name: "unknown" if "unknown" in codes else codes[0]}
    if isinstance(f, models.DateField):
        return {name: date(2015, 1, 1)}
    if isinstance(f, models.IntegerField):
        return {name: 1}
    return {name: "X"}


def complete_required(user, case: Case) -> None:
    """Answer every required field of the case through the services, as a person would
    (warnings confirmed), until the completeness guard has nothing left to say."""
    actor = access.actor_for(user)
    for _ in range(40):
        gaps = completeness.gaps(snapshot.load_one(fresh(case)))
        if not gaps:
            return
        gap = gaps[0]
        required = completeness.requirement(gap.model)
        data: dict = {}
        for name in [gap.field] if gap.field else required.fields:
            data.update(answer(gap.model, name))
        if gap.field is None and required.rows is not None:
            data.update(dict(required.rows.children))  # the row the group must hold
        row_id = gap.row.pk if gap.row is not None and gap.model is not Case else None
        save = dict(actor=actor, case=case, model=gap.model, data=data, row_id=row_id)
        try:
            services.section_save(**save, based_on=fresh(case).version)
        except services.WarningsToAcknowledge as exc:
            confirmed = {f.rule: "checked" for f in exc.findings}
            services.section_save(**save, based_on=fresh(case).version, acknowledged=confirmed)
    raise AssertionError(completeness.gaps(snapshot.load_one(fresh(case))))
