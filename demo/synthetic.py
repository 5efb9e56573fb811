"""Synthetic cohorts at network scale (`manage.py generate_synthetic --cases N --seed S`).

Unlike the demo cohort (demo.cohort: 62 patients shaped like the study), these are many
plausible, made-up patients across every centre, for benchmarks and load tests: every
section and repeating group filled at plausible rates (about ten repeating rows a case),
some dates known to the month or the year only, some values missing with each of the
missing-data codes. They are written through the batch path (crf.batch), so validated,
derived and audited like any other data, in chunks of cases.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from crf import access
from crf.batch import Item, NewCase, batch_save
from crf.codes import SledaiItem, SliccClinical, SliccImmunological
from crf.models import (
    AdverseEvent,
    CutaneousLesion,
    Demographics,
    EularAcrCriteria,
    EvolutionEvent,
    HaematologicalDisease,
    HaematologicalResponse,
    Identity,
    LupusProfile,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SkinBiopsy,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)
from registry.audit import Source

MISSING = ("unknown", "not_done", "not_applicable")
GENES = ("TET2", "ASXL1", "SRSF2", "KRAS", "NRAS", "CBL", "DNMT3A", "TP53", "RUNX1", "IDH2")
SUBTYPES = ("chilblain", "dle_localized", "scle_annular", "acle_localized", "tumid")
CHUNK = 500  # cases per batch: bounded memory, one transaction each


def _yes_no(rng: random.Random, p_yes: float, p_missing: float = 0.05) -> str:
    roll = rng.random()
    if roll < p_missing:
        return rng.choice(MISSING[:2])
    return "yes" if roll < p_missing + p_yes else "no"


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _partial(rng: random.Random, name: str, day: date) -> dict[str, Any]:
    """A date, known to the month or the year only now and then (retrospective data)."""
    roll = rng.random()
    if roll < 0.08:
        return {name: day.replace(month=1, day=1), f"{name}_precision": "year"}
    if roll < 0.25:
        return {name: day.replace(day=1), f"{name}_precision": "month"}
    return {name: day}


def _measure(rng: random.Random, name: str, low: float, high: float, p_missing: float = 0.08):
    if rng.random() < p_missing:
        return {f"{name}_missing": rng.choice(MISSING[:2])}
    return {name: round(rng.uniform(low, high), 2)}


def patient(rng: random.Random, centre_id: int, number: int) -> list[Item]:
    """The items of one new synthetic patient (a case with MDS/CMML, or a control)."""
    is_case = rng.random() < 0.4
    case = NewCase(centre_id=centre_id, group="case" if is_case else "control",
                   data={"consent": "yes"})  # fmt: skip
    birth = _day(rng, date(1930, 1, 1), date(1990, 12, 31))
    le = _day(rng, max(birth + timedelta(days=365 * 16), date(1990, 1, 1)), date(2022, 6, 30))
    end = _day(rng, le + timedelta(days=120), date(2024, 6, 30))
    items = [
        Item(case, Identity, {"local_identifier": f"SYN-{number:07d}", "initials": "XY",
                              "date_of_birth": birth}),
    ]  # fmt: skip
    dead = rng.random() < 0.15
    items.append(Item(case, Demographics, {
        "sex": rng.choice(("female", "male") if is_case else ("female",) * 9 + ("male",)),
        **_partial(rng, "le_diagnosis_date", le),
        "last_followup_date": end,
        "vital_status": "dead" if dead else rng.choice(("alive",) * 9 + ("lost",)),
        **({"death_date": end, "death_cause": rng.choice(("sepsis", "cardiac", "unknown"))}
           if dead else {}),
    }))  # fmt: skip
    renal = rng.random() < (0.1 if is_case else 0.6)
    items.append(Item(case, LupusProfile, {
        "le_type": "sle" if not is_case or rng.random() < 0.8 else "isolated_cle",
        "cutaneous": _yes_no(rng, 0.7),
        "articular": rng.choice(("none", "arthralgia", "arthritis")),
        "pleuritis": _yes_no(rng, 0.2), "pericarditis": _yes_no(rng, 0.1),
        "renal": "yes" if renal else "no",
        "nephritis_class": rng.choice(("III", "IV")) if renal else "",
        "neurological": _yes_no(rng, 0.05),
        "autoimmune_haemolytic_anaemia": _yes_no(rng, 0.05),
        "antiphospholipid_syndrome": _yes_no(rng, 0.05), "drug_induced_suspected": "no",
        "haematological_malignancy": "no" if not is_case else "not_applicable",
        **_measure(rng, "mcv", 75, 105),
    }))  # fmt: skip
    items.append(Item(case, SliccCriteria, {
        **{c: _yes_no(rng, 0.5) for c in SliccClinical.values},
        **{c: _yes_no(rng, 0.6) for c in SliccImmunological.values},
        "biopsy_proven_nephritis": "yes" if renal else "no",
    }))  # fmt: skip
    items.append(Item(case, EularAcrCriteria, {"joint_involvement": _yes_no(rng, 0.6),
                                               "fever": _yes_no(rng, 0.3)}))  # fmt: skip
    positive = rng.random() < 0.9
    items.append(Item(case, SerologyPanel, {
        "at_le_diagnosis": True, **_partial(rng, "sampled_on", le),
        "ana": "positive" if positive else "negative",
        "ana_titre": rng.choice((160, 320, 640, 1280)) if positive else None,
        "anti_dsdna": rng.choice(("positive", "negative", "not_done")),
        **{t: rng.choice(("positive", "negative", "negative", "not_done"))
           for t in ("anti_ssa", "anti_ssb", "anti_sm", "anti_rnp", "anti_cardiolipin")},
        **_measure(rng, "c3", 0.4, 1.6), "c3_lower_limit": 0.9,
        **_measure(rng, "c4", 0.05, 0.4), "c4_lower_limit": 0.1,
    }))  # fmt: skip
    for context, on in (("le_diagnosis", le), ("follow_up", _day(rng, le, end))):
        items.append(Item(case, SledaiAssessment, {
            "context": context, "assessed_on": on,
            **{c: _yes_no(rng, 0.15, 0.02) for c in SledaiItem.values},
        }))  # fmt: skip
    for _ in range(rng.randint(0, 2)):
        items.append(Item(case, CutaneousLesion, {
            "subtype": rng.choice(SUBTYPES),
            "site_fingers": rng.random() < 0.4, "site_face": rng.random() < 0.4,
            "ulceration": _yes_no(rng, 0.2),
        }))  # fmt: skip
    hcq = Item(case, Treatment, {"agent": "hydroxychloroquine", "regimen": "hcq_alone",
                                 "target": "lupus", "route": "systemic",
                                 **_partial(rng, "started_on", _day(rng, le, end))})  # fmt: skip
    items += [
        hcq,
        Item(
            case,
            LupusResponse,
            {
                "recorded": rng.choice(
                    ("complete_response", "clinical_response", "no_response", "unknown")
                )
            },
            parent=hcq,
        ),
    ]
    if is_case:
        items += _haematology(rng, case, le, end)
    return items


def _haematology(rng: random.Random, case: NewCase, le: date, end: date) -> list[Item]:
    cmml = rng.random() < 0.3
    window = timedelta(days=365 * 3)
    mds_date = _day(rng, max(le - window, date(1990, 1, 1)), min(end, le + window))
    haem: dict[str, Any] = {
        "disease": "cmml" if cmml else "mds", "diagnosis_date": mds_date,
        "who2022_recorded": "cmml_1" if cmml else rng.choice(("mds_lb", "mds_lb", "mds_ib1")),
        "hb": round(rng.uniform(7, 14), 1), "anc": round(rng.uniform(0.5, 4), 2),
        "platelets": float(rng.randint(40, 350)), "bm_blasts": float(rng.randint(0, 9)),
        "pb_blasts": 0.0, "dysgranulopoiesis": _yes_no(rng, 0.5),
        "dyserythropoiesis": _yes_no(rng, 0.4), "dysmegakaryopoiesis": _yes_no(rng, 0.5),
        "cytogenetics_done": "yes", "karyotype": "normal",
        "therapy_related": "no", "vexas_documented": "no", "uba1_tested": "no",
    }  # fmt: skip
    if cmml:
        # CMML's monocytosis (>= 10% of WBC) holds for any draw: WBC <= 10 x monocytes.
        monocytes = round(rng.uniform(1.0, 3.0), 2)
        haem |= {"monocytes": monocytes, "wbc": round(rng.uniform(5, min(12, 9.5 * monocytes)), 1)}
        haem["monocytes_pct"] = round(100 * haem["monocytes"] / haem["wbc"], 1)
    items = [Item(case, HaematologicalDisease, haem)]
    blood = Item(case, NgsTest, {"tissue": "peripheral_blood", "result": "variants",
                                 "sampled_on": mds_date})  # fmt: skip
    items.append(blood)
    for gene in rng.sample(GENES, rng.randint(1, 3)):
        items.append(Item(case, NgsVariant, {"gene": gene, "vaf": round(rng.uniform(5, 60), 1)},
                          parent=blood))  # fmt: skip
    if rng.random() < 0.3:
        biopsy = Item(case, SkinBiopsy, {"taken_on": _day(rng, le, end), "site": "fingers",
                                         "local_diagnosis": "cle"})  # fmt: skip
        items.append(biopsy)
    if rng.random() < 0.3:
        aza = Item(case, Treatment, {"agent": "azacitidine", "regimen": "azacitidine",
                                     "target": "both", "route": "systemic",
                                     "cycles": rng.randint(3, 30),
                                     "started_on": _day(rng, mds_date, end)})  # fmt: skip
        items += [
            aza,
            Item(case, HaematologicalResponse, {"criteria": "iwg_2018", "category": rng.choice(
                ("partial_response", "stable_disease", "progression"))}, parent=aza),
            Item(case, AdverseEvent, {"category": "infection", "treatment": aza}),
        ]  # fmt: skip
    if rng.random() < 0.2:
        items.append(Item(case, EvolutionEvent, {"new_state": "mds_ib2", "occurred_on": end}))
    return items


def generate(
    *,
    cases: int,
    seed: int,
    centre_ids: list[int],
    progress: Callable[[int, int], None] | None = None,
    chunk: int = CHUNK,
) -> int:
    """Write `cases` synthetic patients (reproducible from `seed`) in chunks; returns rows."""
    rng = random.Random(seed)
    written = 0
    for start in range(0, cases, chunk):
        items = [
            item
            for n in range(start, min(cases, start + chunk))
            for item in patient(rng, rng.choice(centre_ids), seed * 10_000_000 + n)
        ]
        result = batch_save(
            actor=access.SYSTEM,
            items=items,
            source=Source.SYSTEM,
            reason="synthetic cohort",
            acknowledge_all=True,
        )
        written += sum(result.created.values())
        if progress:
            progress(min(cases, start + chunk), cases)
    return written
