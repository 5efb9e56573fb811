"""Validation rules shared by the forms, the REST API and the spreadsheet import.

`validate(model, data, case=..., instance=...)` returns `Finding`s: an error blocks the save,
a warning is shown and must be acknowledged. `data` holds the section's field values as
Python values (form `cleaned_data`, serializer `validated_data` or a typed import row;
foreign keys as model instances). A field absent from `data` falls back to `instance`, so a
partial update is checked against the row it changes.

Rules are small generators registered per model with `@rule(Model, ...)` (`@rule()`: every
model). Each message names the field by its label and says how to fix it. Rule codes are
stable: clients may key on them (see `RULE_CODES`). The database constraints stay the last
line of defence; these rules add units, plausibility and cross-section checks, with better
messages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Model
from django.utils import timezone

from .models import (
    Case,
    CentralReview,
    Demographics,
    EvolutionEvent,
    Group,
    HaematologicalDisease,
    HaematologicalResponse,
    Identity,
    LupusProfile,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    Treatment,
)
from .models.base import case_of, link_to_case
from .models.fields import MISSING_CODES
from .models.haematology import MYELOID_GENES

ERROR: Literal["error"] = "error"
WARNING: Literal["warning"] = "warning"
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    field: str | None  # model field name; None when it concerns the section as a whole
    message: str
    severity: Severity
    rule: str  # stable code, e.g. "unit.hb_g_l"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


# ---- the rule registry -------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a rule sees: the values being saved, the case, and how to word a finding."""

    model: type[Model]
    data: Mapping[str, Any]
    case: Case | None
    instance: Model | None
    today: date

    def get(self, name: str) -> Any:
        if name in self.data:
            return self.data[name]
        if self.instance is None:
            return None
        try:
            return getattr(self.instance, name)
        except ObjectDoesNotExist:
            return None

    def number(self, name: str) -> float | None:
        value = self.get(name)
        is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        return float(value) if is_number else None

    def day(self, name: str) -> date | None:
        value = self.get(name)
        return value if isinstance(value, date) else None

    def label(self, name: str) -> str:
        return label(self.model, name)

    def quantity(self, name: str, value: float) -> str:
        """'Haemoglobin 108 g/dL': the label, the value and the unit."""
        return f"{self.label(name)} {with_unit(value, unit_of(self.model, name))}"

    def display(self, name: str, code: Any) -> str:
        """A coded value as the user saw it ('Negative'), or 'not entered'."""
        if code in (None, ""):
            return "not entered"
        choices = dict(self.model._meta.get_field(name).flatchoices)
        return str(choices.get(code, code))

    def error(self, field: str | None, rule: str, message: str) -> Finding:
        return Finding(field, message, ERROR, rule)

    def warning(self, field: str | None, rule: str, message: str) -> Finding:
        return Finding(field, message, WARNING, rule)


Rule = Callable[[Context], Iterable[Finding]]
_RULES: dict[type[Model] | None, list[Rule]] = defaultdict(list)


def rule(*models_: type[Model]) -> Callable[[Rule], Rule]:
    """Register a rule for these models; with none, for every model."""

    def register(fn: Rule) -> Rule:
        for model in models_ or (None,):
            _RULES[model].append(fn)
        return fn

    return register


def validate(
    model: type[Model],
    data: Mapping[str, Any],
    *,
    case: Case | None = None,
    instance: Model | None = None,
) -> list[Finding]:
    """Every finding of the rules for `model` on `data` (see the module docstring)."""
    if case is None:
        link = link_to_case(model)
        case = case_of(data.get(link)) if link and data.get(link) else case_of(instance)
    ctx = Context(model, data, case, instance, timezone.localdate())
    findings = [f for fn in (*_RULES[None], *_RULES[model]) for f in fn(ctx)]
    # A warning on a field that already has an error is noise: the error is fixed first.
    errored = {f.field for f in findings if f.is_error and f.field}
    return [f for f in findings if f.is_error or f.field not in errored]


