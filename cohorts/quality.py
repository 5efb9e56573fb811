"""Data-quality rules across sections: inconsistencies for the coordinator to resolve or confirm.

`discrepancies(rows)` reads one case in memory (`crf.rows.CaseRows`), queries nothing, and
returns `Discrepancy`s. Each names the fields and values it compares (`Evidence`, pointing at
the rows: model, pk, field) and carries a stable `key` (rule code, then each row's identity
and field) so a confirmation can be remembered across re-evaluations: the key does not
change when a value does, nor when another row is added.

Rules are generators registered with `@rule("<code>")`: the code is the registration's, so
a rule cannot emit another's code; `RULE_CODES` lists them. A rule yields `Found(message,
refs)`; `discrepancies` turns refs (row, field) into evidence and the key.

Missing-data codes and blank never trigger a rule ("unknown" is not "no"): every rule
compares explicit answers only, and derived flags only when they are computed.

Which serology a SLEDAI-2K is compared with: the SLEDAI-2K at LE diagnosis with the panel
at LE diagnosis; a later SLEDAI-2K with the latest panel sampled in the 30 days up to its
assessment date (SLEDAI-2K's own window), both dates known to the day. An older panel says
nothing about activity at that time, so such an assessment is not compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from cohorts.eligibility import (
    LE_SPECIFIC_SUBTYPES,
    Evidence,
    date_range,
    evidence_of,
    is_answered,
)
from crf.models import (
    Case,
    CutaneousLesion,
    Demographics,
    EularAcrCriteria,
    HaematologicalDisease,
    Identity,
    LupusProfile,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
)
from crf.rows import CaseRows
from registry.i18n import field_label, gettext

QUALITY_VERSION: Final = "Cross-section data quality 2025-09"

SLEDAI_WINDOW_DAYS: Final = 30
# "At LE diagnosis" rows more than three months from the LE diagnosis date (the study's
# 'concomitant' window) are probably mis-dated or mis-flagged.
AT_DIAGNOSIS_MAX_DAYS: Final = 91


@dataclass(frozen=True)
class Found:
    """What a rule reports: the message, and the (row, field) pairs it compared."""

    message: str
    refs: tuple[tuple[Model, str], ...]


@dataclass(frozen=True)
class Discrepancy:
    rule: str  # stable code, e.g. "sledai.dna_binding_vs_anti_dsdna"
    message: str
    values: tuple[Evidence, ...]
    key: str  # rule code + row identities and fields: stable across re-evaluations
    rule_version: str = QUALITY_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "values": [e.to_dict() for e in self.values],
            "key": self.key,
            "rule_version": self.rule_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Discrepancy:
        return cls(
            rule=data["rule"],
            message=data["message"],
            values=tuple(Evidence.from_dict(e) for e in data["values"]),
            key=data["key"],
            rule_version=data["rule_version"],
        )


QualityRule = Callable[[CaseRows], Iterable[Found]]
_RULES: dict[str, QualityRule] = {}


def rule(code: str) -> Callable[[QualityRule], QualityRule]:
    """Register a cross-section rule under a stable code."""

    def register(fn: QualityRule) -> QualityRule:
        if code in _RULES:
            raise ValueError(f"quality rule {code!r} is registered twice")
        _RULES[code] = fn
        return fn

    return register


def discrepancies(rows: CaseRows) -> list[Discrepancy]:
    """Every cross-section inconsistency of the case, in rule order."""
    out = []
    for code, fn in _RULES.items():
        for found in fn(rows):
            out.append(
                Discrepancy(
                    rule=code,
                    message=found.message,
                    values=tuple(evidence_of(row, name) for row, name in found.refs),
                    key="|".join(
                        [code, *(f"{identity(rows, row)}.{name}" for row, name in found.refs)]
                    ),
                )
            )
    return out


def identity(rows: CaseRows, row: Model) -> str:
    """'sledaiassessment#12'; an unsaved row by its place among the case's rows ('#new0')."""
    if row.pk is not None:
        return f"{row._meta.model_name}#{row.pk}"
    siblings = [rows.case] if isinstance(row, Case) else rows.many(type(row))
    index = next((i for i, r in enumerate(siblings) if r is row), 0)
    return f"{row._meta.model_name}#new{index}"


