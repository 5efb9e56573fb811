"""The study's eligibility criteria (crf.md section 10), evaluated as code.

`evaluate(rows)` reads one case in memory (`crf.rows.CaseRows`), queries nothing, and returns
a `Verdict`: each criterion `met`, `not_met` or `unknown`, with the fields and values it
rests on (`Evidence`), and the overall `eligible` / `not_eligible` / `undetermined`, stamped
with `ELIGIBILITY_VERSION`. Coordinators adjudicate; the registry only shows them why.

How to read a criterion (the one convention a page needs):
- `status` says whether the criterion's statement holds, as written: for an inclusion
  ("MDS or CMML by WHO 2022") `met` is good; for an exclusion ("documented VEXAS") `met`
  means the exclusion APPLIES. `status_label` words it for each kind ("Met" / "Applies").
- `passes` is the effect on eligibility: True (inclusion met, exclusion not met), False
  (inclusion not met, exclusion met: the case is not eligible), None (unknown).
The verdict is `not_eligible` as soon as one criterion fails, even if others are unknown;
otherwise `undetermined` while any is unknown; otherwise `eligible`.

Decisions where the protocol is silent (see tests/cohorts/test_eligibility.py):
- WHO 2022: the computed class (`who2022_computed`, derived on save) decides when it is
  there ("aml" → not met: ≥ 20% blasts is AML); when the inputs were too incomplete to
  compute it, the class recorded by the centre counts. Neither → unknown.
- SLE or CLE: either route suffices, whatever the LE type ticked. CLE needs a clinical
  feature (an LE-specific Gilliam–Sontheimer lesion, or a biopsy of one) and a
  pathological one (a skin biopsy read as CLE or KLIP, locally or centrally, or a positive
  lupus band). A biopsy read as CLE locally and reclassified centrally (MDS/CMML cutis, pDC
  dermatosis) still counts: the study kept those patients, whose lesion was diagnosed as
  lupus on its clinical and pathological features at the time.
- VEXAS: documented VEXAS or a UBA1 mutation → applies; tested wild type, or not tested
  (VEXAS was not documented) → does not apply; "VEXAS documented: no" with a UBA1 mutation
  is contradictory → unknown.
- Ten years: calendar years, "more than ten years" strictly. 2010-03-01 → 2020-03-01 is
  exactly ten years (does not apply), 2020-03-02 is more. A 29 February is ten years later
  on 1 March (as `crf.scores.age_in_years` ages a leap-day birth). A partial date stands
  for every day it may be (the whole month or year): when some of those pairs are more
  than ten years apart and others not, the criterion is unknown.
- Controls: SLICC 2012 met; "known haematological malignancy" and drug-induced lupus are
  exclusions.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from crf.codes import CleSubtype
from crf.models import (
    CentralReview,
    CutaneousLesion,
    Demographics,
    HaematologicalDisease,
    LupusProfile,
    SkinBiopsy,
    SliccCriteria,
)
from crf.models.fields import MISSING_CODES
from crf.rows import CaseRows
from crf.validation import with_unit
from registry.i18n import field_choice, field_label, gettext, model_name

ELIGIBILITY_VERSION: Final = "Study eligibility 2025-09 (crf.md §10)"

MET: Final = "met"
NOT_MET: Final = "not_met"
UNKNOWN: Final = "unknown"
STATUSES: Final = (MET, NOT_MET, UNKNOWN)

INCLUSION: Final = "inclusion"
EXCLUSION: Final = "exclusion"

ELIGIBLE: Final = "eligible"
NOT_ELIGIBLE: Final = "not_eligible"
UNDETERMINED: Final = "undetermined"

VERDICT_LABELS: Final = {
    ELIGIBLE: _("Eligible"),
    NOT_ELIGIBLE: _("Not eligible"),
    UNDETERMINED: _("Undetermined"),
}
_STATUS_LABELS: Final = {
    INCLUSION: {MET: _("Met"), NOT_MET: _("Not met"), UNKNOWN: _("Unknown")},
    EXCLUSION: {MET: _("Applies"), NOT_MET: _("Does not apply"), UNKNOWN: _("Unknown")},
}

# Criterion code → (kind, title). Codes are stored: never rename one.
CRITERIA: Final = {
    "mds_cmml_who2022": (INCLUSION, _("MDS or CMML by WHO 2022")),
    "sle_slicc_or_cle": (
        INCLUSION,
        _("SLE fulfilling SLICC 2012, or CLE diagnosed on clinical and pathological features"),
    ),
    "sle_slicc": (INCLUSION, _("SLE fulfilling SLICC 2012")),
    "vexas": (EXCLUSION, _("Documented VEXAS syndrome")),
    "therapy_related": (EXCLUSION, _("Therapy-related MDS/CMML")),
    "drug_induced_lupus": (EXCLUSION, _("Drug-induced lupus")),
    "diagnoses_over_ten_years": (
        EXCLUSION,
        _("More than ten years between the MDS/CMML and LE diagnoses"),
    ),
    "haematological_malignancy": (EXCLUSION, _("Known haematological malignancy (controls)")),
}
CASE_CRITERIA: Final = (
    "mds_cmml_who2022",
    "sle_slicc_or_cle",
    "vexas",
    "therapy_related",
    "drug_induced_lupus",
    "diagnoses_over_ten_years",
)
CONTROL_CRITERIA: Final = ("sle_slicc", "haematological_malignancy", "drug_induced_lupus")

LE_SPECIFIC_SUBTYPES: Final = frozenset(CleSubtype.values) - {CleSubtype.LE_NONSPECIFIC}
# Central or local skin diagnoses that are lupus: CLE, and KLIP (a pattern of CLE).
LUPUS_SKIN_DIAGNOSES: Final = frozenset({"cle", "klip"})
MAX_YEARS_BETWEEN_DIAGNOSES: Final = 10

JsonValue = str | int | float | bool | None


def is_answered(code: Any) -> bool:
    """A real answer: not blank (not entered) and not a missing-data code."""
    return bool(code) and code not in MISSING_CODES


# ---- evidence: the fields a result rests on ---------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One field of one row, as a page shows it and links to it (`model_name` → section)."""

    model: str  # model label, "crf.HaematologicalDisease"
    model_name: str  # "haematologicaldisease"
    pk: int | None  # the row; None while unsaved
    field: str
    label: str  # the field's verbose name
    value: JsonValue  # raw value, JSON-safe (a date as ISO 8601)
    display: str  # the value as the form shows it ("Wild type", "not entered")

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "model": self.model,
            "model_name": self.model_name,
            "pk": self.pk,
            "field": self.field,
            "label": self.label,
            "value": self.value,
            "display": self.display,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def _json_value(value: Any) -> JsonValue:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Model):
        return value.pk
    return value


