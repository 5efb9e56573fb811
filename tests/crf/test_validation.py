"""Validation rules (crf.validation): each fires on bad input, naming the field and the fix,
and stays silent on realistic good input (values from the study: Hb 10.8, ANC 1.215,
monocytes 1.95, VAF 37)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from crf.models import (
    CentralReview,
    Demographics,
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
    Treatment,
)
from crf.validation import (
    ERROR,
    HGVS_C,
    HGVS_P,
    RULE_CODES,
    WARNING,
    Finding,
    case_of,
    validate,
)
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SerologyPanelFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
)

HD, HR = HaematologicalDisease, HaematologicalResponse

# A CMML case as the study reports it (Table 1 medians, in the registry's units).
GOOD_CMML = {
    "disease": "cmml",
    "diagnosis_date": date(2018, 6, 1),
    "hb": 10.8,
    "anc": 1.215,
    "platelets": 130.0,
    "wbc": 8.2,
    "monocytes": 1.95,
    "monocytes_pct": 23.8,
    "lymphocytes": 1.4,
    "pb_blasts": 1.0,
    "bm_blasts": 3.0,
    "mcv": 98.0,
    "hb_missing": "",
    "anc_missing": "",
    "who2022_recorded": "cmml_1",
    "cytogenetic_risk_override": "",
    "cytogenetic_risk_override_reason": "",
}


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, findings
    return matching[0]


# (id, model, data, field, rule, severity, words the message must contain: the field's
# label, the problem and the fix).
BAD = [
    ("hb_in_g_l", HD, {"hb": 108}, "hb", "unit.hb_g_l", ERROR,
     ["Haemoglobin 108 g/dL is above 25", "g/L", "enter 10.8 (g/dL)"]),
    ("anc_per_mm3", HD, {"anc": 1215}, "anc", "unit.per_mm3", ERROR,
     ["Neutrophils (ANC) 1215 ×10⁹/L", "per mm³", "enter 1.215 (×10⁹/L)"]),
    ("monocytes_per_mm3", HD, {"monocytes": 1950}, "monocytes", "unit.per_mm3", ERROR,
     ["Monocytes 1950", "per mm³", "enter 1.95"]),
    ("platelets_per_mm3", HD, {"platelets": 130000}, "platelets", "unit.per_mm3", ERROR,
     ["Platelets 130000", "per mm³", "enter 130 (×10⁹/L)"]),
    ("wbc_per_mm3", HD, {"wbc": 8200}, "wbc", "unit.per_mm3", ERROR,
     ["White blood cells 8200", "enter 8.2"]),
    ("response_hb_in_g_l", HR, {"response_hb": 112}, "response_hb", "unit.hb_g_l", ERROR,
     ["Hb at assessment 112 g/dL", "g/L", "enter 11.2"]),
    ("c3_in_mg", SerologyPanel, {"c3": 120}, "c3", "unit.complement_mg", ERROR,
     ["C3 120 g/L is above 10", "mg/dL or mg/L", "enter 1.2 (if mg/dL) or 0.12 (if mg/L)"]),
    ("c4_in_mg", SerologyPanel, {"c4": 25}, "c4", "unit.complement_mg", ERROR,
     ["C4 25 g/L", "mg/dL or mg/L", "0.25 (if mg/dL)"]),
    ("c3_limit_in_mg", SerologyPanel, {"c3_lower_limit": 90}, "c3_lower_limit",
     "unit.complement_mg", ERROR, ["C3 lower limit of normal", "enter 0.9 (if mg/dL)"]),
    ("vaf_fraction", NgsVariant, {"gene": "TET2", "vaf": 0.37}, "vaf", "unit.vaf_fraction",
     WARNING, ["VAF 0.37%", "fraction", "enter 37 (%)", "confirm"]),
    ("hb_below_usual", HD, {"hb": 3.5}, "hb", "range.usual", WARNING,
     ["Haemoglobin 3.5 g/dL", "usual range 4–20", "check the value", "confirm"]),
    ("anc_above_usual", HD, {"anc": 60}, "anc", "range.usual", WARNING,
     ["Neutrophils (ANC) 60 ×10⁹/L", "0–15", "if that was per mm³, enter 0.06"]),
    ("platelets_above_usual", HD, {"platelets": 2500}, "platelets", "range.usual", WARNING,
     ["Platelets 2500", "0–2000 ×10⁹/L", "if that was per mm³, enter 2.5"]),
    ("bm_blasts_above_usual", HR, {"response_bm_blasts": 45}, "response_bm_blasts",
     "range.usual", WARNING, ["Marrow blasts at assessment 45%", "usual range 0–30%"]),
    ("value_and_reason", HD, {"hb": 10.8, "hb_missing": "unknown"}, "hb_missing",
     "measurement.value_and_reason", ERROR,
     ["Haemoglobin", "10.8 g/dL", "'Unknown'", "clear the reason", "clear the value"]),
    ("vaf_above_100", NgsVariant, {"gene": "TET2", "vaf": 137}, "vaf", "value.bounds", ERROR,
     ["VAF 137%", "outside 0–100", "enter a value in that range"]),
    ("negative_ki67", CentralReview, {"diagnosis": "cle", "ki67": -3}, "ki67", "value.bounds",
     ERROR, ["Ki67 -3%", "outside 0–100"]),
    ("future_start", Treatment, {"agent": "hydroxychloroquine", "started_on": date(2100, 1, 1)},
     "started_on", "date.future", ERROR, ["Start date 2100-01-01 is in the future", "enter"]),
    ("end_before_start", Treatment,
     {"started_on": date(2019, 1, 10), "ended_on": date(2018, 12, 1)}, "ended_on",
     "date.end_before_start", ERROR,
     ["End date 2018-12-01 is before the start date 2019-01-10", "check both dates"]),
    ("death_before_le", Demographics,
     {"le_diagnosis_date": date(2018, 5, 2), "vital_status": "dead",
      "death_date": date(2017, 1, 1)}, "death_date", "date.death_before_diagnosis", ERROR,
     ["Date of death 2017-01-01 is before the date of LE diagnosis", "check both dates"]),
    ("followup_after_death", Demographics,
     {"vital_status": "dead", "death_date": date(2021, 1, 1),
      "last_followup_date": date(2022, 3, 1)}, "death_date", "date.followup_after_death",
     ERROR, ["Date of death 2021-01-01 is before the date of last follow-up 2022-03-01"]),
    ("cmml_low_monocytes", HD, {**GOOD_CMML, "monocytes": 0.3}, "monocytes",
     "cmml.monocytosis", ERROR,
     ["Monocytes 0.3 ×10⁹/L is below 0.5", "CMML needs monocytosis", "set the disease to MDS"]),
    ("cmml_low_pct", HD, {**GOOD_CMML, "monocytes_pct": 6}, "monocytes_pct",
     "cmml.monocytosis", ERROR, ["Monocytes 6% of WBC is below 10%", "check the count"]),
    ("cmml_low_share_of_wbc", HD, {**GOOD_CMML, "monocytes_pct": None, "monocytes": 0.6,
                                   "wbc": 9.0}, "monocytes", "cmml.monocytosis", ERROR,
     ["Monocytes 0.6 ×10⁹/L is 6.7% of the white blood cells", "below 10%"]),
    ("bm_blasts_aml", HD, {"disease": "mds", "bm_blasts": 22}, "bm_blasts", "blasts.aml", ERROR,
     ["Marrow blasts 22% is 20% or more", "AML, not MDS/CMML", "check the value",
      "evolution event"]),
    ("pb_blasts_aml", HD, {"disease": "cmml", "pb_blasts": 20}, "pb_blasts", "blasts.aml",
     ERROR, ["Peripheral blasts 20%", "evolution event"]),
    ("recorded_aml", HD, {"disease": "mds", "who2022_recorded": "aml"}, "who2022_recorded",
     "blasts.aml", ERROR, ["WHO 2022, as recorded is AML", "evolution event"]),
    ("override_without_reason", HD,
     {"cytogenetic_risk_override": "poor", "cytogenetic_risk_override_reason": "  "},
     "cytogenetic_risk_override_reason", "cytogenetics.override_reason", ERROR,
     ["Override justification is empty", "'Poor'", "explain it, or clear the override"]),
    ("titre_without_positive_ana", SerologyPanel, {"ana": "negative", "ana_titre": 320},
     "ana_titre", "serology.ana_needs_positive", ERROR,
     ["ANA titre (reciprocal) 1:320", "'Negative'", "set ANA to positive, or clear the titre"]),
    ("pattern_without_positive_ana", SerologyPanel, {"ana": "", "ana_pattern": "speckled"},
     "ana_pattern", "serology.ana_needs_positive", ERROR,
     ["ANA pattern 'Speckled'", "'not entered'", "set ANA to positive"]),
    ("method_without_dsdna", SerologyPanel, {"anti_dsdna": "", "anti_dsdna_method": "elisa"},
     "anti_dsdna_method", "serology.method_needs_dsdna", ERROR,
     ["Anti-dsDNA method 'ELISA'", "enter the anti-dsDNA result, or clear the method"]),
    ("method_with_dsdna_not_done", SerologyPanel,
     {"anti_dsdna": "not_done", "anti_dsdna_method": "farr"}, "anti_dsdna_method",
     "serology.method_needs_dsdna", ERROR, ["'Farr'", "'Not done'"]),
    ("hgvs_c_without_prefix", NgsVariant, {"gene": "TET2", "hgvs_c": "1234C>T"}, "hgvs_c",
     "hgvs.c_format", ERROR, ["HGVS c. '1234C>T' is not HGVS c. notation", "c.1234C>T"]),
    ("hgvs_p_without_change", NgsVariant, {"gene": "DNMT3A", "hgvs_p": "p.Arg882"}, "hgvs_p",
     "hgvs.p_format", ERROR, ["HGVS p. 'p.Arg882'", "p.Arg882His"]),
    ("gene_lower_case", NgsVariant, {"gene": "tet2"}, "gene", "gene.symbol", ERROR,
     ["Gene (HGNC symbol) 'tet2' is not an HGNC symbol", "in capitals: TET2."]),
    ("gene_not_a_symbol", NgsVariant, {"gene": "TET 2"}, "gene", "gene.symbol", ERROR,
     ["Gene (HGNC symbol) 'TET 2'", "e.g. TET2"]),
    ("gene_not_myeloid", NgsVariant, {"gene": "BRCA1"}, "gene", "gene.not_myeloid", WARNING,
     ["Gene (HGNC symbol) 'BRCA1'", "myeloid genes", "check the spelling", "confirm"]),
    ("gene_alias", NgsVariant, {"gene": "MLL"}, "gene", "gene.not_myeloid", WARNING,
     ["'MLL'", "enter KMT2A"]),
    ("class_without_renal", LupusProfile, {"renal": "no", "nephritis_class": "IV"},
     "nephritis_class", "lupus.nephritis_needs_renal", ERROR,
     ["ISN/RPS class is 'Class IV'", "renal involvement is 'No'",
      "set renal involvement to yes, or clear this field"]),
    ("iwg2023_marrow_cr", HR, {"criteria": "iwg_2023", "category": "marrow_cr"}, "category",
     "response.iwg2023_category", ERROR,
     ["Category 'Marrow CR' does not exist in IWG 2023", "choose an IWG 2023 category"]),
    ("iwg2023_stable", HR, {"criteria": "iwg_2023", "category": "stable_disease"}, "category",
     "response.iwg2023_category", ERROR, ["'Stable disease'"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "data", "field", "rule", "severity", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD],
)
def test_rule_fires_naming_field_and_fix(model, data, field, rule, severity, words):
    finding = only(validate(model, data), rule)
    assert (finding.field, finding.severity) == (field, severity)
    for word in words:
        assert word in finding.message, finding.message


# (id, model, data, rule that must stay silent): the boundary and realistic values.
GOOD = [
    ("hb_10_8", HD, {"hb": 10.8}, "unit.hb_g_l"),
    ("hb_25_is_not_a_slip", HD, {"hb": 25}, "unit.hb_g_l"),
    ("anc_1_215", HD, {"anc": 1.215}, "unit.per_mm3"),
    ("monocytes_1_95", HD, {"monocytes": 1.95}, "unit.per_mm3"),
    ("platelets_3000", HD, {"platelets": 3000}, "unit.per_mm3"),
    ("c3_0_9", SerologyPanel, {"c3": 0.9, "c4": 0.12}, "unit.complement_mg"),
    ("vaf_37", NgsVariant, {"gene": "TET2", "vaf": 37}, "unit.vaf_fraction"),
    ("vaf_1", NgsVariant, {"gene": "TET2", "vaf": 1}, "unit.vaf_fraction"),
    ("vaf_1_5", NgsVariant, {"gene": "TET2", "vaf": 1.5}, "unit.vaf_fraction"),
    ("hb_4", HD, {"hb": 4}, "range.usual"),
    ("platelets_2000", HD, {"platelets": 2000}, "range.usual"),
    ("response_blasts_30", HR, {"response_bm_blasts": 30}, "range.usual"),
    ("value_only", HD, {"hb": 10.8, "hb_missing": ""}, "measurement.value_and_reason"),
    ("reason_only", HD, {"hb": None, "hb_missing": "not_done"}, "measurement.value_and_reason"),
    ("vaf_100", NgsVariant, {"gene": "TET2", "vaf": 100}, "value.bounds"),
    ("today", Treatment, {"started_on": date.today()}, "date.future"),
    ("same_day", Treatment, {"started_on": date(2019, 1, 10), "ended_on": date(2019, 1, 10)},
     "date.end_before_start"),
    ("cmml_threshold", HD, {**GOOD_CMML, "monocytes": 0.5, "monocytes_pct": 10},
     "cmml.monocytosis"),
    ("cmml_share_from_wbc", HD, {**GOOD_CMML, "monocytes_pct": None}, "cmml.monocytosis"),
    ("mds_low_monocytes", HD, {"disease": "mds", "monocytes": 0.2, "monocytes_pct": 3},
     "cmml.monocytosis"),
    ("blasts_19_9", HD, {"disease": "mds", "bm_blasts": 19.9, "pb_blasts": 19.9}, "blasts.aml"),
    ("override_justified", HD, {"cytogenetic_risk_override": "poor",
                                "cytogenetic_risk_override_reason": "complex on FISH"},
     "cytogenetics.override_reason"),
    ("titre_positive", SerologyPanel, {"ana": "positive", "ana_titre": 320},
     "serology.ana_needs_positive"),
    ("method_positive", SerologyPanel, {"anti_dsdna": "positive", "anti_dsdna_method": "farr"},
     "serology.method_needs_dsdna"),
    ("method_unknown_result", SerologyPanel,
     {"anti_dsdna": "unknown", "anti_dsdna_method": "elisa"}, "serology.method_needs_dsdna"),
    ("class_with_renal", LupusProfile, {"renal": "yes", "nephritis_class": "IV"},
     "lupus.nephritis_needs_renal"),
    ("class_not_applicable", LupusProfile, {"renal": "no", "nephritis_class": "not_applicable"},
     "lupus.nephritis_needs_renal"),
    ("iwg2023_cr", HR, {"criteria": "iwg_2023", "category": "complete_response"},
     "response.iwg2023_category"),
    ("iwg2006_marrow_cr", HR, {"criteria": "iwg_2006", "category": "marrow_cr"},
     "response.iwg2023_category"),
    ("myeloid_gene", NgsVariant, {"gene": "SRSF2"}, "gene.not_myeloid"),
    ("hyphenated_symbol", NgsVariant, {"gene": "HLA-DRB1"}, "gene.symbol"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "data", "rule"), [pytest.param(*row[1:], id=row[0]) for row in GOOD]
)
def test_rule_silent_on_good_input(model, data, rule):
    assert [f for f in validate(model, data) if f.rule == rule] == []


def test_a_realistic_cmml_section_has_no_finding():
    assert validate(HaematologicalDisease, GOOD_CMML) == []


def test_a_realistic_variant_has_no_finding():
    variant = {"gene": "TET2", "hgvs_c": "c.3500+1G>A", "hgvs_p": "p.?", "vaf": 37.0}
    assert validate(NgsVariant, variant) == []


def test_a_unit_slip_is_not_also_reported_as_out_of_bounds_or_range():
    findings = validate(HaematologicalDisease, {"hb": 108})
    assert [f.rule for f in findings] == ["unit.hb_g_l"]


def test_warnings_on_a_field_with_an_error_are_dropped():
    # 35% marrow blasts: AML (error) and above the usual 30% (warning); the error is enough.
    findings = validate(HaematologicalDisease, {"disease": "mds", "bm_blasts": 35})
    assert [(f.field, f.rule) for f in findings] == [("bm_blasts", "blasts.aml")]


def test_finding_is_frozen_and_codes_are_registered():
    finding = only(validate(HaematologicalDisease, {"hb": 108}), "unit.hb_g_l")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.message = "changed"
    for row in BAD:
        assert row[4] in RULE_CODES


HGVS_C_VALID = [
    "c.1234C>T", "c.1234_1235del", "c.1934dupG", "c.860_863dupTCTG", "c.3500+1G>A",
    "c.124-2A>G", "c.-14G>A", "c.*5A>G", "c.1092_1143del", "c.1154_1155insTTGTC",
    "c.1234_1235delinsTT", "c.100_200inv", "c.1234del", "c.1234dup",
]  # fmt: skip
HGVS_C_INVALID = [
    "1234C>T", "c.", "c.1234", "c.C1234T", "c.1234C>", "c.1234_del", "c.1234ins",
    "c.1234_1235insat", "c.1234C>T ", "p.Arg882His", "c.12_13C>T",
]  # fmt: skip
HGVS_P_VALID = [
    "p.Arg882His", "p.R882H", "p.(Gly12Asp)", "p.G12D", "p.Gln100Ter", "p.Q100*", "p.?",
    "p.=", "p.0", "p.Arg882=", "p.Met1?", "p.Arg123GlyfsTer12", "p.R123Gfs*12", "p.Arg123fs",
    "p.Ter110GlnextTer17", "p.Lys23del", "p.Lys23_Val25del", "p.Lys2_Gly3insGlnSerLys",
    "p.Cys28delinsTrpVal", "p.(Arg882His)", "p.Gly646TrpfsTer12",
]  # fmt: skip
HGVS_P_INVALID = [
    "p.Arg882", "p.882His", "p.ArgHis", "Arg882His", "p.Ter", "p.arg882his", "p.R882H/C",
    "p.(Arg882His", "p.Xyz882His", "c.1234C>T", "p.",
]  # fmt: skip


@pytest.mark.parametrize("value", HGVS_C_VALID)
def test_hgvs_c_accepts(value):
    assert HGVS_C.match(value)


@pytest.mark.parametrize("value", HGVS_C_INVALID)
def test_hgvs_c_rejects(value):
    assert not HGVS_C.match(value)


@pytest.mark.parametrize("value", HGVS_P_VALID)
def test_hgvs_p_accepts(value):
    assert HGVS_P.match(value)


@pytest.mark.parametrize("value", HGVS_P_INVALID)
def test_hgvs_p_rejects(value):
    assert not HGVS_P.match(value)


# ---- rules that need the case ----------------------------------------------------------


def test_dates_before_birth_are_errors_without_printing_the_birth_date(case_a):
    # case_a's identity: born 1955-03-14.
    findings = validate(Demographics, {"le_diagnosis_date": date(1950, 1, 1)}, case=case_a)
    finding = only(findings, "date.before_birth")
    assert finding.field == "le_diagnosis_date"
    assert "Date of LE diagnosis 1950-01-01 is before the patient's date of birth" in (
        finding.message
    )
    assert "check this date" in finding.message
    assert "1955" not in finding.message
    ok = {"le_diagnosis_date": date(2018, 5, 2), "last_followup_date": date(2023, 1, 10)}
    assert validate(Demographics, ok, case=case_a) == []


def test_before_birth_covers_treatment_biopsy_and_mds_dates(case_a):
    early = date(1950, 1, 1)
    for model, field in [
        (Treatment, "started_on"),
        (Treatment, "ended_on"),
        (SkinBiopsy, "taken_on"),
        (HaematologicalDisease, "diagnosis_date"),
        (Demographics, "death_date"),
        (Demographics, "last_followup_date"),
    ]:
        finding = only(validate(model, {field: early}, case=case_a), "date.before_birth")
        assert finding.field == field


def test_no_birth_check_without_a_case_or_an_identity(db):
    early = {"le_diagnosis_date": date(1900, 1, 1)}
    assert validate(Demographics, early) == []
    assert validate(Demographics, early, case=CaseFactory()) == []  # no Identity row


def test_identity_birth_date_in_the_future_is_an_error(case_a):
    finding = only(
        validate(Identity, {"date_of_birth": date(2100, 1, 1)}, case=case_a), "date.future"
    )
    assert finding.field == "date_of_birth"
    assert "Date of birth 2100-01-01 is in the future" in finding.message


def test_death_before_mds_diagnosis_is_checked_from_both_sections(case_a):
    DemographicsFactory(
        case=case_a,
        vital_status="dead",
        death_date=date(2019, 1, 1),
        last_followup_date=date(2019, 1, 1),
    )
    late = {"disease": "mds", "diagnosis_date": date(2019, 6, 1)}
    finding = only(
        validate(HaematologicalDisease, late, case=case_a), "date.death_before_diagnosis"
    )
    assert finding.field == "diagnosis_date"
    assert "Date of MDS/CMML diagnosis" in finding.message
    assert "2019-01-01" in finding.message and "check the date of death" in finding.message
    assert validate(HaematologicalDisease, {**late, "diagnosis_date": date(2018, 6, 1)},
                    case=case_a) == []  # fmt: skip

    other = CaseFactory(centre=case_a.centre)
    HaematologicalDiseaseFactory(case=other, diagnosis_date=date(2020, 2, 1))
    died = {"vital_status": "dead", "death_date": date(2020, 1, 1)}
    finding = only(validate(Demographics, died, case=other), "date.death_before_diagnosis")
    assert finding.field == "death_date"
    assert "Date of death" in finding.message


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (HaematologicalDisease, {"disease": "mds", "hb": 10.8}),
        (EvolutionEvent, {"new_state": "aml"}),
        (NgsTest, {"tissue": "peripheral_blood"}),
        (NgsVariant, {"gene": "TET2", "vaf": 37}),
        (CentralReview, {"diagnosis": "cle"}),
        (HaematologicalResponse, {"criteria": "iwg_2006"}),
    ],
)
def test_control_cases_have_no_haematological_sections(db, model, data):
    control = CaseFactory(group="control")
    finding = only(validate(model, data, case=control), "control.haematological_section")
    assert (finding.field, finding.severity) == (None, ERROR)
    name = str(model._meta.verbose_name)
    assert name[:1].upper() + name[1:] in finding.message
    assert "control (idiopathic SLE)" in finding.message
    assert "leave it empty, or change the case's group" in finding.message
    assert not [
        f for f in validate(model, data, case=CaseFactory()) if f.rule.startswith("control.")
    ]


def test_control_case_is_found_through_the_parent_row(db):
    control = CaseFactory(group="control")
    variant = NgsVariant(test=NgsTest(case=control, tissue="bone_marrow"), gene="TET2")
    assert case_of(variant) == control
    findings = validate(NgsVariant, {"gene": "TET2"}, instance=variant)
    assert only(findings, "control.haematological_section")


def test_control_case_has_no_haematological_treatment(db):
    control = CaseFactory(group="control")
    bad = {"agent": "azacitidine", "target": "haematological"}
    finding = only(validate(Treatment, bad, case=control), "control.haematological_treatment")
    assert finding.field == "target"
    assert "Target is 'Haematological disease'" in finding.message
    assert "set the target to lupus" in finding.message
    assert validate(Treatment, {"agent": "hydroxychloroquine", "target": "lupus"},
                    case=control) == []  # fmt: skip


def test_skin_ngs_should_link_a_biopsy_of_the_same_case(case_a, case_b):
    finding = only(validate(NgsTest, {"tissue": "skin"}, case=case_a), "ngs.skin_biopsy")
    assert (finding.field, finding.severity) == ("skin_biopsy", WARNING)
    assert "Skin biopsy is not linked for a skin sample" in finding.message
    assert "link the biopsy that was sequenced" in finding.message

    own = SkinBiopsyFactory(case=case_a)
    assert validate(NgsTest, {"tissue": "skin", "skin_biopsy": own}, case=case_a) == []
    assert validate(NgsTest, {"tissue": "bone_marrow"}, case=case_a) == []


def test_links_to_rows_of_another_case_are_errors(case_a, case_b):
    foreign = SkinBiopsyFactory(case=case_b)
    finding = only(
        validate(NgsTest, {"tissue": "skin", "skin_biopsy": foreign}, case=case_a),
        "link.other_case",
    )
    assert (finding.severity, finding.field) == (ERROR, "skin_biopsy")
    assert finding.message == (
        "Skin biopsy belongs to another case: choose one of this case's skin biopsies."
    )
    treatment = TreatmentFactory(case=case_a, started_on=date(2018, 6, 1))
    other_sledai = SledaiAssessment.objects.create(case=case_b, context="response")
    response = {"treatment": treatment, "sledai": other_sledai}
    finding = only(validate(LupusResponse, response), "link.other_case")  # case from treatment
    assert finding.field == "sledai"
    own_sledai = SledaiAssessment.objects.create(case=case_a, context="response")
    assert validate(LupusResponse, {**response, "sledai": own_sledai}) == []


def test_lupus_response_needs_treatment_started_before_assessment(case_a):
    treatment = TreatmentFactory(case=case_a, started_on=date(2018, 6, 1))
    early = {"treatment": treatment, "recorded": "complete_response",
             "assessed_on": date(2018, 6, 1)}  # fmt: skip
    finding = only(validate(LupusResponse, early), "response.treatment_start")
    assert finding.field == "assessed_on"
    assert "Assessment date 2018-06-01 is not after the treatment start 2018-06-01" in (
        finding.message
    )
    assert "check both dates" in finding.message
    assert validate(LupusResponse, {**early, "assessed_on": date(2018, 12, 1)}) == []

    unstarted = TreatmentFactory(case=case_a, started_on=None)
    finding = only(
        validate(LupusResponse, {**early, "treatment": unstarted}), "response.treatment_start"
    )
    assert "the treatment has no start date" in finding.message
    assert "enter the treatment's start date" in finding.message


def test_absent_fields_fall_back_to_the_instance(case_a):
    # A partial update (API PATCH) is checked against the row it changes.
    panel = SerologyPanelFactory(case=case_a, ana="negative", ana_titre=None)
    finding = only(
        validate(SerologyPanel, {"ana_titre": 320}, instance=panel), "serology.ana_needs_positive"
    )
    assert "'Negative'" in finding.message
    assert validate(SerologyPanel, {"ana": "positive", "ana_titre": 320}, instance=panel) == []


def test_instance_parent_gives_the_treatment_for_a_response(case_a):
    treatment = TreatmentFactory(case=case_a, started_on=date(2018, 6, 1))
    response = LupusResponse(treatment=treatment)
    data = {"recorded": "no_response", "assessed_on": date(2018, 1, 1)}
    assert only(validate(LupusResponse, data, instance=response), "response.treatment_start")
