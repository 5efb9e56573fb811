"""The statistician's form to start an export."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from exports.models import FORMAT_CHOICES, ExportProfile


def freeze_choices() -> list[tuple[str, str]]:
    """The current data, then the coordinators' freezes (newest first) when there are any."""
    choices = [("", str(_("Current data (not a frozen snapshot)")))]
    model = apps.all_models.get("cohorts", {}).get("freeze")
    if model is not None:
        choices += [(name, name) for name in model.objects.values_list("name", flat=True)]
    return choices


class StartExportForm(forms.Form):
    profile = forms.ModelChoiceField(
        label=_("De-identification profile"),
        queryset=ExportProfile.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of the listed profiles.")},
    )
    freeze = forms.ChoiceField(
        label=_("Data"),
        required=False,
        error_messages={"invalid_choice": _("Choose the current data or one of the freezes.")},
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=FORMAT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[code for code, _label in FORMAT_CHOICES],
        error_messages={"required": _("Tick at least one format.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["freeze"].choices = freeze_choices()
