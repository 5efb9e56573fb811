"""Eligibility (cohorts.eligibility): each criterion met / not met / unknown, the ten-year
boundary with partial dates, and the verdict stored as JSON. Rows are unsaved instances."""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohorts.eligibility import (
    CASE_CRITERIA,
    CONTROL_CRITERIA,
    ELIGIBILITY_VERSION,
    ELIGIBLE,
    MET,
    NOT_ELIGIBLE,
    NOT_MET,
    UNDETERMINED,
    UNKNOWN,
    Criterion,
    Verdict,
    date_range,
    evaluate,
    more_than_ten_years_apart,
    years_after,
)
from crf.models import (
    Case,
    CentralReview,
    CutaneousLesion,
    Demographics,
    HaematologicalDisease,
    LupusProfile,
    SkinBiopsy,
    SliccCriteria,
)
from crf.rows import CaseRows
from crf.scores import age_in_years


def eligible_case() -> CaseRows:
    """An MDS-associated SLE that meets every criterion (LE 2018-03-01, MDS 2018-06-01)."""
    return CaseRows(
        case=Case(group="case"),
        rows={
            Demographics: [Demographics(le_diagnosis_date=date(2018, 3, 1))],
            HaematologicalDisease: [
                HaematologicalDisease(
                    disease="mds",
                    diagnosis_date=date(2018, 6, 1),
                    who2022_computed="mds_lb",
                    who2022_recorded="mds_lb",
                    therapy_related="no",
                    uba1_tested="yes",
                    uba1_result="wild_type",
                    vexas_documented="no",
                )
            ],
            LupusProfile: [
                LupusProfile(le_type="sle", cutaneous="yes", drug_induced_suspected="no")
            ],
            SliccCriteria: [SliccCriteria(classification="met")],
        },
    )


def cle_case(*, lesion: str = "chilblain", local: str = "cle", central: str | None = None):
    """An isolated CLE: SLICC not met, one lesion, one biopsy (and its central review)."""
    rows = eligible_case()
    rows.one(SliccCriteria).classification = "not_met"
    rows.one(LupusProfile).le_type = "isolated_cle"
    rows.rows[CutaneousLesion] = [CutaneousLesion(subtype=lesion)] if lesion else []
    biopsy = SkinBiopsy(local_diagnosis=local)
    rows.rows[SkinBiopsy] = [biopsy]
    if central is not None:
        rows.rows[CentralReview] = [CentralReview(biopsy=biopsy, diagnosis=central)]
    return rows


def control(**profile) -> CaseRows:
    fields = {"le_type": "sle", "haematological_malignancy": "no", "drug_induced_suspected": "no"}
    return CaseRows(
        case=Case(group="control"),
        rows={
            LupusProfile: [LupusProfile(**{**fields, **profile})],
            SliccCriteria: [SliccCriteria(classification="met")],
        },
    )


def status_of(rows: CaseRows, code: str) -> str:
    return evaluate(rows).criterion(code).status


def test_a_case_meeting_every_criterion_is_eligible():
    verdict = evaluate(eligible_case())
    assert verdict.status == ELIGIBLE
    assert [c.code for c in verdict.criteria] == list(CASE_CRITERIA)
    assert all(c.passes is True for c in verdict.criteria)
    assert verdict.rule_version == ELIGIBILITY_VERSION
    assert verdict.failing == verdict.unresolved == ()


def test_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="case.group"):
        evaluate(CaseRows(case=Case(group="")))


# ---- inclusion 1: MDS or CMML by WHO 2022 -----------------------------------------------


@pytest.mark.parametrize(
    ("computed", "recorded", "expected"),
    [
        ("mds_lb", "mds_lb", MET),
        ("cmml_1", "", MET),
        ("mds_ib1", "mds_ib2", MET),  # a disagreement is a data-quality finding, not exclusion
        ("", "cmml_2", MET),  # not computable: the centre's classification counts
        ("aml", "mds_ib2", NOT_MET),  # ≥ 20% blasts is AML, whatever was recorded
        ("", "", UNKNOWN),
        ("", "unknown", UNKNOWN),
        ("", "not_done", UNKNOWN),
    ],
)
def test_who2022_inclusion(computed, recorded, expected):
    rows = eligible_case()
    haem = rows.one(HaematologicalDisease)
    haem.who2022_computed, haem.who2022_recorded = computed, recorded
    assert status_of(rows, "mds_cmml_who2022") == expected