def found(message: str, *refs: tuple[Model, str]) -> Found:
    return Found(message, tuple(refs))


# ---- wording ------------------------------------------------------------------------------


def _label(row: Model, name: str) -> str:
    text = field_label(type(row), name)
    return text[:1].upper() + text[1:]


def _shown(row: Model, name: str) -> str:
    return evidence_of(row, name).display


# Items of a classification read as such in a message: "the SLICC 2012 item serositis".
ITEM_OF: Final = {
    SliccCriteria: _("the SLICC 2012 item %(item)s"),
    EularAcrCriteria: _("the EULAR/ACR 2019 item %(item)s"),
}


def _lower_first(text: str) -> str:
    """Lower the first letter, not an acronym's ("SLICC…", "CMML…", "WHO…" stay)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is(row: Model, name: str, *, lower: bool = False) -> str:
    """ "Increased DNA binding is 'Yes'", "The SLICC 2012 item serositis is 'No'"; `lower`
    starts it in lower case, for the middle of a sentence."""
    label = _label(row, name)
    item_of = ITEM_OF.get(type(row))
    if item_of is not None and row._meta.get_field(name).editable:
        label = str(item_of) % {"item": _lower_first(label)}
    label = _lower_first(label) if lower else _upper_first(label)
    return gettext("%(label)s is '%(value)s'") % {"label": label, "value": _shown(row, name)}


def _sledai(assessment: SledaiAssessment) -> str:
    """'SLEDAI-2K (At LE diagnosis, 2019-03-01)'."""
    when = _shown(assessment, "context")
    if assessment.assessed_on is not None:
        when += ", " + _shown(assessment, "assessed_on")
    return gettext("SLEDAI-2K (%(when)s)") % {"when": when}


def _panel(panel: SerologyPanel) -> str:
    if panel.at_le_diagnosis:
        return gettext("the serology at LE diagnosis")
    return gettext("the serology of %(date)s") % {"date": _shown(panel, "sampled_on")}


# ---- which serology a SLEDAI-2K is compared with ------------------------------------------


def _known_day(row: Model, name: str):
    day = getattr(row, name)
    precise = getattr(row, f"{name}_precision", "day") in ("day", "")
    return day if precise else None


def reference_panel(rows: CaseRows, assessment: SledaiAssessment) -> SerologyPanel | None:
    """The serology panel a SLEDAI-2K's serological items are compared with (module doc)."""
    panels = rows.many(SerologyPanel)
    if assessment.context == "le_diagnosis":
        return next((p for p in panels if p.at_le_diagnosis), None)
    assessed = _known_day(assessment, "assessed_on")
    if assessed is None:
        return None
    within = [
        p
        for p in panels
        if (sampled := _known_day(p, "sampled_on")) is not None
        and 0 <= (assessed - sampled).days <= SLEDAI_WINDOW_DAYS
    ]
    return max(within, key=lambda p: p.sampled_on, default=None)


def _sledai_with_panel(rows: CaseRows) -> Iterator[tuple[SledaiAssessment, SerologyPanel]]:
    for assessment in rows.many(SledaiAssessment):
        panel = reference_panel(rows, assessment)
        if panel is not None:
            yield assessment, panel


# ---- SLEDAI-2K against the serology -------------------------------------------------------


@rule("sledai.dna_binding_vs_anti_dsdna")
def dna_binding_vs_anti_dsdna(rows: CaseRows) -> Iterator[Found]:
    for sledai, panel in _sledai_with_panel(rows):
        item, result = sledai.increased_dna_binding, panel.anti_dsdna
        if (item, result) in (("yes", "negative"), ("no", "positive")):
            yield found(
                gettext(
                    "%(sledai)s: %(item)s but anti-dsDNA is '%(result)s' on %(panel)s — check "
                    "the SLEDAI-2K item and the anti-dsDNA result."
                )
                % {
                    "sledai": _sledai(sledai),
                    "item": _is(sledai, "increased_dna_binding"),
                    "result": _shown(panel, "anti_dsdna"),
                    "panel": _panel(panel),
                },
                (sledai, "increased_dna_binding"),
                (panel, "anti_dsdna"),
            )


