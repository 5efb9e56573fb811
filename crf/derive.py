"""Derived CRF values: what the registry computes from a case's rows, with rule versions.

`derive_case(rows)` computes every derived value of every row of a case, in memory, from a
`crf.rows.CaseRows` (no query): the write services call it after applying a change, store
what differs, and so a value is never stale. Scores and classifications are the pure
functions of `crf.scores`; this module turns rows into their inputs and their results back
into field values (members of the code lists the fields offer: `crf.codes`). A value whose
inputs are missing or contradictory is left blank; validation and the overview say why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Model
from django.utils import timezone

from crf import completeness, scores
from crf.codes import (
    Classification,
    Concordance,
    CytogeneticAbnormality,
    Disease,
    EularAcrItem,
    Karyotype,
    SledaiItem,
    SliccClinical,
    SliccImmunological,
    TestResult,
    Tissue,
    Who2022,
    YesNo,
)
from crf.completeness import Survey
from crf.dates import is_exact, precision_of
from crf.models import (
    CentralReview,
    Demographics,
    EularAcrCriteria,
    HaematologicalDisease,
    Identity,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
)
from crf.models.fields import MISSING_CODES
from crf.rows import CaseRows
from crf.validation import Finding, revalidate

Derived = dict[str, Any]


def tristate(code: str) -> bool | None:
    """yes/positive → True, no/negative → False, missing or not entered → None."""
    if code in (YesNo.YES, TestResult.POSITIVE):
        return True
    if code in (YesNo.NO, TestResult.NEGATIVE):
        return False
    return None


def is_answered(code: str) -> bool:
    return bool(code) and code not in MISSING_CODES


def versions(*names: str) -> str:
    return "; ".join(dict.fromkeys(scores.RULE_VERSIONS[n] for n in names))


THREE_VALUED = {
    True: Classification.MET,
    False: Classification.NOT_MET,
    None: Classification.UNDETERMINED,
}


# ---- the whole case ----


def derive_case(
    rows: CaseRows,
    findings: dict[int, list[Finding]] | None = None,
    *,
    today: date | None = None,
    survey: Survey | None = None,
) -> list[tuple[Model, Derived]]:
    """(row, derived values) for every row of the case that has derived values, the case's
    completeness and outstanding warnings included. `findings` (by id() of the row) are the
    validation findings of rows already judged; the others are judged here (as of `today`,
    by default the local date). `survey`: the case's completeness survey, if already taken."""
    summary = case_summary(rows, findings or {}, today=today, survey=survey)
    out: list[tuple[Model, Derived]] = [(rows.case, summary)]
    identity = rows.one(Identity)
    demo = rows.one(Demographics)
    haem = rows.one(HaematologicalDisease)
    birth = identity.date_of_birth if identity else None
    if demo:
        out.append((demo, demographics(demo, birth=birth, haem=haem)))
    for slicc_row in rows.many(SliccCriteria):
        out.append((slicc_row, slicc(slicc_row)))
    at_diagnosis = next((p for p in rows.many(SerologyPanel) if p.at_le_diagnosis), None)
    for criteria in rows.many(EularAcrCriteria):
        out.append((criteria, eular_acr(criteria, serology_at_diagnosis=at_diagnosis)))
    for panel in rows.many(SerologyPanel):
        out.append((panel, serology(panel)))
    sledai_scores: dict[int, Derived] = {}
    for assessment in rows.many(SledaiAssessment):
        sledai_scores[id(assessment)] = sledai(assessment)
        out.append((assessment, sledai_scores[id(assessment)]))
    tests = rows.many(NgsTest)
    variants = {id(t): rows.variants_of(t) for t in tests}
    for test in tests:
        if test.tissue == Tissue.SKIN:
            out.append((test, concordance(test, tests=tests, variants=variants)))
    if haem:
        blood = [
            v
            for t in tests
            if t.tissue in (Tissue.PERIPHERAL_BLOOD, Tissue.BONE_MARROW)
            for v in variants[id(t)]
        ]
        age = _age(birth, haem.diagnosis_date)
        out.append((haem, haematology(haem, age_at_diagnosis=age, marrow_or_blood_variants=blood)))
    for review in rows.many(CentralReview):
        out.append((review, reclassified(review)))
    for response in rows.many(LupusResponse):
        score = sledai_scores.get(id(response.sledai)) if response.sledai else None
        out.append((response, lupus_response(response, sledai_score=score)))
    return out


