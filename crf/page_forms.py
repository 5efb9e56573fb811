"""The section forms of the CRF pages: `crf.forms.SectionForm` as a person fills it in.

On top of the section form (which parses and hands everything to `crf.services`):
- a retrospective date is typed once, as 2019-03-15, 2019-03 or 2019: the precision follows
  from what was typed (no separate "known to the" field to keep in step);
- a link to another row of the case offers that row by what a person recognises (drug and
  start date, tissue and date: `crf.sections.row_name`), never a database number;
- a number shows its unit beside the input, its missing-data reason beside it;
- acknowledging a warning takes a comment (it goes to the audit with the warning's code).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from crispy_forms.bootstrap import AppendedText, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from crf.codes import DatePrecision
from crf.dates import shown
from crf.forms import SectionForm
from crf.sections import row_name
from crf.services import writable_fields

# A coded field with this many choices or fewer (blank and the missing-data codes included)
# shows them all as radio buttons: "Unknown" or "Not done" is one click, as is any answer.
RADIOS_UP_TO = 7
BOOKKEEPING = ("based_on", "reason_for_change", "acknowledged", "acknowledgement_comment")

_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_FR = re.compile(r"^(\d{1,2})/(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_partial_date(text: str) -> tuple[date, str]:
    """'2019-03-15' / '15/03/2019' → day; '2019-03' / '03/2019' → month; '2019' → year."""
    text = text.strip()
    try:
        if m := _DAY.match(text):
            return date(int(m[1]), int(m[2]), int(m[3])), DatePrecision.DAY
        if m := _DAY_FR.match(text):
            return date(int(m[3]), int(m[2]), int(m[1])), DatePrecision.DAY
        if m := _MONTH.match(text):
            return date(int(m[1]), int(m[2]), 15), DatePrecision.MONTH
        if m := _MONTH_FR.match(text):
            return date(int(m[2]), int(m[1]), 15), DatePrecision.MONTH
        if m := _YEAR.match(text):
            return date(int(m[1]), 7, 1), DatePrecision.YEAR
    except ValueError:
        pass  # 2019-02-30: same message as any other unreadable date
    raise forms.ValidationError(
        _(
            "Enter the date as YYYY-MM-DD (e.g. 2019-03-15), or YYYY-MM or YYYY when only "
            "the month or the year is known."
        ),
        code="date.format",
    )


class PartialDateField(forms.CharField):
    """A date known to the day, the month or the year: cleans to (date, precision) or None."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.widget.attrs.update({"placeholder": _("YYYY-MM-DD, YYYY-MM or YYYY")})

    def clean(self, value: Any) -> tuple[date, str] | None:
        text = super().clean(value)
        if not text:
            return None
        return parse_partial_date(text)


class PageSectionForm(SectionForm):
    """A section form as the CRF pages render it (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partial_dates: list[str] = []
        # A missing reason is the service's refusal, worded with the case's status.
        self.fields["reason_for_change"].required = False
        allowed = writable_fields(self.model)
        instance = self.instance if self.instance.pk or self.model is type(self.case) else None
        for name, model_field in allowed.items():
            if name not in self.fields:
                continue
            if getattr(model_field, "partial", False):
                self._partial_date(name, model_field, instance)
            formfield = self.fields[name]
            if isinstance(formfield, forms.ModelChoiceField):
                formfield.label_from_instance = row_name  # type: ignore[method-assign]
            elif isinstance(formfield, forms.ChoiceField) and formfield.choices:
                formfield.choices = [  # type: ignore[assignment]
                    (code, label if code != "" else _("— not entered —"))
                    for code, label in formfield.choices  # type: ignore[misc]
                ]
                if len(formfield.choices) <= RADIOS_UP_TO:  # every answer one click away
                    formfield.widget = forms.RadioSelect(choices=formfield.choices)
            elif isinstance(formfield, forms.DateField):
                formfield.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = self._layout(allowed)

    def _partial_date(self, name: str, model_field: Any, instance: Model | None) -> None:
        self.fields.pop(f"{name}_precision", None)
        self.fields[name] = PartialDateField(
            label=capfirst(model_field.verbose_name),
            required=False,
            help_text=model_field.help_text
            or _("Known only to the month or the year? Type 2019-03 or 2019."),
        )
        self.partial_dates.append(name)
        value = getattr(instance, name, None) if instance is not None else None
        if value and not self.is_bound:
            precision = getattr(instance, f"{name}_precision", DatePrecision.DAY)
            self.initial[name] = shown(value, precision)

    def _layout(self, allowed: dict[str, Any]) -> Layout:
        items: list[Any] = []
        for name in self.fields:
            if name in BOOKKEEPING or name.endswith("_missing") and name[:-8] in self.fields:
                continue
            unit = getattr(allowed.get(name), "unit", "")
            item: Any = AppendedText(name, unit) if unit else name
            if isinstance(self.fields[name].widget, forms.RadioSelect):
                item = InlineRadios(name)
            reason = f"{name}_missing"
            if reason in self.fields:
                item = Row(Column(item, css_class="col-md-6"), Column(reason, css_class="col-md-6"))
            items.append(item)
        return Layout(*items)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("acknowledged") and not cleaned.get("acknowledgement_comment", "").strip():
            self.add_error(
                "acknowledgement_comment",
                _("Say why the values are right despite the warning: the comment is audited."),
            )
        return cleaned

    def section_data(self) -> dict[str, Any]:
        data = super().section_data()
        for name in self.partial_dates:
            value = self.cleaned_data.get(name)
            data[name] = value[0] if value else None
            data[f"{name}_precision"] = value[1] if value else DatePrecision.DAY
        return data


@cache
def page_form(model: type[Model]) -> type[PageSectionForm]:
    """The page form of a section: its writable fields (never derived values, never the link
    to its case or parent)."""
    return forms.modelform_factory(  # type: ignore[return-value]
        model, form=PageSectionForm, fields=list(writable_fields(model))
    )