def _display(row: Model, name: str, value: Any) -> str:
    if value is None or value == "":
        return gettext("not entered")
    model_field = row._meta.get_field(name)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, date):
        precision = getattr(row, f"{name}_precision", "day") or "day"
        if precision == "month":
            return gettext("%(date)s (known to the month)") % {"date": f"{value:%Y-%m}"}
        if precision == "year":
            return gettext("%(date)s (known to the year)") % {"date": f"{value:%Y}"}
        return value.isoformat()
    if model_field.choices:
        return str(field_choice(type(row), name, value))
    unit = getattr(model_field, "unit", "")
    if unit and isinstance(value, int | float):
        return with_unit(value, unit)
    return str(value)


def evidence_of(row: Model, name: str) -> Evidence:
    """The evidence record of `row.<name>` (a partial date displays what is known of it)."""
    value = getattr(row, name)
    return Evidence(
        model=row._meta.label,
        model_name=row._meta.model_name,
        pk=row.pk,
        field=name,
        label=field_label(type(row), name),
        value=_json_value(value),
        display=_display(row, name, value),
    )


# ---- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str  # a key of CRITERIA
    status: str  # met / not_met / unknown: whether the criterion's statement holds
    reason: str  # why, in the language active at evaluation
    evidence: tuple[Evidence, ...] = ()
    sections: tuple[str, ...] = ()  # model names read, so a page links there even if empty

    def __post_init__(self) -> None:
        if self.code not in CRITERIA:
            raise ValueError(f"code: unknown criterion {self.code!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status: expected one of {STATUSES}, got {self.status!r}")

    @property
    def kind(self) -> str:
        return CRITERIA[self.code][0]

    @property
    def title(self) -> str:
        return str(CRITERIA[self.code][1])

    @property
    def status_label(self) -> str:
        return str(_STATUS_LABELS[self.kind][self.status])

    @property
    def passes(self) -> bool | None:
        """True: allows eligibility; False: makes the case not eligible; None: unknown."""
        if self.status == UNKNOWN:
            return None
        return (self.status == MET) == (self.kind == INCLUSION)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "status": self.status,
            "passes": self.passes,
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
            "sections": list(self.sections),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        return cls(
            code=data["code"],
            status=data["status"],
            reason=data["reason"],
            evidence=tuple(Evidence.from_dict(e) for e in data["evidence"]),
            sections=tuple(data["sections"]),
        )


