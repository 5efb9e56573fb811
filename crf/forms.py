"""Model forms of the CRF sections: the shared validation rules, warnings the user must
acknowledge, and the reason for change once a case has left draft."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model

from registry.audit import audit_context

from .models.case import READ_ONLY_STATUSES, STATUSES_NEEDING_REASON, Case
from .validation import Finding, case_of, link_to_case, validate


class CrfModelForm(forms.ModelForm):
    """Base of every section form. Pass `case=` for a new row; an existing row knows its case.

    `clean()` runs `crf.validation.validate`: errors become field errors (non-field when the
    field is not on the form), warnings land on `self.warnings` and block the save until
    `acknowledge_warnings` is ticked. `save()` records the reason and the confirmed warnings
    in the audit context, inheriting the request's (or command's, task's) source and user.
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
        # Choices of related rows come from this case only, never from other centres.
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if link_to_case(field.queryset.model) == "case":
                    field.queryset = (
                        field.queryset.filter(case=self.case)
                        if self.case is not None
                        else field.queryset.none()
                    )
        if self.case is not None and self.case.status in STATUSES_NEEDING_REASON:
            reason = self.fields["reason_for_change"]
            reason.required = True
            reason.error_messages["required"] = (
                f"Give a reason for change: case {self.case.code} is "
                f"{self.case.get_status_display().lower()}, so every edit is audited with its "
                "reason (e.g. 'corrected from the laboratory report')."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.case is not None and self.case.status in READ_ONLY_STATUSES:
            raise ValidationError(
                f"Case {self.case.code} is {self.case.get_status_display().lower()}: it can no "
                "longer be edited — ask a coordinator if it must change."
            )
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

    def save(self, commit: bool = True) -> Model:
        metadata: dict[str, Any] = {}
        if reason := self.cleaned_data.get("reason_for_change"):
            metadata["reason"] = reason
        if self.warnings:
            metadata["acknowledged_warnings"] = sorted({f.rule for f in self.warnings})
        if not commit or not metadata:  # commit=False: the caller saves in its audit_context
            return super().save(commit)
        # A context row of its own, inheriting the request's source and user: the change
        # carries its reason and the warnings the user confirmed.
        with audit_context(**metadata):
            return super().save(commit)


@cache
def section_form_for(model: type[Model]) -> type[CrfModelForm]:
    """The CrfModelForm of a section: its editable fields (derived ones are editable=False),
    without the link to the case, which the view sets."""
    link = link_to_case(model)
    exclude = [f.name for f in model._meta.fields if not f.editable or f.name == link]
    return forms.modelform_factory(model, form=CrfModelForm, exclude=exclude)