@rule("sledai.low_complement_vs_c3_c4")
def low_complement_vs_c3_c4(rows: CaseRows) -> Iterator[Found]:
    for sledai, panel in _sledai_with_panel(rows):
        item, low_c3, low_c4 = sledai.low_complement, panel.low_c3, panel.low_c4
        normal = low_c3 is False and low_c4 is False
        low = low_c3 is True or low_c4 is True
        if item == "yes" and normal:
            what = gettext("C3 and C4 are within normal limits")
        elif item == "no" and low:
            what = gettext("C3 or C4 is below the laboratory's lower limit")
        else:
            continue
        yield found(
            gettext(
                "%(sledai)s: %(item)s but %(what)s on %(panel)s (C3 %(c3)s, C4 %(c4)s) — "
                "check the SLEDAI-2K item, the C3 and C4 values and their lower limits."
            )
            % {
                "sledai": _sledai(sledai),
                "item": _is(sledai, "low_complement"),
                "what": what,
                "panel": _panel(panel),
                "c3": _shown(panel, "c3"),
                "c4": _shown(panel, "c4"),
            },
            (sledai, "low_complement"),
            (panel, "low_c3"),
            (panel, "low_c4"),
        )


# ---- SLEDAI-2K against the organ involvement ----------------------------------------------

# (SLEDAI-2K item, LupusProfile field, the profile's value that contradicts "yes")
SLEDAI_VS_PROFILE: Final = {
    "sledai.rash_vs_cutaneous": ("rash", "cutaneous", "no"),
    "sledai.arthritis_vs_articular": ("arthritis", "articular", "none"),
    "sledai.pleurisy_vs_pleuritis": ("pleurisy", "pleuritis", "no"),
    "sledai.pericarditis_vs_pericarditis": ("pericarditis", "pericarditis", "no"),
    "sledai.proteinuria_vs_renal": ("proteinuria", "renal", "no"),
}


def _sledai_vs_profile(item: str, profile_field: str, contradiction: str) -> QualityRule:
    def check(rows: CaseRows) -> Iterator[Found]:
        profile = rows.one(LupusProfile)
        if profile is None or getattr(profile, profile_field) != contradiction:
            return
        for sledai in rows.many(SledaiAssessment):
            if getattr(sledai, item) == "yes":
                yield found(
                    gettext(
                        "%(sledai)s: %(item)s but in the lupus section %(profile)s — check "
                        "both: the organ involvement covers the whole course of the lupus."
                    )
                    % {
                        "sledai": _sledai(sledai),
                        "item": _is(sledai, item),
                        "profile": _is(profile, profile_field, lower=True),
                    },
                    (sledai, item),
                    (profile, profile_field),
                )

    return check


for _code, (_item, _field, _value) in SLEDAI_VS_PROFILE.items():
    rule(_code)(_sledai_vs_profile(_item, _field, _value))


@rule("sledai.serositis_vs_slicc")
def sledai_serositis_vs_slicc(rows: CaseRows) -> Iterator[Found]:
    slicc = rows.one(SliccCriteria)
    if slicc is None or slicc.serositis != "no":
        return
    for sledai in rows.many(SledaiAssessment):
        for item in ("pleurisy", "pericarditis"):
            if getattr(sledai, item) == "yes":
                yield found(
                    gettext(
                        "%(sledai)s: %(item)s but %(slicc)s — check the "
                        "SLEDAI-2K item and the SLICC serositis item."
                    )
                    % {
                        "sledai": _sledai(sledai),
                        "item": _is(sledai, item),
                        "slicc": _is(slicc, "serositis", lower=True),
                    },
                    (sledai, item),
                    (slicc, "serositis"),
                )


# ---- classification criteria against the organ involvement and the serology -------------


def _versus(first: Model, first_field: str, second: Model, second_field: str, fix: str) -> Found:
    return found(
        gettext("%(first)s but %(second)s — %(fix)s")
        % {
            "first": _is(first, first_field),
            "second": _is(second, second_field, lower=True),
            "fix": fix,
        },
        (first, first_field),
        (second, second_field),
    )


