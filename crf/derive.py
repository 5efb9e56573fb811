"""Derived CRF values: turn section rows into the inputs of `crf.scores`, and back.

Pure functions over already-loaded model instances (no queries): `crf.services` loads a
case once and stores what these return, with the rule versions. A score whose inputs are
incomplete or contradictory is left empty; `crf.validation` tells the user why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from crf import scores
from crf.models.fields import MISSING_CODES

Derived = dict[str, object]


def tristate(code: str) -> bool | None:
    """yes/positive → True, no/negative → False, missing or not entered → None."""
    if code in ("yes", "positive"):
        return True
    if code in ("no", "negative"):
        return False
    return None


def is_answered(code: str) -> bool:
    return bool(code) and code not in MISSING_CODES


def _versions(*names: str) -> str:
    return "; ".join(dict.fromkeys(scores.RULE_VERSIONS[n] for n in names))


# ---- section 1 ----


def demographics(demo, *, birth: date | None, mds_date: date | None) -> Derived:
    le_date = demo.le_diagnosis_date
    out: Derived = {
        "age_at_le_diagnosis": None,
        "age_at_mds_diagnosis": None,
        "diagnosis_interval_days": None,
        "temporal_relation": "",
        "followup_years": None,
        "rule_version": _versions("temporal_relation"),
    }
    if birth and le_date:
        out["age_at_le_diagnosis"] = scores.age_in_years(birth=birth, on=le_date)
    if birth and mds_date:
        out["age_at_mds_diagnosis"] = scores.age_in_years(birth=birth, on=mds_date)
    if le_date and mds_date:
        out["diagnosis_interval_days"] = (mds_date - le_date).days
        out["temporal_relation"] = scores.temporal_relation(le_date=le_date, mds_date=mds_date)
    # Follow-up runs from the first diagnosis (LE or MDS/CMML) to last news or death.
    start = min(d for d in (le_date, mds_date, date.max) if d)
    end = demo.death_date or demo.last_followup_date
    if start != date.max and end and end >= start:
        out["followup_years"] = round((end - start).days / 365.25, 2)
    return out


# ---- section 2 ----


def slicc(criteria) -> Derived:
    from crf.models.lupus import SLICC_CLINICAL, SLICC_IMMUNOLOGICAL

    res = scores.slicc_2012(
        clinical={c: tristate(getattr(criteria, c)) for c in SLICC_CLINICAL},
        immunological={c: tristate(getattr(criteria, c)) for c in SLICC_IMMUNOLOGICAL},
        biopsy_proven_nephritis=tristate(criteria.biopsy_proven_nephritis),
    )
    return {
        "classification": res.status,
        "clinical_count": res.clinical_count,
        "immunological_count": res.immunological_count,
        "rule_version": res.rule_version,
    }


def ana_titre_for_entry(panel) -> int | None:
    """EULAR/ACR entry input: the reciprocal ANA titre, 0 if negative, None if unknown.

    A positive ANA without a titre counts as 80 ("or an equivalent positive test").
    """
    if panel is None:
        return None
    if panel.ana == "negative":
        return 0
    if panel.ana == "positive":
        return panel.ana_titre or 80
    return None


def eular_acr(criteria, *, serology_at_diagnosis) -> Derived:
    from crf.models.lupus import EULAR_ACR_ITEMS

    res = scores.eular_acr_2019(
        ana_titre=ana_titre_for_entry(serology_at_diagnosis),
        items={c: tristate(getattr(criteria, c)) for c in EULAR_ACR_ITEMS},
    )
    met = {True: "met", False: "not_met", None: "undetermined"}
    return {
        "entry_criterion": met[res.entry_criterion_met],
        "points": res.points,
        "classification": met[res.classified],
        "rule_version": res.rule_version,
    }


def sledai(assessment) -> Derived:
    from crf.models.lupus import SLEDAI_ITEMS

    items = {c: tristate(getattr(assessment, c)) for c in SLEDAI_ITEMS}
    return {
        "score": scores.sledai_2k(items),
        "clinical_score": scores.clinical_sledai(items),
        "rule_version": _versions("sledai_2k", "clinical_sledai"),
    }


def serology(panel) -> Derived:
    def below(value, limit):
        return None if value is None or limit is None else value < limit

    return {
        "low_c3": below(panel.c3, panel.c3_lower_limit),
        "low_c4": below(panel.c4, panel.c4_lower_limit),
    }


# ---- sections 5–6 ----


def _variant_key(variant) -> tuple[str, ...]:
    """What makes two variants 'the same': the gene and the most precise notation given."""
    notation = variant.hgvs_c or variant.hgvs_p
    return (variant.gene, notation) if notation else (variant.gene,)


def cytogenetic_risk(haem) -> str:
    from crf.models.haematology import CYTOGENETIC_ABNORMALITIES

    if haem.cytogenetic_risk_override:
        return haem.cytogenetic_risk_override
    if haem.cytogenetics_done != "yes" or haem.karyotype not in ("normal", "abnormal"):
        return ""
    ticked = {code for code in CYTOGENETIC_ABNORMALITIES if getattr(haem, code)}
    try:
        return scores.ipssr_cytogenetic_risk(
            abnormalities=ticked,
            abnormality_count=haem.abnormality_count,
            normal=haem.karyotype == "normal",
        )
    except ValueError:
        return ""


def haematology(
    haem, *, age_at_diagnosis: int | None, marrow_or_blood_variants: Iterable
) -> Derived:
    variants = list(marrow_or_blood_variants)
    out: Derived = {
        "cytogenetic_risk": cytogenetic_risk(haem),
        "ipssr_score": None,
        "ipssr_category": "",
        "ipssr_lower_risk": None,
        "ipssra_score": None,
        "who2022_computed": "",
        "cmml_subtype_computed": "",
        "who2016_computed": "",
        "classification_disagrees": None,
    }
    counts = (haem.hb, haem.anc, haem.platelets, haem.bm_blasts)
    if out["cytogenetic_risk"] and None not in counts:
        res = scores.ipssr(
            hb=haem.hb,
            anc=haem.anc,
            platelets=haem.platelets,
            bm_blasts=haem.bm_blasts,
            cytogenetic_risk=out["cytogenetic_risk"],
        )
        out.update(
            ipssr_score=res.score, ipssr_category=res.category, ipssr_lower_risk=res.lower_risk
        )
        if age_at_diagnosis is not None:
            out["ipssra_score"] = round(
                scores.ipssr_age_adjusted(score=res.score, age=age_at_diagnosis), 3
            )
    try:
        if haem.disease == "mds":
            out.update(_who_mds(haem, variants))
        elif haem.disease == "cmml":
            out.update(_who_cmml(haem))
    except (ValueError, TypeError):
        pass  # incomplete or contradictory inputs: validation explains
    pairs = [
        (haem.who2022_recorded, out["who2022_computed"]),
        (haem.who2016_recorded, out["who2016_computed"]),
        (haem.cmml_subtype_recorded, out["cmml_subtype_computed"]),
    ]
    compared = [(r, c) for r, c in pairs if is_answered(r) and c]
    if compared:
        out["classification_disagrees"] = any(r != c for r, c in compared)
    out["rule_version"] = _versions(
        "ipssr", "ipssr_age_adjusted", "ipssr_cytogenetic_risk", "who2022_mds_subtype",
        "who2016_mds_subtype",
    )  # fmt: skip
    return out


def _who_mds(haem, variants: list) -> Derived:
    if haem.bm_blasts is None:
        return {}
    tp53 = [v for v in variants if v.gene == "TP53"]
    sf3b1 = [v for v in variants if v.gene == "SF3B1"]
    count = haem.abnormality_count
    fibrosis = int(haem.fibrosis_grade[2]) if haem.fibrosis_grade.startswith("mf") else None
    who2022 = scores.who2022_mds_subtype(
        bm_blasts=haem.bm_blasts,
        pb_blasts=haem.pb_blasts,
        auer_rods=haem.auer_rods == "yes",
        fibrosis_grade=fibrosis,
        tp53_mutation_count=len(tp53),
        del5q=haem.del5q,
        minus_7_or_del7q=haem.minus_7 or haem.del7q,
        complex_karyotype=bool(count and count >= 3),
        abnormality_count=count,
        sf3b1_mutated=bool(sf3b1) if variants else None,
        sf3b1_vaf=max((v.vaf for v in sf3b1 if v.vaf is not None), default=None),
        ring_sideroblasts_pct=haem.ring_sideroblasts,
        bm_cellularity_pct=haem.bm_cellularity,
    )
    out: Derived = {"who2022_computed": who2022}
    if None not in (haem.hb, haem.platelets, haem.anc, haem.pb_blasts):
        dysplastic = sum(
            getattr(haem, f) == "yes"
            for f in ("dysgranulopoiesis", "dyserythropoiesis", "dysmegakaryopoiesis")
        )
        out["who2016_computed"] = scores.who2016_mds_subtype(
            dysplastic_lineages=dysplastic,
            cytopenias=scores.who2016_cytopenias(
                hb=haem.hb, platelets=haem.platelets, anc=haem.anc
            ),
            bm_blasts=haem.bm_blasts,
            pb_blasts=haem.pb_blasts,
            auer_rods=haem.auer_rods == "yes",
            ring_sideroblasts_pct=haem.ring_sideroblasts,
            sf3b1_mutated=bool(sf3b1) if variants else None,
            del5q=haem.del5q,
            minus_7_or_del7q=haem.minus_7 or haem.del7q,
            abnormality_count=count,
        )
    return out


def _who_cmml(haem) -> Derived:
    needed = (haem.monocytes, haem.monocytes_pct, haem.wbc, haem.pb_blasts, haem.bm_blasts)
    if None in needed:
        return {}
    dysplasia = [
        tristate(getattr(haem, f))
        for f in ("dysgranulopoiesis", "dyserythropoiesis", "dysmegakaryopoiesis")
    ]
    clonal = True if haem.karyotype == "abnormal" else None
    res = scores.who2022_cmml(
        monocytes_abs=haem.monocytes,
        monocytes_pct=haem.monocytes_pct,
        wbc=haem.wbc,
        pb_blasts=haem.pb_blasts,
        bm_blasts=haem.bm_blasts,
        dysplasia=True if True in dysplasia else (False if dysplasia == [False] * 3 else None),
        clonal_abnormality=clonal,
        auer_rods=haem.auer_rods == "yes",
    )
    return {
        "who2022_computed": res.subgroup,
        "cmml_subtype_computed": res.subtype or "",
        "who2016_computed": scores.who2016_cmml_subgroup(
            pb_blasts=haem.pb_blasts, bm_blasts=haem.bm_blasts, auer_rods=haem.auer_rods == "yes"
        ),
    }


def concordance(skin_test, *, other_tests: list) -> Derived:
    """Does the skin test share a variant with a blood or marrow test of the same case?"""
    reference = [t for t in other_tests if t.tissue in ("peripheral_blood", "bone_marrow")]
    if not reference:
        return {"concordance": "not_evaluable", "shared_genes": ""}
    skin_keys = {_variant_key(v) for v in skin_test.variants.all()}
    blood_keys = {_variant_key(v) for t in reference for v in t.variants.all()}
    shared = sorted({key[0] for key in skin_keys & blood_keys})
    return {
        "concordance": "concordant" if shared else "discordant",
        "shared_genes": ", ".join(shared),
    }


# ---- sections 7–8 ----


def reclassified(review) -> Derived:
    local = review.biopsy.local_diagnosis
    return {"reclassified": review.diagnosis != local if is_answered(local) else None}


def lupus_response(response) -> Derived:
    assessment = response.sledai
    if assessment is None or assessment.score is None:
        return {"derived": "", "disagrees": None, "rule_version": ""}
    derived = scores.lupus_response(
        sledai_2k=assessment.score, clinical_sledai=assessment.clinical_score
    )
    recorded = response.recorded
    return {
        "derived": derived,
        "disagrees": recorded != derived if is_answered(recorded) else None,
        "rule_version": _versions("lupus_response"),
    }
