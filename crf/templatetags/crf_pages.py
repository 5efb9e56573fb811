"""Small filters of the CRF pages: `{% load crf_pages %}`."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def verbose_name(model: type[Model]) -> str:
    return str(model._meta.verbose_name)


@register.simple_tag
def section_url(code: str, model_name: str) -> str:
    """The URL of the section page that shows `model_name`'s rows of case `code` (a nested
    row's: its parent's page), for links from the coordinators' pages to the data."""
    from django.urls import reverse

    from crf.sections import BY_SLUG, section_of

    model = BY_SLUG.get(model_name)
    if model is None:
        return ""
    return reverse("crf:section", args=[code, section_of(model).slug])