@rule("slicc.renal_vs_profile")
def slicc_renal_vs_profile(rows: CaseRows) -> Iterator[Found]:
    slicc, profile = rows.one(SliccCriteria), rows.one(LupusProfile)
    if slicc is None or profile is None or profile.renal != "no":
        return
    for item in ("renal", "biopsy_proven_nephritis"):
        if getattr(slicc, item) == "yes":
            yield _versus(
                slicc,
                item,
                profile,
                "renal",
                gettext("check the SLICC 2012 item and the renal involvement (section 2)."),
            )


@rule("slicc.serositis_vs_profile")
def slicc_serositis_vs_profile(rows: CaseRows) -> Iterator[Found]:
    slicc, profile = rows.one(SliccCriteria), rows.one(LupusProfile)
    if slicc is None or profile is None:
        return
    fix = gettext("check the SLICC serositis item and the pleuritis and pericarditis answers.")
    if slicc.serositis == "no":
        for organ in ("pleuritis", "pericarditis"):
            if getattr(profile, organ) == "yes":
                yield _versus(profile, organ, slicc, "serositis", fix)
    elif slicc.serositis == "yes" and profile.pleuritis == profile.pericarditis == "no":
        yield found(
            gettext("%(slicc)s but %(pleuritis)s and %(pericarditis)s — %(fix)s")
            % {
                "slicc": _is(slicc, "serositis"),
                "pleuritis": _is(profile, "pleuritis", lower=True),
                "pericarditis": _is(profile, "pericarditis", lower=True),
                "fix": fix,
            },
            (slicc, "serositis"),
            (profile, "pleuritis"),
            (profile, "pericarditis"),
        )


@rule("slicc.synovitis_vs_articular")
def slicc_synovitis_vs_articular(rows: CaseRows) -> Iterator[Found]:
    slicc, profile = rows.one(SliccCriteria), rows.one(LupusProfile)
    if slicc and profile and slicc.synovitis == "yes" and profile.articular == "none":
        yield _versus(
            slicc,
            "synovitis",
            profile,
            "articular",
            gettext("check the SLICC 2012 item and the articular involvement (section 2)."),
        )


@rule("eular.joint_vs_articular")
def eular_joint_vs_articular(rows: CaseRows) -> Iterator[Found]:
    eular, profile = rows.one(EularAcrCriteria), rows.one(LupusProfile)
    if eular and profile and eular.joint_involvement == "yes" and profile.articular == "none":
        yield _versus(
            eular,
            "joint_involvement",
            profile,
            "articular",
            gettext("check the EULAR/ACR 2019 item and the articular involvement (section 2)."),
        )


# SLICC immunological item → the serology result that supports it.
SLICC_VS_SEROLOGY: Final = {
    "ana": "ana",
    "anti_dsdna": "anti_dsdna",
    "anti_sm": "anti_sm",
    "direct_coombs": "direct_coombs",
}


@rule("slicc.immunology_vs_serology")
def slicc_immunology_vs_serology(rows: CaseRows) -> Iterator[Found]:
    """SLICC items are cumulative: flag one only when every panel that tested it says no."""
    slicc = rows.one(SliccCriteria)
    panels = rows.many(SerologyPanel)
    if slicc is None or not panels:
        return
    for item, result in SLICC_VS_SEROLOGY.items():
        tested = [p for p in panels if getattr(p, result) in ("positive", "negative")]
        if getattr(slicc, item) != "yes" or not tested:
            continue
        if all(getattr(p, result) == "negative" for p in tested):
            yield found(
                gettext(
                    "%(item)s but every serology panel that tested it is "
                    "negative (%(count)d) — check the SLICC item, or enter the positive test."
                )
                % {"item": _is(slicc, item), "count": len(tested)},
                (slicc, item),
                *((p, result) for p in tested),
            )
    complement = [p for p in panels if p.low_c3 is not None and p.low_c4 is not None]
    if slicc.low_complement == "yes" and complement:
        if not any(p.low_c3 or p.low_c4 for p in complement):
            yield found(
                gettext(
                    "%(item)s but C3 and C4 are normal on every serology "
                    "panel (%(count)d) — check the SLICC item, the complement values and their "
                    "lower limits."
                )
                % {"item": _is(slicc, "low_complement"), "count": len(complement)},
                (slicc, "low_complement"),
                *((p, f) for p in complement for f in ("low_c3", "low_c4")),
            )


# ---- LE type, SLICC and the skin ---------------------------------------------------------


