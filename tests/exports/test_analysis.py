"""The analysis tables from an export: formatting, counts, tests, link-back ids, figure.

Expected values are computed here from the cohort's raw values with scipy/numpy, not with
the analysis helpers. One cohort is shaped like the manuscript (24 cases, 38 controls).
"""

from __future__ import annotations

import io
import re
from itertools import count

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from exports.analysis import (
    AnalysisInputError,
    AnalysisTable,
    Cell,
    Denominator,
    Kind,
    Number,
    Row,
    StudyData,
    case_control,
    figure3_counts,
    numbers_frame,
    render_figure3,
    results_counts,
    table1,
    table2,
    to_csv,
    to_dataframe,
    to_html_context,
    write_numbers_csv,
)
from exports.analysis import formatting as fmt
from exports.analysis.figure3 import figure3_figure
from exports.analysis.table2 import age_band

_row_ids = count(1)


def lrow(export_id: str, **fields) -> dict:
    """A long-table row with a fresh row id (or the one given)."""
    return {"export_id": export_id, "row_id": fields.pop("row_id", next(_row_ids)), **fields}


def cohort(cases: list[dict], **long: list[dict]) -> StudyData:
    return StudyData(pd.DataFrame(cases), {k: pd.DataFrame(v) for k, v in long.items()})


def case(export_id: str, group: str = "case", **fields) -> dict:
    return {"export_id": export_id, "case_group": group, **fields}


# ---- formatting: one place, the manuscript's conventions ----


@pytest.mark.parametrize(
    ("n", "d", "text"),
    [
        (9, 24, "9 (38)"),
        (11, 24, "11 (46)"),
        (13, 24, "13 (54)"),
        (1, 8, "1 (13)"),
        (0, 5, "0 (0)"),
    ],
)
def test_percent_rounds_half_up(n: int, d: int, text: str) -> None:
    # 1/8 = 12.5 %: half up gives 13 where Python's round() would give 12.
    assert fmt.n_percent(n, d) == text


def test_percent_of_nobody_is_a_dash() -> None:
    assert fmt.n_percent(0, 0) == "0 (–)"


@pytest.mark.parametrize(
    ("value", "text"),
    [(66.5, "66.5"), (160.0, "160"), (10.75, "10.8"), (0.25, "0.3"), (3, "3"), (1.04, "1")],
)
def test_numbers_print_with_at_most_one_decimal(value: float, text: str) -> None:
    assert fmt.number(value) == text


def test_median_range_and_top_code() -> None:
    assert fmt.median_range(66.5, 32, 85) == "66.5 [32 – 85]"
    assert fmt.median_range(80, 70, 90, top_code=90) == "80 [70 – 90+]"


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0004, "<0.001"),
        (0.00099, "<0.001"),
        (0.001, "0.001"),
        (0.00821, "0.008"),
        (0.0505, "0.051"),
        (1.0, "1.000"),
    ],
)
def test_p_values(p: float, text: str) -> None:
    assert fmt.p_value(p) == text


# ---- reading the export ----


def test_missing_codes_are_missing_not_no() -> None:
    data = cohort(
        [
            case("A", lup_renal="yes"),
            case("B", lup_renal="no"),
            case("C", lup_renal="unknown"),
            case("D", lup_renal=""),
            case("E", lup_renal="not_done"),
            case("K", "control", lup_renal="no"),
        ]
    )
    row = table1(data).row("renal")
    assert row.cells[0].text == "1 (20)"  # of all 5 cases, as the manuscript divides
    assert row.cells[1].text == "2"  # n with data
    assert row.cells[0].ids["n"] == ("A",)
    assert row.cells[0].ids["with_data"] == ("A", "B")
    by_data = table1(data, denominator=Denominator.WITH_DATA).row("renal")
    assert by_data.cells[0].text == "1 (50)"


def test_an_unknown_code_names_the_column_the_case_and_the_codes() -> None:
    data = cohort([case("A", lup_renal="Y")])
    with pytest.raises(AnalysisInputError, match=r"lup_renal: 'Y' \(case A\).*use one of no, yes"):
        table1(data)


def test_a_non_number_is_refused_with_the_fix() -> None:
    data = cohort([case("A", dem_age_at_le_diagnosis="sixty")])
    with pytest.raises(AnalysisInputError, match="dem_age_at_le_diagnosis: 'sixty'.*give a number"):
        table1(data)


def test_the_export_layout_is_checked() -> None:
    with pytest.raises(AnalysisInputError, match="export_id"):
        StudyData(pd.DataFrame({"case_group": ["case"]}))
    with pytest.raises(AnalysisInputError, match="case_group"):
        StudyData(pd.DataFrame({"export_id": ["A"]}))
    with pytest.raises(AnalysisInputError, match="several rows for A"):
        StudyData(pd.DataFrame({"export_id": ["A", "A"], "case_group": ["case", "case"]}))
    with pytest.raises(AnalysisInputError, match="'sero' has no 'export_id'"):
        StudyData(
            pd.DataFrame({"export_id": ["A"], "case_group": ["case"]}),
            {"sero": pd.DataFrame({"ana": ["positive"]})},
        )


def test_absent_columns_read_as_missing_and_are_named() -> None:
    table = table1(cohort([case("A", dem_sex="male")]))
    assert [c.text for c in table.row("renal").cells] == ["–", "0"]  # not "0 (0)": no answer
    assert any("lup_renal" in note for note in table.footnotes)
    assert not any("dem_sex" in note for note in table.footnotes)


def test_column_names_are_the_export_layout() -> None:
    from exports.analysis import columns as col

    assert (col.AIHA, col.GROUP, col.IPSSR_LOWER_RISK, col.ABNORMALITY["del20q"]) == (
        "lup_aiha",
        "case_group",
        "haem_ipssr_lower_risk",
        "haem_del20q",
    )
    assert (col.RESP_TX, col.VARIANT_TEST, col.LRESP, col.HRESP) == (
        "tx_row_id",
        "ngs_row_id",
        "lresp",
        "hresp",
    )