# ---- wording helpers ---------------------------------------------------------------------


def label(model: type[Model], name: str) -> str:
    """The field's human label, without the unit (messages print the unit beside the value)."""
    field = model._meta.get_field(name)
    text = str(getattr(field, "verbose_name", name))
    unit = getattr(field, "unit", "")
    if unit and text.endswith(f" ({unit})"):
        text = text[: -len(unit) - 3]
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def unit_of(model: type[Model], name: str) -> str:
    return getattr(model._meta.get_field(name), "unit", "")


def num(value: float) -> str:
    """108.0 → '108', 1.215 → '1.215': no float noise, no exponent."""
    return f"{round(value, 4):f}".rstrip("0").rstrip(".")


def with_unit(value: float, unit: str) -> str:
    if not unit:
        return num(value)
    return f"{num(value)}{'' if unit.startswith('%') else ' '}{unit}"


# ---- every section: measurement pairs, physical bounds, dates ----------------------------


def _measurements(model: type[Model]) -> list[models.Field]:
    """The value half of each `measurement()` pair (it carries `bounds`)."""
    return [f for f in model._meta.concrete_fields if hasattr(f, "bounds")]


@rule()
def value_and_missing_reason(ctx: Context) -> Iterator[Finding]:
    for field in _measurements(ctx.model):
        value, reason = ctx.number(field.name), ctx.get(f"{field.name}_missing")
        if value is not None and reason:
            yield ctx.error(
                f"{field.name}_missing",
                "measurement.value_and_reason",
                f"{ctx.label(field.name)}: a value ({with_unit(value, field.unit)}) and a reason "
                f"it is missing ('{ctx.display(f'{field.name}_missing', reason)}') are both "
                "given — keep one: clear the reason if the value is right, or clear the value.",
            )


@rule()
def physical_bounds(ctx: Context) -> Iterator[Finding]:
    for field in _measurements(ctx.model):
        value = ctx.number(field.name)
        low, high = field.bounds
        if value is None or (value >= low and (high is None or value <= high)):
            continue
        slip = UNIT_SLIPS.get((ctx.model, field.name))
        if slip and value > slip.above:
            continue  # the unit-slip rule names the likely unit instead
        span = f"{num(low)}–{num(high)}" if high is not None else f"at least {num(low)}"
        yield ctx.error(
            field.name,
            "value.bounds",
            f"{ctx.quantity(field.name, value)} is outside {span}: enter a value in that range "
            f"(in {field.unit}).",
        )


@rule()
def related_rows_in_case(ctx: Context) -> Iterator[Finding]:
    """A link to another row (NGS test → biopsy, response → SLEDAI-2K, adverse event →
    treatment) must stay inside the case: the API and the import have no filtered choices."""
    if ctx.case is None:
        return
    own_link = link_to_case(ctx.model)
    for field in ctx.model._meta.concrete_fields:
        related = field.related_model
        if field.name == own_link or related is None or link_to_case(related) != "case":
            continue
        row = ctx.get(field.name)
        if row is not None and row.case_id != ctx.case.pk:
            yield ctx.error(
                field.name,
                "link.other_case",
                f"{ctx.label(field.name)} belongs to another case: choose one of this case's "
                f"{related._meta.verbose_name_plural}.",
            )