def test_who2022_reason_says_when_the_recorded_class_was_used():
    rows = eligible_case()
    rows.one(HaematologicalDisease).who2022_computed = ""
    rows.one(HaematologicalDisease).who2022_recorded = "cmml_2"
    criterion = evaluate(rows).criterion("mds_cmml_who2022")
    assert "as recorded" in criterion.reason and "CMML-2" in criterion.reason


def test_without_the_haematological_section_the_inclusion_is_unknown():
    rows = eligible_case()
    del rows.rows[HaematologicalDisease]
    criterion = evaluate(rows).criterion("mds_cmml_who2022")
    assert criterion.status == UNKNOWN
    assert criterion.sections == ("haematologicaldisease",)  # a page can still link there


def test_aml_makes_the_case_not_eligible():
    rows = eligible_case()
    rows.one(HaematologicalDisease).who2022_computed = "aml"
    verdict = evaluate(rows)
    assert verdict.status == NOT_ELIGIBLE
    assert [c.code for c in verdict.failing] == ["mds_cmml_who2022"]


# ---- inclusion 2: SLE (SLICC 2012) or CLE on clinical and pathological features ---------


@pytest.mark.parametrize(
    ("classification", "expected"),
    [("met", MET), ("undetermined", UNKNOWN), ("", UNKNOWN), ("not_met", NOT_MET)],
)
def test_sle_by_slicc_without_skin_evidence(classification, expected):
    rows = eligible_case()
    rows.one(SliccCriteria).classification = classification
    rows.one(LupusProfile).cutaneous = "no"  # no CLE route: no cutaneous involvement
    assert status_of(rows, "sle_slicc_or_cle") == expected


def test_slicc_undetermined_leaves_the_verdict_undetermined():
    rows = eligible_case()
    rows.one(SliccCriteria).classification = "undetermined"
    verdict = evaluate(rows)
    assert verdict.status == UNDETERMINED
    assert [c.code for c in verdict.unresolved] == ["sle_slicc_or_cle"]


def test_isolated_cle_with_clinical_and_pathological_features_is_included():
    verdict = evaluate(cle_case())
    criterion = verdict.criterion("sle_slicc_or_cle")
    assert criterion.status == MET
    assert verdict.status == ELIGIBLE
    shown = {(e.model_name, e.field): e.display for e in criterion.evidence}
    assert shown[("cutaneouslesion", "subtype")] == "Chilblain LE"
    assert shown[("skinbiopsy", "local_diagnosis")] == "Cutaneous lupus"


def test_a_lupus_biopsy_reclassified_centrally_as_mds_cutis_still_counts():
    # The study kept the patients whose lupus lesion the central review read as MDS cutis.
    criterion = evaluate(cle_case(central="mds_cmml_cutis")).criterion("sle_slicc_or_cle")
    assert criterion.status == MET
    assert "reclassified" in criterion.reason
    assert ("centralreview", "diagnosis", "mds_cmml_cutis") in {
        (e.model_name, e.field, e.value) for e in criterion.evidence
    }


@pytest.mark.parametrize(
    ("lesion", "local", "central", "expected"),
    [
        ("tumid", "other", "cle", MET),  # central CLE on a biopsy read otherwise locally
        ("dle_localized", "klip", None, MET),  # KLIP is a pattern of CLE
        ("dle_localized", "", "klip", MET),
        ("chilblain", "other", "pdc_dermatosis", NOT_MET),
        ("chilblain", "mds_cmml_cutis", None, NOT_MET),
        ("le_nonspecific", "cle", None, NOT_MET),  # no LE-specific lesion
        ("chilblain", "", None, UNKNOWN),  # biopsy without any diagnosis yet
        ("chilblain", "unknown", None, UNKNOWN),
        ("", "cle", None, UNKNOWN),  # cutaneous involvement yes, lesions not entered
    ],
)
def test_cle_route(lesion, local, central, expected):
    rows = cle_case(lesion=lesion, local=local, central=central)
    if lesion == "le_nonspecific":
        rows.one(CutaneousLesion).lesion_named = "livedo"
    assert status_of(rows, "sle_slicc_or_cle") == expected


