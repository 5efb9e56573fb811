"""Cross-section data-quality rules (cohorts.quality): each fires on the inconsistency, stays
silent on consistent data and on missing-data codes, and keys its finding stably."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cohorts.quality import (
    QUALITY_VERSION,
    RULE_CODES,
    Discrepancy,
    discrepancies,
    reference_panel,
    rule,
)
from crf.models import (
    Case,
    CutaneousLesion,
    Demographics,
    EularAcrCriteria,
    HaematologicalDisease,
    Identity,
    LupusProfile,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)
from crf.rows import CaseRows

LE_DAY = date(2019, 3, 1)


def consistent_case() -> CaseRows:
    """An MDS-associated SLE whose sections agree with each other."""
    treatment = Treatment(agent="hydroxychloroquine", regimen="hcq_alone")
    test = NgsTest(tissue="peripheral_blood", result="variants")
    return CaseRows(
        case=Case(group="case", consent="yes"),
        rows={
            Demographics: [Demographics(le_diagnosis_date=LE_DAY)],
            LupusProfile: [
                LupusProfile(
                    le_type="sle",
                    cutaneous="yes",
                    articular="arthritis",
                    pleuritis="yes",
                    pericarditis="no",
                    renal="yes",
                )
            ],
            SliccCriteria: [
                SliccCriteria(
                    classification="met",
                    renal="yes",
                    biopsy_proven_nephritis="no",
                    serositis="yes",
                    synovitis="yes",
                    ana="yes",
                    anti_dsdna="yes",
                    anti_sm="no",
                    direct_coombs="no",
                    low_complement="yes",
                )
            ],
            EularAcrCriteria: [EularAcrCriteria(joint_involvement="yes")],
            SledaiAssessment: [
                SledaiAssessment(
                    context="le_diagnosis",
                    assessed_on=LE_DAY,
                    increased_dna_binding="yes",
                    low_complement="yes",
                    rash="yes",
                    arthritis="yes",
                    pleurisy="yes",
                    pericarditis="no",
                    proteinuria="yes",
                )
            ],
            SerologyPanel: [
                SerologyPanel(
                    at_le_diagnosis=True,
                    sampled_on=LE_DAY,
                    ana="positive",
                    ana_titre=320,
                    anti_dsdna="positive",
                    anti_sm="negative",
                    c3=0.6,
                    c3_lower_limit=0.9,
                    c4=0.2,
                    c4_lower_limit=0.1,
                    low_c3=True,
                    low_c4=False,
                )
            ],
            CutaneousLesion: [CutaneousLesion(subtype="acle_localized")],
            HaematologicalDisease: [
                HaematologicalDisease(
                    disease="mds",
                    diagnosis_date=date(2019, 5, 1),
                    who2022_recorded="mds_lb",
                    who2022_computed="mds_lb",
                    who2016_recorded="mds_mld",
                    who2016_computed="mds_mld",
                    uba1_tested="yes",
                    uba1_result="wild_type",
                    vexas_documented="no",
                )
            ],
            NgsTest: [test],
            NgsVariant: [NgsVariant(test=test, gene="TET2", classification="pathogenic")],
            Treatment: [treatment],
            LupusResponse: [
                LupusResponse(
                    treatment=treatment,
                    recorded="complete_response",
                    derived="complete_response",
                    disagrees=False,
                )
            ],
        },
    )


def codes(rows: CaseRows) -> list[str]:
    return [d.rule for d in discrepancies(rows)]


def set_fields(rows: CaseRows, changes: dict) -> CaseRows:
    """Apply {Model: {field: value}} to the case's (first) row of each model."""
    for model, fields in changes.items():
        row = rows.case if model is Case else rows.many(model)[0]
        for name, value in fields.items():
            setattr(row, name, value)
    return rows


def test_a_consistent_case_has_no_discrepancy():
    assert discrepancies(consistent_case()) == []


