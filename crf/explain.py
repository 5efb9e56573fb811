"""The computed values of a case in words, and, where one is blank, which inputs it lacks.

Reads the values `crf.derive` stored on the rows (a `CaseRows` in memory: no query) and says
them as a person reads them: "IPSS-R 4.5 (high risk)", "WHO 2016: cannot be computed —
missing: peripheral blasts". Nothing here computes a score: it explains what the derivation
did, so the overview and the live preview of a section form say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from crf.codes import Disease, Tissue, YesNo
from crf.models import (
    Demographics,
    EularAcrCriteria,
    HaematologicalDisease,
    Identity,
    LupusResponse,
    NgsTest,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
)
from crf.rows import CaseRows
from crf.sections import row_name, value_text
from crf.validation import label, num


@dataclass
class Computed:
    """One computed value: its name, what it says, and why it is blank when it is."""

    name: str
    value: str = ""
    missing: list[str] = field(default_factory=list)
    note: str = ""
    section: str = ""  # the slug of the section holding its inputs

    @property
    def known(self) -> bool:
        return bool(self.value)


def _lacking(row: Model | None, model: type[Model], names: tuple[str, ...]) -> list[str]:
    if row is None:
        return [label(model, n) for n in names]
    return [label(model, n) for n in names if getattr(row, n) in (None, "")]


def _approx(flag: Any) -> str:
    return _("approximate: computed from a date known to the month or year") if flag else ""


def demographics(rows: CaseRows) -> list[Computed]:
    demo = rows.one(Demographics)
    haem = rows.one(HaematologicalDisease)
    identity = rows.one(Identity)
    out = []
    if rows.case.is_case:
        relation = Computed(_("Temporal relation of LE and MDS/CMML"), section="demographics")
        if demo and demo.temporal_relation:
            relation.value = _("{relation} ({days} days from LE to MDS/CMML diagnosis)").format(
                relation=value_text(demo, "temporal_relation"), days=demo.diagnosis_interval_days
            )
            relation.note = _approx(demo.dates_approximate)
        else:
            relation.missing = _lacking(demo, Demographics, ("le_diagnosis_date",)) + _lacking(
                haem, HaematologicalDisease, ("diagnosis_date",)
            )
        out.append(relation)
    follow = Computed(_("Follow-up"), section="demographics")
    if demo and demo.followup_years is not None:
        follow.value = _("{years} years, from the first diagnosis to {end}").format(
            years=num(demo.followup_years),
            end=_("death") if demo.death_date else _("the last follow-up"),
        )
        follow.note = _approx(demo.dates_approximate)
    else:
        follow.missing = _lacking(demo, Demographics, ("le_diagnosis_date",))
        if not (demo and (demo.death_date or demo.last_followup_date)):
            follow.missing.append(label(Demographics, "last_followup_date"))
    out.append(follow)
    age = Computed(_("Age at LE diagnosis"), section="demographics")
    if demo and demo.age_at_le_diagnosis is not None:
        age.value = _("{age} years").format(age=demo.age_at_le_diagnosis)
    else:
        age.missing = _lacking(demo, Demographics, ("le_diagnosis_date",))
        if identity is None or identity.date_of_birth is None:
            age.missing.append(label(Identity, "date_of_birth"))
    out.append(age)
    return out


def _ipssr_inputs(haem: HaematologicalDisease | None) -> list[str]:
    missing = _lacking(haem, HaematologicalDisease, ("hb", "anc", "platelets", "bm_blasts"))
    if haem is None or not haem.cytogenetic_risk:
        if haem is not None and haem.cytogenetics_done == YesNo.YES and not haem.karyotype:
            missing.append(label(HaematologicalDisease, "karyotype"))
        else:
            missing.append(
                _("cytogenetics done = yes with the karyotype, or a cytogenetic override")
            )
    return missing


def haematology(rows: CaseRows) -> list[Computed]:
    if not rows.case.is_case:
        return []
    haem = rows.one(HaematologicalDisease)
    slug = "haematologicaldisease"
    ipssr = Computed(_("IPSS-R"), section=slug)
    ipssra = Computed(_("IPSS-RA (age-adjusted)"), section=slug)
    if haem and haem.ipssr_score is not None:
        ipssr.value = _("{score} points: {category} (cytogenetic group {cyto})").format(
            score=num(haem.ipssr_score),
            category=value_text(haem, "ipssr_category"),
            cyto=value_text(haem, "cytogenetic_risk"),
        )
        if haem.ipssra_score is not None:
            ipssra.value = _("{score} points").format(score=num(haem.ipssra_score))
        else:
            ipssra.missing = [label(Identity, "date_of_birth")]
            ipssra.missing += _lacking(haem, HaematologicalDisease, ("diagnosis_date",))
    else:
        ipssr.missing = _ipssr_inputs(haem)
        ipssra.missing = [*ipssr.missing, _("the age at diagnosis")]
    out = [ipssr, ipssra]
    cmml = haem is not None and haem.disease == Disease.CMML
    if cmml:
        needed: tuple[str, ...] = ("monocytes", "monocytes_pct", "wbc", "pb_blasts", "bm_blasts")
        needed_2016 = needed
    else:
        needed = ("bm_blasts",)
        needed_2016 = ("hb", "platelets", "anc", "pb_blasts", "bm_blasts")
    out.append(_classification(haem, "who2022", _("WHO 2022"), needed, slug))
    out.append(_classification(haem, "who2016", _("WHO 2016"), needed_2016, slug))
    if cmml:
        out.append(_classification(haem, "cmml_subtype", _("CMML subtype"), needed, slug))
    if haem is None:
        for item in out:
            item.missing = [_("the haematological disease section")]
    return out


def _classification(
    haem: HaematologicalDisease | None, stem: str, name: str, needed: tuple[str, ...], slug: str
) -> Computed:
    item = Computed(name, section=slug)
    computed = getattr(haem, f"{stem}_computed", "") if haem else ""
    if computed:
        recorded = getattr(haem, f"{stem}_recorded")
        item.value = _("computed {computed}").format(
            computed=value_text(haem, f"{stem}_computed")  # type: ignore[arg-type]
        )
        if recorded and recorded != computed:
            item.note = _("recorded {recorded}: they differ, check the inputs").format(
                recorded=value_text(haem, f"{stem}_recorded")  # type: ignore[arg-type]
            )
        elif recorded:
            item.note = _("same as recorded")
        return item
    item.missing = _lacking(haem, HaematologicalDisease, needed)
    if haem is not None and not item.missing:
        item.note = _(
            "the inputs given do not establish a category (e.g. dysplasia or clonality "
            "unknown): answer them to compute it"
        )
    return item


def lupus(rows: CaseRows) -> list[Computed]:
    out = []
    slicc_row = rows.one(SliccCriteria)
    slicc = Computed(_("SLICC 2012"), section="slicccriteria")
    if slicc_row and slicc_row.classification:
        slicc.value = _(
            "{verdict}: {clinical} clinical and {immuno} immunological criteria"
        ).format(
            verdict=value_text(slicc_row, "classification"),
            clinical=slicc_row.clinical_count,
            immuno=slicc_row.immunological_count,
        )
    else:
        slicc.missing = [_("the SLICC criteria section")]
    out.append(slicc)
    eular_row = rows.one(EularAcrCriteria)
    eular = Computed(_("EULAR/ACR 2019"), section="eularacrcriteria")
    if eular_row and eular_row.classification:
        eular.value = _("{verdict}: {points} points; entry criterion {entry}").format(
            verdict=value_text(eular_row, "classification"),
            points=eular_row.points if eular_row.points is not None else "—",
            entry=value_text(eular_row, "entry_criterion").lower(),
        )
        if not any(p.at_le_diagnosis and p.ana for p in rows.many(SerologyPanel)):
            eular.note = _("the entry criterion reads the ANA of the serology at LE diagnosis")
    else:
        eular.missing = [_("the EULAR/ACR criteria section")]
    out.append(eular)
    for assessment in rows.many(SledaiAssessment):
        item = Computed(
            _("SLEDAI-2K, {name}").format(name=row_name(assessment)), section="sledaiassessment"
        )
        if assessment.score is not None:
            item.value = _("{score} (clinical SLEDAI-2K {clinical})").format(
                score=assessment.score, clinical=assessment.clinical_score
            )
        out.append(item)
    for response in rows.many(LupusResponse):
        item = Computed(
            _("Lupus response to {treatment}").format(treatment=row_name(response.treatment)),
            section="treatment",
        )
        recorded = value_text(response, "recorded")
        if response.derived:
            item.value = _("derived {derived}").format(derived=value_text(response, "derived"))
            if response.disagrees:
                item.note = _("recorded {recorded}: they differ").format(recorded=recorded)
            elif recorded:
                item.note = _("same as recorded")
        else:
            item.missing = [_("the SLEDAI-2K at the assessment (link it on the response)")]
            if recorded:
                item.note = _("recorded {recorded}").format(recorded=recorded)
        out.append(item)
    return out


def ngs(rows: CaseRows) -> list[Computed]:
    out = []
    for test in rows.many(NgsTest):
        if test.tissue != Tissue.SKIN:
            continue
        item = Computed(
            _("Clonal concordance of {test}").format(test=row_name(test)), section="ngstest"
        )
        if test.concordance:
            item.value = value_text(test, "concordance")
            if test.shared_genes:
                item.note = _("shared: {genes}").format(genes=test.shared_genes)
        out.append(item)
    return out


def computed_values(rows: CaseRows) -> list[Computed]:
    """Every computed value of the case, in CRF order."""
    return demographics(rows) + lupus(rows) + haematology(rows) + ngs(rows)