def case_summary(
    rows: CaseRows,
    findings: dict[int, list[Finding]],
    *,
    today: date | None = None,
    survey: Survey | None = None,
) -> Derived:
    """Completeness and the warnings the rules raise that nobody confirmed. `findings`: the
    validation of the rows being written; the others, judged when they were written (or,
    a new case's own row, when it was created), again by the rules only
    (`crf.validation.revalidate`)."""
    outstanding = 0
    today = today or timezone.localdate()  # once a case, not once a row
    for row in rows.all_rows():
        judged = findings.get(id(row))
        if judged is None:
            judged = revalidate(row, rows, today=today)
        confirmed = set(getattr(row, "acknowledged_warnings", None) or ())
        outstanding += len({f.rule for f in judged if not f.is_error} - confirmed)
    survey = survey or completeness.survey(rows)
    return {"completeness": completeness.percent_of(survey), "open_warnings": outstanding}


def changes(derived: Iterable[tuple[Model, Derived]]) -> list[tuple[Model, Derived]]:
    """Only the values that differ from what the rows hold now."""
    out = []
    for row, values in derived:
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            out.append((row, changed))
    return out


def _age(birth: date | None, on: date | None) -> int | None:
    if birth is None or on is None or on < birth:
        return None
    return scores.age_in_years(birth=birth, on=on)


# ---- section 1 ----


def demographics(
    demo: Demographics, *, birth: date | None, haem: HaematologicalDisease | None
) -> Derived:
    le_date = demo.le_diagnosis_date
    mds_date = haem.diagnosis_date if haem else None
    out: Derived = {
        "age_at_le_diagnosis": _age(birth, le_date),
        "age_at_mds_diagnosis": _age(birth, mds_date),
        "diagnosis_interval_days": None,
        "temporal_relation": "",
        "followup_years": None,
        "dates_approximate": None,
        "rule_version": versions("temporal_relation"),
    }
    used = [(le_date, precision_of(demo, "le_diagnosis_date"))]
    if le_date and mds_date:
        out["diagnosis_interval_days"] = (mds_date - le_date).days
        out["temporal_relation"] = scores.temporal_relation(le_date=le_date, mds_date=mds_date)
        used.append((mds_date, precision_of(haem, "diagnosis_date")))
    # Follow-up runs from the first diagnosis (LE or MDS/CMML) to last news or death.
    start = min((d for d in (le_date, mds_date) if d), default=None)
    end = demo.death_date or demo.last_followup_date
    if start and end and end >= start:
        out["followup_years"] = round((end - start).days / 365.25, 2)
        end_name = "death_date" if demo.death_date else "last_followup_date"
        used.append((end, precision_of(demo, end_name)))
    if any(day for day, _ in used):
        out["dates_approximate"] = not is_exact(*(p for day, p in used if day))
    return out


# ---- section 2 ----


def slicc(criteria: SliccCriteria) -> Derived:
    res = scores.slicc_2012(
        clinical={c: tristate(getattr(criteria, c)) for c in SliccClinical},
        immunological={c: tristate(getattr(criteria, c)) for c in SliccImmunological},
        biopsy_proven_nephritis=tristate(criteria.biopsy_proven_nephritis),
    )
    return {
        "classification": THREE_VALUED[res.classified],
        "clinical_count": res.clinical_count,
        "immunological_count": res.immunological_count,
        "rule_version": res.rule_version,
    }


def ana_titre_for_entry(panel: SerologyPanel | None) -> int | None:
    """EULAR/ACR entry input: the reciprocal ANA titre, 0 if negative, None if unknown.

    A positive ANA without a titre counts as 80 ("or an equivalent positive test").
    """
    if panel is None:
        return None
    if panel.ana == TestResult.NEGATIVE:
        return 0
    if panel.ana == TestResult.POSITIVE:
        return panel.ana_titre or 80
    return None


