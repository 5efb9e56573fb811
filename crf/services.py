"""CRF write paths. Each mutation: one function, one transaction, one audit context.

Views, serializers, importers and tasks validate their input and call one of these:
- `case_create`: a new case (and its identity) in the user's centre;
- `section_save` / `section_delete`: any section or repeating row of a case, validated,
  conflict-safe, with a reason for change once the case is submitted;
- `case_recompute`: store every derived value of a case with its rule version.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F

from crf import derive
from crf.models import (
    Case,
    CentralReview,
    Demographics,
    EularAcrCriteria,
    HaematologicalDisease,
    Identity,
    LupusResponse,
    NgsTest,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
)
from crf.models.base import case_of
from crf.models.case import READ_ONLY_STATUSES, STATUSES_NEEDING_REASON
from crf.validation import validate
from registry.access import (
    can_edit_case,
    can_review_pathology,
    cases_visible_to,
    investigator_centre_ids,
)
from registry.audit import Source, audit_context


class EditConflict(Exception):
    """Someone saved the case after the user opened it; nothing was saved."""

    def __init__(self, *, expected: int, current: int):
        super().__init__(
            f"This case was changed by someone else after you opened it (your version "
            f"{expected}, now {current}). Nothing was saved: reload the page to see their "
            f"changes, then enter yours again."
        )
        self.expected, self.current = expected, current


@transaction.atomic
def case_create(
    *, user, case: Case, identity: dict | None = None, source: str = Source.WEB
) -> Case:
    """Save a new case (built by the caller) in one of the user's centres, with its identity."""
    if case.centre_id not in investigator_centre_ids(user):
        raise PermissionDenied("Only an investigator of this centre can create its cases.")
    with audit_context(source=source, user=user, reason="case created"):
        case.created_by = user
        case.full_clean()
        case.save()
        if identity:
            Identity(case=case, **identity).full_clean(exclude=["case"])
            Identity.objects.create(case=case, **identity)
    return case


def reason_needed(case: Case) -> str:
    return (
        f"Give a reason for change: case {case.code} is {case.get_status_display().lower()}, "
        "so every edit is audited with its reason (e.g. 'corrected from the laboratory report')."
    )


def _case_for_write(user, instance: models.Model, *, reason: str, expected_version: int | None):
    """Lock the row's case and check that this user may change it now, with this reason."""
    case = Case.objects.select_for_update().get(pk=case_of(instance).pk)
    if not may_write(user, case, instance):
        raise PermissionDenied("You cannot edit this record.")
    if expected_version is not None and expected_version != case.version:
        raise EditConflict(expected=expected_version, current=case.version)
    if case.status in STATUSES_NEEDING_REASON and not reason.strip():
        raise ValidationError({"reason_for_change": reason_needed(case)})
    return case


def _refuse_validation_errors(instance: models.Model, case: Case) -> None:
    """The shared rules (crf.validation) guard every writer: forms, admin, API, import."""
    data = {f.name: getattr(instance, f.name) for f in instance._meta.concrete_fields}
    errors: dict[str, list[str]] = {}
    for finding in validate(type(instance), data, case=case, instance=instance):
        if finding.is_error:
            errors.setdefault(finding.field or NON_FIELD_ERRORS, []).append(finding.message)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def section_save(
    *,
    user,
    instance: models.Model,
    reason: str = "",
    expected_version: int | None = None,
    acknowledged: Iterable[str] = (),
    source: str = Source.WEB,
) -> models.Model:
    """Save a section row of a case the user may edit, then recompute the derived values.

    `expected_version` is the case version the user's form was built from: a mismatch
    raises EditConflict and nothing is written. After submission a reason is required.
    Validation errors refuse the save; `acknowledged` lists the warning rules the user
    confirmed, kept in the audit context.
    """
    case = _case_for_write(user, instance, reason=reason, expected_version=expected_version)
    if isinstance(instance, CentralReview):
        instance.reviewed_by = user
    instance.full_clean()
    _refuse_validation_errors(instance, case)
    extra = {"acknowledged_warnings": sorted(acknowledged)} if acknowledged else {}
    with audit_context(source=source, user=user, reason=reason, **extra):
        instance.save()
        _case_changed(case)
    return instance


@transaction.atomic
def section_delete(
    *,
    user,
    instance: models.Model,
    reason: str = "",
    expected_version: int | None = None,
    source: str = Source.WEB,
) -> None:
    """Delete a section row (never a case: cases are withdrawn), audited with its reason."""
    if isinstance(instance, Case):
        raise PermissionDenied("A case is withdrawn with a reason, never deleted.")
    case = _case_for_write(user, instance, reason=reason, expected_version=expected_version)
    with audit_context(source=source, user=user, reason=reason):
        instance.delete()
        _case_changed(case)


def _case_changed(case: Case) -> None:
    # Forms opened before this write now see a conflict; derived values follow the data.
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    case_recompute(case=case)


def may_write(user, case: Case, instance: models.Model) -> bool:
    """Central review belongs to central reviewers; everything else to the owning centre."""
    if isinstance(instance, CentralReview):
        return (
            can_review_pathology(user)
            and case.status not in READ_ONLY_STATUSES
            and cases_visible_to(user).filter(pk=case.pk).exists()
        )
    return can_edit_case(user, case)


def _store(instance: models.Model, values: dict) -> None:
    """Write only the derived values that changed (each write is audited by triggers)."""
    changed = {k: v for k, v in values.items() if getattr(instance, k) != v}
    if changed:
        type(instance).objects.filter(pk=instance.pk).update(**changed)
        for key, value in changed.items():
            setattr(instance, key, value)


def case_recompute(*, case: Case) -> None:
    """Recompute and store every derived value of the case (about a dozen queries)."""
    identity = Identity.objects.filter(case=case).first()
    haem = HaematologicalDisease.objects.filter(case=case).first()
    demo = Demographics.objects.filter(case=case).first()
    if demo:
        _store(
            demo,
            derive.demographics(
                demo,
                birth=identity.date_of_birth if identity else None,
                mds_date=haem.diagnosis_date if haem else None,
            ),
        )
    for criteria in SliccCriteria.objects.filter(case=case):
        _store(criteria, derive.slicc(criteria))
    serology_at_dx = SerologyPanel.objects.filter(case=case, at_le_diagnosis=True).first()
    for criteria in EularAcrCriteria.objects.filter(case=case):
        _store(criteria, derive.eular_acr(criteria, serology_at_diagnosis=serology_at_dx))
    for panel in SerologyPanel.objects.filter(case=case):
        _store(panel, derive.serology(panel))
    for assessment in SledaiAssessment.objects.filter(case=case):
        _store(assessment, derive.sledai(assessment))

    tests = list(NgsTest.objects.filter(case=case).prefetch_related("variants"))
    for test in tests:
        if test.tissue == "skin":
            _store(test, derive.concordance(test, other_tests=tests))
    if haem:
        blood_variants = [
            v
            for t in tests
            if t.tissue in ("peripheral_blood", "bone_marrow")
            for v in t.variants.all()
        ]
        age = demo.age_at_mds_diagnosis if demo else None
        _store(
            haem,
            derive.haematology(haem, age_at_diagnosis=age, marrow_or_blood_variants=blood_variants),
        )
    for review in CentralReview.objects.filter(biopsy__case=case).select_related("biopsy"):
        _store(review, derive.reclassified(review))
    for response in LupusResponse.objects.filter(treatment__case=case).select_related("sledai"):
        _store(response, derive.lupus_response(response))