# (rule, changes that make it fire, further changes with a missing code that silence it)
CASES = [
    (
        "sledai.dna_binding_vs_anti_dsdna",
        {SerologyPanel: {"anti_dsdna": "negative"}, SliccCriteria: {"anti_dsdna": "unknown"}},
        {SerologyPanel: {"anti_dsdna": "not_done"}},
    ),
    (
        "sledai.dna_binding_vs_anti_dsdna",  # the reverse: positive, SLEDAI says no
        {SledaiAssessment: {"increased_dna_binding": "no"}},
        {SledaiAssessment: {"increased_dna_binding": "unknown"}},
    ),
    (
        "sledai.low_complement_vs_c3_c4",  # SLEDAI yes, C3 and C4 normal
        {SerologyPanel: {"low_c3": False, "low_c4": False}, SliccCriteria: {"low_complement": ""}},
        {SerologyPanel: {"low_c4": None}},  # no lower limit: the flag is not computed
    ),
    (
        "sledai.low_complement_vs_c3_c4",  # the reverse: low C3, SLEDAI no
        {SledaiAssessment: {"low_complement": "no"}},
        {SledaiAssessment: {"low_complement": ""}},
    ),
    (
        "sledai.rash_vs_cutaneous",
        {LupusProfile: {"cutaneous": "no"}, CutaneousLesion: {"subtype": ""}},
        {LupusProfile: {"cutaneous": "unknown"}},
    ),
    (
        "sledai.arthritis_vs_articular",
        {
            LupusProfile: {"articular": "none"},
            SliccCriteria: {"synovitis": "unknown"},
            EularAcrCriteria: {"joint_involvement": "not_done"},
        },
        {LupusProfile: {"articular": "unknown"}},
    ),
    (
        "sledai.pleurisy_vs_pleuritis",
        {LupusProfile: {"pleuritis": "no"}, SliccCriteria: {"serositis": "unknown"}},
        {SledaiAssessment: {"pleurisy": "not_done"}},
    ),
    (
        "sledai.pericarditis_vs_pericarditis",
        {SledaiAssessment: {"pericarditis": "yes"}},
        {LupusProfile: {"pericarditis": ""}},
    ),
    (
        "sledai.serositis_vs_slicc",
        {SliccCriteria: {"serositis": "no"}, LupusProfile: {"pleuritis": "unknown"}},
        {SledaiAssessment: {"pleurisy": "unknown"}},
    ),
    (
        "sledai.proteinuria_vs_renal",
        {LupusProfile: {"renal": "no"}, SliccCriteria: {"renal": "unknown"}},
        {LupusProfile: {"renal": "unknown"}},
    ),
    (
        "slicc.renal_vs_profile",
        {LupusProfile: {"renal": "no"}, SledaiAssessment: {"proteinuria": "no"}},
        {SliccCriteria: {"renal": "not_done"}},
    ),
    (
        "slicc.serositis_vs_profile",  # the profile has pleuritis, SLICC says no serositis
        {SliccCriteria: {"serositis": "no"}, SledaiAssessment: {"pleurisy": "no"}},
        {LupusProfile: {"pleuritis": "unknown"}},
    ),
    (
        "slicc.serositis_vs_profile",  # SLICC serositis yes, neither pleuritis nor pericarditis
        {LupusProfile: {"pleuritis": "no"}, SledaiAssessment: {"pleurisy": "no"}},
        {LupusProfile: {"pericarditis": "unknown"}},
    ),
    (
        "slicc.synovitis_vs_articular",
        {
            LupusProfile: {"articular": "none"},
            SledaiAssessment: {"arthritis": "no"},
            EularAcrCriteria: {"joint_involvement": ""},
        },
        {SliccCriteria: {"synovitis": "unknown"}},
    ),
    (
        "eular.joint_vs_articular",
        {
            LupusProfile: {"articular": "none"},
            SledaiAssessment: {"arthritis": "no"},
            SliccCriteria: {"synovitis": "no"},
        },
        {EularAcrCriteria: {"joint_involvement": "unknown"}},
    ),
    (
        "slicc.immunology_vs_serology",
        {SerologyPanel: {"anti_sm": "negative"}, SliccCriteria: {"anti_sm": "yes"}},
        {SerologyPanel: {"anti_sm": "not_done"}},
    ),
    (
        "lupus.le_type_vs_slicc",  # isolated CLE meeting SLICC
        {LupusProfile: {"le_type": "isolated_cle"}},
        {LupusProfile: {"le_type": "unknown"}},
    ),
    (
        "lupus.le_type_vs_slicc",  # SLE not meeting SLICC
        {SliccCriteria: {"classification": "not_met"}},
        {SliccCriteria: {"classification": "undetermined"}},
    ),
    (
        "lupus.cutaneous_no_with_lesions",
        {LupusProfile: {"cutaneous": "no"}, SledaiAssessment: {"rash": "no"}},
        {CutaneousLesion: {"subtype": "unknown"}},
    ),
    (
        "dates.at_diagnosis_far_from_le_diagnosis",
        {SerologyPanel: {"sampled_on": date(2019, 9, 1)}},
        {SerologyPanel: {"sampled_on": None}},
    ),
    (
        "haem.who2022_recorded_vs_computed",
        {HaematologicalDisease: {"who2022_recorded": "mds_ib1"}},
        {HaematologicalDisease: {"who2022_recorded": "unknown"}},
    ),
    (
        "haem.who2016_recorded_vs_computed",
        {HaematologicalDisease: {"who2016_computed": "mds_eb1"}},
        {HaematologicalDisease: {"who2016_recorded": "not_done"}},
    ),
    (
        "haem.cmml_subtype_recorded_vs_computed",
        {
            HaematologicalDisease: {
                "disease": "cmml",
                "who2022_recorded": "cmml_1",
                "who2022_computed": "cmml_1",
                "who2016_recorded": "",
                "cmml_subtype_recorded": "md_cmml",
                "cmml_subtype_computed": "mp_cmml",
            }
        },
        {HaematologicalDisease: {"cmml_subtype_computed": ""}},  # not computable
    ),
    (
        "haem.disease_vs_recorded_class",
        {HaematologicalDisease: {"disease": "cmml", "who2016_recorded": ""}},
        {HaematologicalDisease: {"who2022_recorded": "unknown", "who2022_computed": ""}},
    ),
    (
        "haem.uba1_vs_vexas",
        {HaematologicalDisease: {"vexas_documented": "yes"}},
        {HaematologicalDisease: {"vexas_documented": "unknown"}},
    ),
    (
        "haem.uba1_vs_vexas",
        {HaematologicalDisease: {"uba1_result": "mutated"}},
        {HaematologicalDisease: {"uba1_result": "unknown"}},
    ),
    (
        "lupus_response.recorded_vs_derived",
        {LupusResponse: {"recorded": "no_response", "disagrees": True}},
        {LupusResponse: {"recorded": "unknown", "disagrees": None}},
    ),
    (
        "case.consent_no_with_data",
        {Case: {"consent": "no"}},
        {Case: {"consent": "unknown"}},
    ),
]