@dataclass(frozen=True)
class Verdict:
    group: str  # case / control
    criteria: tuple[Criterion, ...]
    rule_version: str = ELIGIBILITY_VERSION
    status: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", overall(c.passes for c in self.criteria))

    @property
    def status_label(self) -> str:
        return str(VERDICT_LABELS[self.status])

    @property
    def failing(self) -> tuple[Criterion, ...]:
        """The criteria that make the case not eligible."""
        return tuple(c for c in self.criteria if c.passes is False)

    @property
    def unresolved(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.passes is None)

    def criterion(self, code: str) -> Criterion:
        return next(c for c in self.criteria if c.code == code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "group": self.group,
            "rule_version": self.rule_version,
            "criteria": [c.to_dict() for c in self.criteria],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            group=data["group"],
            criteria=tuple(Criterion.from_dict(c) for c in data["criteria"]),
            rule_version=data["rule_version"],
        )


def overall(passes: Iterable[bool | None]) -> str:
    """One failing criterion suffices to exclude; otherwise any unknown leaves it open."""
    seen = list(passes)
    if False in seen:
        return NOT_ELIGIBLE
    if None in seen:
        return UNDETERMINED
    return ELIGIBLE


def evaluate(rows: CaseRows) -> Verdict:
    """The study's eligibility criteria for this case or control (crf.md section 10)."""
    group = rows.case.group
    if group == "case":
        codes = CASE_CRITERIA
    elif group == "control":
        codes = CONTROL_CRITERIA
    else:
        raise ValueError(f"case.group: expected 'case' or 'control', got {group!r}")
    return Verdict(group=group, criteria=tuple(_EVALUATORS[code](rows) for code in codes))


# ---- partial dates and the ten-year rule --------------------------------------------------


def date_range(day: date, precision: str) -> tuple[date, date]:
    """Every day a stored partial date may be: the day, its month, or its year."""
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return date(day.year, day.month, 1), date(day.year, day.month, last)
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def years_after(day: date, years: int) -> date:
    """The anniversary `years` calendar years later; 29 February → 1 March if no leap day."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _over_limit(earlier: date, later: date) -> bool:
    return later > years_after(earlier, MAX_YEARS_BETWEEN_DIAGNOSES)


def more_than_ten_years_apart(first: tuple[date, date], second: tuple[date, date]) -> str:
    """met / not_met / unknown for two dates given as (earliest, latest) possible days,
    in either order. Exactly ten calendar years is not more than ten years."""
    (a0, a1), (b0, b1) = first, second
    # The widest possible gap: one as early, the other as late as it may be.
    possibly = _over_limit(a0, b1) or _over_limit(b0, a1)
    # The narrowest: the facing ends (zero when the ranges overlap).
    if a1 < b0:
        surely = _over_limit(a1, b0)
    elif b1 < a0:
        surely = _over_limit(b1, a0)
    else:
        surely = False
    return MET if surely else (UNKNOWN if possibly else NOT_MET)


# ---- the criteria ------------------------------------------------------------------------


def _name(model: type[Model]) -> str:
    return model._meta.model_name


def _no_row(code: str, model: type[Model], what: str) -> Criterion:
    template = gettext("%(section)s is not entered: enter it to evaluate %(what)s.")
    return _not_entered(code, _name(model), template, model_name(model), what)


@lru_cache(maxsize=256)
def _not_entered(code: str, slug: str, template: str, section: str, what: str) -> Criterion:
    """The same (immutable) criterion for every case lacking the section, keyed by the
    words themselves: each language's wording is its own entry."""
    reason = template % {"section": section.capitalize(), "what": what}
    return Criterion(code, UNKNOWN, reason, sections=(slug,))