# ---- Table 1 on a small cohort ----


def test_medians_ranges_and_their_ids() -> None:
    ages = {"A": 50, "B": 70, "C": 60, "D": "90+", "E": None}
    data = cohort([case(k, dem_age_at_le_diagnosis=v) for k, v in ages.items()])
    cell = table1(data).row("age_le").cells[0]
    known = np.array([50, 70, 60, 90], dtype=float)
    assert cell.values["median"] == np.median(known) == 65
    assert cell.text == "65 [50 – 90+]"
    assert cell.ids["min"] == ("A",)
    assert cell.ids["max"] == ("D",)
    assert cell.ids["median"] == ("B", "C")  # the two middle values
    assert cell.ids["with_data"] == ("A", "B", "C", "D")


def test_serology_and_sledai_are_those_at_le_diagnosis() -> None:
    data = cohort(
        [case("A"), case("B"), case("C")],
        sero=[
            lrow(
                "A", at_le_diagnosis=True, ana="positive", ana_titre=320, low_c3=True, low_c4=False
            ),
            lrow(
                "A",
                at_le_diagnosis=False,
                ana="negative",
                ana_titre=None,
                low_c3=False,
                low_c4=True,
            ),
            lrow(
                "B",
                at_le_diagnosis="true",
                ana="positive",
                ana_titre=1280,
                low_c3=None,
                low_c4=None,
            ),
        ],
        sledai=[
            lrow("A", context="le_diagnosis", score=12),
            lrow("A", context="response", score=0),
            lrow("B", context="le_diagnosis", score=4),
        ],
    )
    table = table1(data)
    assert table.row("ana").cells[0].text == "2 (67)"
    assert (
        table.row("ana_titre").cells[0].text == f"{fmt.number(np.median([320, 1280]))} [320 – 1280]"
    )
    assert table.row("low_c3").cells[0].ids["n"] == ("A",)
    assert table.row("low_c4").cells[0].values["n"] == 0
    assert table.row("sledai_dx").cells[0].text == "8 [4 – 12]"


def test_low_complement_falls_back_only_on_unambiguous_criteria() -> None:
    data = cohort(
        [
            case("both", eular_low_c3_and_c4="yes"),  # both low
            case("neither", slicc_low_complement="no"),  # neither low
            case("either", eular_low_c3_or_c4="no"),  # neither low
            case("which", slicc_low_complement="yes"),  # C3, C4 or CH50: cannot tell
            case("measured", slicc_low_complement="no"),
        ],
        sero=[lrow("measured", at_le_diagnosis=True, low_c3=True, low_c4=True)],
    )
    table = table1(data)
    for key in ("low_c3", "low_c4"):
        cell = table.row(key).cells[0]
        assert cell.ids["n"] == ("both", "measured")
        assert cell.ids["with_data"] == ("both", "either", "measured", "neither")
    assert any("C3: 3 cases, C4: 3 cases" in note for note in table.footnotes)


def test_cle_groups_klip_articular_serositis() -> None:
    data = cohort(
        [
            case(
                "A",
                lup_cutaneous="yes",
                lup_articular="arthralgia",
                lup_pleuritis="yes",
                lup_pericarditis="unknown",
            ),
            case(
                "B",
                lup_cutaneous="yes",
                lup_articular="arthritis",
                lup_pleuritis="no",
                lup_pericarditis="no",
            ),
            case(
                "C",
                lup_cutaneous="yes",
                lup_articular="none",
                lup_pleuritis="no",
                lup_pericarditis="unknown",
            ),
            case("D", lup_cutaneous="no", lup_articular="unknown"),
        ],
        lesion=[
            lrow("A", subtype="chilblain"),
            lrow("A", subtype="dle_localized"),
            lrow("A", subtype="mucosal_dle"),
            lrow("B", subtype="scle_annular"),
            lrow("C", subtype="le_nonspecific"),
        ],
        review=[
            lrow("B", biopsy_row_id=1, diagnosis="klip"),
            lrow("C", biopsy_row_id=2, diagnosis="cle"),
        ],
    )
    table = table1(data)
    assert table.row("specific_le").cells[0].ids["n"] == ("A", "B")
    assert table.row("cle_chilblain").cells[0].text == "1"
    assert table.row("cle_discoid").cells[0].text == "1"  # two discoid lesions, one patient
    assert table.row("cle_subacute").cells[0].ids["n"] == ("B",)
    assert table.row("cle_discoid").kind is Kind.SUBITEM
    assert not table.has_row("cle_profundus")  # shown only when a case has it
    assert table.row("klip").cells[0].ids["n"] == ("B",)
    assert table.row("articular").cells[0].ids["n"] == ("A", "B")
    assert table.row("articular").cells[0].ids["with_data"] == ("A", "B", "C")
    serositis = table.row("serositis").cells[0]
    assert serositis.ids["n"] == ("A",)
    assert serositis.ids["with_data"] == ("A", "B")  # C: pericarditis unknown


def test_who_block_rows_follow_the_class_and_say_what_is_missing() -> None:
    data = cohort(
        [
            case(
                "A",
                haem_disease="mds",
                haem_who2022_computed="aml",
                haem_who2022_recorded="mds_ib2",
            ),
            case("B", haem_disease="mds", haem_who2022_recorded="mds_lb"),  # no WHO 2016 split
            case("C", haem_disease="cmml"),  # no class at all
            case("D"),  # no haematological section
            case("K", "control", haem_disease="mds", haem_who2022_computed="mds_lb"),
        ]
    )
    table = table1(data)
    assert table.row("who_mds_aml").cells[0].ids["n"] == ("A",)  # computed wins
    assert table.row("who_mds_mds_lb").cells[0].text == "1 (25)"
    assert table.row("who_cmml_unclassified").cells[0].ids["n"] == ("C",)
    assert table.row("who_disease_unrecorded").cells[0].ids["n"] == ("D",)
    assert not table.has_row("who_mds_mds_ib2")
    assert any(
        "computed by the registry for 1 cases and as recorded for 1" in n for n in table.footnotes
    )


