"""Myeloid classification: WHO 2022 (clinical-rules.md 2.1, 2.2) and WHO 2016 (2.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from crf.codes import CmmlSubtype, Who2016, Who2022

from ._inputs import _count, _flag, _kleene_and, _kleene_or, _number, _optional_number, _tristate
from .versions import WHO2022_VERSION, Number

AML_BLAST_THRESHOLD: Final = 20.0
WHO2022_SF3B1_MIN_VAF: Final = 5.0  # % (V-secondary in the spec)
RING_SIDEROBLASTS_THRESHOLD: Final = 15.0  # % of erythroid precursors
WHO2022_HYPOPLASTIC_MAX_CELLULARITY: Final = 25.0  # %


def _del5q_isolated(*, del5q: bool, minus_7_or_del7q: bool, complex_: bool) -> bool:
    # del(5q) alone or with one other abnormality that is not -7/del(7q).
    return del5q and not minus_7_or_del7q and not complex_


def who2022_mds_subtype(
    *,
    bm_blasts: Number,
    pb_blasts: Number | None = None,
    auer_rods: bool = False,
    fibrosis_grade: int | None = None,
    tp53_mutation_count: int = 0,
    tp53_multihit: bool = False,
    del5q: bool = False,
    minus_7_or_del7q: bool = False,
    complex_karyotype: bool = False,
    abnormality_count: int | None = None,
    sf3b1_mutated: bool | None = None,
    sf3b1_vaf: Number | None = None,
    ring_sideroblasts_pct: Number | None = None,
    bm_cellularity_pct: Number | None = None,
) -> str:
    """WHO 2022 MDS subtype (Khoury 2022 Table 3) for a case already diagnosed as MDS.

    Evaluation order (spec 2.1; WHO gives none, the first match wins):

    1. ``aml``: blasts >= 20% in BM or PB.
    2. ``mds_bitp53``: >= 2 TP53 mutations, or ``tp53_multihit`` (1 mutation with copy-
       number loss or cnLOH).
    3. Increased blasts (BM >= 5%, PB >= 2% or Auer rods): ``mds_f`` if fibrosis grade 2-3
       and the blast counts (not Auer rods alone) are increased; otherwise ``mds_ib2``
       (BM >= 10%, PB >= 5% or Auer rods); otherwise ``mds_ib1``.
    4. Low blasts, genetics: ``mds_5q`` (del(5q) alone or with one other abnormality that
       is not -7/del(7q)), then ``mds_sf3b1`` (no del(5q), -7/del(7q) or complex
       karyotype; SF3B1 mutated with VAF >= 5% or VAF unknown, or >= 15% ring
       sideroblasts, WHO's substitute "MDS-LB with ring sideroblasts").
    5. ``mds_h``: BM cellularity <= 25% (WHO asks for age adjustment, which is left to the
       pathologist's judgement of the value entered).
    6. ``mds_lb``.

    Unknown optional inputs (None) are read as "not shown": PB blasts not reported use BM
    only; an unknown fibrosis grade, SF3B1 status or cellularity does not qualify. A
    complex karyotype is ``complex_karyotype`` or ``abnormality_count >= 3``.
    """
    bm = _number("bm_blasts", bm_blasts, upper=100)
    pb = _optional_number("pb_blasts", pb_blasts, upper=100)
    pb_v = 0.0 if pb is None else pb
    auer = _flag("auer_rods", auer_rods)
    fibrosis = None if fibrosis_grade is None else _count("fibrosis_grade", fibrosis_grade, upper=3)
    tp53_n = _count("tp53_mutation_count", tp53_mutation_count)
    multihit = _flag("tp53_multihit", tp53_multihit)
    has_del5q = _flag("del5q", del5q)
    has_7 = _flag("minus_7_or_del7q", minus_7_or_del7q)
    n_abn = None if abnormality_count is None else _count("abnormality_count", abnormality_count)
    complex_ = _flag("complex_karyotype", complex_karyotype) or (n_abn is not None and n_abn >= 3)
    sf3b1 = _tristate("sf3b1_mutated", sf3b1_mutated)
    vaf = _optional_number("sf3b1_vaf", sf3b1_vaf, upper=100)
    if sf3b1 is False and vaf:
        raise ValueError("sf3b1_vaf: a VAF is given but sf3b1_mutated is False")
    rs = _optional_number("ring_sideroblasts_pct", ring_sideroblasts_pct, upper=100)
    cellularity = _optional_number("bm_cellularity_pct", bm_cellularity_pct, upper=100)

    if bm >= AML_BLAST_THRESHOLD or pb_v >= AML_BLAST_THRESHOLD:
        return Who2022.AML
    if tp53_n >= 2 or multihit:
        return Who2022.MDS_BITP53
    blasts_increased = bm >= 5 or pb_v >= 2
    if blasts_increased or auer:
        if blasts_increased and fibrosis is not None and fibrosis >= 2:
            return Who2022.MDS_F
        if bm >= 10 or pb_v >= 5 or auer:
            return Who2022.MDS_IB2
        return Who2022.MDS_IB1
    if _del5q_isolated(del5q=has_del5q, minus_7_or_del7q=has_7, complex_=complex_):
        return Who2022.MDS_5Q
    mutated = sf3b1 is True or (sf3b1 is None and vaf is not None and vaf > 0)
    sf3b1_qualifies = mutated and (vaf is None or vaf >= WHO2022_SF3B1_MIN_VAF)
    rs_qualifies = rs is not None and rs >= RING_SIDEROBLASTS_THRESHOLD
    if not (has_del5q or has_7 or complex_) and (sf3b1_qualifies or rs_qualifies):
        return Who2022.MDS_SF3B1
    if cellularity is not None and cellularity <= WHO2022_HYPOPLASTIC_MAX_CELLULARITY:
        return Who2022.MDS_H
    return Who2022.MDS_LB


@dataclass(frozen=True, slots=True)
class CmmlResult:
    """WHO 2022 CMML: criteria met (None = undetermined), subgroup and subtype.

    ``subgroup`` is ``cmml_1``/``cmml_2``, or ``aml`` when blasts are >= 20% (then
    ``meets_criteria`` is False and ``subtype`` is None).
    """

    meets_criteria: bool | None
    subgroup: str
    subtype: str | None
    reasons: tuple[str, ...]
    rule_version: str = WHO2022_VERSION


CMML_MP_WBC_THRESHOLD: Final = 13.0


def who2022_cmml(
    *,
    monocytes_abs: Number,
    monocytes_pct: Number,
    wbc: Number,
    pb_blasts: Number,
    bm_blasts: Number,
    dysplasia: bool | None,
    clonal_abnormality: bool | None,
    auer_rods: bool = False,
    monocyte_partitioning: bool | None = False,
) -> CmmlResult:
    """WHO 2022 CMML criteria, subgroup and MD/MP subtype (Khoury 2022 Table 6; spec 2.2).

    Prerequisites: monocytes >= 0.5 x10^9/L and >= 10% of WBC; blasts (+ promonocytes)
    < 20% in PB and BM. Not CML/MPN and no tyrosine-kinase fusion are not inputs here: the
    caller asserts them. Supporting criteria: S1 ``dysplasia``, S2 ``clonal_abnormality``,
    S3 ``monocyte_partitioning`` (abnormal PB monocyte subsets; not on the CRF, hence
    default False). Monocytes >= 1.0 need >= 1 supporting criterion; 0.5 to < 1.0 need S1
    and S2. CMML-2 is the complement of CMML-1 below 20% (PB >= 5% or BM >= 10%), and Auer
    rods give CMML-2 as in WHO 2016 (UNVERIFIED for the 2022 text).
    """
    mono = _number("monocytes_abs", monocytes_abs)
    mono_pct = _number("monocytes_pct", monocytes_pct, upper=100)
    wbc_v = _number("wbc", wbc)
    pb = _number("pb_blasts", pb_blasts, upper=100)
    bm = _number("bm_blasts", bm_blasts, upper=100)
    s1 = _tristate("dysplasia", dysplasia)
    s2 = _tristate("clonal_abnormality", clonal_abnormality)
    s3 = _tristate("monocyte_partitioning", monocyte_partitioning)
    auer = _flag("auer_rods", auer_rods)

    reasons: list[str] = []
    if pb >= AML_BLAST_THRESHOLD or bm >= AML_BLAST_THRESHOLD:
        reasons.append(f"blasts >= 20% (PB {pb:g}%, BM {bm:g}%): AML, not CMML")
        return CmmlResult(False, Who2022.AML, None, tuple(reasons))

    monocytosis = mono >= 0.5 and mono_pct >= 10
    if monocytosis:
        reasons.append(f"monocytosis: {mono:g} x10^9/L (>= 0.5) and {mono_pct:g}% (>= 10%)")
    else:
        reasons.append(
            f"no qualifying monocytosis: {mono:g} x10^9/L and {mono_pct:g}% "
            "(>= 0.5 and >= 10% required)"
        )
    if mono >= 1.0:
        supporting = _kleene_or(s1, s2, s3)
        reasons.append("monocytes >= 1.0: >= 1 supporting criterion (S1-S3) required")
    else:
        supporting = _kleene_and(s1, s2)
        reasons.append("monocytes < 1.0: dysplasia (S1) and a clonal abnormality (S2) required")
    if supporting is None:
        reasons.append("supporting criteria depend on unknown items")
    elif supporting is False:
        reasons.append("supporting criteria not met")
    meets = _kleene_and(monocytosis, supporting)

    cmml_2 = pb >= 5 or bm >= 10 or auer
    subgroup = Who2022.CMML_2 if cmml_2 else Who2022.CMML_1
    reasons.append(
        f"{subgroup.replace('_', '-').upper()}: PB blasts {pb:g}%, BM blasts {bm:g}%"
        + (", Auer rods" if auer else "")
    )
    subtype = CmmlSubtype.MP_CMML if wbc_v >= CMML_MP_WBC_THRESHOLD else CmmlSubtype.MD_CMML
    reasons.append(f"WBC {wbc_v:g} x10^9/L: {'MP' if subtype == 'mp_cmml' else 'MD'}-CMML")
    return CmmlResult(meets, subgroup, subtype, tuple(reasons))


def who2016_cmml_subgroup(*, pb_blasts: Number, bm_blasts: Number, auer_rods: bool = False) -> str:
    """WHO 2016 CMML subgroup (spec 2.3): ``cmml_0|cmml_1|cmml_2|aml``.

    Blasts include promonocytes. Ranges are read on a continuous scale: CMML-1 is PB
    2 to < 5% and/or BM 5 to < 10%; CMML-2 PB 5 to < 20%, BM 10 to < 20% and/or Auer rods.
    """
    pb = _number("pb_blasts", pb_blasts, upper=100)
    bm = _number("bm_blasts", bm_blasts, upper=100)
    auer = _flag("auer_rods", auer_rods)
    if pb >= AML_BLAST_THRESHOLD or bm >= AML_BLAST_THRESHOLD:
        return Who2016.AML
    if pb >= 5 or bm >= 10 or auer:
        return Who2016.CMML_2
    if pb >= 2 or bm >= 5:
        return Who2016.CMML_1
    return Who2016.CMML_0


def who2016_cytopenias(*, hb: Number, platelets: Number, anc: Number) -> int:
    """Number of WHO 2016 cytopenias: Hb < 10 g/dL, PLT < 100, ANC < 1.8 x10^9/L."""
    return (
        (_number("hb", hb) < 10)
        + (_number("platelets", platelets) < 100)
        + (_number("anc", anc) < 1.8)
    )


def who2016_mds_subtype(
    *,
    dysplastic_lineages: int,
    cytopenias: int,
    bm_blasts: Number,
    pb_blasts: Number,
    auer_rods: bool = False,
    ring_sideroblasts_pct: Number | None = None,
    sf3b1_mutated: bool | None = None,
    del5q: bool = False,
    minus_7_or_del7q: bool = False,
    abnormality_count: int | None = None,
) -> str:
    """WHO 2016 MDS subtype (Arber 2016; spec 2.3) for a case already diagnosed as MDS.

    Order: ``aml`` (blasts >= 20%); ``mds_eb2`` (BM >= 10%, PB >= 5% or Auer rods);
    ``mds_eb1`` (BM >= 5% or PB >= 2%); ``mds_u`` if PB blasts are 1% (the caller must
    have it on >= 2 occasions); ``mds_del5q`` (del(5q) alone or with one other abnormality
    that is not -7/del(7q), 1-2 cytopenias); ``mds_u`` with no dysplastic lineage (MDS
    assumed established by an MDS-defining abnormality); ``mds_u`` for single-lineage
    dysplasia with pancytopenia; then SLD/MLD, with ring sideroblasts >= 15% (>= 5% if
    SF3B1 is mutated) giving the RS types. Unknown ring sideroblasts count as < 5%.
    At least one cytopenia is required for MDS, so 0 raises ValueError.
    """
    lineages = _count("dysplastic_lineages", dysplastic_lineages, upper=3)
    n_cyto = _count("cytopenias", cytopenias, upper=3)
    if n_cyto == 0:
        raise ValueError("cytopenias: MDS requires at least one cytopenia")
    bm = _number("bm_blasts", bm_blasts, upper=100)
    pb = _number("pb_blasts", pb_blasts, upper=100)
    auer = _flag("auer_rods", auer_rods)
    rs = _optional_number("ring_sideroblasts_pct", ring_sideroblasts_pct, upper=100)
    sf3b1 = _tristate("sf3b1_mutated", sf3b1_mutated)
    has_del5q = _flag("del5q", del5q)
    has_7 = _flag("minus_7_or_del7q", minus_7_or_del7q)
    n_abn = None if abnormality_count is None else _count("abnormality_count", abnormality_count)
    complex_ = n_abn is not None and n_abn >= 3

    if bm >= AML_BLAST_THRESHOLD or pb >= AML_BLAST_THRESHOLD:
        return Who2016.AML
    if bm >= 10 or pb >= 5 or auer:
        return Who2016.MDS_EB2
    if bm >= 5 or pb >= 2:
        return Who2016.MDS_EB1
    if pb >= 1:
        return Who2016.MDS_U
    if n_cyto <= 2 and _del5q_isolated(del5q=has_del5q, minus_7_or_del7q=has_7, complex_=complex_):
        return Who2016.MDS_DEL5Q
    if lineages == 0:
        return Who2016.MDS_U
    if lineages == 1 and n_cyto == 3:
        return Who2016.MDS_U
    rs_threshold = 5.0 if sf3b1 is True else RING_SIDEROBLASTS_THRESHOLD
    ring = rs is not None and rs >= rs_threshold
    if lineages == 1:
        return Who2016.MDS_RS_SLD if ring else Who2016.MDS_SLD
    return Who2016.MDS_RS_MLD if ring else Who2016.MDS_MLD