@rule("lupus.le_type_vs_slicc")
def le_type_vs_slicc(rows: CaseRows) -> Iterator[Found]:
    profile, slicc = rows.one(LupusProfile), rows.one(SliccCriteria)
    if profile is None or slicc is None:
        return
    pair = (profile.le_type, slicc.classification)
    if pair == ("isolated_cle", "met"):
        fix = gettext(
            "an isolated cutaneous lupus does not meet the SLE classification: check the LE "
            "type and the SLICC items."
        )
    elif pair == ("sle", "not_met"):
        fix = gettext(
            "check the SLICC items, or the LE type (a CLE is eligible on clinical and "
            "pathological features)."
        )
    else:
        return
    yield _versus(profile, "le_type", slicc, "classification", fix)


@rule("lupus.cutaneous_no_with_lesions")
def cutaneous_no_with_lesions(rows: CaseRows) -> Iterator[Found]:
    profile = rows.one(LupusProfile)
    if profile is None or profile.cutaneous != "no":
        return
    for lesion in rows.many(CutaneousLesion):
        if lesion.subtype in LE_SPECIFIC_SUBTYPES:
            yield found(
                gettext(
                    "%(profile)s but a cutaneous lesion is recorded (%(subtype)s) — check the "
                    "cutaneous involvement (section 2) and the lesions (section 3)."
                )
                % {"profile": _is(profile, "cutaneous"), "subtype": _shown(lesion, "subtype")},
                (profile, "cutaneous"),
                (lesion, "subtype"),
            )


@rule("dates.at_diagnosis_far_from_le_diagnosis")
def at_diagnosis_far_from_le_diagnosis(rows: CaseRows) -> Iterator[Found]:
    """A SLEDAI-2K or serology flagged 'at LE diagnosis' dated months away from it."""
    demo = rows.one(Demographics)
    if demo is None or demo.le_diagnosis_date is None:
        return
    le_first, le_last = date_range(demo.le_diagnosis_date, demo.le_diagnosis_date_precision)
    rows_at_diagnosis = [
        (s, "assessed_on") for s in rows.many(SledaiAssessment) if s.context == "le_diagnosis"
    ] + [(p, "sampled_on") for p in rows.many(SerologyPanel) if p.at_le_diagnosis]
    for row, name in rows_at_diagnosis:
        day = getattr(row, name)
        if day is None:
            continue
        first, last = date_range(day, getattr(row, f"{name}_precision"))
        # The smallest gap the partial dates allow: flag only a sure one.
        gap = max((first - le_last).days, (le_first - last).days, 0)
        if gap > AT_DIAGNOSIS_MAX_DAYS:
            yield found(
                gettext(
                    "%(what)s is dated %(day)s, at least %(gap)d days from the %(le_label)s "
                    "%(le)s — check both dates, or whether it is really the one at LE "
                    "diagnosis."
                )
                % {
                    "what": _upper_first(
                        _sledai(row) if isinstance(row, SledaiAssessment) else _panel(row)
                    ),
                    "day": _shown(row, name),
                    "gap": gap,
                    "le_label": str(Demographics._meta.get_field("le_diagnosis_date").verbose_name),
                    "le": _shown(demo, "le_diagnosis_date"),
                },
                (row, name),
                (demo, "le_diagnosis_date"),
            )


# ---- haematological disease ---------------------------------------------------------------


def _recorded_vs_computed(recorded: str, computed: str, what: str) -> QualityRule:
    def check(rows: CaseRows) -> Iterator[Found]:
        haem = rows.one(HaematologicalDisease)
        if haem is None:
            return
        r, c = getattr(haem, recorded), getattr(haem, computed)
        if is_answered(r) and c and r != c:
            yield found(
                gettext(
                    "%(recorded)s but %(computed)s from the data entered — check the counts, "
                    "marrow, cytogenetics and variants (section 5–6), or the %(what)s recorded."
                )
                % {
                    "recorded": _is(haem, recorded),
                    "computed": _is(haem, computed, lower=True),
                    "what": what,
                },
                (haem, recorded),
                (haem, computed),
            )

    return check


