"""Section forms: they parse what a person typed, and let `crf.services` judge and save it.

A form only turns text into typed values (dates, numbers, codes). Everything else — the
rules, the warnings to acknowledge, the version, the reason for change — is the service's
judgement, shown on the form: `form.save()` calls `section_save`, and a refusal lands on
the fields it names (`SectionInvalid`), or as warnings to acknowledge with a comment
(`WarningsToAcknowledge`). `form.preview()` asks the service what it would decide and
compute without writing (live feedback). An `EditConflict` is left to the view, which
shows both versions.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from crf import services
from crf.access import Actor
from crf.models import Case
from crf.models.base import case_lookup
from crf.models.case import STATUSES_NEEDING_REASON
from crf.services import Plan, SectionInvalid, WarningsToAcknowledge, writable_fields
from crf.validation import Finding, rule_codes
from registry.audit import Source


class SectionForm(forms.ModelForm):
    """Base of every section form. Bind it to the actor, the case and the row it writes."""

    based_on = forms.IntegerField(widget=forms.HiddenInput)
    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed once the case is submitted; kept in the audit trail."),
    )
    acknowledged = forms.MultipleChoiceField(
        label=_("I have checked these warnings and the values are correct"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    acknowledgement_comment = forms.CharField(
        label=_("Comment on the warnings"),
        required=False,
        max_length=500,
        help_text=_("Why the values are right despite the warning; kept in the audit trail."),
    )

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        case: Case,
        row_id: int | None = None,
        parent_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor, self.case = actor, case
        self.row_id, self.parent_id = row_id, parent_id
        self.warnings: list[Finding] = []
        self.fields["based_on"].initial = case.version
        self.fields["reason_for_change"].required = case.status in STATUSES_NEEDING_REASON
        # Any rule code may be posted back; the service refuses one that matches no warning.
        self.fields["acknowledged"].choices = [(code, code) for code in sorted(rule_codes())]
        for field in self.fields.values():  # links offer this case's rows only
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.filter(
                    **{case_lookup(field.queryset.model): case.pk}
                )

    @property
    def model(self) -> type[Model]:
        return self._meta.model  # type: ignore[return-value]

    def section_data(self) -> dict[str, Any]:
        names = writable_fields(self.model)
        return {k: v for k, v in self.cleaned_data.items() if k in names and k in self.fields}

    def _post_clean(self) -> None:
        # The model's own checks belong to the service (one judgement for every writer).
        pass

    def save(self, commit: bool = True, *, source: str = Source.WEB) -> Model:  # type: ignore[override]
        """Save through the service; on refusal, the form carries the errors and raises."""
        acknowledged = {
            code: self.cleaned_data.get("acknowledgement_comment", "")
            for code in self.cleaned_data.get("acknowledged", [])
        }
        try:
            return services.section_save(
                actor=self.actor,
                case=self.case,
                model=self.model,
                data=self.section_data(),
                based_on=self.cleaned_data["based_on"],
                row_id=self.row_id,
                parent_id=self.parent_id,
                reason=self.cleaned_data.get("reason_for_change", ""),
                acknowledged=acknowledged,
                source=source,
            )
        except WarningsToAcknowledge as exc:
            self.show_warnings(exc.findings)
            raise
        except SectionInvalid as exc:
            self.show_errors(exc.findings)
            raise

    def preview(self) -> Plan:
        plan = services.section_preview(
            actor=self.actor,
            case=self.case,
            model=self.model,
            data=self.section_data(),
            row_id=self.row_id,
            parent_id=self.parent_id,
        )
        self.show_errors(plan.errors)
        self.warnings = plan.warnings
        return plan

    def show_errors(self, findings: list[Finding]) -> None:
        for finding in findings:
            field = finding.field if finding.field in self.fields else None
            if finding.field == "reason":
                field = "reason_for_change"
            if field is None and finding.field:  # a field not on this form: say which
                self.add_error(NON_FIELD_ERRORS, finding.message)
            elif not self.has_error(field or NON_FIELD_ERRORS, finding.rule):
                self.add_error(field, forms.ValidationError(finding.message, code=finding.rule))

    def show_warnings(self, findings: list[Finding]) -> None:
        self.warnings = findings
        self.fields["acknowledged"].choices = [(f.rule, f.message) for f in findings]


@cache
def section_form(model: type[Model]) -> type[SectionForm]:
    """The form of a section: its writable fields (never derived values, never the link to
    its case or parent)."""
    return forms.modelform_factory(model, form=SectionForm, fields=list(writable_fields(model)))
