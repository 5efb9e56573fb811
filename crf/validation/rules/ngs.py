"""Section 6: next-generation sequencing — the sample, the nomenclature, the gene."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext as _

from crf.codes import Missing, Tissue
from crf.models import NgsTest, NgsVariant
from crf.models.haematology import MYELOID_GENES

from .. import Context, Finding, rule


@rule(NgsTest, codes=("ngs.skin_biopsy", "ngs.tissue"))
def sample(ctx: Context) -> Iterator[Finding]:
    tissue, result = ctx.get("tissue"), ctx.get("result")
    if tissue == Tissue.SKIN and ctx.get("skin_biopsy") is None:
        yield ctx.warning(
            "skin_biopsy",
            "ngs.skin_biopsy",
            _(
                "{label} is not linked for a skin sample: link the biopsy that was sequenced "
                "(add it in section 7 first), or confirm to keep it unlinked."
            ).format(label=ctx.label("skin_biopsy")),
        )
    if not tissue and result != Missing.NOT_DONE:
        yield ctx.error(
            "tissue",
            "ngs.tissue",
            _(
                "{label}: say which tissue was sequenced, or set the result to 'Not done' if "
                "no sequencing was performed."
            ).format(label=ctx.label("tissue")),
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


@rule(NgsVariant, codes=("hgvs.c_format", "hgvs.p_format"))
def hgvs_format(ctx: Context) -> Iterator[Finding]:
    for name, pattern, examples in (
        ("hgvs_c", HGVS_C, "c.1234C>T, c.1234_1235del, c.1934dupG"),
        ("hgvs_p", HGVS_P, "p.Arg882His, p.(Gly12Asp), p.Gln100Ter, p.?"),
    ):
        value = str(ctx.get(name) or "").strip()
        if value and not pattern.match(value):
            yield ctx.error(
                name,
                f"hgvs.{name[-1]}_format",
                _(
                    "{label} '{value}' is not HGVS {kind}. notation: write it like {examples}."
                ).format(label=ctx.label(name), value=value, kind=name[-1], examples=examples),
            )


# HGNC symbols: capitals and digits, hyphen-separated parts (the model's constraint agrees).
GENE_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
# Names seen in reports that are not (or no longer) the HGNC symbol.
GENE_ALIASES = {"MLL": "KMT2A", "FLT3-ITD": "FLT3", "FLT3-TKD": "FLT3", "U2AF35": "U2AF1"}


@rule(NgsVariant, codes=("gene.symbol", "gene.not_myeloid"))
def gene_symbol(ctx: Context) -> Iterator[Finding]:
    gene = str(ctx.get("gene") or "").strip()
    if not gene:
        return
    name = ctx.label("gene")
    if not GENE_SYMBOL.match(gene) or len(gene) > 20:
        hint = f": {gene.upper()}" if GENE_SYMBOL.match(gene.upper()) else _(", e.g. TET2")
        yield ctx.error(
            "gene",
            "gene.symbol",
            _(
                "{label} '{gene}' is not an HGNC symbol: enter the official symbol in "
                "capitals{hint}."
            ).format(label=name, gene=gene, hint=hint),
        )
    elif gene not in MYELOID_GENES:
        alias = GENE_ALIASES.get(gene)
        fix = (
            _("enter {alias}, its HGNC symbol").format(alias=alias)
            if alias
            else _("check the spelling")
        )
        yield ctx.warning(
            "gene",
            "gene.not_myeloid",
            _(
                "{label} '{gene}' is not in the registry's list of myeloid genes: {fix}, or "
                "confirm it to keep it."
            ).format(label=name, gene=gene, fix=fix),
        )
