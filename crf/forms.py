"""Model forms of the CRF sections: the shared validation rules, warnings the user must
acknowledge, and the reason for change once a case has left draft."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model

from registry.audit import Source

from .models.base import case_of, link_to_case
from .models.case import READ_ONLY_STATUSES, STATUSES_NEEDING_REASON, Case
from .services import reason_needed, section_save
from .validation import Finding, validate


class CrfModelForm(forms.ModelForm):
    """Base of every section form. Pass `case=` for a new row; an existing row knows its case.

    `clean()` runs `crf.validation.validate`: errors become field errors (non-field when the
    field is not on the form), warnings land on `self.warnings` and block the save until
    `acknowledge_warnings` is ticked. `save_as(user)` saves through `crf.services.section_save`
    with the reason and the confirmed warnings.
    """

    reason_for_change = forms.CharField(
        label="Reason for change",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed once the case is submitted; kept in the audit trail.",
    )
    acknowledge_warnings = forms.BooleanField(
        label="I have checked the warnings and the values are correct",
        required=False,
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case if case is not None else case_of(self.instance)
        self.warnings: list[Finding] = []
        self._link = link_to_case(self._meta.model)
        if self._link == "case" and self.case is not None and self.instance.case_id is None:
            self.instance.case = self.case
        # Choices of related rows come from this case only. Without a case yet (an admin add
        # view), the caller's querysets stand: the admin scopes them to the user's cases.
        if self.case is not None:
            for field in self.fields.values():
                if isinstance(field, forms.ModelChoiceField):
                    if link_to_case(field.queryset.model) == "case":
                        field.queryset = field.queryset.filter(case=self.case)
        if self.case is not None and self.case.status in STATUSES_NEEDING_REASON:
            reason = self.fields["reason_for_change"]
            reason.required = True
            reason.error_messages["required"] = reason_needed(self.case)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.case is not None and self.case.status in READ_ONLY_STATUSES:
            raise ValidationError(
                f"Case {self.case.code} is {self.case.get_status_display().lower()}: it can no "
                "longer be edited — ask a coordinator if it must change."
            )
        if self.case is None and cleaned.get(self._link) is not None:
            # A new row whose case is chosen on the form (admin): its case decides now.
            self.case = case_of(cleaned[self._link])
            if self.case.status in STATUSES_NEEDING_REASON and not cleaned.get("reason_for_change"):
                self.add_error("reason_for_change", reason_needed(self.case))
        model = self._meta.model
        names = {f.name for f in model._meta.concrete_fields}
        # A form field that failed its own cleaning counts as blank, not as its old value.
        data = {name: None for name in self.fields if name in names}
        data.update((name, value) for name, value in cleaned.items() if name in names)
        findings = validate(model, data, case=self.case, instance=self.instance)
        for finding in findings:
            if finding.is_error:
                field = finding.field if finding.field in self.fields else None
                self.add_error(field, finding.message)
        self.warnings = [f for f in findings if not f.is_error]
        if self.warnings and not cleaned.get("acknowledge_warnings"):
            count = len(self.warnings)
            self.add_error(
                "acknowledge_warnings",
                f"This section has {count} warning{'s' if count > 1 else ''}: check "
                f"{'them' if count > 1 else 'it'}, then tick this box and save again to keep "
                "the values.",
            )
        return cleaned

    def _get_validation_exclusions(self) -> set[str]:
        # The case (or parent) link is set by the view, not typed in, but its constraints
        # (one SLEDAI-2K, one serology at LE diagnosis per case) must still run here.
        exclude = super()._get_validation_exclusions()
        if self._link and getattr(self.instance, f"{self._link}_id", None) is not None:
            exclude.discard(self._link)
        return exclude

    def _update_errors(self, errors: ValidationError) -> None:
        # An error on the link (not a form field) is shown for the whole form.
        if hasattr(errors, "error_dict") and self._link in errors.error_dict:
            if self._link not in self.fields:
                moved = errors.error_dict.pop(self._link)
                errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(moved)
        super()._update_errors(errors)

    @property
    def acknowledged(self) -> list[str]:
        """Rule codes of the warnings the user confirmed (kept in the audit context)."""
        return sorted({f.rule for f in self.warnings})

    def save_as(
        self, user: Any, *, source: str = Source.WEB, expected_version: int | None = None
    ) -> Model:
        """Save through `crf.services.section_save`, the one write path of a CRF row."""
        return section_save(
            user=user,
            instance=super().save(commit=False),
            reason=self.cleaned_data.get("reason_for_change", ""),
            expected_version=expected_version,
            acknowledged=self.acknowledged,
            source=source,
        )

    def save(self, commit: bool = True) -> Model:
        if commit:
            raise TypeError("A CRF form saves through crf.services: call form.save_as(user).")
        return super().save(commit=False)


@cache
def section_form_for(model: type[Model]) -> type[CrfModelForm]:
    """The CrfModelForm of a section: its editable fields (derived ones are editable=False),
    without the link to the case, which the view sets."""
    link = link_to_case(model)
    exclude = [
        f.name
        for f in model._meta.fields
        if not f.editable or f.name == link or f.name.endswith("_precision")
    ]
    return forms.modelform_factory(model, form=CrfModelForm, exclude=exclude)
