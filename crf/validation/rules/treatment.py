"""Section 8: responses are assessed after their treatment starts; IWG 2023 categories."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from crf.codes import HaemResponseCategory, IwgVersion
from crf.dates import earliest, latest, shown
from crf.models import HaematologicalResponse, LupusResponse

from .. import Context, Finding, rule


@rule(LupusResponse, HaematologicalResponse, codes=("response.treatment_start",))
def response_after_treatment_start(ctx: Context) -> Iterator[Finding]:
    """A line recorded without dates (retrospective data) may still carry its responses;
    when both dates are known, the assessment comes after the start."""
    treatment, assessed = ctx.get("treatment"), ctx.day("assessed_on")
    if treatment is None or assessed is None or treatment.started_on is None:
        return
    started = earliest(treatment.started_on, treatment.started_on_precision)
    if latest(assessed, ctx.precision("assessed_on")) <= started:
        yield ctx.error(
            "assessed_on",
            "response.treatment_start",
            _(
                "{label} {assessed} is not after the treatment start {started}: a response is "
                "assessed after the treatment starts — check both dates."
            ).format(
                label=ctx.label("assessed_on"),
                assessed=shown(assessed, ctx.precision("assessed_on")),
                started=shown(treatment.started_on, treatment.started_on_precision),
            ),
        )


@rule(HaematologicalResponse, codes=("response.iwg2023_category",))
def iwg2023_categories(ctx: Context) -> Iterator[Finding]:
    category = ctx.get("category")
    dropped = (HaemResponseCategory.MARROW_CR, HaemResponseCategory.STABLE_DISEASE)
    if ctx.get("criteria") == IwgVersion.IWG_2023 and category in dropped:
        yield ctx.error(
            "category",
            "response.iwg2023_category",
            _(
                "{label} '{category}' does not exist in IWG 2023 (it dropped marrow CR and "
                "stable disease): choose an IWG 2023 category, or set the criteria to the IWG "
                "version the response was assessed with."
            ).format(label=ctx.label("category"), category=ctx.display("category", category)),
        )