def test_boolean_columns_accept_text_files_and_refuse_the_rest() -> None:
    ok = cohort(
        [
            case("A", haem_karyotype="abnormal", haem_del20q="true"),
            case("B", haem_karyotype="abnormal", haem_del20q="False"),
        ]
    )
    assert table1(ok).row("del20q").cells[0].ids["n"] == ("A",)
    bad = cohort([case("A", haem_karyotype="abnormal", haem_del20q="maybe")])
    with pytest.raises(
        AnalysisInputError, match="haem_del20q: 'maybe' \\(case A\\) is not a yes/no"
    ):
        table1(bad)


def test_results_count_cases_only_and_link_tests_to_patients() -> None:
    data = cohort(
        [case("A"), case("B"), case("K", "control")],
        ngs=[
            lrow("A", row_id=1, tissue="bone_marrow", result="variants"),
            lrow("B", row_id=2, tissue="peripheral_blood", result="no_variant"),
            lrow("K", row_id=3, tissue="peripheral_blood", result="variants"),
            lrow("A", row_id=4, tissue="skin", concordance="concordant"),
            lrow("A", row_id=5, tissue="skin", concordance="discordant"),
            lrow("B", row_id=6, tissue="skin", concordance="not_evaluable"),
        ],
        variant=[
            lrow("A", ngs_row_id=1, gene="TET2", vaf=40),
            lrow("A", ngs_row_id=4, gene="SRSF2", vaf=10),  # skin only: not counted
            lrow("K", ngs_row_id=3, gene="DNMT3A", vaf=20),  # a control: not counted
        ],
        review=[
            lrow("A", biopsy_row_id=7, diagnosis="mds_cmml_cutis", reclassified=True),
            lrow("A", biopsy_row_id=8, diagnosis="cle", reclassified=False),
            lrow("K", biopsy_row_id=9, diagnosis="mds_cmml_cutis", reclassified=True),
        ],
    )
    table = results_counts(data)
    assert table.row("ngs_tested").cells[0].text == "2 (100)"
    assert [row.key for row in table.rows if row.key.startswith("gene_")] == ["gene_TET2"]
    assert table.row("gene_TET2").cells[0].text == "1 (50)"
    assert table.row("biopsies_reviewed").cells[0].text == "2"
    assert table.row("reclassified_cutis").cells[0].text == "1 (100)"
    assert table.row("central_differs").cells[0].ids["n"] == ("A",)
    concordance = table.row("concordance").cells[0]
    assert concordance.text == "1/2"
    assert concordance.ids == {"n": ("A",), "denominator": ("A", "A")}


# ---- the case-control comparison: tests chosen and computed as the methods say ----


def _binary_cohort(case_yes: int, case_no: int, control_yes: int, control_no: int) -> StudyData:
    rows = []
    for i in range(case_yes + case_no):
        rows.append(
            case(f"S{i:02}", slicc_classification="met", lup_renal="yes" if i < case_yes else "no")
        )
    for i in range(control_yes + control_no):
        rows.append(case(f"K{i:02}", "control", lup_renal="yes" if i < control_yes else "no"))
    # A CLE case (SLICC not met) is left out of the comparison.
    rows.append(case("CLE", slicc_classification="not_met", lup_renal="yes"))
    return cohort(rows)


def test_fisher_when_an_expected_count_is_below_five() -> None:
    table = [[1, 4], [6, 1]]
    assert (stats.contingency.expected_freq(table) < 5).any()
    row = case_control(_binary_cohort(1, 4, 6, 1)).row("renal")
    expected = stats.fisher_exact(table).pvalue
    assert row.cells[3].text == "Fisher's exact test"
    assert row.cells[2].values["p"] == pytest.approx(expected)
    assert row.cells[2].text == f"{expected:.3f}"
    assert row.cells[0].text == "1/5 (20)"
    assert row.cells[1].text == "6/7 (86)"
    assert row.cells[0].ids["n"] == ("S00",)


def test_chi_square_when_every_expected_count_is_five_or_more() -> None:
    table = [[2, 17], [27, 11]]
    assert (stats.contingency.expected_freq(table) >= 5).all()  # 9.3 and up
    row = case_control(_binary_cohort(2, 17, 27, 11)).row("renal")
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert expected < 0.001
    assert row.cells[3].text == "χ² test"
    assert row.cells[2].values["p"] == pytest.approx(expected)
    assert row.cells[2].text == "<0.001"
    assert row.cells[0].values["denominator"] == 19  # the CLE case is not in it


def test_mann_whitney_on_ages() -> None:
    case_ages, control_ages = [65, 70, 58, 81, 44, 77], [23, 19, 35, 41, 28, 30, 22]
    rows = [
        case(f"S{i}", slicc_classification="met", dem_age_at_le_diagnosis=a)
        for i, a in enumerate(case_ages)
    ]
    rows += [
        case(f"K{i}", "control", dem_age_at_le_diagnosis=a) for i, a in enumerate(control_ages)
    ]
    row = case_control(cohort(rows)).row("age_le")
    expected = stats.mannwhitneyu(case_ages, control_ages, alternative="two-sided").pvalue
    assert row.cells[2].values["p"] == pytest.approx(expected)
    assert row.cells[3].text == "Mann–Whitney U test"
    assert row.cells[0].text == f"{fmt.number(np.median(case_ages))} [44 – 81]"
    assert row.cells[1].text == "28 [19 – 41]"


