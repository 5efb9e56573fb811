"""Synthetic demo data for `manage.py seed_demo`: centres, accounts, cases and controls.

Every value is made up and drawn from `random.Random(SEED)`, so every run plans the same
cohort. Its shape follows the study (../shared/study/manuscript.txt: Table 1, Table 2,
Figure 3, the case-control contrasts) so that analysis tables look sensible: 24 cases
(MDS/CMML-associated LE: older, more male, chilblain CLE, few anti-dsDNA, mostly lower-risk
MDS/CMML) and 38 idiopathic SLE controls (young, female, renal and articular, high ANA
titres). No real patient, no real hospital.

Idempotent: centre codes, usernames and the identities' `DEMO-…` local identifiers are the
keys; whatever already exists is left as it is (passwords included).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from django.db import models, transaction

from crf import access, derive, scores
from crf.batch import batch_save, items_from_rows
from crf.codes import SledaiItem
from crf.models import (
    AdverseEvent,
    Case,
    CentralReview,
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
from registry.audit import Source, audit_context
from registry.models import Centre, Membership, Role, User

SEED = 20250919
DEMO_PASSWORD = "registry-demo"  # documented demo password, printed by seed_demo
FREEZE = date(2024, 6, 30)  # data freeze: the cohort does not depend on today's date
CONTROL_CENTRE = "c03"  # the study's controls came from one centre's SLE cohort
N_CASES, N_CONTROLS = 24, 38

CENTRES: tuple[tuple[str, str, str, str], ...] = (
    ("c01", "Hôpital des Acacias (démo)", "Valmont", "FR"),
    ("c02", "Hôpital des Tilleuls (démo)", "Montclair", "FR"),
    ("c03", "Centre hospitalier des Cèdres (démo)", "Rivebelle", "FR"),
    ("c04", "Hôpital du Val Fleuri (démo)", "Castelmont", "FR"),
    ("c05", "Hôpital des Glycines (démo)", "Beaupré", "FR"),
    ("c06", "Centre hospitalier des Érables (démo)", "Haute-Rive", "FR"),
    ("c07", "Hôpital des Mimosas (démo)", "Clairval", "FR"),
    ("c08", "Hôpital du Vieux Moulin (démo)", "Prévert", "FR"),
    ("c09", "Centre hospitalier des Saules (démo)", "Bellerive", "FR"),
    ("c10", "Hôpital des Hêtres (démo)", "Fontclaire", "FR"),
    ("c11", "Clinique universitaire des Lilas (démo)", "Verval", "BE"),
    ("c12", "Hôpital cantonal des Sorbiers (démo)", "Montsalève", "CH"),
    ("c13", "Hôpital des Oliviers (démo)", "Bordj Nour", "TN"),
)
# Centres 1 and 2 hold several cases each; the others one or two, as in a call for cases.
CASE_CENTRES = ("c01",) * 5 + ("c02",) * 4 + tuple(c[0] for c in CENTRES[2:]) + (
    "c04", "c05", "c06", "c07",
)  # fmt: skip


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    centre: str | None
    first_name: str
    last_name: str
    admin: bool = False


ACCOUNTS = (
    DemoAccount("investigator1", Role.INVESTIGATOR, "c01", "Iris", "Investigator"),
    DemoAccount("investigator2", Role.INVESTIGATOR, "c02", "Ivan", "Investigator"),
    DemoAccount("coordinator", Role.COORDINATOR, None, "Colette", "Coordinator"),
    DemoAccount("pathologist", Role.CENTRAL_REVIEWER, None, "Paul", "Pathologist"),
    DemoAccount("statistician", Role.STATISTICIAN, None, "Stella", "Statistician"),
    DemoAccount("admin", Role.REGISTRY_ADMIN, None, "Ada", "Admin", admin=True),
    # A second administrator: a membership asked for by one is approved by the other.
    DemoAccount("admin2", Role.REGISTRY_ADMIN, None, "Adam", "Admin"),
)


@dataclass
class SeedReport:
    """What one run created (a second run reports zeros)."""

    centres: int = 0
    accounts: int = 0
    passwords_reset: int = 0
    rows: Counter[str] = field(default_factory=Counter)  # model name -> rows created

    @property
    def created_anything(self) -> bool:
        return bool(self.centres or self.accounts or sum(self.rows.values()))


def seed_demo(*, reset_passwords: bool = False) -> SeedReport:
    """Create what is missing of the demo data set, in one transaction and audit context."""
    report = SeedReport()
    with transaction.atomic(), audit_context(source=Source.SYSTEM, reason="synthetic demo data"):
        centres = _seed_centres(report)
        users = _seed_accounts(centres, report, reset_passwords=reset_passwords)
        _seed_patients(centres, users, report)
    return report


# ---- centres and accounts ----


def seed_centres() -> dict[str, Centre]:
    """The demo centres, created when missing (also used by generate_synthetic)."""
    return _seed_centres(SeedReport())


def _seed_centres(report: SeedReport) -> dict[str, Centre]:
    existing = {c.code: c for c in Centre.objects.filter(code__in=[c[0] for c in CENTRES])}
    new = [
        Centre(code=code, name=name, city=city, country=country)
        for code, name, city, country in CENTRES
        if code not in existing
    ]
    Centre.objects.bulk_create(new)
    report.centres = len(new)
    return existing | {c.code: c for c in new}


def _seed_accounts(
    centres: dict[str, Centre], report: SeedReport, *, reset_passwords: bool
) -> dict[str, User]:
    users = {}
    for account in ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = User(
                username=account.username,
                first_name=account.first_name,
                last_name=account.last_name,
                email=f"{account.username}@demo.invalid",
                is_staff=account.role == Role.REGISTRY_ADMIN,
                is_superuser=account.admin,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            report.accounts += 1
        elif reset_passwords:
            # Only on request: a developer may have changed a demo password on purpose.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            report.passwords_reset += 1
        Membership.objects.get_or_create(
            user=user,
            role=account.role,
            defaults={"centre": centres[account.centre] if account.centre else None},
        )
        users[account.username] = user
    return users


# ---- the cohort plan (cohort-level quotas, drawn once from the seed) ----


@dataclass
class Patient:
    """What is decided for one patient before any row is built."""

    local_id: str
    group: str
    centre: str
    status: str
    sex: str = "female"
    age_at_le: int = 30
    le_type: str = "sle"
    # Clinical and serological features (see _slicc, _eular, _sledai_at_diagnosis).
    features: set[str] = field(default_factory=set)
    cle: list[str] = field(default_factory=list)  # chilblain, discoid, subacute, acute, ...
    renal_class: str = ""
    ana_titre: int | None = None  # None: ANA negative
    # Cases only.
    relation: str = ""
    death_cause: str = ""
    disease: str = ""
    who2016: str = ""
    high_risk: bool = False
    counts: dict[str, float] = field(default_factory=dict)
    dysplasia: tuple[bool, bool, bool] = (False, False, False)
    karyotype: tuple[str, ...] | None = ()  # checklist codes; None: cytogenetics not done
    ngs_tissue: str = ""
    genes: list[str] = field(default_factory=list)
    biopsy_dx: str = ""
    biopsies: int = 0
    skin_ngs: str = ""  # concordant | low_vaf | no_variant
    lupus_regimens: list[tuple[str, str]] = field(default_factory=list)  # (regimen, response)
    topical: list[tuple[str, str]] = field(default_factory=list)
    haem_regimen: tuple[str, str] | None = None  # (regimen, IWG category)
    evolution: str = ""

    @property
    def is_case(self) -> bool:
        return self.group == "case"


def _deal(rng: random.Random, n: int, counts: dict[str, int], rest: str = "") -> list[str]:
    """n labels with exactly the given counts (`rest` for the others), shuffled."""
    labels = [label for label, k in counts.items() for _ in range(k)]
    labels += [rest] * (n - len(labels))
    rng.shuffle(labels)
    return labels


def _pick(rng: random.Random, pool: Sequence[Patient], k: int) -> list[Patient]:
    return rng.sample(list(pool), min(k, len(pool)))


def _give(rng: random.Random, pool: Sequence[Patient], feature: str, k: int) -> list[Patient]:
    chosen = _pick(rng, pool, k)
    for p in chosen:
        p.features.add(feature)
    return chosen


def plan_cohort(rng: random.Random) -> list[Patient]:
    """All 62 patients, always planned in full so the random stream never shifts."""
    return _plan_cases(rng) + _plan_controls(rng)


def _plan_cases(rng: random.Random) -> list[Patient]:
    n = N_CASES
    centres = list(CASE_CENTRES)
    rng.shuffle(centres)
    statuses = _deal(rng, n, {"submitted": 9, "queried": 1, "verified": 2, "locked": 2}, "draft")
    ps = [Patient(f"DEMO-CASE-{i + 1:03d}", "case", centres[i], statuses[i]) for i in range(n)]
    # Lupus: 19 SLE, 5 isolated CLE; 13 men (10 of them SLE); age at LE 66 [32-85].
    for p, le_type in zip(ps, _deal(rng, n, {"isolated_cle": 5}, "sle"), strict=True):
        p.le_type = le_type
        p.age_at_le = round(min(85, max(45, rng.gauss(65, 10))))
    rng.choice(ps).age_at_le = rng.randint(32, 44)  # the study's range starts at 32
    sle = [p for p in ps if p.le_type == "sle"]
    cle = [p for p in ps if p.le_type == "isolated_cle"]
    for group, men in ((sle, 10), (cle, 3)):
        for p in _pick(rng, group, men):
            p.sex = "male"
    for p, relation in zip(
        ps, _deal(rng, n, {"le_before": 10, "concomitant": 10, "le_after": 4}), strict=True
    ):
        p.relation = relation
    _plan_case_lupus(rng, sle, cle)
    _plan_haematology(rng, ps)
    _plan_treatments(rng, ps)
    _plan_skin(rng, ps)
    _plan_ngs(rng, ps)
    _plan_deaths(rng, ps)
    return ps


def _plan_case_lupus(rng: random.Random, sle: list[Patient], cle: list[Patient]) -> None:
    # Cutaneous in 17: every CLE and 12 SLE; 15 with specific LE lesions, 2 non-specific.
    skin = cle + _pick(rng, sle, 12)
    specific = cle + _pick(rng, [p for p in skin if p not in cle], 10)
    for p in skin:
        if p not in specific:
            p.cle.append("nonspecific")
    # Patients per subtype (Table 1), spread so that each specific patient has at least one.
    for subtype, k in (("chilblain", 6), ("discoid", 5), ("subacute", 5), ("acute", 4),
                       ("tumid", 4)):  # fmt: skip
        order = sorted(specific, key=lambda p: (len(p.cle), rng.random()))
        for p in order[:k]:
            p.cle.append(subtype)
    for p, articular in zip(_pick(rng, sle, 7), ["arthritis"] * 2 + ["arthralgia"] * 5,
                            strict=True):  # fmt: skip
        p.features.add(articular)
    _give(rng, cle, "arthralgia", 2)
    serositis = _pick(rng, sle, 7)
    for p in serositis[:5]:
        p.features.add("pleuritis")
    for p in serositis[5:]:
        p.features.add("pericarditis")
    for p, cls in zip(_pick(rng, sle, 2), ("III", "IV"), strict=True):
        p.features.add("renal")
        p.renal_class = cls
    aiha, aps = _pick(rng, sle, 2)
    aiha.features |= {"aiha", "coombs"}
    aps.features |= {"aps", "acl", "b2gpi", "la"}
    for feature, k in (("fever", 6), ("alopecia", 3), ("oral_ulcers", 2), ("leukopenia", 5),
                       ("lymphopenia", 6), ("thrombocytopenia", 3), ("dsdna", 6), ("sm", 2),
                       ("nucleosome", 3), ("rnp", 2), ("low_c3", 10), ("low_c4", 9)):  # fmt: skip
        _give(rng, sle, feature, k)
    _give(rng, [p for p in sle if p is not aps], "acl", 1)
    _give(rng, [p for p in sle if p is not aps], "b2gpi", 2)
    for p in _give(rng, sle, "ssa", 3)[:2]:
        p.features.add("ssb")
    # ANA: every SLE, one CLE; four CLE without any antibody. Titres 1:160 to 1:1280.
    titres = [160] * 9 + [320] * 5 + [640] * 4 + [1280] * 2
    rng.shuffle(titres)
    for p, titre in zip([*sle, cle[0]], titres, strict=True):
        p.ana_titre = titre
    for p in sle:
        _top_up_slicc(p, ("lymphopenia", "alopecia", "oral_ulcers", "low_c4"))
        # SLEDAI-2K at diagnosis 9 [5-16]: add minor active features up to a drawn target.
        target, extra = rng.randint(5, 14), ["fever", "alopecia", "oral_ulcers", "leukopenia"]
        rng.shuffle(extra)
        for feature in extra:
            if scores.sledai_2k(_active_at_diagnosis(None, p)) >= target:
                break
            p.features.add(feature)


def _plan_haematology(rng: random.Random, ps: list[Patient]) -> None:
    n = len(ps)
    quotas = {"mds_mld": 8, "mds_sld": 2, "mds_u": 2, "mds_eb1": 4,
              "cmml_0": 5, "cmml_1": 2, "cmml_2": 1}  # fmt: skip
    subtypes = _deal(rng, n, quotas)
    for p, who2016 in zip(ps, subtypes, strict=True):
        p.who2016, p.disease = who2016, who2016.split("_")[0]
    # Two higher-risk (IPSS-R > 3.5): the CMML-2 and one MDS with excess blasts.
    for p in ps:
        p.high_risk = p.who2016 == "cmml_2"
    rng.choice([p for p in ps if p.who2016 == "mds_eb1"]).high_risk = True
    # Cytogenetics: not done in 2; normal in 13; del(20q) 6, del(5q) 1, del(11q) 1, and one
    # del(11q) + del(9q). The del(5q) goes to MDS with excess blasts (blasts decide first).
    done = [p for p in ps if p.high_risk] + _pick(rng, [p for p in ps if not p.high_risk], 20)
    for p in ps:
        p.karyotype = None if p not in done else ()
    del5q = rng.choice([p for p in done if p.who2016 == "mds_eb1" and not p.high_risk])
    del5q.karyotype = ("del5q",)
    # The double abnormality (intermediate) goes to low blasts, or IPSS-R would exceed 3.5.
    low_blasts = [p for p in done if p.who2016 in ("mds_mld", "mds_sld", "mds_u", "cmml_0")]
    double = rng.choice(low_blasts)
    double.karyotype = ("del11q", "del9q")
    others = _pick(rng, [p for p in done if p not in (del5q, double)], 7)
    for p, abn in zip(others, [("del20q",)] * 6 + [("del11q",)], strict=True):
        p.karyotype = abn
    # Cytopenias at MDS/CMML diagnosis: Hb < 10 in 11, ANC < 1 in 8, platelets < 100 in 7.
    anaemic = _deal(rng, n, {"y": 11})
    neutropenic = _deal(rng, n, {"y": 8})
    thrombopenic = _deal(rng, n, {"y": 7})
    for i, p in enumerate(ps):
        p.counts = _blood_counts(
            rng, p, anaemic[i] == "y", neutropenic[i] == "y", thrombopenic[i] == "y"
        )
        p.dysplasia = _dysplasia(rng, p)
        _keep_risk(p)


def _blood_counts(
    rng: random.Random, p: Patient, anaemic: bool, neutropenic: bool, thrombopenic: bool
) -> dict[str, float]:
    if p.high_risk:
        anaemic = neutropenic = thrombopenic = True
    hb = rng.uniform(6.5, 9.9) if anaemic else rng.uniform(10.1, 14.3)
    anc = rng.uniform(0.1, 0.95) if neutropenic else rng.uniform(1.1, 4.5)
    platelets = rng.uniform(31, 97) if thrombopenic else rng.uniform(105, 380)
    lymphocytes = rng.uniform(0.5, 0.95) if "lymphopenia" in p.features else rng.uniform(1.0, 2.4)
    bm_blasts, pb_blasts = float(rng.randint(0, 4)), 0.0
    monocytes = rng.uniform(0.1, 0.6)
    if p.disease == "cmml":
        monocytes = rng.uniform(1.6, 2.5)
        anc = anc if neutropenic else rng.uniform(1.5, 11.0)
        platelets = platelets if thrombopenic else rng.uniform(105, 457)
    match p.who2016:
        case "mds_eb1" | "cmml_1":
            bm_blasts = float(rng.randint(5, 9))
        case "cmml_2":
            bm_blasts = float(rng.randint(11, 18))
        case "mds_u":
            pb_blasts = 1.0  # WHO 2016: 1% blood blasts makes MDS unclassifiable
    if p.who2016 in ("cmml_1", "cmml_2"):
        pb_blasts = float(rng.randint(0, 3))
    return {
        "hb": round(hb, 1), "anc": round(anc, 2), "platelets": float(round(platelets)),
        "lymphocytes": round(lymphocytes, 2), "monocytes": round(monocytes, 2),
        "bm_blasts": bm_blasts, "pb_blasts": pb_blasts,
        "mcv": float(rng.randint(88, 103) if rng.random() < 0.8 else rng.randint(72, 87)),
    }  # fmt: skip


def _dysplasia(rng: random.Random, p: Patient) -> tuple[bool, bool, bool]:
    """(granulocytic, erythroid, megakaryocytic) dysplasia, as the WHO 2016 subtype needs."""
    # Blasts, monocytes or blood blasts define the other subtypes, with or without dysplasia.
    lineages = {"mds_sld": 1, "mds_mld": rng.choice((2, 2, 3))}.get(
        p.who2016, rng.choice((0, 1, 1, 2))
    )
    # Weighted draw without replacement: erythroid dysplasia is the least frequent (Table 1).
    keys = sorted(range(3), key=lambda i: rng.random() ** (1 / (1.2, 0.8, 1.1)[i]), reverse=True)
    flags = [i in keys[:lineages] for i in range(3)]
    return flags[0], flags[1], flags[2]


def _ipssr(p: Patient) -> float | None:
    if p.karyotype is None:
        return None
    c = p.counts
    risk = scores.ipssr_cytogenetic_risk(abnormalities=set(p.karyotype), normal=not p.karyotype)
    return scores.ipssr(
        hb=c["hb"], anc=c["anc"], platelets=c["platelets"], bm_blasts=c["bm_blasts"],
        cytogenetic_risk=risk,
    ).score  # fmt: skip


def _keep_risk(p: Patient) -> None:
    """Lower-risk patients stay at IPSS-R <= 3.5 (the study's 92%); MDS keeps a cytopenia."""
    c = p.counts
    for key, value in (("anc", 1.2), ("platelets", 110.0), ("hb", 10.2)):
        score = _ipssr(p)
        if p.high_risk or score is None or score <= scores.IPSSR_LOWER_RISK_MAX:
            break
        c[key] = max(c[key], value)
    if p.disease == "mds" and not scores.who2016_cytopenias(
        hb=c["hb"], platelets=c["platelets"], anc=c["anc"]
    ):
        c["anc"] = 1.45  # WHO 2016 calls ANC < 1.8 a cytopenia; IPSS-R does not count it
    if p.who2016 == "mds_sld" and c["hb"] < 10 and c["platelets"] < 100 and c["anc"] < 1.8:
        c["platelets"] = 120.0  # single-lineage dysplasia with pancytopenia would be MDS-U


def _plan_treatments(rng: random.Random, ps: list[Patient]) -> None:
    """Regimens and responses after Figure 3 and Table 2 (counts per regimen)."""
    mds = sorted((p for p in ps if p.disease == "mds"), key=lambda p: p.age_at_le)
    allo = mds[0]  # the youngest
    allo.haem_regimen, allo.evolution = ("allo_hsct", "complete_response"), "mds_ib2"
    aza_ven = rng.choice([p for p in mds[len(mds) // 2 :] if p.karyotype is not None])
    aza_ven.haem_regimen, aza_ven.evolution = ("aza_venetoclax", "complete_response"), "aml"
    # Azacitidine: higher-risk and blast-excess patients first.
    rank = {"cmml_2": 0, "cmml_1": 1, "mds_eb1": 1}
    pool = [p for p in ps if p.haem_regimen is None]
    pool.sort(key=lambda p: (not p.high_risk, rank.get(p.who2016, 2), rng.random()))
    aza = pool[:5]
    categories = ["partial_response", "partial_response", "stable_disease", "progression",
                  "progression"]  # fmt: skip
    rng.shuffle(categories)
    for p, category in zip(aza, categories, strict=True):
        p.haem_regimen = ("azacitidine", category)
    progressed = [p for p in aza if p.haem_regimen == ("azacitidine", "progression")]
    progressed[0].evolution = "aml"
    if progressed[1].disease == "cmml":
        progressed[1].evolution = "cmml_2" if progressed[1].who2016 != "cmml_2" else "aml"
    cmml0 = [p for p in ps if p.who2016 == "cmml_0" and not p.evolution]
    if cmml0:
        rng.choice(cmml0).evolution = "cmml_1"

    def deal_regimen(regimen: str, pool: Sequence[Patient], responses: dict[str, int]) -> None:
        labels = _deal(rng, sum(responses.values()), responses)
        # Not strict: a small pool (e.g. no del(20q) left for lenalidomide) gets fewer.
        for p, response in zip(_pick(rng, pool, len(labels)), labels, strict=False):
            p.lupus_regimens.append((regimen, response))

    sle = [p for p in ps if p.le_type == "sle"]
    cle = [p for p in ps if p.le_type != "sle"]
    hcq_alone = cle + _pick(rng, sle, 10)
    deal_regimen("hcq_alone", hcq_alone, {"complete_response": 4, "clinical_response": 2,
                                          "no_response": 9})  # fmt: skip
    deal_regimen("hcq_ocs", sle, {"complete_response": 6, "clinical_response": 3,
                                  "no_response": 3})  # fmt: skip
    escalated = [p for p in sle if any(r == "hcq_ocs" for r, _ in p.lupus_regimens)]
    deal_regimen("methotrexate", escalated, {"clinical_response": 1, "no_response": 2})
    deal_regimen("azathioprine", escalated, {"no_response": 1})
    deal_regimen("belimumab", escalated, {"clinical_response": 1})
    deal_regimen("rituximab", escalated, {"complete_response": 2, "no_response": 1})
    del20q = [p for p in ps if p.karyotype == ("del20q",) and p.haem_regimen is None]
    deal_regimen("lenalidomide", del20q, {"complete_response": 1})
    skin = [p for p in ps if p.cle]
    for regimen, responses in (
        ("topical_corticosteroids", {"complete_response": 2, "no_response": 11}),
        ("topical_tacrolimus", {"no_response": 5}),
    ):
        labels = _deal(rng, sum(responses.values()), responses)
        for p, response in zip(_pick(rng, skin, len(labels)), labels, strict=False):
            p.topical.append((regimen, response))


def _plan_skin(rng: random.Random, ps: list[Patient]) -> None:
    """22 biopsies from 12 patients; central review: 6 MDS/CMML cutis, 4 CLE, 1 KLIP, 1 pDC."""
    reviewed = _pick(rng, [p for p in ps if p.cle], 12)
    diagnoses = ["mds_cmml_cutis"] * 6 + ["cle"] * 4 + ["klip", "pdc_dermatosis"]
    counts = [3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1]
    rng.shuffle(counts)
    for p, dx, k in zip(reviewed, diagnoses, counts, strict=True):
        p.biopsy_dx, p.biopsies = dx, k
    # Skin NGS in 8: identical variants in blood and skin in 6 (4 cutis, the pDC dermatosis,
    # one CLE at low VAF), none in the KLIP biopsy nor in one CLE.
    by_dx = {dx: [p for p in reviewed if p.biopsy_dx == dx] for dx in set(diagnoses)}
    for p in by_dx["mds_cmml_cutis"][:4] + by_dx["pdc_dermatosis"]:
        p.skin_ngs = "concordant"
    by_dx["cle"][0].skin_ngs = "low_vaf"
    by_dx["cle"][1].skin_ngs = "no_variant"
    by_dx["klip"][0].skin_ngs = "no_variant"


# Patients per gene (most frequent: TET2, KRAS, ASXL1, SRSF2, CBL), with a preference for
# CMML or MDS as reported. SF3B1 is left out: it would make a low-blast MDS "MDS-SF3B1".
GENE_QUOTAS: tuple[tuple[str, int, float], ...] = (  # gene, patients, weight if CMML
    ("TET2", 8, 1.5), ("KRAS", 7, 5.0), ("ASXL1", 5, 3.0), ("SRSF2", 4, 0.7), ("CBL", 3, 1.0),
    ("TP53", 2, 0.0), ("NRAS", 2, 3.0), ("DNMT3A", 2, 0.5), ("IDH2", 1, 1.0), ("ZRSR2", 1, 1.0),
    ("RUNX1", 1, 1.0), ("U2AF1", 1, 0.5), ("CEBPA", 1, 1.0), ("EZH2", 1, 1.0),
)  # fmt: skip


def _plan_ngs(rng: random.Random, ps: list[Patient]) -> None:
    """NGS in 19 (14 blood, 5 marrow), one without any variant."""
    first = [p for p in ps if p.skin_ngs or p.haem_regimen]
    rest = [p for p in ps if p not in first]
    tested = first + _pick(rng, rest, 19 - len(first))
    for p, tissue in zip(tested, _deal(rng, 19, {"bone_marrow": 5}, "peripheral_blood"),
                         strict=True):  # fmt: skip
        p.ngs_tissue = tissue
    clean = rng.choice([p for p in tested if not p.skin_ngs])
    carriers = [p for p in tested if p is not clean]
    for gene, k, cmml_weight in GENE_QUOTAS:
        weight = {p.local_id: cmml_weight if p.disease == "cmml" else 1.0 for p in carriers}
        eligible = [p for p in carriers if weight[p.local_id] > 0]
        eligible.sort(key=lambda p: (len(p.genes), -weight[p.local_id] * rng.random()))
        for p in eligible[:k]:
            p.genes.append(gene)


def _plan_deaths(rng: random.Random, ps: list[Patient]) -> None:
    """7 deaths: 2 sepsis (one on azacitidine), 2 haematological, bleeding, cardiac, unknown."""
    progressed = [p for p in ps if p.haem_regimen == ("azacitidine", "progression")]
    for p in progressed:
        p.death_cause = "haematological_progression"
    on_aza = [p for p in ps if p.haem_regimen and p.haem_regimen[0] == "azacitidine"]
    rng.choice([p for p in on_aza if not p.death_cause]).death_cause = "sepsis"
    untreated = [p for p in ps if not p.haem_regimen and not p.death_cause]
    for p, cause in zip(_pick(rng, untreated, 4), ("sepsis", "bleeding", "cardiac", "unknown"),
                        strict=True):  # fmt: skip
        p.death_cause = cause


def _plan_controls(rng: random.Random) -> list[Patient]:
    n = N_CONTROLS
    statuses = _deal(rng, n, {"submitted": 18, "verified": 5, "locked": 3}, "draft")
    ps = [
        Patient(f"DEMO-CTRL-{i + 1:03d}", "control", CONTROL_CENTRE, statuses[i]) for i in range(n)
    ]
    for p in _pick(rng, ps, 3):  # 8% men
        p.sex = "male"
    for p in ps:  # 23 [11-55]
        p.age_at_le = round(min(55, 11 + rng.gammavariate(2.5, 5)))  # right-skewed: 23 [11-55]
    for p, cls in zip(_pick(rng, ps, 27), ["III"] * 9 + ["IV"] * 12 + ["V"] * 4 + ["II"] * 2,
                      strict=True):  # fmt: skip
        p.features.add("renal")
        p.renal_class = cls
    articular = _pick(rng, ps, 37)
    for p in articular[:26]:
        p.features.add("arthritis")
    for p in articular[26:]:
        p.features.add("arthralgia")
    serositis = _pick(rng, ps, 12)
    for p in serositis[:8]:
        p.features.add("pleuritis")
    for p in serositis[8:]:
        p.features.add("pericarditis")
    for p, subtype in zip(_pick(rng, ps, 25), ["acute"] * 18 + ["discoid"] * 4 + ["subacute"] * 3,
                          strict=True):  # fmt: skip
        p.cle.append(subtype)
    for feature, k in (("alopecia", 12), ("oral_ulcers", 14), ("fever", 15), ("leukopenia", 14),
                       ("lymphopenia", 10), ("thrombocytopenia", 5), ("dsdna", 29), ("sm", 10),
                       ("nucleosome", 18), ("rnp", 8), ("low_c3", 22), ("low_c4", 29)):  # fmt: skip
        _give(rng, ps, feature, k)
    for p in _give(rng, ps, "ssa", 12)[:5]:
        p.features.add("ssb")
    for p in _pick(rng, ps, 2):
        p.features |= {"aiha", "coombs"}
    for p in _pick(rng, ps, 2):
        p.features |= {"aps", "acl", "b2gpi", "la"}
    _give(rng, ps, "acl", 4)
    titres = [2560] * 8 + [1280] * 14 + [640] * 9 + [320] * 5 + [160] * 2  # median 1:1280
    rng.shuffle(titres)
    for p, titre in zip(ps, titres, strict=True):
        p.ana_titre = titre
        _top_up_slicc(p, ("alopecia", "oral_ulcers", "leukopenia", "low_c4"))
    return ps


def _top_up_slicc(p: Patient, candidates: Iterable[str]) -> None:
    """An SLE patient must meet SLICC 2012 (inclusion criterion): add plausible items."""
    for feature in candidates:
        if derive.slicc(_slicc(p, None))["classification"] == "met":
            return
        p.features.add(feature)


# ---- building the rows of one patient ----

M = TypeVar("M", bound=models.Model)


class Batch:
    """The rows of the new patients, parents first; written at once through the batch path."""

    def __init__(self) -> None:
        self.rows: list[models.Model] = []

    def add(self, row: M) -> M:
        self.rows.append(row)
        return row

    def write(self, report: SeedReport) -> None:
        result = batch_save(
            actor=access.SYSTEM,
            items=items_from_rows(self.rows),
            source=Source.SYSTEM,
            reason="synthetic demo data",
            acknowledge_all=True,
        )
        report.rows.update(result.created)


def _yn(flag: object) -> str:
    return "yes" if flag else "no"


def _pn(flag: object) -> str:
    return "positive" if flag else "negative"


def _between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _years(n: float) -> timedelta:
    return timedelta(days=round(n * 365.25))


@dataclass
class Timeline:
    le: date
    mds: date | None
    end: date  # last follow-up or death
    birth: date


def _timeline(rng: random.Random, p: Patient) -> Timeline:
    if not p.is_case:
        le = _between(rng, date(1998, 1, 1), date(2021, 6, 30))
        end = min(FREEZE, le + _years(rng.uniform(1.5, 18)))
        mds = None
    else:
        gap = {
            "le_before": rng.randint(120, 8 * 365),
            "concomitant": rng.randint(-80, 80),
            "le_after": -rng.randint(120, 5 * 365),
        }[p.relation]
        # Follow-up 4.5 years [1-31] from the first diagnosis, long enough for the story.
        minimum = abs(gap) / 365.25 + rng.uniform(*((2.5, 6) if p.haem_regimen else (1, 2)))
        follow = min(24.0, max(minimum, rng.lognormvariate(math.log(2.5), 0.8)))
        end = FREEZE - timedelta(days=rng.randint(0, 6 * 365 if p.death_cause else 700))
        first = end - _years(follow)
        le = first if gap >= 0 else first - timedelta(days=gap)
        mds = le + timedelta(days=gap)
    birth = le - _years(p.age_at_le) - timedelta(days=rng.randint(1, 360))
    return Timeline(le=le, mds=mds, end=end, birth=birth)


def build_patient(
    batch: Batch, p: Patient, *, centre: Centre, created_by: User | None, reviewer: User | None
) -> Case:
    rng = random.Random(f"{SEED}:{p.local_id}")  # per patient: skipping one shifts nothing
    t = _timeline(rng, p)
    dead = bool(p.death_cause)
    case = batch.add(
        Case(
            centre=centre, group=p.group, status=p.status, created_by=created_by,
            consent="not_applicable" if dead else "yes",
            consent_date=None if dead else _between(rng, date(2022, 9, 1), date(2024, 5, 31)),
        )
    )  # fmt: skip
    letters = "ABCDEFGHIJKLMNOPRSTVW"
    batch.add(
        Identity(
            case=case, local_identifier=p.local_id, date_of_birth=t.birth,
            initials=rng.choice(letters) + rng.choice(letters),
        )
    )  # fmt: skip
    lost = not dead and rng.random() < 0.06
    batch.add(
        Demographics(
            case=case, sex=p.sex, le_diagnosis_date=t.le, last_followup_date=t.end,
            vital_status="dead" if dead else ("lost" if lost else "alive"),
            death_date=t.end if dead else None, death_cause=p.death_cause,
            death_cause_detail=DEATH_DETAIL.get((p.death_cause, p.evolution == "aml"), ""),
        )
    )  # fmt: skip
    active = _active_at_diagnosis(rng, p)
    _build_lupus(batch, rng, p, case, t, active)
    if p.is_case:
        _build_haematology(batch, rng, p, case, t)
        biopsies = _build_biopsies(batch, rng, p, case, t, reviewer)
        _build_ngs(batch, rng, p, case, t, biopsies)
        haem = _build_treatments(batch, rng, p, case, t, active)
        _build_evolution(batch, rng, p, case, t, haem)
    return case


DEATH_DETAIL = {  # (cause, evolved to AML)
    ("sepsis", False): "Septic shock",
    ("haematological_progression", True): "Transformation to acute myeloid leukaemia",
    ("haematological_progression", False): "Progression of the MDS/CMML",
    ("bleeding", False): "Intracranial haemorrhage with severe thrombocytopenia",
    ("cardiac", False): "Congestive heart failure",
}


# ---- sections 2-4 ----


def _has(p: Patient, *features: str) -> bool:
    return any(f in p.features or f in p.cle for f in features)


def _slicc(p: Patient, case: Case | None) -> SliccCriteria:
    return SliccCriteria(
        case=case,
        acute_or_subacute_cle=_yn(_has(p, "acute", "subacute")),
        chronic_cle=_yn(_has(p, "chilblain", "discoid", "tumid")),
        oral_nasal_ulcers=_yn(_has(p, "oral_ulcers")),
        nonscarring_alopecia=_yn(_has(p, "alopecia")),
        synovitis=_yn(_has(p, "arthritis")),
        serositis=_yn(_has(p, "pleuritis", "pericarditis")),
        renal=_yn(_has(p, "renal")),
        neurologic="no",
        haemolytic_anaemia=_yn(_has(p, "aiha")),
        leukopenia_or_lymphopenia=_yn(_has(p, "leukopenia", "lymphopenia")),
        thrombocytopenia=_yn(_has(p, "thrombocytopenia")),
        ana=_yn(p.ana_titre),
        anti_dsdna=_yn(_has(p, "dsdna")),
        anti_sm=_yn(_has(p, "sm")),
        antiphospholipid=_yn(_has(p, "acl", "b2gpi", "la")),
        low_complement=_yn(_has(p, "low_c3", "low_c4")),
        direct_coombs=_yn(_has(p, "coombs")),
        biopsy_proven_nephritis=_yn(p.renal_class),
    )


def _eular(p: Patient, case: Case) -> EularAcrCriteria:
    return EularAcrCriteria(
        case=case,
        fever=_yn(_has(p, "fever")),
        leukopenia=_yn(_has(p, "leukopenia")),
        thrombocytopenia=_yn(_has(p, "thrombocytopenia")),
        autoimmune_haemolysis=_yn(_has(p, "aiha")),
        delirium="no", psychosis="no", seizure="no",
        nonscarring_alopecia=_yn(_has(p, "alopecia")),
        oral_ulcers=_yn(_has(p, "oral_ulcers")),
        subacute_or_discoid_cle=_yn(_has(p, "subacute", "discoid")),
        acute_cle=_yn(_has(p, "acute")),
        pleural_or_pericardial_effusion=_yn(_has(p, "pleuritis", "pericarditis")),
        acute_pericarditis=_yn(_has(p, "pericarditis")),
        joint_involvement=_yn(_has(p, "arthritis", "arthralgia")),
        proteinuria=_yn(_has(p, "renal")),
        class_ii_or_v_nephritis=_yn(p.renal_class in ("II", "V")),
        class_iii_or_iv_nephritis=_yn(p.renal_class in ("III", "IV")),
        antiphospholipid=_yn(_has(p, "acl", "b2gpi", "la")),
        low_c3_or_c4=_yn(_has(p, "low_c3", "low_c4")),
        low_c3_and_c4=_yn(_has(p, "low_c3") and _has(p, "low_c4")),
        anti_dsdna_or_anti_sm=_yn(_has(p, "dsdna", "sm")),
    )  # fmt: skip


def _sledai(case: Case, context: str, on: date, present: set[str]) -> SledaiAssessment:
    items = {item: _yn(item in present) for item in SledaiItem}
    return SledaiAssessment(case=case, context=context, assessed_on=on, **items)


def _active_at_diagnosis(rng: random.Random | None, p: Patient) -> set[str]:
    """SLEDAI-2K descriptors present at LE diagnosis (without rng: the urine left out)."""
    renal = _has(p, "renal")
    present = {
        "arthritis": _has(p, "arthritis"),
        "proteinuria": renal,
        "haematuria": renal and rng is not None and rng.random() < 0.7,
        "urinary_casts": renal and rng is not None and rng.random() < 0.4,
        "rash": _has(p, "chilblain", "discoid", "subacute", "acute", "tumid"),
        "alopecia": _has(p, "alopecia"),
        "mucosal_ulcers": _has(p, "oral_ulcers"),
        "pleurisy": _has(p, "pleuritis"),
        "pericarditis": _has(p, "pericarditis"),
        "low_complement": _has(p, "low_c3", "low_c4"),
        "increased_dna_binding": _has(p, "dsdna"),
        "fever": _has(p, "fever"),
        "thrombocytopenia": _has(p, "thrombocytopenia"),
        "leukopenia": _has(p, "leukopenia"),
    }
    return {item for item, flag in present.items() if flag}


def _build_lupus(
    batch: Batch, rng: random.Random, p: Patient, case: Case, t: Timeline, active: set[str]
) -> None:
    renal = _has(p, "renal")
    articular = next((a for a in ("arthritis", "arthralgia") if _has(p, a)), "none")
    batch.add(
        LupusProfile(
            case=case, le_type=p.le_type, cutaneous=_yn(p.cle), articular=articular,
            pleuritis=_yn(_has(p, "pleuritis")), pericarditis=_yn(_has(p, "pericarditis")),
            renal=_yn(renal),
            lupus_nephritis_biopsy_proven=_yn(p.renal_class) if renal else "not_applicable",
            # Blank, not "not_applicable", without nephritis: the model's
            # lupusprofile_class_needs_nephritis constraint refuses not_applicable there.
            nephritis_class=p.renal_class,
            neurological="no",
            autoimmune_haemolytic_anaemia=_yn(_has(p, "aiha")),
            antiphospholipid_syndrome=_yn(_has(p, "aps")),
            aps_arterial=_yn(_has(p, "aps")) if _has(p, "aps") else "not_applicable",
            aps_venous="no" if _has(p, "aps") else "not_applicable",
            aps_obstetric="no" if _has(p, "aps") and p.sex == "female" else "not_applicable",
            fever=_yn(_has(p, "fever")),
            mcv=float(rng.randint(88, 105) if p.is_case else rng.randint(80, 95)),
            drug_induced_suspected="no",
        )
    )  # fmt: skip
    batch.add(_slicc(p, case))
    batch.add(_eular(p, case))
    batch.add(_sledai(case, "le_diagnosis", t.le, active))
    for subtype in p.cle:
        batch.add(_lesion(rng, case, subtype))
    batch.add(_serology(rng, p, case, t.le))


LESIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # subtypes, sites
    "chilblain": (("chilblain",), ("fingers", "toes", "ears")),
    "discoid": (("dle_localized", "dle_localized", "dle_generalized", "hypertrophic_dle"),
                ("face", "scalp", "ears")),
    "subacute": (("scle_annular", "scle_papulosquamous"), ("trunk", "limbs")),
    "acute": (("acle_localized", "acle_localized", "acle_generalized"), ("face",)),
    "tumid": (("tumid",), ("face", "trunk")),
    "nonspecific": (("le_nonspecific",), ("hands", "limbs")),
}  # fmt: skip


def _lesion(rng: random.Random, case: Case, group: str) -> CutaneousLesion:
    subtypes, sites = LESIONS[group]
    where = set(rng.sample(sites, rng.randint(1, len(sites))))
    if group == "acute" and rng.random() < 0.3:
        where.add("trunk")
    named = rng.choice(("livedo racemosa", "urticarial lesions", "periungual erythema"))
    return CutaneousLesion(
        case=case,
        subtype=rng.choice(subtypes),
        lesion_named=named if group == "nonspecific" else "",
        ulceration=_yn(group == "chilblain" and rng.random() < 0.35),
        **{f"site_{site}": True for site in where},
    )


def _serology(rng: random.Random, p: Patient, case: Case, le: date) -> SerologyPanel:
    def test(feature: str, not_done: float) -> str:
        if _has(p, feature):
            return "positive"
        return "not_done" if rng.random() < not_done else "negative"

    untested = 0.6 if p.ana_titre is None else 0.15  # ANA-negative CLE: few other tests
    acl = _has(p, "acl")
    low_c3, low_c4 = _has(p, "low_c3"), _has(p, "low_c4")
    return SerologyPanel(
        case=case, sampled_on=le - timedelta(days=rng.randint(0, 30)), at_le_diagnosis=True,
        ana=_pn(p.ana_titre), ana_titre=p.ana_titre,
        ana_pattern=rng.choice(("homogeneous", "speckled")) if p.ana_titre else "not_applicable",
        anti_dsdna=_pn(_has(p, "dsdna")), anti_dsdna_method=rng.choice(("elisa", "farr", "clift")),
        anti_ssa=test("ssa", untested), anti_ssb=test("ssb", untested),
        anti_nucleosome=test("nucleosome", 0.3), anti_rnp=test("rnp", untested),
        anti_sm=test("sm", untested), anti_cardiolipin=test("acl", untested),
        anti_cardiolipin_isotype="igg" if acl else "",
        anti_cardiolipin_level=rng.choice(("medium", "high")) if acl else "",
        anti_b2gpi=test("b2gpi", untested), lupus_anticoagulant=test("la", 0.3),
        direct_coombs=test("coombs", 0.4),
        # Lower limits of normal as laboratories print them (g/L).
        c3=round(rng.uniform(0.35, 0.82) if low_c3 else rng.uniform(0.92, 1.6), 2),
        c3_lower_limit=0.9,
        c4=round(rng.uniform(0.02, 0.09) if low_c4 else rng.uniform(0.11, 0.35), 2),
        c4_lower_limit=0.1,
    )  # fmt: skip


# ---- sections 5-8 (cases) ----

ISCN = {
    "del20q": "del(20)(q11q13)", "del5q": "del(5)(q13q33)", "del11q": "del(11)(q14q23)",
    "del9q": "del(9)(q13q22)",
}  # fmt: skip
WHO2022 = {"mds_eb1": "mds_ib1", "cmml_0": "cmml_1", "cmml_1": "cmml_1", "cmml_2": "cmml_2"}


def _build_haematology(
    batch: Batch, rng: random.Random, p: Patient, case: Case, t: Timeline
) -> None:
    c = p.counts
    other = rng.uniform(0.05, 0.3)  # eosinophils + basophils
    wbc = round(c["anc"] + c["lymphocytes"] + c["monocytes"] + other, 1)
    sex = "XY" if p.sex == "male" else "XX"
    abnormal = p.karyotype or ()
    iscn = f"46,{sex}[20]"
    if abnormal:
        clone = ",".join(ISCN[code] for code in abnormal)
        iscn = f"46,{sex},{clone}[{rng.randint(8, 16)}]/46,{sex}[{rng.randint(4, 12)}]"
    done = p.karyotype is not None
    uba1 = rng.random() < 0.67
    ring = float(rng.randint(0, 8)) if rng.random() < 0.7 else None
    batch.add(
        HaematologicalDisease(
            case=case, disease=p.disease, diagnosis_date=t.mds,
            who2022_recorded=WHO2022.get(p.who2016, "mds_lb"),
            cmml_subtype_recorded=(
                ("mp_cmml" if wbc >= scores.CMML_MP_WBC_THRESHOLD else "md_cmml")
                if p.disease == "cmml" else "not_applicable"
            ),
            who2016_recorded=p.who2016,
            hb=c["hb"], mcv=c["mcv"], platelets=c["platelets"], anc=c["anc"], wbc=wbc,
            monocytes=c["monocytes"], monocytes_pct=round(100 * c["monocytes"] / wbc, 1),
            lymphocytes=c["lymphocytes"], pb_blasts=c["pb_blasts"],
            bm_blasts=c["bm_blasts"], bm_cellularity=float(rng.randint(35, 90)),
            dysgranulopoiesis=_yn(p.dysplasia[0]), dyserythropoiesis=_yn(p.dysplasia[1]),
            dysmegakaryopoiesis=_yn(p.dysplasia[2]),
            ring_sideroblasts=ring,
            ring_sideroblasts_missing="" if ring is not None else "not_done",
            fibrosis_grade=rng.choice(("mf0", "mf0", "mf1")), auer_rods="no",
            cytogenetics_done=_yn(done), karyotype_iscn=iscn if done else "",
            karyotype=("abnormal" if abnormal else "normal") if done else "not_done",
            abnormality_count=len(abnormal) if done else None,
            transfusion_burden=rng.choice(("ntd",) * 5 + ("ltb", "htb")),
            therapy_related="no", uba1_tested=_yn(uba1),
            uba1_result="wild_type" if uba1 else "", vexas_documented="no",
            **{code: True for code in abnormal},
        )
    )  # fmt: skip


def _haem_start(t: Timeline) -> date:
    """Haematological treatment: once both diseases are known, well before the end."""
    assert t.mds is not None
    return min(max(t.le, t.mds) + timedelta(days=200), t.end - timedelta(days=200))


def _evolves_on_treatment(p: Patient) -> bool:
    """Progression under a haematological treatment; other evolutions come before it."""
    return p.haem_regimen is not None and p.haem_regimen[1] == "progression"


def _build_evolution(
    batch: Batch, rng: random.Random, p: Patient, case: Case, t: Timeline,
    haem: tuple[date, date] | None,
) -> None:  # fmt: skip
    if not p.evolution:
        return
    assert t.mds is not None
    start, end = t.mds + timedelta(days=30), t.end
    if haem and _evolves_on_treatment(p):
        start = haem[1]  # after the assessment that found the progression
    elif haem:
        end = haem[0] - timedelta(days=20)
    batch.add(
        EvolutionEvent(case=case, new_state=p.evolution, occurred_on=_between(rng, start, end))
    )


REVIEW: dict[str, dict[str, str]] = {
    "mds_cmml_cutis": {"cd3": "few", "cd68": "positive", "cd163": "positive", "cd123": "few",
                       "tcf4": "few", "mpo": "positive", "immature_myeloid_cells": "yes"},
    "cle": {"cd3": "positive", "cd68": "few", "cd163": "few", "cd123": "positive",
            "tcf4": "positive", "mpo": "negative", "immature_myeloid_cells": "no"},
    "klip": {"cd3": "positive", "cd68": "positive", "cd163": "positive", "cd123": "positive",
             "tcf4": "negative", "mpo": "positive", "immature_myeloid_cells": "no"},
    "pdc_dermatosis": {"cd3": "few", "cd68": "few", "cd163": "few", "cd123": "positive",
                       "tcf4": "positive", "mpo": "negative", "immature_myeloid_cells": "no"},
}  # fmt: skip
BIOPSY_SITE = {"chilblain": "fingers", "discoid": "face", "subacute": "trunk", "acute": "face",
               "tumid": "trunk", "nonspecific": "limbs"}  # fmt: skip
CLINICAL_TYPE = {
    "chilblain": "chilblain", "discoid": "dle_localized", "subacute": "scle_annular",
    "acute": "acle_localized", "tumid": "tumid", "nonspecific": "le_nonspecific",
}  # fmt: skip


def _build_biopsies(
    batch: Batch, rng: random.Random, p: Patient, case: Case, t: Timeline, reviewer: User | None
) -> list[SkinBiopsy]:
    biopsies = []
    cutis = p.biopsy_dx == "mds_cmml_cutis"
    interface, mucin = rng.random() < 0.67, rng.random() < 0.42
    for i in range(p.biopsies):
        lesion = p.cle[i % len(p.cle)]
        taken = _between(rng, t.le, min(t.end, t.le + _years(2)))
        biopsy = batch.add(
            SkinBiopsy(
                case=case, taken_on=taken, site=BIOPSY_SITE[lesion],
                clinical_lesion_type=CLINICAL_TYPE[lesion], local_diagnosis="cle",
                local_diagnosis_detail="Lupus erythematosus, interface dermatitis",
            )
        )  # fmt: skip
        dif = i == 0 and rng.random() < 0.45
        batch.add(
            CentralReview(
                biopsy=biopsy, diagnosis=p.biopsy_dx,
                dense_dermal_lymphocytic_infiltrate="yes", perivascular_perieccrine="yes",
                interface_dermatitis=_yn(interface), dermal_mucin=_yn(mucin), vasculitis="no",
                leukocytoclasia=_yn(cutis and rng.random() < 0.7 or p.biopsy_dx == "klip"),
                mature_neutrophils=_yn(cutis and rng.random() < 0.4),
                cd34="negative", cd56="negative", cd117="negative",
                ki67=float(rng.randint(2, 9)),
                dif_done=_yn(dif), lupus_band_positive="no" if dif else "",
                reviewers="Demo central review panel (3 pathologists)", reviewed_by=reviewer,
                reviewed_on=min(FREEZE, max(taken + timedelta(days=30),
                                            _between(rng, date(2023, 1, 9), date(2023, 12, 15)))),
                **REVIEW[p.biopsy_dx],
            )
        )  # fmt: skip
        biopsies.append(biopsy)
    return biopsies


# HGVS notations of common myeloid hotspots: (c., p., classification).
VARIANTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "TET2": (("c.4138C>T", "p.His1380Tyr", "pathogenic"), ("c.1648C>T", "p.Arg550*", "pathogenic"),
             ("c.3781C>T", "p.Arg1261Cys", "likely_pathogenic"),
             ("c.2290dup", "p.Gln764Profs*9", "pathogenic")),
    "KRAS": (("c.35G>A", "p.Gly12Asp", "pathogenic"), ("c.34G>A", "p.Gly12Ser", "pathogenic"),
             ("c.38G>A", "p.Gly13Asp", "pathogenic")),
    "NRAS": (("c.35G>A", "p.Gly12Asp", "pathogenic"), ("c.181C>A", "p.Gln61Lys", "pathogenic")),
    "ASXL1": (("c.1934dup", "p.Gly646Trpfs*12", "pathogenic"),
              ("c.2077C>T", "p.Arg693*", "pathogenic")),
    "SRSF2": (("c.284C>A", "p.Pro95His", "pathogenic"), ("c.284C>T", "p.Pro95Leu", "pathogenic")),
    "CBL": (("c.1111T>C", "p.Tyr371His", "pathogenic"),
            ("c.1259G>A", "p.Arg420Gln", "pathogenic")),
    "TP53": (("c.524G>A", "p.Arg175His", "pathogenic"), ("c.743G>A", "p.Arg248Gln", "pathogenic")),
    "DNMT3A": (("c.2645G>A", "p.Arg882His", "pathogenic"),
               ("c.2141C>G", "p.Ser714Cys", "vus")),
    "IDH2": (("c.419G>A", "p.Arg140Gln", "pathogenic"),),
    "ZRSR2": (("c.604C>T", "p.Arg202*", "likely_pathogenic"),),
    "RUNX1": (("c.602G>A", "p.Arg201Gln", "pathogenic"),),
    "U2AF1": (("c.101C>T", "p.Ser34Phe", "pathogenic"),),
    "CEBPA": (("c.68dup", "p.His24Alafs*84", "likely_pathogenic"),),
    "EZH2": (("c.2233G>A", "p.Glu745Lys", "vus"),),
}  # fmt: skip


def _build_ngs(
    batch: Batch,
    rng: random.Random,
    p: Patient,
    case: Case,
    t: Timeline,
    biopsies: list[SkinBiopsy],
) -> None:
    if not p.ngs_tissue:
        return
    assert t.mds is not None
    test = batch.add(
        NgsTest(
            case=case, sampled_on=t.mds + timedelta(days=rng.randint(0, 60)), tissue=p.ngs_tissue,
            panel_name="Myeloid NGS panel", genes_count=rng.choice((36, 40, 48, 77)),
            result="variants" if p.genes else "no_variant",
        )
    )  # fmt: skip
    blood = []
    for gene in p.genes:
        hgvs_c, hgvs_p, classification = rng.choice(VARIANTS[gene])
        vaf = rng.uniform(2, 12) if gene in ("TP53", "CEBPA") else rng.uniform(8, 48)
        if gene == "TET2" and rng.random() < 0.3:
            vaf = rng.uniform(50, 82)  # TET2 often bi-allelic or with loss of the other allele
        blood.append(
            batch.add(
                NgsVariant(
                    test=test,
                    gene=gene,
                    hgvs_c=hgvs_c,
                    hgvs_p=hgvs_p,
                    vaf=round(vaf, 1),
                    classification=classification,
                )
            )  # fmt: skip
        )
    if not p.skin_ngs or not biopsies:
        return
    skin = batch.add(
        NgsTest(
            case=case, sampled_on=biopsies[0].taken_on, tissue="skin", skin_biopsy=biopsies[0],
            panel_name="Myeloid NGS panel (skin)", genes_count=test.genes_count,
            result="no_variant" if p.skin_ngs == "no_variant" else "variants",
        )
    )  # fmt: skip
    if p.skin_ngs == "no_variant":
        return
    shared = blood if p.skin_ngs == "concordant" else blood[:1]
    for variant in shared[: rng.randint(1, len(shared))]:
        vaf = (
            rng.uniform(1.5, 4) if p.skin_ngs == "low_vaf" else rng.uniform(0.3, 0.9) * variant.vaf
        )
        vaf = max(1.2, vaf)  # at or below 1% it would read as a fraction (crf.validation)
        batch.add(
            NgsVariant(
                test=skin, gene=variant.gene, hgvs_c=variant.hgvs_c, hgvs_p=variant.hgvs_p,
                vaf=round(vaf, 1), classification=variant.classification,
            )
        )  # fmt: skip


# (agent, route, target, dose, unit, cycles) per regimen; several agents share a regimen.
REGIMENS: dict[str, tuple[tuple[str, str, str, float | None, str, int | None], ...]] = {
    "hcq_alone": (("hydroxychloroquine", "systemic", "lupus", 5.5, "mg_kg_day", None),),
    "hcq_ocs": (("hydroxychloroquine", "systemic", "lupus", 5.0, "mg_kg_day", None),
                ("oral_corticosteroids", "systemic", "lupus", 1.0, "mg_kg_day", None)),
    "methotrexate": (("methotrexate", "systemic", "lupus", None, "", None),),
    "azathioprine": (("azathioprine", "systemic", "lupus", 2.0, "mg_kg_day", None),),
    "belimumab": (("belimumab", "systemic", "lupus", None, "", None),),
    "rituximab": (("rituximab", "systemic", "lupus", None, "", 2),),
    "lenalidomide": (("lenalidomide", "systemic", "both", 10.0, "mg_day", None),),
    "topical_corticosteroids": (("topical_corticosteroids", "topical", "lupus", None, "", None),),
    "topical_tacrolimus": (("topical_tacrolimus", "topical", "lupus", None, "", None),),
    "azacitidine": (("azacitidine", "systemic", "both", 75.0, "mg_m2_day", 0),),
    "aza_venetoclax": (("azacitidine", "systemic", "both", 75.0, "mg_m2_day", 6),
                       ("venetoclax", "systemic", "both", 400.0, "mg_day", None)),
    "allo_hsct": (("allo_hsct", "systemic", "haematological", None, "", None),),
}  # fmt: skip
# Lupus response after a haematological treatment: parallel to the haematological one.
LUPUS_AFTER_HAEM = {
    "complete_response": "complete_response", "partial_response": "complete_response",
    "hi_e": "complete_response", "stable_disease": "clinical_response",
    "progression": "no_response",
}  # fmt: skip


def _build_treatments(
    batch: Batch, rng: random.Random, p: Patient, case: Case, t: Timeline, active: set[str]
) -> tuple[date, date] | None:
    """Regimens in sequence from LE diagnosis; returns the haematological (start, assessment)."""
    at_dx = active or {"rash"}
    alive = not p.death_cause
    systemic = p.lupus_regimens
    window = (t.end - t.le).days
    step = window / (len(systemic) + 1)
    last_start = t.le
    for i, (regimen, response) in enumerate(systemic):
        start = min(t.end, t.le + timedelta(days=round(step * i) + rng.randint(7, 40)))
        end = t.le + timedelta(days=round(step * (i + 1))) if i < len(systemic) - 1 else None
        assessed = min(t.end, start + timedelta(days=max(30, min(180, round(step * 0.6)))))
        rows = _regimen_rows(batch, rng, case, regimen, start, end, response, alive, t)
        _lupus_response(batch, rng, case, rows[0], response, assessed, at_dx)
        if regimen == "lenalidomide":
            _haem_response(batch, rng, p, rows[0], "hi_e", assessed)
        last_start = start
    haem = None
    for regimen, response in p.topical:
        start = _between(rng, t.le, t.le + timedelta(days=min(120, window)))
        end = min(t.end, start + timedelta(days=rng.randint(60, 300)))
        rows = _regimen_rows(batch, rng, case, regimen, start, end, response, alive, t)
        # A topical response is the investigator's judgement: no SLEDAI-2K behind it.
        batch.add(LupusResponse(treatment=rows[0], recorded=response, assessed_on=end))
    if p.haem_regimen:
        regimen, category = p.haem_regimen
        start = min(t.end, max(_haem_start(t), last_start + timedelta(days=30)))
        assessed = min(t.end, start + timedelta(days=rng.randint(120, 180)))
        haem = (start, assessed)
        response = LUPUS_AFTER_HAEM[category]
        rows = _regimen_rows(batch, rng, case, regimen, start, None, response, alive, t)
        _lupus_response(batch, rng, case, rows[0], response, assessed, at_dx)
        _haem_response(batch, rng, p, rows[0], category, assessed)
        if p.death_cause == "sepsis":
            batch.add(
                AdverseEvent(
                    case=case, treatment=rows[0], category="infection", occurred_on=t.end,
                    fatal=True, description="Septic shock during azacitidine",
                )
            )  # fmt: skip
        elif rng.random() < 0.4:
            batch.add(
                AdverseEvent(
                    case=case, treatment=rows[0], category="haematological",
                    occurred_on=min(t.end, start + timedelta(days=rng.randint(10, 40))),
                    description="Febrile neutropenia",
                )
            )  # fmt: skip
    return haem


def _regimen_rows(
    batch: Batch,
    rng: random.Random,
    case: Case,
    regimen: str,
    start: date,
    end: date | None,
    response: str,
    alive: bool,
    t: Timeline,
) -> list[Treatment]:
    if end is None and not alive:
        end = t.end
    if end is not None:
        end = max(start, min(end, t.end))
    if end is None:
        stopped = "ongoing"
    elif not alive and end == t.end:
        stopped = "death"
    else:
        stopped = "inefficacy" if response == "no_response" else "remission"
    rows = []
    for agent, route, target, dose, unit, cycles in REGIMENS[regimen]:
        if cycles == 0:  # azacitidine: as many cycles as the patient received
            cycles = rng.randint(3, 33)
        rows.append(
            batch.add(
                Treatment(
                    case=case,
                    agent=agent,
                    regimen=regimen,
                    target=target,
                    route=route,
                    dose=dose,
                    dose_unit=unit,
                    cycles=cycles,
                    started_on=start,
                    ended_on=end,
                    reason_stopped=stopped,
                )
            )  # fmt: skip
        )
    return rows


def _lupus_response(
    batch: Batch,
    rng: random.Random,
    case: Case,
    treatment: Treatment,
    response: str,
    assessed: date,
    at_dx: set[str],
) -> None:
    """A SLEDAI-2K at assessment whose items give the recorded response category."""
    clinical = at_dx - set(scores.SLEDAI_SEROLOGICAL_CODES)
    present: set[str] = set()
    if response == "clinical_response":
        present = {"low_complement"} | ({"increased_dna_binding"} & at_dx)
    elif response == "no_response":
        kept = sorted(clinical) or ["rash"]
        present = set(rng.sample(kept, rng.randint(1, len(kept))))
    sledai = batch.add(_sledai(case, "response", assessed, present))
    batch.add(
        LupusResponse(treatment=treatment, recorded=response, assessed_on=assessed, sledai=sledai)
    )


def _haem_response(
    batch: Batch, rng: random.Random, p: Patient, treatment: Treatment, category: str, on: date
) -> None:
    c = p.counts
    evolved = {"aml": rng.uniform(20, 29), "mds_ib2": rng.uniform(11, 19),
               "cmml_2": rng.uniform(11, 18)}.get(p.evolution, c["bm_blasts"])  # fmt: skip
    blasts = c["bm_blasts"] if _evolves_on_treatment(p) else evolved
    hb, anc, plt = c["hb"], c["anc"], c["platelets"]
    after = {
        "complete_response": (rng.uniform(11.5, 13.5), rng.uniform(1.5, 3), 180.0, 2.0),
        "partial_response": (hb + 1.8, max(anc, 1.1), plt, blasts / 2),
        "hi_e": (hb + 1.6, anc, plt, blasts),
        "stable_disease": (hb, anc, plt, blasts),
        "progression": (max(6.0, hb - 1.5), anc * 0.6, plt * 0.5, max(evolved, blasts + 5)),
    }[category]
    transfused = hb < 8
    batch.add(
        HaematologicalResponse(
            treatment=treatment,
            criteria="iwg_2018" if category == "stable_disease" else rng.choice(
                ("iwg_2018", "iwg_2023")
            ),
            category=category, assessed_on=on,
            baseline_hb=hb, baseline_anc=anc, baseline_platelets=plt,
            baseline_bm_blasts=round(blasts, 1),
            response_hb=round(after[0], 1), response_anc=round(after[1], 2),
            response_platelets=float(round(after[2])), response_bm_blasts=round(after[3], 1),
            baseline_rbc_units_16w=rng.randint(4, 8) if transfused else 0,
            response_rbc_units_16w=0 if category != "progression" else rng.randint(4, 10),
        )
    )  # fmt: skip


# ---- writing ----


def _seed_patients(centres: dict[str, Centre], users: dict[str, User], report: SeedReport) -> None:
    patients = plan_cohort(random.Random(SEED))
    existing = set(
        Identity.objects.filter(local_identifier__in=[p.local_id for p in patients]).values_list(
            "local_identifier", flat=True
        )
    )
    investigators = {a.centre: users[a.username] for a in ACCOUNTS if a.centre}
    batch = Batch()
    for p in patients:
        if p.local_id not in existing:
            build_patient(
                batch, p, centre=centres[p.centre], created_by=investigators.get(p.centre),
                reviewer=users["pathologist"],
            )  # fmt: skip
    if batch.rows:
        batch.write(report)  # validated, derived (ages, IPSS-R, SLICC…) and audited