def test_cle_without_any_biopsy_is_unknown_not_excluded():
    rows = cle_case()
    rows.rows[SkinBiopsy] = []
    criterion = evaluate(rows).criterion("sle_slicc_or_cle")
    assert criterion.status == UNKNOWN
    assert "no skin biopsy entered" in criterion.reason


def test_a_biopsy_of_an_le_specific_lesion_is_the_clinical_feature():
    rows = cle_case(lesion="")
    rows.one(SkinBiopsy).clinical_lesion_type = "scle_annular"
    assert status_of(rows, "sle_slicc_or_cle") == MET


def test_a_positive_lupus_band_is_a_pathological_feature():
    rows = cle_case(local="other", central="other")
    review = rows.one(CentralReview)
    review.dif_done, review.lupus_band_positive = "yes", "yes"
    assert status_of(rows, "sle_slicc_or_cle") == MET


def test_one_lupus_biopsy_among_others_suffices():
    rows = cle_case(local="other")
    rows.rows[SkinBiopsy].append(SkinBiopsy(local_diagnosis="cle"))
    assert status_of(rows, "sle_slicc_or_cle") == MET


def test_cle_route_also_serves_an_sle_not_meeting_slicc():
    # The protocol admits "SLE by SLICC or CLE": the CLE route does not depend on the LE type.
    rows = cle_case()
    rows.one(LupusProfile).le_type = "sle"
    assert status_of(rows, "sle_slicc_or_cle") == MET


# ---- exclusion: documented VEXAS ---------------------------------------------------------


@pytest.mark.parametrize(
    ("documented", "tested", "result", "expected"),
    [
        ("yes", "yes", "mutated", MET),
        ("yes", "", "", MET),
        ("", "yes", "mutated", MET),  # the UBA1 mutation is the VEXAS diagnosis
        ("no", "yes", "mutated", UNKNOWN),  # contradictory: the coordinator checks
        ("no", "yes", "wild_type", NOT_MET),  # tested negative
        ("", "yes", "wild_type", NOT_MET),
        ("", "no", "", NOT_MET),  # not tested: VEXAS is not documented
        ("unknown", "no", "", NOT_MET),
        ("no", "", "", NOT_MET),
        ("", "", "", UNKNOWN),
        ("unknown", "unknown", "", UNKNOWN),
        ("", "yes", "unknown", UNKNOWN),  # tested, result unknown
    ],
)
def test_vexas_exclusion(documented, tested, result, expected):
    rows = eligible_case()
    haem = rows.one(HaematologicalDisease)
    haem.vexas_documented, haem.uba1_tested, haem.uba1_result = documented, tested, result
    assert status_of(rows, "vexas") == expected


def test_tested_negative_and_not_tested_are_told_apart():
    rows = eligible_case()
    negative = evaluate(rows).criterion("vexas")
    haem = rows.one(HaematologicalDisease)
    haem.uba1_tested, haem.uba1_result, haem.vexas_documented = "no", "", ""
    not_tested = evaluate(rows).criterion("vexas")
    assert negative.status == not_tested.status == NOT_MET
    assert "wild type" in negative.reason
    assert "not tested" in not_tested.reason


def test_documented_vexas_excludes_even_when_other_criteria_are_unknown():
    rows = eligible_case()
    rows.one(HaematologicalDisease).vexas_documented = "yes"
    rows.one(SliccCriteria).classification = "undetermined"
    verdict = evaluate(rows)
    assert verdict.status == NOT_ELIGIBLE  # one failing criterion suffices
    vexas = verdict.criterion("vexas")
    assert (vexas.kind, vexas.status, vexas.passes, vexas.status_label) == (
        "exclusion",
        MET,
        False,
        "Applies",
    )