def test_a_group_without_data_is_not_tested() -> None:
    row = case_control(
        cohort([case("S", slicc_classification="met", lup_renal="yes"), case("K", "control")])
    ).row("renal")
    assert row.cells[2].text == "–"
    assert row.cells[3].text.startswith("not tested")


# ---- Table 2 ----


@pytest.mark.parametrize(
    ("age", "band"), [(74, "70-80"), (70, "70-80"), (79.9, "70-80"), (35, "30-40"), (None, "–")]
)
def test_age_decade(age, band) -> None:
    assert age_band(age) == band
    assert age_band(93, top_code=90) == "90+"


def test_table2_one_row_per_patient_given_a_haematological_treatment() -> None:
    data = cohort(
        [
            case(
                "AZA",
                dem_sex="female",
                dem_age_at_mds_diagnosis=74,
                dem_age_at_le_diagnosis=60,
                haem_who2022_computed="mds_ib1",
                haem_karyotype="abnormal",
                haem_del5q=True,
                haem_bm_blasts=6,
            ),
            case(
                "VEN",
                dem_sex="male",
                dem_age_at_le_diagnosis=78,
                haem_who2022_recorded="mds_lb",
                haem_karyotype="normal",
                haem_bm_blasts=3,
            ),
            case(
                "LUP",
                dem_sex="male",
                dem_age_at_le_diagnosis=66,
                haem_who2022_computed="mds_lb",
                haem_karyotype="abnormal",
                haem_del20q=True,
            ),
            case("HCQ", dem_sex="female", dem_age_at_le_diagnosis=50),
        ],
        tx=[
            lrow(
                "AZA",
                row_id=1,
                agent="azacitidine",
                regimen="azacitidine",
                target="haematological",
                cycles=33,
            ),
            lrow(
                "VEN",
                row_id=2,
                agent="azacitidine",
                regimen="aza_venetoclax",
                target="both",
                cycles=6,
            ),
            lrow(
                "VEN",
                row_id=3,
                agent="venetoclax",
                regimen="aza_venetoclax",
                target="both",
                cycles=6,
            ),
            lrow(
                "LUP",
                row_id=4,
                agent="azacitidine",
                regimen="azacitidine",
                target="lupus",
                cycles=8,
            ),
            lrow(
                "LUP",
                row_id=5,
                agent="lenalidomide",
                regimen="lenalidomide",
                target="lupus",
                cycles=None,
            ),
            lrow("HCQ", row_id=6, agent="hydroxychloroquine", regimen="hcq_alone", target="lupus"),
        ],
        hresp=[
            lrow(
                "AZA",
                tx_row_id=1,
                criteria="iwg_2018",
                category="partial_response",
                baseline_bm_blasts=7,
            ),
            lrow("VEN", tx_row_id=3, criteria="iwg_2023", category="complete_response"),
        ],
        lresp=[
            lrow("AZA", tx_row_id=1, recorded="no_response", derived="complete_response"),
            lrow("VEN", tx_row_id=2, recorded="clinical_response", derived=""),
        ],
        ngs=[
            lrow("AZA", row_id=11, tissue="peripheral_blood", result="variants"),
            lrow("AZA", row_id=12, tissue="bone_marrow", result="variants"),
            lrow("AZA", row_id=13, tissue="skin", result="variants"),
            lrow("LUP", row_id=14, tissue="peripheral_blood", result="no_variant"),
        ],
        variant=[
            lrow("AZA", ngs_row_id=11, gene="ASXL1", vaf=6),
            lrow("AZA", ngs_row_id=11, gene="TET2", vaf=65),
            lrow("AZA", ngs_row_id=12, gene="TET2", vaf=71),
            # A skin test's variant is not counted among the clone at treatment.
            lrow("AZA", ngs_row_id=13, gene="KRAS", vaf=12),
        ],
        evo=[lrow("VEN", new_state="aml")],
    )
    table = table2(data)
    frame = to_dataframe(table).set_index("Case")
    assert list(frame.index) == ["AZA", "LUP", "VEN"]  # by regimen order, then id
    assert list(frame["Patient"]) == ["1", "2", "3"]
    aza, lup, ven = (frame.loc[i] for i in ("AZA", "LUP", "VEN"))
    assert (aza["Sex"], aza["Age decade (years)"]) == ("Female", "70-80")  # at MDS diagnosis
    assert aza["Treatment / number of treatment cycles"] == "Azacitidine: 33 cycles"
    assert aza["WHO class at treatment begin"] == "MDS-IB1"
    assert aza["Marrow blasts (%)"] == "7"  # the response's baseline, not the 6 at diagnosis
    assert aza["Karyotype"] == "del(5q)"
    assert aza["NGS (VAF)"] == "TET2 71%, ASXL1 6%"
    assert aza["Hematologic response"] == "Partial response (IWG 2018)"
    assert aza["Lupus response"] == "Complete remission"  # derived wins over recorded
    assert lup["Treatment / number of treatment cycles"] == "Azacitidine: 8 cycles †"
    assert (lup["NGS (VAF)"], lup["Karyotype"]) == ("Normal", "del(20q)")
    assert lup["Hematologic response"] == "Not assessed"
    assert ven["Treatment / number of treatment cycles"] == "Azacitidine + venetoclax: 6 cycles"
    assert ven["WHO class at treatment begin"] == "MDS-LB, then AML"
    assert (ven["Age decade (years)"], ven["NGS (VAF)"]) == ("70-80", "not done")
    assert ven["Hematologic response"] == "Complete response (IWG 2023)"
    assert ven["Lupus response"] == "Clinical response"
    ngs = table.row("AZA").cells[7]
    assert ngs.values == {"TET2": 71, "ASXL1": 6}
    assert ngs.ids["TET2"] == ("AZA",)