def eular_acr(
    criteria: EularAcrCriteria, *, serology_at_diagnosis: SerologyPanel | None
) -> Derived:
    res = scores.eular_acr_2019(
        ana_titre=ana_titre_for_entry(serology_at_diagnosis),
        items={c: tristate(getattr(criteria, c)) for c in EularAcrItem},
    )
    return {
        "entry_criterion": THREE_VALUED[res.entry_criterion_met],
        "points": res.points,
        "classification": THREE_VALUED[res.classified],
        "rule_version": res.rule_version,
    }


def sledai(assessment: SledaiAssessment) -> Derived:
    items = {c: tristate(getattr(assessment, c)) for c in SledaiItem}
    return {
        "score": scores.sledai_2k(items),
        "clinical_score": scores.clinical_sledai(items),
        "rule_version": versions("sledai_2k", "clinical_sledai"),
    }


def serology(panel: SerologyPanel) -> Derived:
    def below(value: float | None, limit: float | None) -> bool | None:
        return None if value is None or limit is None else value < limit

    return {
        "low_c3": below(panel.c3, panel.c3_lower_limit),
        "low_c4": below(panel.c4, panel.c4_lower_limit),
    }


# ---- sections 5–6 ----


def variant_key(variant: NgsVariant) -> tuple[str, ...]:
    """What makes two variants 'the same': the gene and the most precise notation given."""
    notation = variant.hgvs_c or variant.hgvs_p
    return (variant.gene, notation) if notation else (variant.gene,)


def cytogenetic_risk(haem: HaematologicalDisease) -> str:
    if haem.cytogenetic_risk_override:
        return haem.cytogenetic_risk_override
    if haem.cytogenetics_done != YesNo.YES or haem.karyotype not in Karyotype.values:
        return ""
    ticked = {code for code in CytogeneticAbnormality if getattr(haem, code)}
    try:
        return scores.ipssr_cytogenetic_risk(
            abnormalities=ticked,
            abnormality_count=haem.abnormality_count,
            normal=haem.karyotype == Karyotype.NORMAL,
        )
    except ValueError:
        return ""