@pytest.mark.parametrize(("code", "fire", "silence"), CASES, ids=[c[0] for c in CASES])
def test_rule_fires_and_missing_codes_silence_it(code, fire, silence):
    rows = set_fields(consistent_case(), fire)
    assert codes(rows) == [code]
    assert codes(set_fields(rows, silence)) == []


def test_every_registered_rule_is_tested_firing():
    tested = {c[0] for c in CASES} | {"haem.ngs_uba1_vs_uba1_test"}
    assert tested == RULE_CODES


# ---- messages and evidence ------------------------------------------------------------------


def dsdna_negative(rows: CaseRows) -> CaseRows:
    """The serology at diagnosis turns anti-dsDNA negative (SLICC's item left unknown)."""
    return set_fields(
        rows, {SerologyPanel: {"anti_dsdna": "negative"}, SliccCriteria: {"anti_dsdna": "unknown"}}
    )


def test_the_message_names_fields_values_and_what_to_check():
    rows = dsdna_negative(consistent_case())
    (found,) = discrepancies(rows)
    assert found.message == (
        "SLEDAI-2K (At LE diagnosis, 2019-03-01): Increased DNA binding is 'Yes' but "
        "anti-dsDNA is 'Negative' on the serology at LE diagnosis — check the SLEDAI-2K item "
        "and the anti-dsDNA result."
    )
    assert [(e.model, e.field, e.value, e.display) for e in found.values] == [
        ("crf.SledaiAssessment", "increased_dna_binding", "yes", "Yes"),
        ("crf.SerologyPanel", "anti_dsdna", "negative", "Negative"),
    ]
    assert found.rule_version == QUALITY_VERSION


def test_recorded_vs_computed_message():
    rows = set_fields(consistent_case(), {HaematologicalDisease: {"who2022_recorded": "mds_ib1"}})
    (found,) = discrepancies(rows)
    assert "WHO 2022, as recorded is 'MDS-IB1'" in found.message
    assert "WHO 2022, computed is 'MDS-LB'" in found.message


