"""Helpers of the CRF page tests: what a browser posts, read back through the services."""

from __future__ import annotations

from django.urls import reverse

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