def _mds_cmml_who2022(rows: CaseRows) -> Criterion:
    code = "mds_cmml_who2022"
    haem = rows.one(HaematologicalDisease)
    if haem is None:
        return _no_row(code, HaematologicalDisease, gettext("the WHO 2022 diagnosis"))
    evidence = tuple(
        evidence_of(haem, f) for f in ("disease", "who2022_computed", "who2022_recorded")
    )
    sections = (_name(HaematologicalDisease),)
    computed, recorded = haem.who2022_computed, haem.who2022_recorded
    if computed == "aml":
        status = NOT_MET
        reason = gettext(
            "WHO 2022, computed, is AML (blasts ≥ 20%): not MDS/CMML at diagnosis — check the "
            "blast counts, or record the MDS/CMML counts at diagnosis and the AML as an "
            "evolution event."
        )
    elif computed:
        status = MET
        reason = gettext("WHO 2022, computed from the data: %(cls)s.") % {
            "cls": evidence[1].display
        }
    elif is_answered(recorded):
        status = MET
        reason = gettext(
            "WHO 2022 as recorded by the centre: %(cls)s (not computable: inputs missing)."
        ) % {"cls": evidence[2].display}
    else:
        status = UNKNOWN
        reason = gettext(
            "No WHO 2022 class: it cannot be computed (counts, marrow blasts or cytogenetics "
            "missing) and none is recorded — complete section 5 or record the WHO 2022 class."
        )
    return Criterion(code, status, reason, evidence, sections)


def _slicc(rows: CaseRows) -> tuple[str, tuple[Evidence, ...], str]:
    slicc = rows.one(SliccCriteria)
    if slicc is None:
        return UNKNOWN, (), gettext("SLICC 2012 criteria not entered")
    classification = slicc.classification
    status = {"met": MET, "not_met": NOT_MET}.get(classification, UNKNOWN)
    words = {
        MET: gettext_noop("SLICC 2012 met"),
        NOT_MET: gettext_noop("SLICC 2012 not met"),
        UNKNOWN: gettext_noop("SLICC 2012 undetermined (unknown items could change it)")
        if classification
        else gettext_noop("SLICC 2012 not evaluable yet (items not entered)"),
    }
    return status, (evidence_of(slicc, "classification"),), gettext(words[status])


def _cle_clinical(rows: CaseRows) -> tuple[str, list[Evidence], str]:
    lesions = rows.many(CutaneousLesion)
    biopsies = rows.many(SkinBiopsy)
    specific = [(r, "subtype") for r in lesions if r.subtype in LE_SPECIFIC_SUBTYPES] + [
        (b, "clinical_lesion_type")
        for b in biopsies
        if b.clinical_lesion_type in LE_SPECIFIC_SUBTYPES
    ]
    if specific:
        return MET, [evidence_of(r, f) for r, f in specific], gettext("an LE-specific lesion")
    evidence = [evidence_of(r, "subtype") for r in lesions]
    profile = rows.one(LupusProfile)
    if profile is not None:
        evidence.append(evidence_of(profile, "cutaneous"))
    if any(not is_answered(r.subtype) for r in lesions):
        return UNKNOWN, evidence, gettext("a lesion's subtype not entered")
    if lesions:
        return NOT_MET, evidence, gettext("only LE-non-specific lesions")
    if profile is not None and profile.cutaneous == "no":
        return NOT_MET, evidence, gettext("no cutaneous involvement")
    return UNKNOWN, evidence, gettext("no cutaneous lesion entered")


def _cle_pathological(rows: CaseRows) -> tuple[str, list[Evidence], str]:
    biopsies = rows.many(SkinBiopsy)
    for biopsy in biopsies:
        review: CentralReview | None = rows.review_of(biopsy)
        local = biopsy.local_diagnosis in LUPUS_SKIN_DIAGNOSES
        central = review is not None and review.diagnosis in LUPUS_SKIN_DIAGNOSES
        band = review is not None and review.lupus_band_positive == "yes"
        if not (local or central or band):
            continue
        evidence = [evidence_of(biopsy, "local_diagnosis")]
        if review is not None:
            evidence.append(evidence_of(review, "diagnosis"))
            if band:
                evidence.append(evidence_of(review, "lupus_band_positive"))
        if local and review is not None and not central:
            words = gettext(
                "a biopsy read as lupus locally (reclassified by the central review; it still "
                "counts, as in the study)"
            )
            return MET, evidence, words
        return MET, evidence, gettext("a biopsy read as lupus")
    evidence = []
    undiagnosed = False
    for biopsy in biopsies:
        evidence.append(evidence_of(biopsy, "local_diagnosis"))
        review = rows.review_of(biopsy)
        if review is not None:
            evidence.append(evidence_of(review, "diagnosis"))
        undiagnosed |= review is None and not is_answered(biopsy.local_diagnosis)
    if not biopsies:
        return UNKNOWN, evidence, gettext("no skin biopsy entered")
    if undiagnosed:
        return UNKNOWN, evidence, gettext("a biopsy without a diagnosis")
    return NOT_MET, evidence, gettext("no biopsy read as CLE or KLIP")