def test_complement_message_shows_the_values():
    rows = set_fields(consistent_case(), {SledaiAssessment: {"low_complement": "no"}})
    (found,) = discrepancies(rows)
    assert "(C3 0.6 g/L, C4 0.2 g/L)" in found.message
    assert "below the laboratory's lower limit" in found.message


# ---- keys ----------------------------------------------------------------------------------


def test_key_is_rule_rows_and_fields_and_survives_a_value_change():
    rows = consistent_case()
    rows.many(SledaiAssessment)[0].pk = 12
    rows.many(SerologyPanel)[0].pk = 30
    dsdna_negative(rows)
    (first,) = discrepancies(rows)
    assert first.key == (
        "sledai.dna_binding_vs_anti_dsdna|sledaiassessment#12.increased_dna_binding"
        "|serologypanel#30.anti_dsdna"
    )
    # The reverse inconsistency on the same rows keeps the key (the confirmation is about
    # these two fields), and a new unrelated row does not move it.
    set_fields(rows, {SerologyPanel: {"anti_dsdna": "positive"}})
    set_fields(rows, {SledaiAssessment: {"increased_dna_binding": "no"}})
    rows.rows[CutaneousLesion].insert(0, CutaneousLesion(subtype="tumid"))
    (second,) = discrepancies(rows)
    assert second.key == first.key


def test_unsaved_rows_are_keyed_by_their_place():
    rows = set_fields(consistent_case(), {LupusProfile: {"cutaneous": "no"}})
    rows.rows[SledaiAssessment].append(SledaiAssessment(context="follow_up", rash="yes"))
    keys = [d.key for d in discrepancies(rows) if d.rule == "sledai.rash_vs_cutaneous"]
    assert keys == [
        "sledai.rash_vs_cutaneous|sledaiassessment#new0.rash|lupusprofile#new0.cutaneous",
        "sledai.rash_vs_cutaneous|sledaiassessment#new1.rash|lupusprofile#new0.cutaneous",
    ]


def test_two_findings_on_the_same_rows_have_distinct_keys():
    rows = set_fields(
        consistent_case(),
        {SledaiAssessment: {"pericarditis": "yes"}, SliccCriteria: {"serositis": "no"}},
    )
    found = [d for d in discrepancies(rows) if d.rule == "sledai.serositis_vs_slicc"]
    assert len(found) == 2
    assert len({d.key for d in found}) == 2


def test_discrepancy_round_trips_through_json():
    rows = set_fields(consistent_case(), {HaematologicalDisease: {"who2022_recorded": "mds_ib1"}})
    (found,) = discrepancies(rows)
    assert Discrepancy.from_dict(json.loads(json.dumps(found.to_dict()))) == found


def test_a_rule_code_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="twice"):
        rule("case.consent_no_with_data")(lambda rows: [])


# ---- which serology a later SLEDAI-2K is compared with --------------------------------------


def later_sledai(assessed_on: date, panels: list[SerologyPanel], precision: str = "day"):
    rows = consistent_case()
    sledai = SledaiAssessment(
        context="response", assessed_on=assessed_on, increased_dna_binding="yes"
    )
    sledai.assessed_on_precision = precision
    rows.rows[SledaiAssessment].append(sledai)
    rows.rows[SerologyPanel].extend(panels)
    return rows, sledai


def test_a_later_sledai_is_compared_with_the_panel_of_its_30_days():
    panel = SerologyPanel(sampled_on=date(2020, 5, 1), anti_dsdna="negative")
    rows, sledai = later_sledai(date(2020, 5, 20), [panel])
    assert reference_panel(rows, sledai) is panel
    assert codes(rows) == ["sledai.dna_binding_vs_anti_dsdna"]


@pytest.mark.parametrize(
    ("sampled_on", "precision"),
    [
        (date(2020, 3, 1), "day"),  # 80 days before: says nothing of activity then
        (date(2020, 6, 1), "day"),  # after the assessment
        (date(2020, 5, 15), "month"),  # not placeable in the window
    ],
)
def test_a_later_sledai_ignores_panels_outside_its_window(sampled_on, precision):
    panel = SerologyPanel(sampled_on=sampled_on, anti_dsdna="negative")
    panel.sampled_on_precision = precision
    rows, sledai = later_sledai(date(2020, 5, 20), [panel])
    assert reference_panel(rows, sledai) is None
    assert codes(rows) == []