def haematology(
    haem: HaematologicalDisease,
    *,
    age_at_diagnosis: int | None,
    marrow_or_blood_variants: Iterable[NgsVariant],
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
        try:
            res = scores.ipssr(
                hb=haem.hb,
                anc=haem.anc,
                platelets=haem.platelets,
                bm_blasts=haem.bm_blasts,
                cytogenetic_risk=out["cytogenetic_risk"],
            )
        except ValueError:
            res = None  # out of the score's range (a unit slip): validation explains
        if res is not None:
            out.update(
                ipssr_score=res.score,
                ipssr_category=res.category,
                ipssr_lower_risk=res.lower_risk,
            )
            if age_at_diagnosis is not None:
                try:
                    out["ipssra_score"] = round(
                        scores.ipssr_age_adjusted(score=res.score, age=age_at_diagnosis), 3
                    )
                except ValueError:
                    pass  # an age out of the score's range (a date of birth mistyped)
    try:
        if haem.disease == Disease.MDS:
            out.update(_who_mds(haem, variants))
        elif haem.disease == Disease.CMML:
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
    out["rule_version"] = versions(
        "ipssr", "ipssr_age_adjusted", "ipssr_cytogenetic_risk", "who2022_mds_subtype",
        "who2016_mds_subtype",
    )  # fmt: skip
    return out


def _who_mds(haem: HaematologicalDisease, variants: list[NgsVariant]) -> Derived:
    if haem.bm_blasts is None:
        return {}
    tp53 = [v for v in variants if v.gene == "TP53"]
    sf3b1 = [v for v in variants if v.gene == "SF3B1"]
    count = haem.abnormality_count
    fibrosis = int(haem.fibrosis_grade[2]) if haem.fibrosis_grade.startswith("mf") else None
    who2022 = scores.who2022_mds_subtype(
        bm_blasts=haem.bm_blasts,
        pb_blasts=haem.pb_blasts,
        auer_rods=haem.auer_rods == YesNo.YES,
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
            getattr(haem, f) == YesNo.YES
            for f in ("dysgranulopoiesis", "dyserythropoiesis", "dysmegakaryopoiesis")
        )
        out["who2016_computed"] = scores.who2016_mds_subtype(
            dysplastic_lineages=dysplastic,
            cytopenias=scores.who2016_cytopenias(
                hb=haem.hb, platelets=haem.platelets, anc=haem.anc
            ),
            bm_blasts=haem.bm_blasts,
            pb_blasts=haem.pb_blasts,
            auer_rods=haem.auer_rods == YesNo.YES,
            ring_sideroblasts_pct=haem.ring_sideroblasts,
            sf3b1_mutated=bool(sf3b1) if variants else None,
            del5q=haem.del5q,
            minus_7_or_del7q=haem.minus_7 or haem.del7q,
            abnormality_count=count,
        )
    return out


def _who_cmml(haem: HaematologicalDisease) -> Derived:
    needed = (haem.monocytes, haem.monocytes_pct, haem.wbc, haem.pb_blasts, haem.bm_blasts)
    if None in needed:
        return {}
    dysplasia = [
        tristate(getattr(haem, f))
        for f in ("dysgranulopoiesis", "dyserythropoiesis", "dysmegakaryopoiesis")
    ]
    clonal = True if haem.karyotype == Karyotype.ABNORMAL else None
    res = scores.who2022_cmml(
        monocytes_abs=haem.monocytes,
        monocytes_pct=haem.monocytes_pct,
        wbc=haem.wbc,
        pb_blasts=haem.pb_blasts,
        bm_blasts=haem.bm_blasts,
        dysplasia=True if True in dysplasia else (False if dysplasia == [False] * 3 else None),
        clonal_abnormality=clonal,
        auer_rods=haem.auer_rods == YesNo.YES,
    )
    # Only a CMML the criteria establish gets its subgroup (or AML at >= 20% blasts); an
    # undetermined one stays blank, so nothing downstream counts it as WHO 2022 CMML.
    established = res.meets_criteria is True or res.subgroup == Who2022.AML
    return {
        "who2022_computed": res.subgroup if established else "",
        "cmml_subtype_computed": (res.subtype or "") if res.meets_criteria is True else "",
        "who2016_computed": scores.who2016_cmml_subgroup(
            pb_blasts=haem.pb_blasts,
            bm_blasts=haem.bm_blasts,
            auer_rods=haem.auer_rods == YesNo.YES,
        ),
    }


def concordance(
    skin_test: NgsTest, *, tests: list[NgsTest], variants: dict[int, list[NgsVariant]]
) -> Derived:
    """Does the skin test share a variant with a blood or marrow test of the same case?"""
    reference = [t for t in tests if t.tissue in (Tissue.PERIPHERAL_BLOOD, Tissue.BONE_MARROW)]
    if not reference:
        return {"concordance": Concordance.NOT_EVALUABLE, "shared_genes": ""}
    skin_keys = {variant_key(v) for v in variants[id(skin_test)]}
    blood_keys = {variant_key(v) for t in reference for v in variants[id(t)]}
    shared = sorted({key[0] for key in skin_keys & blood_keys})
    return {
        "concordance": Concordance.CONCORDANT if shared else Concordance.DISCORDANT,
        "shared_genes": ", ".join(shared),
    }


# ---- sections 7–8 ----


def reclassified(review: CentralReview) -> Derived:
    local = review.biopsy.local_diagnosis
    return {"reclassified": review.diagnosis != local if is_answered(local) else None}


def lupus_response(response: LupusResponse, *, sledai_score: Derived | None) -> Derived:
    if sledai_score is None or sledai_score["score"] is None:
        return {"derived": "", "disagrees": None, "rule_version": ""}
    derived = scores.lupus_response(
        sledai_2k=sledai_score["score"], clinical_sledai=sledai_score["clinical_score"]
    )
    recorded = response.recorded
    return {
        "derived": derived,
        "disagrees": recorded != derived if is_answered(recorded) else None,
        "rule_version": versions("lupus_response"),
    }
