"""Sections 2 and 4: lupus organ involvement and serology."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from crf.codes import TestResult, YesNo
from crf.models import LupusProfile, SerologyPanel
from crf.models.fields import MISSING_CODES

from .. import Context, Finding, rule


@rule(SerologyPanel, codes=("serology.ana_needs_positive",))
def ana_details_need_positive_ana(ctx: Context) -> Iterator[Finding]:
    ana = ctx.get("ana")
    if ana == TestResult.POSITIVE:
        return
    titre, pattern = ctx.get("ana_titre"), ctx.get("ana_pattern")
    if titre is not None:
        yield ctx.error(
            "ana_titre",
            "serology.ana_needs_positive",
            _(
                "{label} 1:{titre} is given but ANA is '{ana}': a titre needs ANA = positive — "
                "set ANA to positive, or clear the titre."
            ).format(label=ctx.label("ana_titre"), titre=titre, ana=ctx.display("ana", ana)),
        )
    if pattern and pattern not in MISSING_CODES:
        yield ctx.error(
            "ana_pattern",
            "serology.ana_needs_positive",
            _(
                "{label} '{pattern}' is given but ANA is '{ana}': a pattern needs ANA = "
                "positive — set ANA to positive, or clear the pattern."
            ).format(
                label=ctx.label("ana_pattern"),
                pattern=ctx.display("ana_pattern", pattern),
                ana=ctx.display("ana", ana),
            ),
        )


@rule(SerologyPanel, codes=("serology.method_needs_dsdna",))
def dsdna_method_needs_result(ctx: Context) -> Iterator[Finding]:
    method, result = ctx.get("anti_dsdna_method"), ctx.get("anti_dsdna") or ""
    real_method = method and method not in MISSING_CODES
    if method and (not result or (real_method and result in ("not_done", "not_applicable"))):
        yield ctx.error(
            "anti_dsdna_method",
            "serology.method_needs_dsdna",
            _(
                "{label} '{method}' is given but anti-dsDNA is '{result}': enter the anti-dsDNA "
                "result, or clear the method."
            ).format(
                label=ctx.label("anti_dsdna_method"),
                method=ctx.display("anti_dsdna_method", method),
                result=ctx.display("anti_dsdna", result),
            ),
        )


@rule(LupusProfile, codes=("lupus.nephritis_needs_renal",))
def nephritis_needs_renal(ctx: Context) -> Iterator[Finding]:
    renal = ctx.get("renal")
    if renal == YesNo.YES:
        return
    findings = []
    nephritis_class = ctx.get("nephritis_class")
    if nephritis_class and nephritis_class not in MISSING_CODES:
        findings.append(("nephritis_class", ctx.display("nephritis_class", nephritis_class)))
    if ctx.get("lupus_nephritis_biopsy_proven") == YesNo.YES:
        findings.append(("lupus_nephritis_biopsy_proven", ctx.display("renal", YesNo.YES)))
    for name, shown in findings:
        yield ctx.error(
            name,
            "lupus.nephritis_needs_renal",
            _(
                "{label} is '{shown}' but renal involvement is '{renal}': lupus nephritis needs "
                "renal involvement = yes — set renal involvement to yes, or clear this field."
            ).format(label=ctx.label(name), shown=shown, renal=ctx.display("renal", renal)),
        )