# ---- Figure 3 ----


def _responses(
    regimen: str, outcomes: dict[str, int], prefix: str
) -> tuple[list[dict], list[dict]]:
    tx, lresp = [], []
    k = 0
    for outcome, n in outcomes.items():
        for _ in range(n):
            rid = next(_row_ids)
            tx.append(
                lrow(f"{prefix}{k:02}", row_id=rid, agent="other", regimen=regimen, target="lupus")
            )
            if outcome:
                lresp.append(lrow(f"{prefix}{k:02}", tx_row_id=rid, recorded=outcome, derived=""))
            k += 1
    return tx, lresp


def test_figure3_counts_patients_per_strategy_with_their_best_response() -> None:
    tx, lresp = _responses("hcq_alone", {"complete_response": 1, "no_response": 2, "": 1}, "H")
    # H01 had a second HCQ course with a complete response: counted once, as complete.
    tx.append(
        lrow("H01", row_id=900, agent="hydroxychloroquine", regimen="hcq_alone", target="lupus")
    )
    lresp.append(lrow("H01", tx_row_id=900, recorded="", derived="complete_response"))
    tx.append(
        lrow("H00", row_id=901, agent="topical_corticosteroids", regimen="topical_corticosteroids")
    )
    lresp.append(lrow("H00", tx_row_id=901, recorded="complete_response"))
    data = cohort([case(f"H{k:02}") for k in range(4)], tx=tx, lresp=lresp)
    counts = figure3_counts(data)
    row = counts.row("hcq_alone")
    assert [c.text for c in row.cells] == ["2 (67)", "0 (0)", "1 (33)", "3", "1"]
    assert row.cells[0].ids["n"] == ("H00", "H01")
    assert row.cells[4].ids["n"] == ("H03",)
    assert not counts.has_row("topical_corticosteroids")
    assert (
        figure3_counts(data, include_topical=True).row("topical_corticosteroids").cells[3].text
        == "1"
    )