def test_vexas_evidence_names_the_fields_and_values():
    rows = eligible_case()
    rows.one(HaematologicalDisease).pk = 41
    evidence = evaluate(rows).criterion("vexas").evidence
    result = next(e for e in evidence if e.field == "uba1_result")
    assert result.model == "crf.HaematologicalDisease"
    assert result.model_name == "haematologicaldisease"
    assert result.pk == 41
    assert result.label == "UBA1 result"
    assert (result.value, result.display) == ("wild_type", "Wild type")
    documented = next(e for e in evidence if e.field == "vexas_documented")
    assert (documented.value, documented.display) == ("no", "No")


# ---- exclusions: therapy-related disease, drug-induced lupus -----------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("yes", MET), ("no", NOT_MET), ("unknown", UNKNOWN), ("", UNKNOWN), ("not_done", UNKNOWN)],
)
def test_therapy_related_exclusion(answer, expected):
    rows = eligible_case()
    rows.one(HaematologicalDisease).therapy_related = answer
    verdict = evaluate(rows)
    assert verdict.criterion("therapy_related").status == expected
    assert verdict.status == {MET: NOT_ELIGIBLE, NOT_MET: ELIGIBLE, UNKNOWN: UNDETERMINED}[expected]


@pytest.mark.parametrize("make", [eligible_case, control])
@pytest.mark.parametrize(
    ("answer", "expected"), [("yes", MET), ("no", NOT_MET), ("unknown", UNKNOWN), ("", UNKNOWN)]
)
def test_drug_induced_lupus_exclusion(make, answer, expected):
    rows = make()
    rows.one(LupusProfile).drug_induced_suspected = answer
    assert status_of(rows, "drug_induced_lupus") == expected


def test_an_unknown_therapy_related_answer_is_shown_in_the_reason():
    rows = eligible_case()
    rows.one(HaematologicalDisease).therapy_related = "unknown"
    reason = evaluate(rows).criterion("therapy_related").reason
    assert "'Unknown'" in reason and "answer yes or no" in reason


# ---- exclusion: more than ten years between the diagnoses ---------------------------------


def with_dates(le: date | None, mds: date | None, le_precision="day", mds_precision="day"):
    rows = eligible_case()
    demo, haem = rows.one(Demographics), rows.one(HaematologicalDisease)
    demo.le_diagnosis_date, demo.le_diagnosis_date_precision = le, le_precision
    haem.diagnosis_date, haem.diagnosis_date_precision = mds, mds_precision
    return rows


@pytest.mark.parametrize(
    ("le", "mds", "expected"),
    [
        (date(2010, 3, 1), date(2020, 3, 1), NOT_MET),  # exactly ten years
        (date(2010, 3, 1), date(2020, 3, 2), MET),  # one day more
        (date(2020, 3, 1), date(2010, 3, 1), NOT_MET),  # either order
        (date(2020, 3, 2), date(2010, 3, 1), MET),
        (date(2010, 3, 1), date(2020, 2, 29), NOT_MET),
        # A 29 February is ten years later on 1 March (as crf.scores.age_in_years ages it).
        (date(2012, 2, 29), date(2022, 2, 28), NOT_MET),
        (date(2012, 2, 29), date(2022, 3, 1), NOT_MET),
        (date(2012, 2, 29), date(2022, 3, 2), MET),
        (date(2014, 2, 28), date(2024, 2, 29), MET),
        (date(2018, 3, 1), date(2018, 6, 1), NOT_MET),
    ],
)
def test_ten_year_boundary(le, mds, expected):
    assert status_of(with_dates(le, mds), "diagnoses_over_ten_years") == expected