rule("haem.who2022_recorded_vs_computed")(
    _recorded_vs_computed("who2022_recorded", "who2022_computed", "WHO 2022 class")
)
rule("haem.who2016_recorded_vs_computed")(
    _recorded_vs_computed("who2016_recorded", "who2016_computed", "WHO 2016 class")
)
rule("haem.cmml_subtype_recorded_vs_computed")(
    _recorded_vs_computed("cmml_subtype_recorded", "cmml_subtype_computed", "CMML subtype")
)


@rule("haem.disease_vs_recorded_class")
def disease_vs_recorded_class(rows: CaseRows) -> Iterator[Found]:
    """An MDS with a CMML class recorded, or the reverse."""
    haem = rows.one(HaematologicalDisease)
    if haem is None or haem.disease not in ("mds", "cmml"):
        return
    other = "cmml" if haem.disease == "mds" else "mds"
    for name in ("who2022_recorded", "who2016_recorded"):
        if getattr(haem, name).startswith(f"{other}_"):
            yield found(
                gettext("%(disease)s but %(cls)s — check the disease or the class recorded.")
                % {"disease": _is(haem, "disease"), "cls": _is(haem, name, lower=True)},
                (haem, "disease"),
                (haem, name),
            )


@rule("haem.uba1_vs_vexas")
def uba1_vs_vexas(rows: CaseRows) -> Iterator[Found]:
    haem = rows.one(HaematologicalDisease)
    if haem is None:
        return
    pair = (haem.uba1_result, haem.vexas_documented)
    if pair in (("mutated", "no"), ("wild_type", "yes")):
        yield _versus(
            haem,
            "uba1_result",
            haem,
            "vexas_documented",
            gettext("check the UBA1 result and whether VEXAS was diagnosed (an exclusion)."),
        )


@rule("haem.ngs_uba1_vs_uba1_test")
def ngs_uba1_vs_uba1_test(rows: CaseRows) -> Iterator[Found]:
    """A (likely) pathogenic UBA1 variant found by NGS, with UBA1 'not tested' or wild type."""
    haem = rows.one(HaematologicalDisease)
    if haem is None:
        return
    if haem.uba1_result == "wild_type":
        recorded = "uba1_result"
    elif haem.uba1_tested == "no":
        recorded = "uba1_tested"
    else:
        return
    for variant in rows.many(NgsVariant):
        if variant.gene == "UBA1" and variant.classification in ("pathogenic", "likely_pathogenic"):
            test: NgsTest = variant.test
            yield found(
                gettext(
                    "An NGS test (%(tissue)s) found a %(cls)s UBA1 variant %(variant)s but "
                    "%(recorded)s — check the UBA1 fields (VEXAS is an exclusion)."
                )
                % {
                    "tissue": _shown(test, "tissue"),
                    "cls": _shown(variant, "classification").lower(),
                    "variant": str(variant),
                    "recorded": _is(haem, recorded, lower=True),
                },
                (variant, "gene"),
                (variant, "classification"),
                (haem, recorded),
            )


# ---- responses and the case ---------------------------------------------------------------


@rule("lupus_response.recorded_vs_derived")
def lupus_response_recorded_vs_derived(rows: CaseRows) -> Iterator[Found]:
    for response in rows.many(LupusResponse):
        if response.disagrees is True:
            yield found(
                gettext(
                    "Lupus response to %(agent)s: %(recorded)s but the SLEDAI-2K at "
                    "assessment gives '%(derived)s' — check the recorded category and the "
                    "SLEDAI-2K items."
                )
                % {
                    "agent": _shown(response.treatment, "agent"),
                    "recorded": _is(response, "recorded", lower=True),
                    "derived": _shown(response, "derived"),
                },
                (response, "recorded"),
                (response, "derived"),
            )


@rule("case.consent_no_with_data")
def consent_no_with_data(rows: CaseRows) -> Iterator[Found]:
    case = rows.case
    if case.consent != "no":
        return
    # The identity alone is the registration, not research data.
    sections = [m for m, entered in rows.rows.items() if entered and m is not Identity]
    if sections:
        yield found(
            gettext(
                "%(consent)s but the case holds data (%(count)d sections) — check the consent; "
                "if the patient opposed, withdraw the case."
            )
            % {"consent": _is(case, "consent"), "count": len(sections)},
            (case, "consent"),
        )


RULE_CODES: Final = frozenset(_RULES)
