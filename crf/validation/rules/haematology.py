"""Section 5 (haematological disease) and what controls may not hold."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from crf.codes import Disease, Group, Target
from crf.models import (
    CentralReview,
    EvolutionEvent,
    HaematologicalDisease,
    HaematologicalResponse,
    NgsTest,
    NgsVariant,
    Treatment,
)

from .. import Context, Finding, num, rule, unit_of, with_unit
from .units import plain


@rule(HaematologicalDisease, codes=("cmml.monocytosis",))
def cmml_needs_monocytosis(ctx: Context) -> Iterator[Finding]:
    """WHO 2022 / ICC CMML: monocytes ≥ 0.5 ×10⁹/L and ≥ 10% of WBC (clinical-rules.md 2.2)."""
    if ctx.get("disease") != Disease.CMML:
        return
    why = _("CMML needs monocytosis (≥ 0.5 ×10⁹/L and ≥ 10% of WBC)")
    fix = _("check the count and its unit, or set the disease to MDS")
    monocytes, pct, wbc = plain(ctx, "monocytes"), plain(ctx, "monocytes_pct"), plain(ctx, "wbc")
    if monocytes is not None and monocytes < 0.5:
        yield ctx.error(
            "monocytes",
            "cmml.monocytosis",
            _("{quantity} is below 0.5: {why} — {fix}.").format(
                quantity=ctx.quantity("monocytes", monocytes), why=why, fix=fix
            ),
        )
    if pct is not None and pct < 10:
        yield ctx.error(
            "monocytes_pct",
            "cmml.monocytosis",
            _("{label} {pct}% of WBC is below 10%: {why} — {fix}.").format(
                label=ctx.label("monocytes_pct"), pct=num(pct), why=why, fix=fix
            ),
        )
    elif pct is None and monocytes is not None and monocytes >= 0.5 and wbc:
        share = 100 * monocytes / wbc
        if share < 10:
            yield ctx.error(
                "monocytes",
                "cmml.monocytosis",
                _(
                    "{quantity} is {share}% of the white blood cells ({wbc}), below 10%: {why} "
                    "— {fix}."
                ).format(
                    quantity=ctx.quantity("monocytes", monocytes),
                    share=num(round(share, 1)),
                    wbc=with_unit(wbc, unit_of(ctx.model, "wbc")),
                    why=why,
                    fix=fix,
                ),
            )


@rule(HaematologicalDisease, codes=("blasts.aml",))
def blasts_mean_aml(ctx: Context) -> Iterator[Finding]:
    """≥ 20% blasts in marrow or blood is AML (WHO 2022), not MDS/CMML at diagnosis."""
    for name in ("bm_blasts", "pb_blasts"):
        value = ctx.number(name)
        if value is not None and 20 <= value <= 100:
            yield ctx.error(
                name,
                "blasts.aml",
                _(
                    "{quantity} is 20% or more: that is AML, not MDS/CMML — check the value; if "
                    "it is right, record the counts at MDS/CMML diagnosis here and the AML as an "
                    "evolution event."
                ).format(quantity=ctx.quantity(name, value)),
            )


@rule(HaematologicalDisease, codes=("cytogenetics.override_reason",))
def override_needs_justification(ctx: Context) -> Iterator[Finding]:
    override = ctx.get("cytogenetic_risk_override")
    if override and not str(ctx.get("cytogenetic_risk_override_reason") or "").strip():
        yield ctx.error(
            "cytogenetic_risk_override_reason",
            "cytogenetics.override_reason",
            _(
                "{label} is empty: overriding the IPSS-R cytogenetic group ('{group}') needs a "
                "justification — explain it, or clear the override."
            ).format(
                label=ctx.label("cytogenetic_risk_override_reason"),
                group=ctx.display("cytogenetic_risk_override", override),
            ),
        )


# crf.md section 9: controls carry sections 1–4 only.
HAEMATOLOGICAL_SECTIONS = (
    HaematologicalDisease,
    EvolutionEvent,
    NgsTest,
    NgsVariant,
    CentralReview,
    HaematologicalResponse,
)


def is_control(ctx: Context) -> bool:
    return ctx.case.group == Group.CONTROL


@rule(*HAEMATOLOGICAL_SECTIONS, codes=("control.haematological_section",))
def control_has_no_haematology(ctx: Context) -> Iterator[Finding]:
    if is_control(ctx):
        name = str(ctx.model._meta.verbose_name)
        yield ctx.error(
            None,
            "control.haematological_section",
            _(
                "{section} is not recorded for a control (idiopathic SLE): controls have "
                "sections 1–4 only — leave it empty, or record the patient as a case if they "
                "have MDS/CMML."
            ).format(section=name[:1].upper() + name[1:]),
        )


@rule(Treatment, codes=("control.haematological_treatment",))
def control_has_no_haematological_treatment(ctx: Context) -> Iterator[Finding]:
    target = ctx.get("target")
    if is_control(ctx) and target in (Target.HAEMATOLOGICAL, Target.BOTH):
        yield ctx.error(
            "target",
            "control.haematological_treatment",
            _(
                "{label} is '{target}' but this is a control (idiopathic SLE), which has no "
                "haematological disease — set the target to lupus."
            ).format(label=ctx.label("target"), target=ctx.display("target", target)),
        )