@pytest.mark.parametrize(
    ("le", "le_precision", "mds", "mds_precision", "expected"),
    [
        # LE "2010" (any day of 2010) and MDS 2020-06-15: 9.5 to 10.5 years → unknown.
        (date(2010, 7, 1), "year", date(2020, 6, 15), "day", UNKNOWN),
        (date(2005, 7, 1), "year", date(2020, 6, 15), "day", MET),
        (date(2015, 3, 15), "month", date(2020, 1, 1), "day", NOT_MET),
        # LE "March 2010", MDS 2020-03-10: 1–31 March 2010 straddles 10 March.
        (date(2010, 3, 15), "month", date(2020, 3, 10), "day", UNKNOWN),
        # LE "February 2010": even 28 February 2010 is more than ten years before 1 March 2020.
        (date(2010, 2, 15), "month", date(2020, 3, 1), "day", MET),
        # Both partial, in either order.
        (date(2020, 7, 1), "year", date(2010, 7, 1), "year", UNKNOWN),
        (date(2021, 7, 1), "year", date(2010, 7, 1), "year", MET),
        (date(2019, 7, 1), "year", date(2010, 7, 1), "year", NOT_MET),
    ],
)
def test_partial_dates_straddling_ten_years(le, le_precision, mds, mds_precision, expected):
    rows = with_dates(le, mds, le_precision, mds_precision)
    assert status_of(rows, "diagnoses_over_ten_years") == expected


def test_partial_dates_are_shown_as_known():
    rows = with_dates(date(2010, 7, 1), date(2020, 6, 15), "year", "day")
    criterion = evaluate(rows).criterion("diagnoses_over_ten_years")
    assert "2010 (known to the year)" in criterion.reason
    assert [e.display for e in criterion.evidence] == ["2010 (known to the year)", "2020-06-15"]
    assert [e.value for e in criterion.evidence] == ["2010-07-01", "2020-06-15"]


@pytest.mark.parametrize(("le", "mds"), [(None, date(2020, 1, 1)), (date(2020, 1, 1), None)])
def test_a_missing_diagnosis_date_is_unknown(le, mds):
    assert status_of(with_dates(le, mds), "diagnoses_over_ten_years") == UNKNOWN


def test_date_ranges_of_partial_dates():
    assert date_range(date(2012, 2, 15), "month") == (date(2012, 2, 1), date(2012, 2, 29))
    assert date_range(date(2013, 2, 15), "month") == (date(2013, 2, 1), date(2013, 2, 28))
    assert date_range(date(2013, 7, 1), "year") == (date(2013, 1, 1), date(2013, 12, 31))
    assert date_range(date(2013, 7, 4), "day") == (date(2013, 7, 4), date(2013, 7, 4))
    assert years_after(date(2012, 2, 29), 10) == date(2022, 3, 1)
    assert years_after(date(2012, 2, 29), 4) == date(2016, 2, 29)


