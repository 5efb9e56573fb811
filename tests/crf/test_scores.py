"""Tests of crf/scores.py against the vectors and rules of clinical-rules.md.

Plain pytest (no Django): run with ``pytest tests/crf/test_scores.py -p no:django``.
Expected values come from the spec's tables and vectors, worked out by hand from its rules.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crf import scores
from crf.scores import (
    RULE_VERSIONS,
    SLEDAI_WEIGHTS,
    age_in_years,
    clinical_sledai,
    eular_acr_2019,
    ipssr,
    ipssr_age_adjusted,
    ipssr_category,
    ipssr_cytogenetic_risk,
    lupus_response,
    sledai_2k,
    slicc_2012,
    temporal_relation,
    who2016_cmml_subgroup,
    who2016_cytopenias,
    who2016_mds_subtype,
    who2022_cmml,
    who2022_mds_subtype,
)

CYTO = {"Very good": "very_good", "Good": "good", "Int": "intermediate", "Very poor": "very_poor"}
CATEGORY = {
    "VL": "very_low",
    "Very low": "very_low",
    "Low": "low",
    "Int": "intermediate",
    "High": "high",
    "VH": "very_high",
    "Very high": "very_high",
}

# --------------------------------------------------------------------------------------
# IPSS-R / IPSS-RA (spec 1)
# --------------------------------------------------------------------------------------

# Spec 1.5: the official README vector, then the six rows of the "Additional vectors" table.
# (hb, anc, plt, blasts, cytogenetics, age, IPSS-R, category, LR/HR, IPSS-RA, RA category)
IPSSR_VECTORS = [
    (8.2, 0.72, 239, 0, "Good", 63.5, 2.5, "Low", "LR", 2.25625, "Low"),
    (10, 0.8, 100, 2, "Good", 70, 1.0, "Very low", "LR", 1.0, "VL"),
    (9.9, 0.79, 99, 2.5, "Int", 80, 5.0, "High", "HR", 5.25, "High"),
    (12, 2, 150, 10, "Very good", 60, 2.0, "Low", "LR", 1.6, "Low"),
    (12, 2, 150, 10.5, "Int", 85, 5.0, "High", "HR", 5.375, "High"),
    (11, 1.5, 200, 4, "Int", 72, 3.0, "Low", "LR", 3.07, "Int"),
    (7, 0.3, 20, 15, "Very poor", 65, 10.0, "Very high", "HR", 10.0, "VH"),
]


@pytest.mark.parametrize(
    "hb, anc, plt, blasts, cyto, age, score, category, risk, ra, ra_category", IPSSR_VECTORS
)
def test_ipssr_spec_vectors(
    hb, anc, plt, blasts, cyto, age, score, category, risk, ra, ra_category
):
    result = ipssr(hb=hb, anc=anc, platelets=plt, bm_blasts=blasts, cytogenetic_risk=CYTO[cyto])
    assert result.score == score
    assert result.category == CATEGORY[category]
    assert result.lower_risk is (risk == "LR")
    adjusted = ipssr_age_adjusted(score=result.score, age=age)
    assert adjusted == pytest.approx(ra, abs=1e-9)
    assert ipssr_category(adjusted) == CATEGORY[ra_category]


def test_ipssr_item_points_of_readme_vector():
    result = ipssr(hb=8.2, anc=0.72, platelets=239, bm_blasts=0, cytogenetic_risk="good")
    assert (
        result.cytogenetics_points,
        result.blasts_points,
        result.hb_points,
        result.platelets_points,
        result.anc_points,
    ) == (1, 0, 1.0, 0.0, 0.5)
    assert result.rule_version == scores.IPSSR_VERSION


def _points(**overrides):
    base = {"hb": 12, "anc": 2, "platelets": 150, "bm_blasts": 0, "cytogenetic_risk": "very_good"}
    return ipssr(**{**base, **overrides})


@pytest.mark.parametrize(
    "blasts, points",
    [
        (0, 0),
        (2, 0),
        (2.01, 1),
        (2.5, 1),
        (4, 1),
        (4.99, 1),
        (5, 2),
        (7, 2),
        (10, 2),
        (10.01, 3),
        (10.5, 3),
        (19, 3),
        (30, 3),
    ],
)
def test_ipssr_blast_boundaries(blasts, points):
    result = _points(bm_blasts=blasts)
    assert result.blasts_points == points
    assert result.score == points


@pytest.mark.parametrize(
    "hb, points", [(4, 1.5), (7.99, 1.5), (8, 1.0), (9.99, 1.0), (10, 0.0), (15, 0.0)]
)
def test_ipssr_hb_boundaries_closed_on_the_left(hb, points):
    assert _points(hb=hb).hb_points == points


@pytest.mark.parametrize(
    "plt, points", [(0, 1.0), (49.9, 1.0), (50, 0.5), (99.9, 0.5), (100, 0.0), (2000, 0.0)]
)
def test_ipssr_platelet_boundaries_closed_on_the_left(plt, points):
    assert _points(platelets=plt).platelets_points == points


@pytest.mark.parametrize("anc, points", [(0, 0.5), (0.79, 0.5), (0.8, 0.0), (15, 0.0)])
def test_ipssr_anc_boundaries_closed_on_the_left(anc, points):
    assert _points(anc=anc).anc_points == points


@pytest.mark.parametrize(
    "cyto, points",
    [("very_good", 0), ("good", 1), ("intermediate", 2), ("poor", 3), ("very_poor", 4)],
)
def test_ipssr_cytogenetic_points(cyto, points):
    assert _points(cytogenetic_risk=cyto).cytogenetics_points == points


@pytest.mark.parametrize(
    "score, category",
    [
        (-2.5, "very_low"),
        (0, "very_low"),
        (1.5, "very_low"),
        (1.51, "low"),
        (2, "low"),
        (3.0, "low"),
        (3.0000000000000004, "low"),
        (3.07, "intermediate"),
        (3.5, "intermediate"),
        (4.5, "intermediate"),
        (5, "high"),
        (6.0, "high"),
        (6.5, "very_high"),
        (10, "very_high"),
    ],
)
def test_ipssr_category_closed_on_the_right(score, category):
    assert ipssr_category(score) == category


@pytest.mark.parametrize(
    "cyto, blasts, score, lower_risk",
    # 3.5 is lower-risk; 4.0 is higher-risk although both are "intermediate" (spec 1.4).
    [("intermediate", 3, 3.0, True), ("poor", 0, 3.0, True), ("poor", 2.5, 4.0, False)],
)
def test_ipssr_lower_risk_cut(cyto, blasts, score, lower_risk):
    result = _points(cytogenetic_risk=cyto, bm_blasts=blasts)
    assert result.score == score
    assert result.lower_risk is lower_risk


def test_ipssr_lower_risk_cut_at_3_5_splits_intermediate():
    at_cut = _points(cytogenetic_risk="poor", anc=0.5)  # 3 + 0.5
    above = _points(cytogenetic_risk="poor", anc=0.5, platelets=60)  # 3 + 0.5 + 0.5
    assert (at_cut.score, at_cut.category, at_cut.lower_risk) == (3.5, "intermediate", True)
    assert (above.score, above.category, above.lower_risk) == (4.0, "intermediate", False)


def test_ipssr_accepts_decimal_inputs():
    result = ipssr(
        hb=Decimal("9.9"),
        anc=Decimal("0.79"),
        platelets=99,
        bm_blasts=Decimal("2.5"),
        cytogenetic_risk="intermediate",
    )
    assert result.score == 5.0


@pytest.mark.parametrize(
    "field, value",
    [
        ("hb", None),
        ("hb", -1),
        ("anc", -0.1),
        ("platelets", None),
        ("bm_blasts", -2),
        ("bm_blasts", 101),
        ("hb", float("nan")),
        ("anc", True),
        ("platelets", "100"),
        ("cytogenetic_risk", "bad"),
        ("cytogenetic_risk", None),
    ],
)
def test_ipssr_rejects_invalid_input_naming_the_argument(field, value):
    with pytest.raises(ValueError, match=field):
        _points(**{field: value})


def test_ipssr_age_adjusted_rejects_missing_age():
    with pytest.raises(ValueError, match="age"):
        ipssr_age_adjusted(score=2.5, age=None)


_ipssr_inputs = st.fixed_dictionaries(
    {
        "hb": st.floats(0, 20, allow_nan=False),
        "anc": st.floats(0, 15, allow_nan=False),
        "platelets": st.floats(0, 2000, allow_nan=False),
        "bm_blasts": st.floats(0, 30, allow_nan=False),
        "cytogenetic_risk": st.sampled_from(
            ["very_good", "good", "intermediate", "poor", "very_poor"]
        ),
    }
)


@given(_ipssr_inputs)
def test_ipssr_property_range_steps_and_flags(inputs):
    result = ipssr(**inputs)
    assert 0 <= result.score <= 10
    assert (result.score * 2).is_integer()
    assert result.lower_risk == (result.score <= 3.5)
    assert result.category == ipssr_category(result.score)
    assert result.score == (
        result.cytogenetics_points
        + result.blasts_points
        + result.hb_points
        + result.platelets_points
        + result.anc_points
    )


@given(_ipssr_inputs, st.floats(0, 20, allow_nan=False))
def test_ipssr_property_lower_hb_never_lowers_score(inputs, other_hb):
    low, high = sorted([inputs["hb"], other_hb])
    assert ipssr(**{**inputs, "hb": low}).score >= ipssr(**{**inputs, "hb": high}).score


@given(st.sampled_from([x / 2 for x in range(21)]))
def test_ipssra_equals_ipssr_at_age_70(score):
    assert ipssr_age_adjusted(score=score, age=70) == score


# --------------------------------------------------------------------------------------
# IPSS-R cytogenetic risk (spec 1.1, Schanz)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "abnormalities, count, normal, expected",
    [
        # Normal karyotype.
        (set(), None, True, "good"),
        (set(), 0, None, "good"),
        # Very good: single -Y or del(11q).
        ({"minus_y"}, None, False, "very_good"),
        ({"del11q"}, 1, None, "very_good"),
        # Good: single del(5q), del(12p), del(20q); double including del(5q).
        ({"del5q"}, None, None, "good"),
        ({"del12p"}, None, None, "good"),
        ({"del20q"}, None, None, "good"),
        ({"del5q", "plus_8"}, None, None, "good"),
        ({"del5q", "other"}, None, None, "good"),
        ({"del5q"}, 2, None, "good"),
        # Intermediate: del(7q), +8, +19, i(17q), any other single or double.
        ({"del7q"}, None, None, "intermediate"),
        ({"plus_8"}, None, None, "intermediate"),
        ({"plus_19"}, None, None, "intermediate"),
        ({"i17q"}, None, None, "intermediate"),
        ({"other"}, None, None, "intermediate"),
        ({"del9q"}, None, None, "intermediate"),
        ({"plus_8", "del20q"}, None, None, "intermediate"),
        ({"minus_y", "del11q"}, None, None, "intermediate"),
        ({"minus_y"}, 2, None, "intermediate"),
        # Poor: -7, abn(3q), double including -7/del(7q), exactly 3.
        ({"minus_7"}, None, None, "poor"),
        ({"abn3q"}, None, None, "poor"),
        ({"minus_7", "plus_8"}, None, None, "poor"),
        ({"del7q", "del20q"}, None, None, "poor"),
        ({"del5q", "minus_7"}, None, None, "poor"),  # -7 wins over del(5q)
        ({"del5q", "del7q"}, None, None, "poor"),
        ({"minus_7"}, 2, None, "poor"),
        ({"del5q", "plus_8", "del20q"}, None, None, "poor"),
        ({"other"}, 3, False, "poor"),  # "other" hides several abnormalities
        (set(), 3, False, "poor"),
        # Very poor: > 3.
        ({"del5q", "plus_8", "del20q", "minus_y"}, None, None, "very_poor"),
        ({"del5q", "other"}, 5, None, "very_poor"),
        (set(), 4, None, "very_poor"),
    ],
)
def test_cytogenetic_risk_groups(abnormalities, count, normal, expected):
    got = ipssr_cytogenetic_risk(
        abnormalities=frozenset(abnormalities), abnormality_count=count, normal=normal
    )
    assert got == expected


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"abnormalities": {"del5"}}, "abnormalities"),
        ({"abnormalities": {"del5q", "plus_8"}, "abnormality_count": 1}, "abnormality_count"),
        ({"abnormalities": set(), "abnormality_count": -1}, "abnormality_count"),
        ({"abnormalities": {"del5q"}, "normal": True}, "normal"),
        ({"abnormalities": set(), "normal": False}, "normal"),
        ({"abnormalities": set(), "abnormality_count": 2}, "abnormalities"),
    ],
)
def test_cytogenetic_risk_rejects_invalid_or_contradictory_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ipssr_cytogenetic_risk(**kwargs)


def test_cytogenetic_risk_rejects_a_bare_string():
    with pytest.raises(TypeError):
        ipssr_cytogenetic_risk(abnormalities="del5q")


# --------------------------------------------------------------------------------------
# SLEDAI-2K and clinical SLEDAI (spec 3)
# --------------------------------------------------------------------------------------

SLEDAI_EXPECTED_WEIGHTS = {
    **dict.fromkeys(
        [
            "seizure",
            "psychosis",
            "organic_brain_syndrome",
            "visual_disturbance",
            "cranial_nerve_disorder",
            "lupus_headache",
            "cva",
            "vasculitis",
        ],
        8,
    ),
    **dict.fromkeys(
        ["arthritis", "myositis", "urinary_casts", "haematuria", "proteinuria", "pyuria"], 4
    ),
    **dict.fromkeys(
        [
            "rash",
            "alopecia",
            "mucosal_ulcers",
            "pleurisy",
            "pericarditis",
            "low_complement",
            "increased_dna_binding",
        ],
        2,
    ),
    **dict.fromkeys(["fever", "thrombocytopenia", "leukopenia"], 1),
}


def test_sledai_weights_match_the_spec_table():
    assert dict(SLEDAI_WEIGHTS) == SLEDAI_EXPECTED_WEIGHTS
    assert len(SLEDAI_WEIGHTS) == 24


@pytest.mark.parametrize("code, weight", sorted(SLEDAI_EXPECTED_WEIGHTS.items()))
def test_sledai_single_descriptor(code, weight):
    assert sledai_2k({code}) == weight
    serological = code in ("low_complement", "increased_dna_binding")
    assert clinical_sledai({code}) == (0 if serological else weight)


def test_sledai_maximum_is_105_and_clinical_sledai_101():
    everything = dict.fromkeys(SLEDAI_EXPECTED_WEIGHTS, True)
    assert sledai_2k(everything) == 105
    assert clinical_sledai(everything) == 101
    assert sledai_2k(list(SLEDAI_EXPECTED_WEIGHTS)) == 105


def test_sledai_alopecia_scores_2_not_1():
    assert sledai_2k({"alopecia": True}) == 2


def test_sledai_mapping_none_and_false_count_as_absent():
    items = {"arthritis": True, "rash": None, "fever": False, "low_complement": True}
    assert sledai_2k(items) == 6
    assert clinical_sledai(items) == 4


def test_sledai_accepts_iterables_and_ignores_duplicates():
    assert sledai_2k(["proteinuria", "proteinuria", "increased_dna_binding"]) == 6
    assert sledai_2k(()) == 0
    assert clinical_sledai(frozenset({"seizure", "increased_dna_binding"})) == 8


@pytest.mark.parametrize("items", [{"alopecia_x"}, {"alopecia_x": True}, ["rash", "nope"]])
def test_sledai_unknown_code_is_named(items):
    bad = next(c for c in items if c not in SLEDAI_WEIGHTS)
    with pytest.raises(ValueError, match=bad):
        sledai_2k(items)
    with pytest.raises(ValueError, match=bad):
        clinical_sledai(items)


def test_sledai_rejects_a_bare_string_and_non_boolean_values():
    with pytest.raises(TypeError):
        sledai_2k("rash")
    with pytest.raises(ValueError, match="rash"):
        sledai_2k({"rash": "yes"})


# --------------------------------------------------------------------------------------
# SLICC 2012 (spec 4)
# --------------------------------------------------------------------------------------

SLICC_CLINICAL = [
    "acute_or_subacute_cle",
    "chronic_cle",
    "oral_nasal_ulcers",
    "nonscarring_alopecia",
    "synovitis",
    "serositis",
    "renal",
    "neurologic",
    "haemolytic_anaemia",
    "leukopenia_or_lymphopenia",
    "thrombocytopenia",
]
SLICC_IMMUNOLOGICAL = [
    "ana",
    "anti_dsdna",
    "anti_sm",
    "antiphospholipid",
    "low_complement",
    "direct_coombs",
]


def _slicc(clinical_yes=(), immunological_yes=(), unknown=(), nephritis=False):
    """All items answered "no" unless listed as yes or unknown."""
    clinical = {c: (None if c in unknown else c in clinical_yes) for c in SLICC_CLINICAL}
    immunological = {
        c: (None if c in unknown else c in immunological_yes) for c in SLICC_IMMUNOLOGICAL
    }
    return slicc_2012(
        clinical=clinical, immunological=immunological, biopsy_proven_nephritis=nephritis
    )


def test_slicc_met_with_four_criteria_including_both_kinds():
    result = _slicc(["synovitis", "oral_nasal_ulcers", "renal"], ["ana"])
    assert (result.classified, result.status) == (True, "met")
    assert (result.clinical_count, result.immunological_count) == (3, 1)
    assert result.reasons


def test_slicc_not_met_with_three_criteria():
    result = _slicc(["synovitis", "renal"], ["ana"])
    assert (result.classified, result.status) == (False, "not_met")


def test_slicc_not_met_without_an_immunological_criterion():
    result = _slicc(["synovitis", "renal", "serositis", "chronic_cle", "neurologic"])
    assert (result.classified, result.status) == (False, "not_met")
    assert result.clinical_count == 5


def test_slicc_not_met_without_a_clinical_criterion():
    result = _slicc([], ["ana", "anti_dsdna", "anti_sm", "low_complement", "antiphospholipid"])
    assert result.status == "not_met"


def test_slicc_undetermined_when_unknown_item_could_complete():
    result = _slicc(["synovitis", "renal"], ["ana"], unknown=["anti_sm"])
    assert (result.classified, result.status) == (None, "undetermined")
    assert "immunological.anti_sm" in result.unknown_items


def test_slicc_unknown_items_that_cannot_matter_do_not_block():
    met = _slicc(["synovitis", "renal", "serositis"], ["ana"], unknown=["anti_sm", "neurologic"])
    assert met.status == "met"
    # One criterion and one unknown can never reach four.
    not_met = _slicc(["synovitis"], [], unknown=["ana"])
    assert not_met.status == "not_met"


def test_slicc_codes_left_out_are_unknown():
    result = slicc_2012(clinical={"synovitis": True, "renal": True}, immunological={"ana": True})
    assert result.status == "undetermined"
    assert slicc_2012(clinical={}, immunological={}).status == "undetermined"


def test_slicc_nephritis_route_with_ana_or_anti_dsdna():
    ana = _slicc([], ["ana"], nephritis=True)
    assert ana.status == "met"
    assert any("nephritis" in r for r in ana.reasons)
    assert _slicc([], ["anti_dsdna"], nephritis=True).status == "met"
    # Anti-Sm does not open the nephritis route.
    assert _slicc([], ["anti_sm"], nephritis=True).status == "not_met"
    assert _slicc([], ["ana"], nephritis=False).status == "not_met"
    assert _slicc([], ["ana"], nephritis=None).status == "undetermined"
    assert _slicc([], [], unknown=["anti_dsdna"], nephritis=True).status == "undetermined"


def test_slicc_direct_coombs_counts_without_haemolytic_anaemia():
    result = _slicc(["synovitis", "renal", "serositis"], ["direct_coombs"])
    assert result.status == "met"
    assert result.immunological_count == 1


def test_slicc_direct_coombs_not_counted_with_haemolytic_anaemia():
    # 3 clinical (incl. haemolytic anaemia) + Coombs would be 4, but Coombs does not count,
    # and Coombs is then the only immunological item.
    result = _slicc(["synovitis", "renal", "haemolytic_anaemia"], ["direct_coombs"])
    assert result.status == "not_met"
    assert (result.clinical_count, result.immunological_count) == (3, 0)
    assert any("Coombs" in r for r in result.reasons)
    # With another immunological criterion it is met on 4 criteria without Coombs.
    other = _slicc(["synovitis", "renal", "haemolytic_anaemia"], ["direct_coombs", "ana"])
    assert other.status == "met"
    assert other.immunological_count == 1


def test_slicc_direct_coombs_with_unknown_haemolytic_anaemia():
    # If haemolytic anaemia is present Coombs does not count and there is no immunological
    # criterion; if absent, the count is only 3. Either way not met.
    assert (
        _slicc(["synovitis", "renal"], ["direct_coombs"], unknown=["haemolytic_anaemia"]).status
        == "not_met"
    )
    # 3 clinical + Coombs: met if anaemia is absent, not met if present (no immunological).
    result = _slicc(
        ["synovitis", "renal", "serositis"], ["direct_coombs"], unknown=["haemolytic_anaemia"]
    )
    assert result.status == "undetermined"
    assert (result.clinical_count, result.immunological_count) == (3, 0)
    assert any("unknown" in r and "Coombs" in r for r in result.reasons)


def test_slicc_rejects_unknown_codes_and_values():
    with pytest.raises(ValueError, match="malar_rash"):
        slicc_2012(clinical={"malar_rash": True}, immunological={})
    with pytest.raises(ValueError, match="ana"):
        slicc_2012(clinical={}, immunological={"ana": "positive"})


def _slicc_rule(clinical: dict, immunological: dict, nephritis: bool) -> bool:
    """Independent statement of the SLICC rule on fully known items."""
    n_clin = sum(clinical.values())
    n_imm = sum(v for k, v in immunological.items() if k != "direct_coombs")
    n_imm += immunological["direct_coombs"] and not clinical["haemolytic_anaemia"]
    return (n_clin + n_imm >= 4 and n_clin >= 1 and n_imm >= 1) or (
        nephritis and (immunological["ana"] or immunological["anti_dsdna"])
    )


_tri = st.sampled_from([True, False, None])


@settings(max_examples=150)
@given(
    st.fixed_dictionaries({c: _tri for c in SLICC_CLINICAL}),
    st.fixed_dictionaries({c: _tri for c in SLICC_IMMUNOLOGICAL}),
    _tri,
)
def test_slicc_property_matches_brute_force_over_unknowns(clinical, immunological, nephritis):
    result = slicc_2012(
        clinical=clinical, immunological=immunological, biopsy_proven_nephritis=nephritis
    )
    unknown = [("c", k) for k, v in clinical.items() if v is None]
    unknown += [("i", k) for k, v in immunological.items() if v is None]
    unknown += [("n", "n")] if nephritis is None else []
    if len(unknown) > 10:  # keep the brute force small
        return
    outcomes = set()
    for values in itertools.product([False, True], repeat=len(unknown)):
        c, i, n = dict(clinical), dict(immunological), nephritis
        for (kind, key), value in zip(unknown, values, strict=True):
            if kind == "c":
                c[key] = value
            elif kind == "i":
                i[key] = value
            else:
                n = value
        outcomes.add(_slicc_rule(c, i, n))
    expected = outcomes.pop() if len(outcomes) == 1 else None
    assert result.classified is expected


# --------------------------------------------------------------------------------------
# 2019 EULAR/ACR (spec 5)
# --------------------------------------------------------------------------------------

EULAR_WEIGHTS = {
    "fever": 2,
    "leukopenia": 3,
    "thrombocytopenia": 4,
    "autoimmune_haemolysis": 4,
    "delirium": 2,
    "psychosis": 3,
    "seizure": 5,
    "nonscarring_alopecia": 2,
    "oral_ulcers": 2,
    "subacute_or_discoid_cle": 4,
    "acute_cle": 6,
    "pleural_or_pericardial_effusion": 5,
    "acute_pericarditis": 6,
    "joint_involvement": 6,
    "proteinuria": 4,
    "class_ii_or_v_nephritis": 8,
    "class_iii_or_iv_nephritis": 10,
    "antiphospholipid": 2,
    "low_c3_or_c4": 3,
    "low_c3_and_c4": 4,
    "anti_dsdna_or_anti_sm": 6,
}


def _eular(present=(), unknown=(), titre=160):
    items = {c: (None if c in unknown else c in present) for c in EULAR_WEIGHTS}
    return eular_acr_2019(ana_titre=titre, items=items)


def test_eular_weights_match_the_spec():
    assert dict(scores.EULAR_ACR_WEIGHTS) == EULAR_WEIGHTS


@pytest.mark.parametrize("code, weight", sorted(EULAR_WEIGHTS.items()))
def test_eular_single_criterion_points(code, weight):
    assert _eular([code]).points == weight


def test_eular_seizure_is_5_not_4():
    result = _eular(["seizure"])
    assert result.points == 5
    assert result.domains["neuropsychiatric"] == 5


def test_eular_maximum_is_51():
    result = _eular(list(EULAR_WEIGHTS))
    assert result.points == 51
    assert result.classified is True
    assert scores.EULAR_ACR_MAX_POINTS == 51


def test_eular_only_highest_criterion_per_domain_counts():
    result = _eular(["leukopenia", "thrombocytopenia", "autoimmune_haemolysis"])
    assert result.points == 4
    assert result.domains["haematologic"] == 4
    renal = _eular(["proteinuria", "class_ii_or_v_nephritis", "class_iii_or_iv_nephritis"])
    assert renal.points == 10
    complement = _eular(["low_c3_or_c4", "low_c3_and_c4"])
    assert complement.domains["complement"] == 4
    # 6 (acute CLE) + 4 (C3 and C4), not 6 + 4 + 2 + 3.
    mixed = _eular(["acute_cle", "oral_ulcers", "low_c3_or_c4", "low_c3_and_c4"])
    assert mixed.points == 10
    assert mixed.classified is True
    assert any("only the highest" in r for r in mixed.reasons)


def test_eular_threshold_is_10_points():
    assert _eular(["joint_involvement", "low_c3_or_c4"]).classified is False  # 9
    assert _eular(["joint_involvement", "low_c3_and_c4"]).classified is True  # 10


def test_eular_requires_a_clinical_criterion():
    result = _eular(["anti_dsdna_or_anti_sm", "low_c3_and_c4", "antiphospholipid"])
    assert result.points == 12
    assert result.classified is False
    assert result.has_clinical_criterion is False


def test_eular_entry_criterion():
    items = ["class_iii_or_iv_nephritis", "anti_dsdna_or_anti_sm"]  # 16 points
    assert _eular(items, titre=80).entry_criterion_met is True
    assert _eular(items, titre=80).classified is True
    below = _eular(items, titre=40)
    assert (below.entry_criterion_met, below.classified) == (False, False)
    assert (below.points) == 16
    negative = _eular(items, titre=0)
    assert (negative.entry_criterion_met, negative.classified) == (False, False)
    unknown = _eular(items, titre=None)
    assert (unknown.entry_criterion_met, unknown.classified) == (None, None)
    # Entry unknown, but the additive criteria cannot be met: not classified.
    assert _eular(["fever"], titre=None).classified is False


def test_eular_undetermined_when_unknown_items_could_reach_10():
    result = _eular(["joint_involvement"], unknown=["low_c3_and_c4"])
    assert (result.points, result.max_possible_points, result.classified) == (6, 10, None)
    # Unknown items that cannot lift the total to 10 leave it not classified.
    assert _eular(["fever"], unknown=["antiphospholipid"]).classified is False
    # Only immunological known, clinical unknown: undetermined.
    only_imm = _eular(["anti_dsdna_or_anti_sm", "low_c3_and_c4"], unknown=["fever"])
    assert only_imm.classified is None


def test_eular_codes_left_out_are_unknown():
    result = eular_acr_2019(ana_titre=320, items={"joint_involvement": True})
    assert result.classified is None
    assert result.points == 6


def test_eular_rejects_unknown_codes_and_negative_titre():
    with pytest.raises(ValueError, match="malar"):
        eular_acr_2019(ana_titre=80, items={"malar": True})
    with pytest.raises(ValueError, match="ana_titre"):
        eular_acr_2019(ana_titre=-80, items={})


@given(st.fixed_dictionaries({c: _tri for c in EULAR_WEIGHTS}), st.sampled_from([None, 40, 80]))
def test_eular_property_bounds(items, titre):
    result = eular_acr_2019(ana_titre=titre, items=items)
    assert 0 <= result.points <= result.max_possible_points <= 51
    assert result.points == sum(result.domains.values())
    if result.classified:
        assert result.entry_criterion_met is True and result.points >= 10
    if titre == 40:
        assert result.classified is False


# --------------------------------------------------------------------------------------
# WHO 2022 MDS and CMML (spec 2.1, 2.2)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        # 1. AML at >= 20% blasts, whatever else is present.
        ({"bm_blasts": 20}, "aml"),
        ({"bm_blasts": 3, "pb_blasts": 20}, "aml"),
        ({"bm_blasts": 25, "tp53_mutation_count": 2}, "aml"),
        ({"bm_blasts": 19.9}, "mds_ib2"),
        # 2. MDS-biTP53 before the blast groups and 5q.
        ({"bm_blasts": 12, "tp53_mutation_count": 2}, "mds_bitp53"),
        ({"bm_blasts": 2, "tp53_multihit": True, "del5q": True}, "mds_bitp53"),
        ({"bm_blasts": 2, "tp53_mutation_count": 1}, "mds_lb"),
        # 3. Increased blasts: MDS-f, else IB2, else IB1.
        ({"bm_blasts": 7, "fibrosis_grade": 2}, "mds_f"),
        ({"bm_blasts": 15, "fibrosis_grade": 3}, "mds_f"),
        ({"bm_blasts": 1, "pb_blasts": 3, "fibrosis_grade": 2}, "mds_f"),
        ({"bm_blasts": 7, "fibrosis_grade": 1}, "mds_ib1"),
        ({"bm_blasts": 2, "fibrosis_grade": 3}, "mds_lb"),  # fibrosis without blasts
        ({"bm_blasts": 10}, "mds_ib2"),
        ({"bm_blasts": 3, "pb_blasts": 5}, "mds_ib2"),
        ({"bm_blasts": 3, "auer_rods": True}, "mds_ib2"),
        ({"bm_blasts": 6, "auer_rods": True}, "mds_ib2"),
        ({"bm_blasts": 5}, "mds_ib1"),
        ({"bm_blasts": 9.9}, "mds_ib1"),
        ({"bm_blasts": 1, "pb_blasts": 2}, "mds_ib1"),
        ({"bm_blasts": 6, "del5q": True}, "mds_ib1"),
        # 4. Low blasts: MDS-5q, then MDS-SF3B1.
        ({"bm_blasts": 2, "del5q": True}, "mds_5q"),
        ({"bm_blasts": 2, "del5q": True, "abnormality_count": 2}, "mds_5q"),
        ({"bm_blasts": 2, "del5q": True, "minus_7_or_del7q": True}, "mds_lb"),
        ({"bm_blasts": 2, "del5q": True, "abnormality_count": 3}, "mds_lb"),
        ({"bm_blasts": 2, "del5q": True, "complex_karyotype": True}, "mds_lb"),
        ({"bm_blasts": 2, "del5q": True, "sf3b1_mutated": True}, "mds_5q"),
        ({"bm_blasts": 4.9, "pb_blasts": 1.9, "sf3b1_mutated": True}, "mds_sf3b1"),
        ({"bm_blasts": 2, "sf3b1_mutated": True, "sf3b1_vaf": 5}, "mds_sf3b1"),
        ({"bm_blasts": 2, "sf3b1_mutated": True, "sf3b1_vaf": 4}, "mds_lb"),
        ({"bm_blasts": 2, "ring_sideroblasts_pct": 15}, "mds_sf3b1"),
        ({"bm_blasts": 2, "ring_sideroblasts_pct": 14}, "mds_lb"),
        ({"bm_blasts": 2, "sf3b1_mutated": True, "minus_7_or_del7q": True}, "mds_lb"),
        ({"bm_blasts": 2, "sf3b1_mutated": True, "complex_karyotype": True}, "mds_lb"),
        # 5. MDS-h, 6. MDS-LB.
        ({"bm_blasts": 2, "bm_cellularity_pct": 25}, "mds_h"),
        ({"bm_blasts": 2, "bm_cellularity_pct": 26}, "mds_lb"),
        ({"bm_blasts": 2, "sf3b1_mutated": True, "bm_cellularity_pct": 20}, "mds_sf3b1"),
        ({"bm_blasts": 0}, "mds_lb"),
    ],
)
def test_who2022_mds_subtype_order(kwargs, expected):
    assert who2022_mds_subtype(**kwargs) == expected


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"bm_blasts": None}, "bm_blasts"),
        ({"bm_blasts": 2, "fibrosis_grade": 4}, "fibrosis"),
        ({"bm_blasts": 2, "pb_blasts": -1}, "pb_blasts"),
        ({"bm_blasts": 2, "sf3b1_mutated": False, "sf3b1_vaf": 30}, "sf3b1_vaf"),
    ],
)
def test_who2022_mds_subtype_rejects_invalid_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        who2022_mds_subtype(**kwargs)


def _cmml(**overrides):
    base = {
        "monocytes_abs": 1.5,
        "monocytes_pct": 20,
        "wbc": 8,
        "pb_blasts": 1,
        "bm_blasts": 3,
        "dysplasia": True,
        "clonal_abnormality": False,
    }
    return who2022_cmml(**{**base, **overrides})


def test_cmml_monocytes_at_least_1_need_one_supporting_criterion():
    assert _cmml(dysplasia=True, clonal_abnormality=False).meets_criteria is True
    assert _cmml(dysplasia=False, clonal_abnormality=True).meets_criteria is True
    assert _cmml(monocytes_abs=1.0, dysplasia=False, clonal_abnormality=True).meets_criteria
    assert _cmml(dysplasia=False, clonal_abnormality=False).meets_criteria is False
    assert _cmml(dysplasia=None, clonal_abnormality=False).meets_criteria is None
    assert _cmml(dysplasia=None, clonal_abnormality=True).meets_criteria is True
    # Abnormal monocyte partitioning (S3) suffices as well.
    s3 = _cmml(dysplasia=False, clonal_abnormality=False, monocyte_partitioning=True)
    assert s3.meets_criteria is True


def test_cmml_monocytes_0_5_to_1_need_s1_and_s2():
    assert _cmml(monocytes_abs=0.5, dysplasia=True, clonal_abnormality=True).meets_criteria
    assert (
        _cmml(monocytes_abs=0.9, dysplasia=True, clonal_abnormality=False).meets_criteria is False
    )
    assert (
        _cmml(monocytes_abs=0.9, dysplasia=False, clonal_abnormality=True).meets_criteria is False
    )
    assert _cmml(monocytes_abs=0.9, dysplasia=True, clonal_abnormality=None).meets_criteria is None
    s3_only = _cmml(
        monocytes_abs=0.9, dysplasia=True, clonal_abnormality=False, monocyte_partitioning=True
    )
    assert s3_only.meets_criteria is False


def test_cmml_monocytosis_prerequisites():
    assert _cmml(monocytes_abs=0.49, clonal_abnormality=True).meets_criteria is False
    assert _cmml(monocytes_pct=9.9).meets_criteria is False
    assert _cmml(monocytes_pct=10).meets_criteria is True


@pytest.mark.parametrize(
    "pb, bm, auer, subgroup",
    [
        (0, 0, False, "cmml_1"),
        (4.9, 9.9, False, "cmml_1"),
        (5, 3, False, "cmml_2"),
        (1, 10, False, "cmml_2"),
        (19, 19, False, "cmml_2"),
        (1, 3, True, "cmml_2"),
        (20, 3, False, "aml"),
        (1, 20, False, "aml"),
    ],
)
def test_cmml_2022_subgroup(pb, bm, auer, subgroup):
    result = _cmml(pb_blasts=pb, bm_blasts=bm, auer_rods=auer)
    assert result.subgroup == subgroup
    if subgroup == "aml":
        assert result.meets_criteria is False
        assert result.subtype is None


@pytest.mark.parametrize(
    "wbc, subtype", [(3, "md_cmml"), (12.9, "md_cmml"), (13, "mp_cmml"), (40, "mp_cmml")]
)
def test_cmml_2022_subtype(wbc, subtype):
    assert _cmml(wbc=wbc).subtype == subtype


def test_cmml_reasons_are_given():
    assert _cmml().reasons


# --------------------------------------------------------------------------------------
# WHO 2016 (spec 2.3)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pb, bm, auer, expected",
    [
        (0, 0, False, "cmml_0"),
        (1.9, 4.9, False, "cmml_0"),
        (2, 0, False, "cmml_1"),
        (0, 5, False, "cmml_1"),
        (4, 9, False, "cmml_1"),
        (5, 0, False, "cmml_2"),
        (0, 10, False, "cmml_2"),
        (19, 19, False, "cmml_2"),
        (0, 0, True, "cmml_2"),
        (3, 6, True, "cmml_2"),
        (20, 0, False, "aml"),
        (0, 20, False, "aml"),
    ],
)
def test_who2016_cmml_subgroup(pb, bm, auer, expected):
    assert who2016_cmml_subgroup(pb_blasts=pb, bm_blasts=bm, auer_rods=auer) == expected


def _mds2016(**overrides):
    base = {"dysplastic_lineages": 1, "cytopenias": 1, "bm_blasts": 2, "pb_blasts": 0}
    return who2016_mds_subtype(**{**base, **overrides})


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, "mds_sld"),
        ({"cytopenias": 2}, "mds_sld"),
        ({"dysplastic_lineages": 2, "cytopenias": 3}, "mds_mld"),
        ({"ring_sideroblasts_pct": 15}, "mds_rs_sld"),
        ({"ring_sideroblasts_pct": 14}, "mds_sld"),
        ({"ring_sideroblasts_pct": 5, "sf3b1_mutated": True}, "mds_rs_sld"),
        ({"ring_sideroblasts_pct": 4, "sf3b1_mutated": True}, "mds_sld"),
        ({"dysplastic_lineages": 3, "ring_sideroblasts_pct": 20}, "mds_rs_mld"),
        ({"del5q": True}, "mds_del5q"),
        ({"del5q": True, "dysplastic_lineages": 3, "abnormality_count": 2}, "mds_del5q"),
        ({"del5q": True, "minus_7_or_del7q": True}, "mds_sld"),
        ({"del5q": True, "cytopenias": 3, "dysplastic_lineages": 2}, "mds_mld"),
        ({"bm_blasts": 5}, "mds_eb1"),
        ({"pb_blasts": 2}, "mds_eb1"),
        ({"bm_blasts": 10}, "mds_eb2"),
        ({"pb_blasts": 5}, "mds_eb2"),
        ({"auer_rods": True}, "mds_eb2"),
        ({"bm_blasts": 20}, "aml"),
        ({"pb_blasts": 1}, "mds_u"),
        ({"cytopenias": 3}, "mds_u"),
        ({"ring_sideroblasts_pct": 30, "cytopenias": 3}, "mds_u"),
        ({"dysplastic_lineages": 0}, "mds_u"),
    ],
)
def test_who2016_mds_subtype(overrides, expected):
    assert _mds2016(**overrides) == expected


def test_who2016_mds_subtype_requires_a_cytopenia():
    with pytest.raises(ValueError, match="cytopenias"):
        _mds2016(cytopenias=0)


@pytest.mark.parametrize(
    "hb, plt, anc, expected",
    [(10, 100, 1.8, 0), (9.9, 100, 1.8, 1), (9.9, 99, 1.7, 3), (12, 50, 1.8, 1)],
)
def test_who2016_cytopenias(hb, plt, anc, expected):
    assert who2016_cytopenias(hb=hb, platelets=plt, anc=anc) == expected


# --------------------------------------------------------------------------------------
# Lupus response, temporal relation, age (crf.md sections 1 and 8)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, clinical, expected",
    [
        (0, 0, "complete_response"),
        (2, 0, "clinical_response"),
        (4, 0, "clinical_response"),
        (6, 4, "no_response"),
        (4, 4, "no_response"),
        (105, 101, "no_response"),
    ],
)
def test_lupus_response(total, clinical, expected):
    assert lupus_response(sledai_2k=total, clinical_sledai=clinical) == expected


def test_lupus_response_from_items():
    items = {"low_complement": True, "increased_dna_binding": True, "rash": False}
    assert lupus_response(sledai_2k=sledai_2k(items), clinical_sledai=clinical_sledai(items)) == (
        "clinical_response"
    )


@pytest.mark.parametrize("total, clinical", [(2, 4), (10, 4), (-1, 0), (1, 0)])
def test_lupus_response_rejects_inconsistent_scores(total, clinical):
    with pytest.raises(ValueError):
        lupus_response(sledai_2k=total, clinical_sledai=clinical)


@pytest.mark.parametrize(
    "le, mds, expected",
    [
        (date(2020, 1, 1), date(2020, 1, 1), "concomitant"),
        (date(2020, 1, 1), date(2020, 3, 31), "concomitant"),  # 90 days
        (date(2020, 1, 1), date(2020, 4, 1), "le_before"),  # 91 days
        (date(2020, 4, 1), date(2020, 1, 1), "le_after"),
        (date(2020, 3, 31), date(2020, 1, 1), "concomitant"),
        (date(2010, 6, 1), date(2020, 6, 1), "le_before"),
        (date(2022, 6, 1), date(2020, 6, 1), "le_after"),
    ],
)
def test_temporal_relation(le, mds, expected):
    assert temporal_relation(le_date=le, mds_date=mds) == expected


@pytest.mark.parametrize(
    "birth, on, expected",
    [
        (date(1950, 6, 15), date(2020, 6, 14), 69),
        (date(1950, 6, 15), date(2020, 6, 15), 70),
        (date(1950, 6, 15), date(1950, 6, 15), 0),
        (date(2000, 2, 29), date(2021, 2, 28), 20),
        (date(2000, 2, 29), date(2021, 3, 1), 21),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
    ],
)
def test_age_in_years(birth, on, expected):
    assert age_in_years(birth=birth, on=on) == expected


def test_age_and_relation_reject_bad_dates():
    with pytest.raises(ValueError, match="on"):
        age_in_years(birth=date(2000, 1, 2), on=date(2000, 1, 1))
    with pytest.raises(ValueError, match="le_date"):
        temporal_relation(le_date=None, mds_date=date(2020, 1, 1))


# --------------------------------------------------------------------------------------
# Rule versions
# --------------------------------------------------------------------------------------


def test_rule_versions_cover_every_public_function():
    assert RULE_VERSIONS["ipssr"] == "IPSS-R Greenberg 2012"
    assert RULE_VERSIONS["sledai_2k"] == "SLEDAI-2K Gladman 2002"
    for name, version in RULE_VERSIONS.items():
        assert callable(getattr(scores, name)), name
        assert version
    for name in (
        "slicc_2012",
        "eular_acr_2019",
        "who2022_mds_subtype",
        "who2022_cmml",
        "who2016_cmml_subgroup",
        "lupus_response",
        "temporal_relation",
    ):
        assert name in RULE_VERSIONS