def test_a_later_sledai_uses_the_latest_panel_not_the_one_at_diagnosis():
    older = SerologyPanel(sampled_on=date(2020, 4, 25), anti_dsdna="negative")
    latest = SerologyPanel(sampled_on=date(2020, 5, 10), anti_dsdna="positive")
    rows, sledai = later_sledai(date(2020, 5, 20), [older, latest])
    rows.many(SerologyPanel)[0].anti_dsdna = "negative"  # the panel at LE diagnosis
    rows.many(SledaiAssessment)[0].increased_dna_binding = "no"  # consistent with it
    assert reference_panel(rows, sledai) is latest
    assert codes(rows) == []


def test_a_later_sledai_with_a_partial_date_is_not_compared():
    panel = SerologyPanel(sampled_on=date(2020, 5, 15), anti_dsdna="negative")
    rows, _ = later_sledai(date(2020, 5, 15), [panel], precision="month")
    assert codes(rows) == []


# ---- rules needing extra rows --------------------------------------------------------------


def test_at_diagnosis_far_from_le_diagnosis_uses_the_partial_date_range():
    rows = consistent_case()
    demo = rows.one(Demographics)
    demo.le_diagnosis_date, demo.le_diagnosis_date_precision = date(2019, 7, 1), "year"
    # A SLEDAI-2K at diagnosis dated 2019-03-01 may be at most 0 days from "2019": silent.
    assert codes(rows) == []
    sledai = rows.many(SledaiAssessment)[0]
    sledai.assessed_on = date(2020, 6, 1)  # at least 153 days after 31 Dec 2019
    rows.many(SerologyPanel)[0].sampled_on = date(2019, 12, 31)
    (found,) = discrepancies(rows)
    assert found.rule == "dates.at_diagnosis_far_from_le_diagnosis"
    assert "at least 153 days" in found.message
    assert "2019 (known to the year)" in found.message


@pytest.mark.parametrize(
    ("uba1_tested", "uba1_result", "classification", "fires"),
    [
        ("yes", "wild_type", "pathogenic", True),
        ("no", "", "likely_pathogenic", True),
        ("yes", "mutated", "pathogenic", False),
        ("unknown", "", "pathogenic", False),
        ("no", "", "vus", False),
        ("no", "", "", False),
    ],
)
def test_ngs_uba1_variant_against_the_uba1_test(uba1_tested, uba1_result, classification, fires):
    rows = consistent_case()
    haem = rows.one(HaematologicalDisease)
    haem.uba1_tested, haem.uba1_result = uba1_tested, uba1_result
    haem.vexas_documented = ""
    test = rows.many(NgsTest)[0]
    rows.rows[NgsVariant].append(
        NgsVariant(test=test, gene="UBA1", hgvs_p="p.Met41Thr", classification=classification)
    )
    found = [d for d in discrepancies(rows) if d.rule == "haem.ngs_uba1_vs_uba1_test"]
    assert bool(found) is fires
    if fires:
        assert "UBA1 p.Met41Thr" in found[0].message
        assert "Peripheral blood" in found[0].message


def test_slicc_antibody_is_flagged_only_when_no_panel_is_positive():
    rows = consistent_case()
    set_fields(rows, {SerologyPanel: {"anti_dsdna": "negative"}})
    set_fields(rows, {SledaiAssessment: {"increased_dna_binding": "no"}})
    assert codes(rows) == ["slicc.immunology_vs_serology"]
    # A later positive panel supports the (cumulative) SLICC item.
    rows.rows[SerologyPanel].append(
        SerologyPanel(sampled_on=date(2021, 1, 5), anti_dsdna="positive")
    )
    assert codes(rows) == []


def test_slicc_low_complement_against_every_panel():
    rows = consistent_case()
    set_fields(rows, {SledaiAssessment: {"low_complement": "unknown"}})
    set_fields(rows, {SerologyPanel: {"low_c3": False, "low_c4": False}})
    assert codes(rows) == ["slicc.immunology_vs_serology"]
    rows.one(SliccCriteria).low_complement = "unknown"
    assert codes(rows) == []


def test_consent_no_with_only_the_identity_is_not_flagged():
    rows = CaseRows(case=Case(group="case", consent="no"), rows={Identity: [Identity()]})
    assert codes(rows) == []
    rows.rows[Demographics] = [Demographics()]
    assert codes(rows) == ["case.consent_no_with_data"]