days = st.dates(min_value=date(1970, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(a=days, b=days)
def test_exact_dates_agree_with_completed_years(a, b):
    # Independent: more than ten years ⇔ ten completed years the day before the later date.
    earlier, later = sorted((a, b))
    expected = NOT_MET
    if later > earlier and age_in_years(birth=earlier, on=later - timedelta(days=1)) >= 10:
        expected = MET
    assert more_than_ten_years_apart((a, a), (b, b)) == expected


@settings(max_examples=60, deadline=None)
@given(
    a=st.dates(min_value=date(2000, 1, 1), max_value=date(2012, 12, 31)),
    b=st.dates(min_value=date(2009, 1, 1), max_value=date(2024, 12, 31)),
)
def test_month_precision_agrees_with_every_pair_of_days(a, b):
    # Brute force: the criterion is met when every pair of possible days is over the limit,
    # not met when none is, unknown when some are.
    first, second = date_range(a, "month"), date_range(b, "month")

    def days_in(r):
        return [r[0] + timedelta(days=i) for i in range((r[1] - r[0]).days + 1)]

    outcomes = {
        more_than_ten_years_apart((x, x), (y, y))
        for x, y in product(days_in(first), days_in(second))
    }
    expected = outcomes.pop() if len(outcomes) == 1 else UNKNOWN
    assert more_than_ten_years_apart(first, second) == expected


# ---- controls -----------------------------------------------------------------------------


def test_a_control_with_slicc_and_no_malignancy_is_eligible():
    verdict = evaluate(control())
    assert verdict.status == ELIGIBLE
    assert [c.code for c in verdict.criteria] == list(CONTROL_CRITERIA)


@pytest.mark.parametrize(
    ("malignancy", "verdict"),
    [
        ("yes", NOT_ELIGIBLE),
        ("no", ELIGIBLE),
        ("", UNDETERMINED),
        ("unknown", UNDETERMINED),
    ],
)
def test_control_with_and_without_a_haematological_malignancy(malignancy, verdict):
    result = evaluate(control(haematological_malignancy=malignancy))
    assert result.status == verdict
    criterion = result.criterion("haematological_malignancy")
    assert criterion.kind == "exclusion"
    assert criterion.evidence[0].field == "haematological_malignancy"


@pytest.mark.parametrize(
    ("classification", "verdict"),
    [("met", ELIGIBLE), ("not_met", NOT_ELIGIBLE), ("undetermined", UNDETERMINED)],
)
def test_control_slicc(classification, verdict):
    rows = control()
    rows.one(SliccCriteria).classification = classification
    assert evaluate(rows).status == verdict


def test_a_control_without_the_lupus_section_is_undetermined():
    rows = control()
    del rows.rows[LupusProfile]
    verdict = evaluate(rows)
    assert verdict.status == UNDETERMINED
    assert {c.code for c in verdict.unresolved} == {
        "haematological_malignancy",
        "drug_induced_lupus",
    }


# ---- the stored result ----------------------------------------------------------------------


def test_verdict_round_trips_through_json():
    rows = cle_case(central="mds_cmml_cutis")
    rows.one(HaematologicalDisease).pk = 3
    rows.one(HaematologicalDisease).therapy_related = "unknown"
    verdict = evaluate(rows)
    stored = json.loads(json.dumps(verdict.to_dict()))
    assert Verdict.from_dict(stored) == verdict
    assert stored["status"] == UNDETERMINED
    assert stored["rule_version"] == ELIGIBILITY_VERSION
    therapy = next(c for c in stored["criteria"] if c["code"] == "therapy_related")
    assert (therapy["kind"], therapy["status"], therapy["passes"]) == ("exclusion", UNKNOWN, None)
    assert therapy["evidence"][0]["pk"] == 3


def test_a_criterion_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="status"):
        Criterion("vexas", "maybe", "")


def test_inclusion_and_exclusion_read_differently():
    verdict = evaluate(eligible_case())
    who = verdict.criterion("mds_cmml_who2022")
    vexas = verdict.criterion("vexas")
    assert (who.status, who.status_label, who.passes) == (MET, "Met", True)
    assert (vexas.status, vexas.status_label, vexas.passes) == (NOT_MET, "Does not apply", True)


def test_reasons_are_worded_in_the_language_active_at_evaluation():
    """The reasons go through the per-language memo (registry.i18n): evaluating in French,
    then English, then French again gives each language's words, never the other's."""
    from django.utils import translation

    from registry.i18n import language_pinned

    seen = []
    for language in ("fr", "en", "fr"):
        with translation.override(language), language_pinned():
            verdict = evaluate(eligible_case())
        seen.append(
            (verdict.criterion("therapy_related").reason, verdict.criterion("vexas").reason)
        )
    assert seen[0] == seen[2] != seen[1]
    assert seen[0][0] == "Le SMD/LMMC n’est pas post-thérapeutique."
    assert seen[1][0] == "The MDS/CMML is not therapy-related."
    with translation.override("fr"):
        assert (
            evaluate(eligible_case())
            .criterion("sle_slicc_or_cle")
            .reason.startswith("LES — Critères SLICC 2012 remplis")
        )


def test_a_missing_section_is_worded_in_each_language_in_turn():
    """The wording of a section not entered is built once per language and reused."""
    from django.utils import translation

    rows = eligible_case()
    del rows.rows[HaematologicalDisease]
    reasons = []
    for language in ("fr", "en", "fr"):
        with translation.override(language):
            reasons.append(evaluate(rows).criterion("vexas").reason)
    assert reasons == [
        "Section « Hémopathie » non saisie : saisissez-la pour évaluer le VEXAS.",
        "Haematological disease is not entered: enter it to evaluate VEXAS.",
        "Section « Hémopathie » non saisie : saisissez-la pour évaluer le VEXAS.",
    ]
