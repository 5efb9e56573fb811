"""The statistician's form to start an export."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from exports.models import FORMAT_CHOICES, ExportProfile


class StartExportForm(forms.Form):
    profile = forms.ModelChoiceField(
        label=_("De-identification profile"),
        queryset=ExportProfile.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of the listed profiles.")},
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=FORMAT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[code for code, _label in FORMAT_CHOICES],
        error_messages={"required": _("Tick at least one format.")},
    )