def test_figure3_renders_deterministically_with_n_above_each_bar() -> None:
    tx, lresp = _responses(
        "hcq_alone", {"complete_response": 4, "clinical_response": 2, "no_response": 9}, "H"
    )
    tx2, lresp2 = _responses("rituximab", {"complete_response": 2, "no_response": 1}, "R")
    ids = sorted({r["export_id"] for r in tx + tx2})
    counts = figure3_counts(cohort([case(i) for i in ids], tx=tx + tx2, lresp=lresp + lresp2))
    first, second = render_figure3(counts), render_figure3(counts)
    assert first == second
    assert first.lstrip().startswith(b"<?xml") and b"<svg" in first
    assert b"<dc:date>" not in first
    png = render_figure3(counts, format="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == render_figure3(counts, format="png")
    ax = figure3_figure(counts).axes[0]
    assert [t.get_text() for t in ax.texts] == ["n = 15", "n = 3"]
    heights = [round(p.get_height(), 6) for p in ax.patches]
    assert heights == [
        round(100 * 4 / 15, 6),
        round(100 * 2 / 3, 6),
        round(100 * 2 / 15, 6),
        0.0,
        60.0,
        round(100 / 3, 6),
    ]


# ---- renderers ----


def test_renderers_carry_texts_and_link_back_ids() -> None:
    data = cohort([case("A", lup_renal="yes"), case("B", lup_renal="no")])
    table = table1(data)
    frame = to_dataframe(table)
    assert list(frame.columns) == ["table1", "MDS/CMML associated LE (n=2)", "n with data"]
    assert frame.loc[frame["table1"] == "Renal involvement"].iloc[0].tolist() == [
        "Renal involvement",
        "1 (50)",
        "2",
    ]
    assert "Female / Male," in to_csv(table)
    html = to_html_context(table)
    renal = next(r for r in html["rows"] if r["key"] == "renal")
    assert {"name": "n", "value": 1, "export_ids": ("A",)} in renal["cells"][0]["links"]
    assert html["rows"][0]["kind"] == "header"
    numbers = numbers_frame(table)
    n = numbers[(numbers["row"] == "renal") & (numbers["number"] == "n")]
    assert n["export_ids"].tolist() == ["A"]


def _odd_table(column: str) -> AnalysisTable:
    """Texts and ids the csv module must quote, and values of several types."""
    cells = (
        Cell("x", (Number("n", 2, ("P1", 'P"2,')), Number("p", None), Number("m", 0.1))),
        Cell("y", (Number("n", 3, ("P1", "P2")),)),
    )
    return AnalysisTable("odd", 'A "quoted", title', "", ("c,1", column), (Row("r", "R", cells),))


@pytest.mark.parametrize("column", [None, "line\nbreak", "carriage\rreturn"])
def test_numbers_csv_is_byte_for_byte_what_pandas_writes(
    manuscript: StudyData, column: str | None
) -> None:
    tables = [
        table1(manuscript),
        case_control(manuscript),
        table2(manuscript),
        figure3_counts(manuscript),
        results_counts(manuscript),
    ]
    if column is not None:  # else nothing needs quoting
        tables.append(_odd_table(column))
    expected = pd.concat([numbers_frame(t) for t in tables], ignore_index=True).to_csv(
        index=False, lineterminator="\n"
    )
    written = io.StringIO()
    write_numbers_csv(tables, written)
    assert written.getvalue() == expected
    assert ('"P1 P""2,"' in expected) == (column is not None)


@pytest.mark.parametrize(
    "cells",
    [
        (Cell("no number"),),  # a header line only
        (Cell("x", (Number("n", 1, ("P1",)), Number("n2", 2, ('P"2,',)))),),  # last: quoted
    ],
)
def test_numbers_csv_writes_each_line_once(cells: tuple[Cell, ...]) -> None:
    tables = [AnalysisTable("t", "T", "", ("c",), (Row("r", "R", cells),))]
    expected = pd.concat([numbers_frame(t) for t in tables], ignore_index=True).to_csv(
        index=False, lineterminator="\n"
    )
    written = io.StringIO()
    write_numbers_csv(tables, written)
    assert written.getvalue() == expected


# ---- a cohort shaped like the manuscript: 24 cases (19 SLE, 5 CLE), 38 controls ----
# Cases C00-C18 have SLE (SLICC met), C19-C23 isolated CLE. Values follow Table 1, the
# Results and Supplemental Table 3 as quoted in the text.

# fmt: off
CASE_AGES = [32, 45, 52, 55, 58, 60, 62, 63, 64, 65, 65, 66,
             67, 68, 70, 71, 72, 74, 75, 76, 78, 80, 82, 85]  # median 66.5
CONTROL_AGES = [11, 14, 16, 17, 18, 18, 19, 20, 20, 21, 21, 22, 22, 22, 23, 23, 23, 23, 23,
                23, 24, 25, 25, 26, 27, 28, 29, 30, 31, 33, 35, 37, 40, 42, 45, 48, 52, 55]
SLE_TITRES = [160] * 5 + [320] * 9 + [640] * 3 + [1280] * 2  # median 320
CONTROL_TITRES = [640] * 8 + [1280] * 22 + [2560] * 8  # median 1280
WHO = ([("mds", "mds_lb", "mds_mld")] * 8 + [("mds", "mds_lb", "mds_sld")] * 2
       + [("mds", "mds_lb", "mds_u")] * 2 + [("mds", "mds_ib1", "mds_eb1")] * 4
       + [("cmml", "cmml_1", "cmml_0")] * 5 + [("cmml", "cmml_1", "cmml_1")] * 2
       + [("cmml", "cmml_2", "cmml_2")])
DEATHS = {3: "sepsis", 4: "sepsis", 16: "haematological_progression",
          20: "haematological_progression", 9: "bleeding", 12: "cardiac", 22: "unknown"}
CUTANEOUS = [*range(12), *range(19, 24)]  # 17 patients
GENES = {"TET2": range(0, 8), "KRAS": range(8, 15), "ASXL1": [15, 16, 17, 18, 0],
         "SRSF2": range(1, 5), "CBL": range(5, 8)}
CENTRAL = ["mds_cmml_cutis"] * 6 + ["cle"] * 4 + ["klip", "pdc_dermatosis"]  # C00-C11
CR, CLIN, NONE = "complete_response", "clinical_response", "no_response"
# fmt: on


def _manuscript_cases() -> list[dict]:
    rows = []
    for i in range(24):
        sle = i < 19
        disease, who22, who16 = WHO[i]
        relation = "le_before" if i < 10 else ("concomitant" if i < 20 else "le_after")
        rows.append(
            case(
                f"C{i:02}",
                slicc_classification="met" if sle else "not_met",
                lup_le_type="sle" if sle else "isolated_cle",
                dem_sex="female" if i < 9 or i in (19, 20) else "male",
                dem_age_at_le_diagnosis=CASE_AGES[i],
                dem_temporal_relation=relation,
                dem_vital_status="dead" if i in DEATHS else "alive",
                dem_death_cause=DEATHS.get(i, ""),
                dem_followup_years={0: 1, 1: 31}.get(i, 4.5),
                lup_cutaneous="yes" if i in CUTANEOUS else "no",
                lup_articular="arthralgia" if i < 7 or i in (19, 20) else "none",
                lup_pleuritis="yes" if i < 5 else "no",
                lup_pericarditis="yes" if i in (5, 6) else "no",
                lup_renal="yes" if i in (7, 8) else "no",
                lup_aiha="yes" if i == 3 else "no",
                lup_antiphospholipid_syndrome="yes" if i == 4 else "no",
                haem_disease=disease,
                haem_who2022_computed="" if i == 15 else who22,  # C15: recorded only
                haem_who2022_recorded=who22,
                haem_who2016_computed=who16,
                haem_ipssr_lower_risk=i not in (15, 23),
                haem_karyotype="unknown" if i in (22, 23) else ("abnormal" if i < 9 else "normal"),
                haem_del20q=i < 6,
                haem_del5q=i == 6,
                haem_del11q=i in (7, 8),
                haem_del9q=i == 8,
            )
        )
    return rows


def _manuscript_controls() -> list[dict]:
    return [
        case(
            f"K{j:02}",
            "control",
            dem_sex="male" if j < 3 else "female",
            dem_age_at_le_diagnosis=CONTROL_AGES[j],
            lup_renal="yes" if j < 27 else "no",
            lup_articular="arthritis" if j < 37 else "none",
        )
        for j in range(38)
    ]


def _manuscript_serology() -> list[dict]:
    rows = []
    for i in range(24):
        positive = i <= 19  # every SLE case and one CLE case
        rows.append(
            lrow(
                f"C{i:02}",
                at_le_diagnosis=True,
                ana="positive" if positive else "negative",
                ana_titre=SLE_TITRES[i] if i < 19 else (160 if positive else None),
                anti_dsdna="positive" if i < 6 else "negative",
                low_c3=i < 10,
                low_c4=i < 8 or i == 19,
            )
        )
    for j in range(38):
        rows.append(
            lrow(
                f"K{j:02}",
                at_le_diagnosis=True,
                ana="positive",
                ana_titre=CONTROL_TITRES[j],
                anti_dsdna="positive" if j < 29 else "negative",
                low_c4=j < 29,
            )
        )
    return rows


def _manuscript_treatments() -> tuple[list[dict], list[dict]]:
    tx, lresp = [], []

    def give(i: int, regimen: str, outcome: str, target: str = "lupus", cycles=None) -> None:
        rid = next(_row_ids)
        agent = {"hcq_alone": "hydroxychloroquine", "hcq_ocs": "oral_corticosteroids"}.get(
            regimen, "azacitidine" if regimen == "aza_venetoclax" else regimen
        )
        tx.append(
            lrow(f"C{i:02}", row_id=rid, agent=agent, regimen=regimen, target=target, cycles=cycles)
        )
        lresp.append(lrow(f"C{i:02}", tx_row_id=rid, recorded=outcome, derived=""))

    for i, outcome in zip(range(15), [CR] * 4 + [CLIN] * 2 + [NONE] * 9, strict=True):
        give(i, "hcq_alone", outcome)
    for i, outcome in zip(range(12, 24), [CR] * 6 + [CLIN] * 3 + [NONE] * 3, strict=True):
        give(i, "hcq_ocs", outcome)
    for i, outcome in zip((2, 3, 4), [CR, CR, NONE], strict=True):
        give(i, "rituximab", outcome)
    give(17, "allo_hsct", CR, "haematological")
    give(18, "aza_venetoclax", CR, "haematological", 6)
    for i, outcome in zip((10, 16, 21, 23), [CR, NONE, CLIN, NONE], strict=True):
        give(i, "azacitidine", outcome, "haematological", 8)
    give(11, "azacitidine", CR, "lupus", 8)  # "only treated for cutaneous manifestations"
    return tx, lresp


def _manuscript_long() -> dict[str, list[dict]]:
    c = CUTANEOUS
    lesions = (
        [(p, "chilblain") for p in c[0:6]]
        + [(p, "dle_localized") for p in c[6:11]]
        + [(p, "scle_annular") for p in [*c[11:15], c[0]]]
        + [(p, "acle_localized") for p in c[1:5]]
        + [(p, "tumid") for p in c[5:9]]
        + [(p, "le_nonspecific") for p in c[15:17]]
    )
    sledai = [
        lrow(f"C{i:02}", context="le_diagnosis", score={0: 5, 1: 16}.get(i, 9)) for i in range(19)
    ]
    ngs = [
        lrow(
            f"C{i:02}",
            row_id=1000 + i,
            tissue="peripheral_blood" if i < 14 else "bone_marrow",
            result="variants",
        )
        for i in range(19)
    ]
    variants = [
        lrow(f"C{i:02}", ngs_row_id=1000 + i, gene=gene, vaf=30)
        for gene, patients in GENES.items()
        for i in patients
    ]
    ngs += [
        lrow(f"C{i:02}", tissue="skin", concordance="concordant" if i < 6 else "discordant")
        for i in range(8)
    ]
    review = [
        lrow(f"C{i:02}", biopsy_row_id=2000 + i, diagnosis=dx) for i, dx in enumerate(CENTRAL)
    ]
    review.append(lrow("C09", biopsy_row_id=2100, diagnosis="klip"))  # a second biopsy
    tx, lresp = _manuscript_treatments()
    return {
        "lesion": [lrow(f"C{p:02}", subtype=s) for p, s in lesions],
        "sero": _manuscript_serology(),
        "sledai": sledai,
        "ngs": ngs,
        "variant": variants,
        "review": review,
        "tx": tx,
        "lresp": lresp,
    }


@pytest.fixture(scope="module")
def manuscript() -> StudyData:
    cases = pd.DataFrame(_manuscript_cases() + _manuscript_controls())
    return StudyData(cases, {k: pd.DataFrame(v) for k, v in _manuscript_long().items()})


MANUSCRIPT_TABLE1 = {
    "female_male": "11 (46) / 13 (54)",
    "age_le": "66.5 [32 – 85]",
    "cutaneous": "17 (71)",
    "specific_le": "15 (63)",
    "cle_chilblain": "6",
    "cle_discoid": "5",
    "cle_subacute": "5",
    "cle_acute": "4",
    "cle_tumid": "4",
    "klip": "2",
    "articular": "9 (38)",
    "serositis": "7 (29)",
    "ana": "20 (83)",
    "anti_dsdna": "6 (25)",
    "low_c4": "9 (38)",
    "aiha": "1 (4)",
    "aps": "1 (4)",
    "sledai_dx": "9 [5 – 16]",
    "del20q": "6 (25)",
    "cyto_other": "3 (13)",
    "who_mds": "16 (67)",
    "who_cmml": "8 (33)",
    "who_mds_mds_ib1": "4 (17)",
    "who_cmml_cmml_2": "1 (4)",
    "ipssr_lower_risk": "22 (92)",
}


def test_manuscript_table1_rows_come_out_as_published(manuscript: StudyData) -> None:
    table = table1(manuscript)
    assert table.columns[0] == "MDS/CMML associated LE (n=24)"
    got = {key: table.row(key).cells[0].text for key in MANUSCRIPT_TABLE1}
    assert got == MANUSCRIPT_TABLE1


def test_manuscript_table1_rows_are_in_the_manuscripts_order(manuscript: StudyData) -> None:
    labels = [row.label for row in table1(manuscript).rows]
    published = [
        "Demographics", "Female / Male", "Age at LE onset", "Lupus features",
        "Cutaneous involvement", "Specific LE features:", "Chilblain CLE", "Discoid CLE",
        "Subacute CLE", "Acute CLE", "Tumid CLE", "KLIP", "Articular involvement", "Serositis",
        "Renal involvement", "Auto-antibodies", "ANA positivity", "Titer",
        "Anti-dsDNA positivity", "Anti-SSA", "Anti-SSB", "Anti-nucleosome", "Anti-RNP",
        "Anti-Sm", "Anti-Cardiolipin", "Anti-B2GPI", "Lupus anticoagulant",
        "Decreased C3 levels", "Decreased C4", "Hemolytic autoimmune anemia",
        "Antiphospholipid syndrome", "SLEDAI-2K at LE diagnosis",
        "Hematological features at MDS/CMML onset", "Hemoglobin (g/dL)", "Platelets (G/L)",
        "Neutrophils (G/L)", "Monocytes (G/L) in CMML patients (n=8)", "Dysgranulopoiesis",
        "Dyserythropoiesis", "Dysmegakaryopoiesis", "Bone marrow blasts (%)",
        "Abnormal marrow cytogenetics", "Del20q", "Other",
        "WHO 2022 classification of hematological features at LE diagnoses", "MDS",
        "MDS-LB with multiple lineage dysplasia", "MDS-LB with single-lineage dysplasia",
        "MDS-LB unclassifiable", "MDS with excess blasts 1", "CMML",
        "Chronic myelomonocytic leukemia 0", "Chronic myelomonocytic leukemia 1",
        "Chronic myelomonocytic leukemia 2", "Lower-risk MDS/CMML (IPSS-R ≤ 3.5)",
    ]  # fmt: skip
    assert labels == published


def test_manuscript_who_block_says_which_class_it_used(manuscript: StudyData) -> None:
    table = table1(manuscript)
    assert table.row("who_mds_mds_ib1").cells[0].ids["n"] == ("C12", "C13", "C14", "C15")
    assert any(
        "computed by the registry for 23 cases and as recorded for 1" in n for n in table.footnotes
    )
    assert table.row("del20q").cells[1].text == "22"  # two karyotypes unknown


def test_manuscript_case_control_directions_as_published(manuscript: StudyData) -> None:
    table = case_control(manuscript)
    assert table.columns[:2] == ("MDS/CMML-associated SLE (n=19)", "Idiopathic SLE (n=38)")

    def p(key: str) -> float:
        return table.row(key).cells[2].values["p"]

    def share(key: str, column: int) -> float:
        return table.row(key).cells[column].values["percent"]

    def median(key: str, column: int) -> float:
        return table.row(key).cells[column].values["median"]

    assert median("age_le", 0) > median("age_le", 1) and p("age_le") < 0.001
    assert table.row("age_le").cells[1].text == "23 [11 – 55]"
    assert share("female", 0) < share("female", 1) and p("female") < 0.01
    assert round(100 - share("female", 1)) == 8  # 8 % of controls are men
    assert share("renal", 0) < share("renal", 1) and p("renal") < 0.001
    assert share("articular", 0) < share("articular", 1) and p("articular") < 0.001
    assert (
        median("ana_titre", 0) == 320 and median("ana_titre", 1) == 1280 and p("ana_titre") < 0.001
    )
    assert share("anti_dsdna", 0) < share("anti_dsdna", 1) and p("anti_dsdna") < 0.01
    assert share("low_c4", 0) < share("low_c4", 1) and p("low_c4") < 0.05
    assert table.row("articular").cells[3].text == "Fisher's exact test"  # expected 4.3
    assert table.row("renal").cells[3].text == "χ² test"


def test_manuscript_results_counts(manuscript: StudyData) -> None:
    table = results_counts(manuscript)
    texts = {row.key: row.cells[0].text for row in table.rows}
    assert (
        texts["temporal_le_before"],
        texts["temporal_concomitant"],
        texts["temporal_le_after"],
    ) == ("10 (42)", "10 (42)", "4 (17)")
    assert (texts["le_type_sle"], texts["le_type_isolated_cle"]) == ("19 (79)", "5 (21)")
    assert texts["followup_years"] == "4.5 [1 – 31]"
    assert texts["deaths"] == "7 (29)"
    assert [
        texts[f"death_{c}"]
        for c in ("sepsis", "haematological_progression", "bleeding", "cardiac", "unknown")
    ] == ["2", "2", "1", "1", "1"]
    assert texts["ngs_tested"] == "19 (79)"
    genes = [(row.label, row.cells[0].text) for row in table.rows if row.key.startswith("gene_")]
    assert genes == [
        ("TET2", "8 (42)"),
        ("KRAS", "7 (37)"),
        ("ASXL1", "5 (26)"),
        ("SRSF2", "4 (21)"),
        ("CBL", "3 (16)"),
    ]
    assert texts["reclassified_cutis"] == "6 (50)"
    assert table.row("reclassified_cutis").cells[0].values["denominator"] == 12
    assert texts["review_klip"] == "2 (17)"
    assert texts["concordance"] == "6/8"


def test_manuscript_figure3_and_table2(manuscript: StudyData) -> None:
    counts = figure3_counts(manuscript)
    cells = {row.key: [c.text for c in row.cells[:4]] for row in counts.rows}
    assert cells["hcq_alone"] == ["4 (27)", "2 (13)", "9 (60)", "15"]
    assert cells["hcq_ocs"] == ["6 (50)", "3 (25)", "3 (25)", "12"]
    assert cells["rituximab"] == ["2 (67)", "0 (0)", "1 (33)", "3"]
    table = table2(manuscript)
    assert len(table.rows) == 7  # "Seven patients (29%) … received specific treatment"
    lupus = [row.cells[9].text for row in table.rows]
    assert lupus.count("Complete remission") == 4
    assert sum(1 for row in table.rows if row.cells[3].text.endswith("†")) == 1


def test_row_keys_are_unique_in_every_table(manuscript: StudyData) -> None:
    for build in (table1, case_control, table2, figure3_counts, results_counts):
        keys = [row.key for row in build(manuscript).rows]
        assert len(keys) == len(set(keys)), build.__name__


def test_csv_of_a_manuscript_table_is_parseable(manuscript: StudyData) -> None:
    text = to_csv(case_control(manuscript))
    parsed = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
    assert parsed.shape == (len(case_control(manuscript).rows), 5)
    assert re.fullmatch(r"<0\.001|\d\.\d{3}", parsed.iloc[0]["p"])
