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