def _dates(model: type[Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
    ]


@rule()
def dates_not_in_future(ctx: Context) -> Iterator[Finding]:
    for field in _dates(ctx.model):
        day = ctx.day(field.name)
        if day and day > ctx.today:
            yield ctx.error(
                field.name,
                "date.future",
                f"{ctx.label(field.name)} {day.isoformat()} is in the future: enter the date it "
                "happened (today at the latest).",
            )


def _birth_date(case: Case | None) -> date | None:
    if case is None or case.pk is None:
        return None
    try:
        return case.identity.date_of_birth
    except Identity.DoesNotExist:
        return None


@rule()
def dates_not_before_birth(ctx: Context) -> Iterator[Finding]:
    birth = None if ctx.model is Identity else _birth_date(ctx.case)
    if birth is None:
        return
    for field in _dates(ctx.model):
        day = ctx.day(field.name)
        if day and day < birth:
            # The date of birth is not printed: the message may reach a log or an API client.
            yield ctx.error(
                field.name,
                "date.before_birth",
                f"{ctx.label(field.name)} {day.isoformat()} is before the patient's date of "
                "birth: check this date, and the date of birth in the identity section.",
            )


# (earlier, later, rule code) within one section; some are database constraints too.
DATE_ORDER: dict[type[Model], tuple[tuple[str, str, str], ...]] = {
    Demographics: (
        ("le_diagnosis_date", "death_date", "date.death_before_diagnosis"),
        ("le_diagnosis_date", "last_followup_date", "date.followup_before_diagnosis"),
        ("last_followup_date", "death_date", "date.followup_after_death"),
    ),
    Treatment: (("started_on", "ended_on", "date.end_before_start"),),
}


@rule(*DATE_ORDER)
def date_order(ctx: Context) -> Iterator[Finding]:
    for earlier, later, code in DATE_ORDER[ctx.model]:
        first, then = ctx.day(earlier), ctx.day(later)
        if first and then and then < first:
            yield ctx.error(
                later,
                code,
                f"{ctx.label(later)} {then.isoformat()} is before the "
                f"{_lower_first(ctx.label(earlier))} {first.isoformat()}: check both dates and "
                "correct the wrong one.",
            )


def _section(case: Case | None, accessor: str) -> Model | None:
    """Another one-per-case section of the case (e.g. its demographics), if saved."""
    if case is None or case.pk is None:
        return None
    try:
        return getattr(case, accessor)
    except ObjectDoesNotExist:
        return None


@rule(HaematologicalDisease, Demographics)
def death_before_mds_diagnosis(ctx: Context) -> Iterator[Finding]:
    """The MDS/CMML diagnosis lives in section 5, the death in section 1: check across."""
    if ctx.model is HaematologicalDisease:
        demographics = _section(ctx.case, "demographics")
        diagnosed = ctx.day("diagnosis_date")
        died = demographics.death_date if demographics else None
        field = "diagnosis_date"
    else:
        disease = _section(ctx.case, "haematologicaldisease")
        diagnosed = disease.diagnosis_date if disease else None
        died = ctx.day("death_date")
        field = "death_date"
    if diagnosed and died and died < diagnosed:
        yield ctx.error(
            field,
            "date.death_before_diagnosis",
            f"{ctx.label(field)}: the death ({died.isoformat()}) is before the MDS/CMML "
            f"diagnosis ({diagnosed.isoformat()}): check the date of death (section 1) and "
            "the date of MDS/CMML diagnosis (section 5).",
        )


# ---- unit slips and plausibility ---------------------------------------------------------


@dataclass(frozen=True)
class UnitSlip:
    """A value above `above` was probably typed in another unit: divide by the divisor."""

    above: float
    rule: str
    units: tuple[tuple[str, float], ...]  # (likely unit, divisor to the registry's unit)


_G_L = UnitSlip(25, "unit.hb_g_l", (("g/L", 10),))
_MM3 = UnitSlip(100, "unit.per_mm3", (("per mm³", 1000),))
# WBC and lymphocytes may truly exceed 100 ×10⁹/L (MP-CMML): only their bound is a slip.
_MM3_WBC = UnitSlip(500, "unit.per_mm3", (("per mm³", 1000),))
_MM3_PLT = UnitSlip(3000, "unit.per_mm3", (("per mm³", 1000),))
_C3 = UnitSlip(10, "unit.complement_mg", (("mg/dL", 100), ("mg/L", 1000)))
_C4 = UnitSlip(5, "unit.complement_mg", (("mg/dL", 100), ("mg/L", 1000)))  # C4's own bound

# Thresholds from crf.md section 5 (Hb > 25, ANC or monocytes > 100, platelets > 3000,
# complement above its bound); the study's own Table 1 has Hb and ANC slips.
UNIT_SLIPS: dict[tuple[type[Model], str], UnitSlip] = {
    (HaematologicalDisease, "hb"): _G_L,
    (HaematologicalDisease, "anc"): _MM3,
    (HaematologicalDisease, "monocytes"): _MM3,
    (HaematologicalDisease, "wbc"): _MM3_WBC,
    (HaematologicalDisease, "lymphocytes"): _MM3_WBC,
    (HaematologicalDisease, "platelets"): _MM3_PLT,
    (HaematologicalResponse, "baseline_hb"): _G_L,
    (HaematologicalResponse, "response_hb"): _G_L,
    (HaematologicalResponse, "baseline_anc"): _MM3,
    (HaematologicalResponse, "response_anc"): _MM3,
    (HaematologicalResponse, "baseline_platelets"): _MM3_PLT,
    (HaematologicalResponse, "response_platelets"): _MM3_PLT,
    (SerologyPanel, "c3"): _C3,
    (SerologyPanel, "c3_lower_limit"): _C3,
    (SerologyPanel, "c4"): _C4,
    (SerologyPanel, "c4_lower_limit"): _C4,
}


@rule(HaematologicalDisease, HaematologicalResponse, SerologyPanel)
def unit_slips(ctx: Context) -> Iterator[Finding]:
    for (model, name), slip in UNIT_SLIPS.items():
        value = ctx.number(name) if model is ctx.model else None
        if value is None or value <= slip.above:
            continue
        unit = unit_of(model, name)
        likely = " or ".join(u for u, _ in slip.units)
        fix = " or ".join(f"{num(value / d)} (if {u})" for u, d in slip.units)
        if len(slip.units) == 1:
            fix = f"{num(value / slip.units[0][1])} ({unit})"
        yield ctx.error(
            name,
            slip.rule,
            f"{label(model, name)} {with_unit(value, unit)} is above {num(slip.above)}: it "
            f"looks like {likely} — enter {fix}.",
        )


@rule(NgsVariant)
def vaf_as_fraction(ctx: Context) -> Iterator[Finding]:
    vaf = ctx.number("vaf")
    # 0.37 is probably 37% typed as a fraction; a whole 1 is as likely 1% (a warning only).
    if vaf is not None and 0 < vaf <= 1 and not vaf.is_integer():
        yield ctx.warning(
            "vaf",
            "unit.vaf_fraction",
            f"{ctx.quantity('vaf', vaf)} looks like a fraction: if so, enter "
            f"{num(vaf * 100)} (%); a VAF below 1% is possible — confirm it to keep it.",
        )


# IPSS-R calculator "usual ranges" (clinical-rules.md 1.5); the section 8 counts too.
USUAL_RANGES: dict[str, tuple[float, float]] = {
    "hb": (4, 20),
    "anc": (0, 15),
    "platelets": (0, 2000),
    "bm_blasts": (0, 30),
}


@rule(HaematologicalDisease, HaematologicalResponse)
def usual_ranges(ctx: Context) -> Iterator[Finding]:
    prefixes = ("baseline_", "response_") if ctx.model is HaematologicalResponse else ("",)
    for base, (low, high) in USUAL_RANGES.items():
        for name in (prefix + base for prefix in prefixes):
            value = ctx.number(name)
            if value is None or low <= value <= high:
                continue
            unit = unit_of(ctx.model, name)
            hint = ""
            slip = UNIT_SLIPS.get((ctx.model, name))
            if slip and value > high and low <= value / slip.units[0][1] <= high:
                u, d = slip.units[0]
                hint = f" (if that was {u}, enter {num(value / d)})"
            yield ctx.warning(
                name,
                "range.usual",
                f"{ctx.quantity(name, value)} is outside the usual range "
                f"{num(low)}–{with_unit(high, unit)}: check the value and its unit{hint}, then "
                "confirm it to keep it.",
            )


# ---- section 5: haematological disease ---------------------------------------------------


def _plain(ctx: Context, name: str) -> float | None:
    """The number, unless it is a unit slip (that has its own error; don't reason on it)."""
    value = ctx.number(name)
    slip = UNIT_SLIPS.get((ctx.model, name))
    return None if value is None or (slip and value > slip.above) else value


@rule(HaematologicalDisease)
def cmml_needs_monocytosis(ctx: Context) -> Iterator[Finding]:
    """WHO 2022 / ICC CMML: monocytes ≥ 0.5 ×10⁹/L and ≥ 10% of WBC (clinical-rules.md 2.2)."""
    if ctx.get("disease") != "cmml":
        return
    why = "CMML needs monocytosis (≥ 0.5 ×10⁹/L and ≥ 10% of WBC)"
    fix = "check the count and its unit, or set the disease to MDS"
    monocytes, pct, wbc = _plain(ctx, "monocytes"), _plain(ctx, "monocytes_pct"), _plain(ctx, "wbc")
    if monocytes is not None and monocytes < 0.5:
        yield ctx.error(
            "monocytes",
            "cmml.monocytosis",
            f"{ctx.quantity('monocytes', monocytes)} is below 0.5: {why} — {fix}.",
        )
    if pct is not None and pct < 10:
        yield ctx.error(
            "monocytes_pct",
            "cmml.monocytosis",
            f"{ctx.label('monocytes_pct')} {num(pct)}% of WBC is below 10%: {why} — {fix}.",
        )
    elif pct is None and monocytes is not None and monocytes >= 0.5 and wbc:
        share = 100 * monocytes / wbc
        if share < 10:
            yield ctx.error(
                "monocytes",
                "cmml.monocytosis",
                f"{ctx.quantity('monocytes', monocytes)} is {num(round(share, 1))}% of the white "
                f"blood cells ({with_unit(wbc, unit_of(ctx.model, 'wbc'))}), below 10%: {why} — "
                f"{fix}.",
            )


@rule(HaematologicalDisease)
def blasts_mean_aml(ctx: Context) -> Iterator[Finding]:
    """≥ 20% blasts in marrow or blood is AML (WHO 2022), not MDS/CMML at diagnosis."""
    for name in ("bm_blasts", "pb_blasts"):
        value = ctx.number(name)
        if value is not None and 20 <= value <= 100:
            yield ctx.error(
                name,
                "blasts.aml",
                f"{ctx.quantity(name, value)} is 20% or more: that is AML, not MDS/CMML — check "
                "the value; if it is right, record the counts at MDS/CMML diagnosis here and "
                "the AML as an evolution event.",
            )
    for name in ("who2022_recorded", "who2016_recorded"):
        if ctx.get(name) == "aml":
            yield ctx.error(
                name,
                "blasts.aml",
                f"{ctx.label(name)} is AML: this section records the MDS/CMML at diagnosis — "
                "record its MDS/CMML classification here and the AML as an evolution event.",
            )


@rule(HaematologicalDisease)
def override_needs_justification(ctx: Context) -> Iterator[Finding]:
    override = ctx.get("cytogenetic_risk_override")
    if override and not str(ctx.get("cytogenetic_risk_override_reason") or "").strip():
        yield ctx.error(
            "cytogenetic_risk_override_reason",
            "cytogenetics.override_reason",
            f"{ctx.label('cytogenetic_risk_override_reason')} is empty: overriding the IPSS-R "
            f"cytogenetic group ('{ctx.display('cytogenetic_risk_override', override)}') needs "
            "a justification — explain it, or clear the override.",
        )


# ---- control cases -------------------------------------------------------------------

# crf.md section 9: controls carry sections 1–4 only.
HAEMATOLOGICAL_SECTIONS = (
    HaematologicalDisease,
    EvolutionEvent,
    NgsTest,
    NgsVariant,
    CentralReview,
    HaematologicalResponse,
)


def _is_control(case: Case | None) -> bool:
    return case is not None and case.group == Group.CONTROL


@rule(*HAEMATOLOGICAL_SECTIONS)
def control_has_no_haematology(ctx: Context) -> Iterator[Finding]:
    if _is_control(ctx.case):
        name = str(ctx.model._meta.verbose_name)
        yield ctx.error(
            None,
            "control.haematological_section",
            f"{name[:1].upper() + name[1:]} is not recorded for a control (idiopathic SLE): "
            "controls have sections 1–4 only — leave it empty, or change the case's group to "
            "'case' if the patient has MDS/CMML.",
        )


@rule(Treatment)
def control_has_no_haematological_treatment(ctx: Context) -> Iterator[Finding]:
    target = ctx.get("target")
    if _is_control(ctx.case) and target in ("haematological", "both"):
        yield ctx.error(
            "target",
            "control.haematological_treatment",
            f"{ctx.label('target')} is '{ctx.display('target', target)}' but this is a control "
            "(idiopathic SLE), which has no haematological disease — set the target to lupus, "
            "or change the case's group to 'case'.",
        )


# ---- section 6: NGS --------------------------------------------------------------------


@rule(NgsTest)
def skin_test_links_biopsy(ctx: Context) -> Iterator[Finding]:
    tissue, biopsy = ctx.get("tissue"), ctx.get("skin_biopsy")
    if tissue == "skin" and biopsy is None:
        yield ctx.warning(
            "skin_biopsy",
            "ngs.skin_biopsy",
            f"{ctx.label('skin_biopsy')} is not linked for a skin sample: link the biopsy that "
            "was sequenced (add it in section 7 first), or confirm to keep it unlinked.",
        )


# HGVS (varnomen.hgvs.org), the common shapes of NGS reports, not the full grammar:
#   c.  position  1234 | -14 | *5 | 123+1 | 124-2, optionally a range `_`;
#       edit      C>T (single position) | del[ACGTN]* | dup[ACGTN]* | delins[ACGTN]+ | inv | =
#                 | ins[ACGTN]+ (between two positions).
#       e.g. c.1234C>T, c.1234_1235del, c.1934dupG, c.860_863dupTCTG, c.3500+1G>A.
#   p.  amino acids in three-letter (Arg) or one-letter (R) code, stop as Ter or *;
#       Arg882His | R882H | Gln100Ter | Arg882= | Met1? | Arg123GlyfsTer12 | Arg123fs |
#       Ter110GlnextTer17 | Lys23del | Lys23_Val25del | Lys2_Gly3insGlnSerLys |
#       Cys28delinsTrpVal; the whole body may be in parentheses (predicted): p.(Gly12Asp);
#       and p.? (unknown), p.= (no change), p.0 (no protein). A bare "p.Ter" is not HGVS.
_POS = r"(?:[-*]?\d+(?:[+-]\d+)?)"
_NT = "[ACGTN]"
HGVS_C = re.compile(
    rf"^c\.(?:{_POS}{_NT}>{_NT}"
    rf"|{_POS}(?:_{_POS})?(?:delins{_NT}+|del{_NT}*|dup{_NT}*|inv|=)"
    rf"|{_POS}_{_POS}ins{_NT}+)$"
)
_AA = (
    r"(?:Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val"
    r"|Sec|Pyl|Xaa|Ter|[ACDEFGHIKLMNPQRSTVWYUOX*])"
)
_AA_POS = rf"{_AA}\d+"
_TO_STOP = r"(?:Ter|\*)(?:\d+|\?)"
_P_BODY = (
    rf"(?:{_AA_POS}_{_AA_POS}(?:del|dup|ins{_AA}+|delins{_AA}+)"
    rf"|{_AA_POS}(?:{_AA}|=|\?|del|dup|delins{_AA}+|{_AA}?fs(?:{_TO_STOP})?"
    rf"|{_AA}?ext(?:-\d+|{_TO_STOP}))"
    r"|[?=0])"
)
HGVS_P = re.compile(rf"^p\.(?:{_P_BODY}|\({_P_BODY}\))$")


@rule(NgsVariant)
def hgvs_format(ctx: Context) -> Iterator[Finding]:
    for name, pattern, examples in (
        ("hgvs_c", HGVS_C, "c.1234C>T, c.1234_1235del or c.1934dupG"),
        ("hgvs_p", HGVS_P, "p.Arg882His, p.(Gly12Asp), p.Gln100Ter or p.?"),
    ):
        value = str(ctx.get(name) or "").strip()
        if value and not pattern.match(value):
            yield ctx.error(
                name,
                f"hgvs.{name[-1]}_format",
                f"{ctx.label(name)} '{value}' is not HGVS {name[-1]}. notation: write it like "
                f"{examples}.",
            )


# HGNC symbols: capitals and digits, hyphen-separated parts (the model's constraint agrees).
GENE_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
# Names seen in reports that are not (or no longer) the HGNC symbol.
GENE_ALIASES = {"MLL": "KMT2A", "FLT3-ITD": "FLT3", "FLT3-TKD": "FLT3", "U2AF35": "U2AF1"}


@rule(NgsVariant)
def gene_symbol(ctx: Context) -> Iterator[Finding]:
    gene = str(ctx.get("gene") or "").strip()
    if not gene:
        return
    name = ctx.label("gene")
    if not GENE_SYMBOL.match(gene) or len(gene) > 20:
        hint = f": {gene.upper()}" if GENE_SYMBOL.match(gene.upper()) else ", e.g. TET2"
        yield ctx.error(
            "gene",
            "gene.symbol",
            f"{name} '{gene}' is not an HGNC symbol: enter the official symbol in capitals{hint}.",
        )
    elif gene not in MYELOID_GENES:
        alias = GENE_ALIASES.get(gene)
        fix = f"enter {alias}, its HGNC symbol" if alias else "check the spelling"
        yield ctx.warning(
            "gene",
            "gene.not_myeloid",
            f"{name} '{gene}' is not in the registry's list of myeloid genes: {fix}, or "
            "confirm it to keep it.",
        )


# ---- sections 2 and 4: lupus and serology ------------------------------------------------


@rule(SerologyPanel)
def ana_details_need_positive_ana(ctx: Context) -> Iterator[Finding]:
    ana = ctx.get("ana")
    if ana == "positive":
        return
    titre, pattern = ctx.get("ana_titre"), ctx.get("ana_pattern")
    if titre is not None:
        yield ctx.error(
            "ana_titre",
            "serology.ana_needs_positive",
            f"{ctx.label('ana_titre')} 1:{titre} is given but ANA is "
            f"'{ctx.display('ana', ana)}': a titre needs ANA = positive — set ANA to positive, "
            "or clear the titre.",
        )
    if pattern and pattern not in MISSING_CODES:
        yield ctx.error(
            "ana_pattern",
            "serology.ana_needs_positive",
            f"{ctx.label('ana_pattern')} '{ctx.display('ana_pattern', pattern)}' is given but "
            f"ANA is '{ctx.display('ana', ana)}': a pattern needs ANA = positive — set ANA to "
            "positive, or clear the pattern.",
        )


@rule(SerologyPanel)
def dsdna_method_needs_result(ctx: Context) -> Iterator[Finding]:
    method, result = ctx.get("anti_dsdna_method"), ctx.get("anti_dsdna") or ""
    real_method = method and method not in MISSING_CODES
    if method and (not result or (real_method and result in ("not_done", "not_applicable"))):
        yield ctx.error(
            "anti_dsdna_method",
            "serology.method_needs_dsdna",
            f"{ctx.label('anti_dsdna_method')} '{ctx.display('anti_dsdna_method', method)}' is "
            f"given but anti-dsDNA is '{ctx.display('anti_dsdna', result)}': enter the "
            "anti-dsDNA result, or clear the method.",
        )


@rule(LupusProfile)
def nephritis_needs_renal(ctx: Context) -> Iterator[Finding]:
    renal = ctx.get("renal")
    if renal == "yes":
        return
    nephritis_class = ctx.get("nephritis_class")
    findings = []
    if nephritis_class and nephritis_class not in MISSING_CODES:
        findings.append(("nephritis_class", ctx.display("nephritis_class", nephritis_class)))
    if ctx.get("lupus_nephritis_biopsy_proven") == "yes":
        findings.append(("lupus_nephritis_biopsy_proven", "Yes"))
    for name, shown in findings:
        yield ctx.error(
            name,
            "lupus.nephritis_needs_renal",
            f"{ctx.label(name)} is '{shown}' but renal involvement is "
            f"'{ctx.display('renal', renal)}': lupus nephritis needs renal involvement = yes — "
            "set renal involvement to yes, or clear this field.",
        )


# ---- section 8: responses --------------------------------------------------------------


@rule(LupusResponse, HaematologicalResponse)
def response_after_treatment_start(ctx: Context) -> Iterator[Finding]:
    category = "recorded" if ctx.model is LupusResponse else "category"
    assessed = ctx.day("assessed_on")
    treatment = ctx.get("treatment")
    if treatment is None or not (ctx.get(category) or assessed):
        return
    started = treatment.started_on
    if started is None:
        yield ctx.error(
            "assessed_on",
            "response.treatment_start",
            f"{ctx.label('assessed_on')}: the treatment has no start date, so the response "
            "cannot be timed — enter the treatment's start date (section 8) first.",
        )
    elif assessed and assessed <= started:
        yield ctx.error(
            "assessed_on",
            "response.treatment_start",
            f"{ctx.label('assessed_on')} {assessed.isoformat()} is not after the treatment "
            f"start {started.isoformat()}: a response is assessed after the treatment starts — "
            "check both dates.",
        )


@rule(HaematologicalResponse)
def iwg2023_categories(ctx: Context) -> Iterator[Finding]:
    category = ctx.get("category")
    if ctx.get("criteria") == "iwg_2023" and category in ("marrow_cr", "stable_disease"):
        yield ctx.error(
            "category",
            "response.iwg2023_category",
            f"{ctx.label('category')} '{ctx.display('category', category)}' does not exist in "
            "IWG 2023 (it dropped marrow CR and stable disease): choose an IWG 2023 category, "
            "or set the criteria to the IWG version the response was assessed with.",
        )


RULE_CODES = frozenset(
    {
        "measurement.value_and_reason",
        "value.bounds",
        "date.future",
        "date.before_birth",
        "date.death_before_diagnosis",
        "date.followup_before_diagnosis",
        "date.followup_after_death",
        "date.end_before_start",
        "unit.hb_g_l",
        "unit.per_mm3",
        "unit.complement_mg",
        "unit.vaf_fraction",
        "range.usual",
        "cmml.monocytosis",
        "blasts.aml",
        "cytogenetics.override_reason",
        "control.haematological_section",
        "control.haematological_treatment",
        "ngs.skin_biopsy",
        "link.other_case",
        "hgvs.c_format",
        "hgvs.p_format",
        "gene.symbol",
        "gene.not_myeloid",
        "serology.ana_needs_positive",
        "serology.method_needs_dsdna",
        "lupus.nephritis_needs_renal",
        "response.treatment_start",
        "response.iwg2023_category",
    }
)