def _both(first: str, second: str) -> str:
    """Three-valued AND: met if both are, not met if either is not, else unknown."""
    if NOT_MET in (first, second):
        return NOT_MET
    return MET if first == second == MET else UNKNOWN


def _sle_slicc_or_cle(rows: CaseRows) -> Criterion:
    code = "sle_slicc_or_cle"
    sections = tuple(
        _name(m) for m in (SliccCriteria, LupusProfile, CutaneousLesion, SkinBiopsy, CentralReview)
    )
    slicc_status, slicc_evidence, slicc_words = _slicc(rows)
    profile = rows.one(LupusProfile)
    le_type = (evidence_of(profile, "le_type"),) if profile is not None else ()
    if slicc_status == MET:
        return Criterion(
            code, MET, gettext("SLE: %(slicc)s.") % {"slicc": slicc_words}, slicc_evidence, sections
        )
    clin_status, clin_evidence, clin_words = _cle_clinical(rows)
    path_status, path_evidence, path_words = _cle_pathological(rows)
    cle_status = _both(clin_status, path_status)
    evidence = (*slicc_evidence, *le_type, *clin_evidence, *path_evidence)
    params = {"slicc": slicc_words, "clinical": clin_words, "pathological": path_words}
    if cle_status == MET:
        reason = gettext(
            "CLE on clinical features (%(clinical)s) and pathological features "
            "(%(pathological)s); %(slicc)s."
        )
        status = MET
    elif cle_status == NOT_MET and slicc_status == NOT_MET:
        reason = gettext(
            "%(slicc)s, and no CLE on clinical and pathological features (clinical: "
            "%(clinical)s; pathological: %(pathological)s) — check the SLICC items, the "
            "cutaneous lesions and the skin biopsies."
        )
        status = NOT_MET
    else:
        reason = gettext(
            "Open: %(slicc)s; CLE clinical: %(clinical)s; CLE pathological: %(pathological)s — "
            "complete the SLICC items, or the cutaneous lesions and skin biopsies."
        )
        status = UNKNOWN
    return Criterion(code, status, reason % params, evidence, sections)


def _sle_slicc(rows: CaseRows) -> Criterion:
    status, evidence, words = _slicc(rows)
    fix = "" if status == MET else gettext(" — check the SLICC 2012 items (section 2).")
    return Criterion("sle_slicc", status, words + fix, evidence, (_name(SliccCriteria),))


def _vexas(rows: CaseRows) -> Criterion:
    code = "vexas"
    haem = rows.one(HaematologicalDisease)
    if haem is None:
        return _no_row(code, HaematologicalDisease, gettext("VEXAS"))
    evidence = tuple(
        evidence_of(haem, f) for f in ("vexas_documented", "uba1_tested", "uba1_result")
    )
    documented, tested, result = haem.vexas_documented, haem.uba1_tested, haem.uba1_result
    if documented == "yes":
        status, reason = MET, gettext("VEXAS is documented.")
    elif result == "mutated" and documented == "no":
        status, reason = (
            UNKNOWN,
            gettext(
                "UBA1 is mutated but 'VEXAS documented' is no: contradictory — check the UBA1 "
                "result and whether VEXAS was diagnosed."
            ),
        )
    elif result == "mutated":
        status, reason = MET, gettext("UBA1 is mutated: VEXAS.")
    elif result == "wild_type":
        status, reason = NOT_MET, gettext("UBA1 tested negative (wild type).")
    elif tested == "no":
        status, reason = NOT_MET, gettext("UBA1 not tested: VEXAS is not documented.")
    elif documented == "no":
        status, reason = NOT_MET, gettext("VEXAS is not documented.")
    else:
        status, reason = (
            UNKNOWN,
            gettext(
                "Whether VEXAS is documented is not known: answer 'VEXAS documented', or give the "
                "UBA1 test and its result."
            ),
        )
    return Criterion(code, status, reason, evidence, (_name(HaematologicalDisease),))


