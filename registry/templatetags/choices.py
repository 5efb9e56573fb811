"""`{% load choices %}` `{{ case|choice_label:"status" }}`: what `case.get_status_display`
shows, read from the per-language memo (`registry.i18n.field_choice`). Django's method
builds the field's whole choice dict again on every call, each label a lazy text translated
anew: a list page called it for every row."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model

from registry.i18n import field_choice

register = template.Library()


@register.filter
def choice_label(row: Model | None, name: str) -> Any:
    if not isinstance(row, Model):  # no row: nothing shown, as `row.get_f_display` did
        return ""
    field = row._meta.get_field(name)
    return field_choice(type(row), name, getattr(row, field.attname))