def _yes_no_exclusion(
    code: str, row: Model | None, model: type[Model], name: str, words: Mapping[str, str]
) -> Criterion:
    """An exclusion read from one yes/no field: yes applies, no does not, else unknown.
    `words` are message ids (`gettext_noop`), translated here through the memo."""
    if row is None:
        return _no_row(code, model, gettext(words["what"]))
    answer = getattr(row, name)
    status = {"yes": MET, "no": NOT_MET}.get(answer, UNKNOWN)
    evidence = (evidence_of(row, name),)
    reason = gettext(words[status])
    if status == UNKNOWN:
        reason %= {"value": evidence[0].display}
    return Criterion(code, status, reason, evidence, (_name(model),))


def _therapy_related(rows: CaseRows) -> Criterion:
    return _yes_no_exclusion(
        "therapy_related",
        rows.one(HaematologicalDisease),
        HaematologicalDisease,
        "therapy_related",
        {
            "what": gettext_noop("therapy-related disease"),
            MET: gettext_noop("The MDS/CMML is therapy-related."),
            NOT_MET: gettext_noop("The MDS/CMML is not therapy-related."),
            UNKNOWN: gettext_noop(
                "Therapy-related is '%(value)s': answer yes or no (prior cytotoxic therapy, "
                "radiotherapy or hypomethylating agent)."
            ),
        },
    )


def _drug_induced_lupus(rows: CaseRows) -> Criterion:
    return _yes_no_exclusion(
        "drug_induced_lupus",
        rows.one(LupusProfile),
        LupusProfile,
        "drug_induced_suspected",
        {
            "what": gettext_noop("drug-induced lupus"),
            MET: gettext_noop("Drug-induced lupus is suspected."),
            NOT_MET: gettext_noop("Drug-induced lupus is not suspected."),
            UNKNOWN: gettext_noop("Drug-induced lupus suspected is '%(value)s': answer yes or no."),
        },
    )


def _haematological_malignancy(rows: CaseRows) -> Criterion:
    return _yes_no_exclusion(
        "haematological_malignancy",
        rows.one(LupusProfile),
        LupusProfile,
        "haematological_malignancy",
        {
            "what": gettext_noop("a known haematological malignancy"),
            MET: gettext_noop(
                "A haematological malignancy is known: not an idiopathic SLE control."
            ),
            NOT_MET: gettext_noop("No known haematological malignancy."),
            UNKNOWN: gettext_noop(
                "Known haematological malignancy is '%(value)s': answer yes or no."
            ),
        },
    )


def _diagnoses_over_ten_years(rows: CaseRows) -> Criterion:
    code = "diagnoses_over_ten_years"
    demo, haem = rows.one(Demographics), rows.one(HaematologicalDisease)
    sections = (_name(Demographics), _name(HaematologicalDisease))
    evidence = []
    dates = []
    for row, name in ((demo, "le_diagnosis_date"), (haem, "diagnosis_date")):
        if row is None:
            continue
        evidence.append(evidence_of(row, name))
        day, precision = getattr(row, name), getattr(row, f"{name}_precision", "day")
        if day is not None:
            dates.append(date_range(day, precision))
    if len(dates) < 2:
        reason = gettext(
            "The date of LE diagnosis (section 1) and the date of MDS/CMML diagnosis "
            "(section 5) are both needed: enter the missing one (month or year if the day is "
            "not known)."
        )
        return Criterion(code, UNKNOWN, reason, tuple(evidence), sections)
    status = more_than_ten_years_apart(dates[0], dates[1])
    params = {"le": evidence[0].display, "mds": evidence[1].display}
    reason = {
        MET: gettext_noop("LE diagnosed %(le)s and MDS/CMML %(mds)s: more than ten years apart."),
        NOT_MET: gettext_noop("LE diagnosed %(le)s and MDS/CMML %(mds)s: ten years apart at most."),
        UNKNOWN: gettext_noop(
            "LE diagnosed %(le)s and MDS/CMML %(mds)s: the partial dates may be more or less "
            "than ten years apart — give the month or day of the diagnoses if known."
        ),
    }[status]
    return Criterion(code, status, gettext(reason) % params, tuple(evidence), sections)


_EVALUATORS: Final = {
    "mds_cmml_who2022": _mds_cmml_who2022,
    "sle_slicc_or_cle": _sle_slicc_or_cle,
    "sle_slicc": _sle_slicc,
    "vexas": _vexas,
    "therapy_related": _therapy_related,
    "drug_induced_lupus": _drug_induced_lupus,
    "diagnoses_over_ten_years": _diagnoses_over_ten_years,
    "haematological_malignancy": _haematological_malignancy,
}
