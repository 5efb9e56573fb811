"""De-identification: pseudonyms, dates, ages, free text, plans over the dictionary, k report."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import re
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pyreadstat
import pytest
from django.conf import settings

from crf import models as crf
from crf.rows import REPEATING
from exports import deid, extensions
from exports.deid import (
    AGE_BANDS,
    Deidentifier,
    IndexDate,
    Profile,
    RowNumbering,
    age_decade,
    days_from_index,
    deidentify_row,
    export_plans,
    index_date,
    long_plan,
    pseudonym,
    referenced_tables,
    reidentification_report,
    report_for_table,
    top_code_age,
    wide_plan,
)
from exports.dictionary import dictionary_rows
from exports.formats import FORMATS, write_table
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    IdentityFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
)

KEY = b"k" * 32
OTHER_KEY = b"q" * 32
PROFILE = Profile("statistician")


def hmac_pseudonym(key: bytes, profile: str, code: str) -> str:
    """The documented construction, computed independently of the module."""
    message = b"registry-export-id\x00" + profile.encode() + b"\x00" + code.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return "P" + base64.b32encode(digest).decode()[:12]


def source_row(plan, **values) -> tuple:
    """A source row for `plan`: every lookup None unless given (`__` spelled as given)."""
    unknown = set(values) - set(plan.sources)
    assert not unknown, unknown
    return tuple(values.get(lookup) for lookup in plan.sources)


def as_dict(plan, row) -> dict:
    return dict(zip(plan.column_names, row, strict=True))


# ---- pseudonym ----


def test_pseudonym_is_the_keyed_hmac_of_profile_and_code():
    value = pseudonym("LE-ABCDEFG", key=KEY, profile="statistician")
    assert re.fullmatch(r"P[A-Z2-7]{12}", value)
    assert value == hmac_pseudonym(KEY, "statistician", "LE-ABCDEFG")
    assert value != "LE-ABCDEFG"


@pytest.mark.parametrize("key", [KEY, bytes(range(100))])  # longer than a block: hashed
def test_pseudonyms_of_many_codes_are_each_codes_pseudonym(key):
    codes = [f"LE-{n:07X}" for n in range(0, 10**7, 9973)] + ["LE-É", ""]
    expected = "".join(hmac_pseudonym(key, "statistician", code) for code in codes)
    assert deid.pseudonyms(codes, key=key, profile="statistician") == expected.encode("ascii")
    assert deid.pseudonyms([], key=key, profile="statistician") == b""


def test_pseudonym_is_stable_per_profile_and_differs_between_profiles():
    code = "LE-ABCDEFG"
    first = pseudonym(code, key=KEY, profile="statistician")
    assert pseudonym(code, key=KEY, profile="statistician") == first
    assert pseudonym(code, key=KEY, profile="external") != first
    assert pseudonym("LE-ABCDEFH", key=KEY, profile="statistician") != first


def test_pseudonym_cannot_be_recomputed_without_the_secret():
    code, profile = "LE-ABCDEFG", "statistician"
    target = pseudonym(code, key=KEY, profile=profile)
    guesses = [
        hmac_pseudonym(OTHER_KEY, profile, code),
        hmac_pseudonym(settings.SECRET_KEY.encode(), profile, code),
        hmac_pseudonym(b"", profile, code),
        "P" + base64.b32encode(hashlib.sha256(code.encode()).digest()).decode()[:12],
        "P" + base64.b32encode(hashlib.sha256((profile + code).encode()).digest()).decode()[:12],
    ]
    assert target not in guesses


@pytest.mark.parametrize("key", [b"", b"short", "k" * 40, b"x" * 31])
def test_a_weak_or_missing_key_is_refused(key):
    with pytest.raises(ValueError, match="at least 32 bytes"):
        pseudonym("LE-ABCDEFG", key=key, profile="statistician")


# ---- dates ----


def test_index_date_is_the_first_diagnosis():
    le, mds = dt.date(2018, 5, 2), dt.date(2018, 3, 1)
    assert index_date(le, "day", mds, "month") == IndexDate(mds, approximate=True)
    assert index_date(le, "day", None, None) == IndexDate(le, approximate=False)
    assert index_date(None, None, mds, "day") == IndexDate(mds, approximate=False)
    assert index_date(le, "year", dt.date(2019, 1, 1), "day") == IndexDate(le, approximate=True)
    assert index_date(None, "day", None, "day") is None


@pytest.mark.parametrize(
    ("value", "precision", "index", "expected"),
    [
        (dt.date(2018, 5, 12), "day", IndexDate(dt.date(2018, 5, 2), False), (10, False)),
        (dt.date(2018, 4, 30), "day", IndexDate(dt.date(2018, 5, 2), False), (-2, False)),
        (dt.date(2018, 5, 15), "month", IndexDate(dt.date(2018, 5, 2), False), (13, True)),
        (dt.date(2019, 7, 1), "year", IndexDate(dt.date(2018, 5, 2), False), (425, True)),
        (dt.date(2018, 5, 12), "day", IndexDate(dt.date(2018, 5, 2), True), (10, True)),
        (dt.date(2018, 5, 12), None, IndexDate(dt.date(2018, 5, 2), False), (10, False)),
        (None, "day", IndexDate(dt.date(2018, 5, 2), False), (None, None)),
        (dt.date(2018, 5, 12), "day", None, (None, None)),
    ],
)
def test_days_from_index_and_approximation(value, precision, index, expected):
    assert days_from_index(value, precision, index) == expected


# ---- ages ----


@pytest.mark.parametrize(
    ("age", "top", "band"),
    [
        (0, 0, "0-10"),
        (9, 9, "0-10"),
        (10, 10, "10-20"),
        (65, 65, "60-70"),
        (74, 74, "70-80"),
        (80, 80, "80-90"),
        (89, 89, "80-90"),
        (90, "90+", "90+"),
        (104, "90+", "90+"),
        (None, None, None),
    ],
)
def test_ages_are_top_coded_at_90_and_banded_by_decade(age, top, band):
    assert top_code_age(age) == top
    assert age_decade(age) == band


def test_age_bands_cover_every_decade_then_90_plus():
    assert AGE_BANDS == ("0-10", "10-20", "20-30", "30-40", "40-50", "50-60", "60-70",
                         "70-80", "80-90", "90+")  # fmt: skip
    with pytest.raises(ValueError, match="negative"):
        age_decade(-1)


# ---- profiles ----


def test_profile_refuses_bad_settings_and_names_them():
    with pytest.raises(ValueError, match="Profile name 'Stats team'"):
        Profile("Stats team")
    with pytest.raises(ValueError, match="date mode 'month'"):
        Profile("p", date_mode="month")
    with pytest.raises(ValueError, match="age mode 'exact'"):
        Profile("p", age_mode="exact")
    with pytest.raises(ValueError, match="'identity.initials', which is not a free-text field"):
        wide_plan(Profile("p", allowed_free_text={"identity.initials"}))
    with pytest.raises(ValueError, match="'demographics.sex'"):
        wide_plan(Profile("p", allowed_free_text={"demographics.sex"}))


# ---- plans over the dictionary ----


@pytest.fixture(scope="module")
def entries():
    return {e.code: e for e in dictionary_rows()}


ALL_PROFILES = [
    PROFILE,
    Profile("years", date_mode="year", age_mode="decade", keep_centre=False),
    Profile("texts", allowed_free_text={"demographics.death_cause_detail", "ngstest.panel_name"}),
]


@pytest.mark.parametrize("profile", ALL_PROFILES, ids=lambda p: p.name)
def test_every_dictionary_field_is_decided_once(profile, entries):
    decided = [d.source for plan in export_plans(profile) for d in plan.decisions]
    # Plus the case variables other apps declare (exports.extensions: cohorts' eligibility
    # and adjudication), which are not CRF fields.
    declared = [v.code for group in extensions.groups() for v in group.variables]
    assert sorted(decided) == sorted([*entries, *declared])


@pytest.mark.parametrize("profile", ALL_PROFILES, ids=lambda p: p.name)
def test_no_direct_identifier_free_text_or_raw_date_is_planned(profile, entries):
    declared = {v.code: v for group in extensions.groups() for v in group.variables}
    for plan in export_plans(profile):
        for column in plan.columns:
            entry = entries.get(column.source)
            if column.source in declared:  # a case variable: free text only when allowed
                assert plan.name == deid.WIDE_TABLE, column
                if declared[column.source].free_text:
                    assert column.source in profile.allowed_free_text, column
                continue
            if entry is None:
                assert column.name == "export_id"
                continue
            assert entry.deid_class != "direct_identifier", column
            assert entry.type != "datetime", column
            if entry.deid_class == "free_text":
                assert column.source in profile.allowed_free_text, column
            if entry.type == "date":
                assert column.treatment in ("interval", "approx", "year"), column
                assert column.kind in ("integer", "boolean"), column
        # Nothing the caller selects reaches Identity, users or the raw ids of the case.
        for lookup in plan.sources:
            assert not re.search(r"identity|created_by|reviewed_by|reviewers", lookup), lookup


def test_wide_plan_keys_rows_by_export_id_and_hides_case_code(entries):
    plan = wide_plan(PROFILE)
    names = plan.column_names
    assert names[0] == "export_id"
    assert {"case_centre", "dem_sex", "dem_age_at_le_diagnosis", "haem_hb", "lup_aiha"} <= set(
        names
    )
    assert not {"case_id", "case_code", "case_created_by", "dem_case"} & set(names)
    assert "dem_le_diagnosis_date_approx" in names
    assert "dem_le_diagnosis_date_precision" in names  # the precision travels with the date
    reasons = {d.source: d.reason for d in plan.decisions if not d.columns}
    assert reasons["case.code"] == "replaced by export_id"
    assert reasons["identity.date_of_birth"].startswith("direct identifier")
    assert reasons["demographics.death_cause_detail"].startswith("free text")


def test_long_plans_carry_row_numbers_and_parent_numbers():
    names = {plan.name: plan.column_names for plan in export_plans(PROFILE)}
    assert set(names) == {"cases", *(deid.export_prefix(m) for m in REPEATING)}
    assert names["tx"][:2] == ("export_id", "row_id")
    assert names["variant"][:3] == ("export_id", "row_id", "ngs_row_id")
    assert {"tx_row_id", "sledai_row_id"} <= set(names["lresp"])
    assert "biopsy_row_id" in names["review"] and "biopsy_row_id" in names["ngs"]
    assert "tx_row_id" in names["ae"]
    with pytest.raises(ValueError, match="not a repeating group"):
        long_plan(crf.Demographics, PROFILE)


def test_a_quasi_identifier_without_a_rule_stops_the_plan(monkeypatch):
    monkeypatch.setattr(deid, "KEPT_QUASI_IDENTIFIERS", frozenset())
    with pytest.raises(ValueError, match="demographics.sex is a quasi-identifier with no"):
        wide_plan(PROFILE)


def test_allowed_free_text_is_exported_and_only_that():
    plan = wide_plan(Profile("texts", allowed_free_text={"demographics.death_cause_detail"}))
    column = next(c for c in plan.columns if c.name == "dem_death_cause_detail")
    assert (column.kind, column.treatment) == ("text", "free_text")
    assert "lup_neurological_detail" not in plan.column_names


# ---- transforming rows ----


def wide_source(plan, **overrides):
    values = {
        "code": "LE-ABCDEFG",
        "centre__code": "alpha",
        "group": "case",
        "consent": "yes",
        "consent_date": dt.date(2018, 4, 1),
        "demographics__sex": "male",
        "demographics__le_diagnosis_date": dt.date(2018, 5, 2),
        "demographics__le_diagnosis_date_precision": "day",
        "demographics__death_date": dt.date(2020, 6, 15),
        "demographics__death_date_precision": "month",
        "demographics__vital_status": "dead",
        "demographics__death_cause": "",
        "demographics__age_at_le_diagnosis": 91,
        "demographics__age_at_mds_diagnosis": 89,
        "haematologicaldisease__diagnosis_date": dt.date(2018, 6, 1),
        "haematologicaldisease__diagnosis_date_precision": "day",
        "haematologicaldisease__hb": None,
        "haematologicaldisease__hb_missing": "not_done",
        "haematologicaldisease__platelets": 130.0,
        "haematologicaldisease__platelets_missing": "",
        "haematologicaldisease__del20q": True,
    }
    values.update(overrides)
    if not plan.profile.keep_centre:
        del values["centre__code"]
    return source_row(plan, **values)


def test_a_wide_row_is_deidentified():
    plan = wide_plan(PROFILE)
    row = as_dict(plan, deidentify_row(plan, wide_source(plan), key=KEY))
    assert row["export_id"] == hmac_pseudonym(KEY, "statistician", "LE-ABCDEFG")
    assert row["case_centre"] == "alpha" and row["dem_sex"] == "male"
    assert (row["case_consent_date"], row["case_consent_date_approx"]) == (-31, False)
    assert (row["dem_le_diagnosis_date"], row["dem_le_diagnosis_date_approx"]) == (0, False)
    assert (row["haem_diagnosis_date"], row["haem_diagnosis_date_approx"]) == (30, False)
    # Known to the month: stored mid-month, so the interval is approximate.
    assert (row["dem_death_date"], row["dem_death_date_approx"]) == (775, True)
    assert row["dem_death_date_precision"] == "month"
    assert (row["dem_age_at_le_diagnosis"], row["dem_age_at_mds_diagnosis"]) == ("90+", 89)
    assert row["dem_death_cause"] is None  # "" is "not entered"
    assert (row["haem_hb"], row["haem_hb_missing"]) == (None, "not_done")
    assert (row["haem_platelets"], row["haem_platelets_missing"]) == (130.0, None)
    assert row["haem_del20q"] is True and row["haem_del5q"] is None
    assert row["dem_followup_years"] is None


def test_year_mode_keeps_years_and_decade_mode_bands_ages():
    plan = wide_plan(Profile("years", date_mode="year", age_mode="decade", keep_centre=False))
    row = as_dict(plan, deidentify_row(plan, wide_source(plan), key=KEY))
    assert row["dem_le_diagnosis_date"] == 2018 and row["dem_death_date"] == 2020
    assert not [n for n in plan.column_names if n.endswith("_approx")]
    assert (row["dem_age_at_le_diagnosis"], row["dem_age_at_mds_diagnosis"]) == ("90+", "80-90")
    assert "case_centre" not in row
    assert row["export_id"] != hmac_pseudonym(KEY, "statistician", "LE-ABCDEFG")


def test_a_source_row_of_the_wrong_width_is_refused():
    plan = wide_plan(PROFILE)
    with pytest.raises(ValueError, match=f"select {len(plan.sources)} \\(plan.sources\\)"):
        deidentify_row(plan, ("LE-ABCDEFG",), key=KEY)


def test_parent_row_numbers_match_whichever_table_comes_first():
    tx, lresp = long_plan(crf.Treatment, PROFILE), long_plan(crf.LupusResponse, PROFILE)
    numbering = RowNumbering()
    responses = Deidentifier(lresp, key=KEY, numbering=numbering)
    treatments = Deidentifier(tx, key=KEY, numbering=numbering)
    # The response to treatment 57 is written before the treatments table.
    response = as_dict(
        lresp, responses.row(source_row(lresp, treatment=57, sledai=None, **case_of(lresp)))
    )
    rows = [
        as_dict(tx, r)
        for r in treatments.rows(source_row(tx, id=i, **case_of(tx)) for i in (12, 57, 90))
    ]
    assert [r["row_id"] for r in rows] == [2, 1, 3]
    assert response["tx_row_id"] == rows[1]["row_id"]
    assert response["sledai_row_id"] is None
    assert {r["export_id"] for r in rows} == {response["export_id"]}


def case_of(plan) -> dict:
    prefix = plan.sources[0].removesuffix("code")
    return {f"{prefix}code": "LE-ABCDEFG"}


def test_the_row_stream_is_lazy():
    plan = long_plan(crf.Treatment, PROFILE)
    pulled = []

    def sources():
        for i in range(3):
            pulled.append(i)
            yield source_row(plan, id=i, case__code="LE-ABCDEFG")

    stream = Deidentifier(plan, key=KEY).rows(sources())
    assert pulled == []
    next(stream)
    assert pulled == [0]


# ---- end to end from the database, every format ----


@pytest.fixture
def stored_case(db, centre_a):
    case = CaseFactory(centre=centre_a)
    IdentityFactory(case=case, local_identifier="IPP-778899", initials="JQD",
                    date_of_birth=dt.date(1931, 3, 14))  # fmt: skip
    DemographicsFactory(case=case, le_diagnosis_date=dt.date(2018, 5, 2),
                        last_followup_date=dt.date(2023, 1, 10), age_at_le_diagnosis=87,
                        death_cause_detail="Found at home by Jeanne Dupont")  # fmt: skip
    HaematologicalDiseaseFactory(case=case, diagnosis_date=dt.date(2018, 6, 1))
    treatment = TreatmentFactory(case=case, started_on=dt.date(2018, 6, 11))
    crf.LupusResponse.objects.create(treatment=treatment, recorded="complete_response")
    SkinBiopsyFactory(case=case, taken_on=dt.date(2019, 2, 1))
    return case


FULL_DATES = ("2018-05-02", "2023-01-10", "2018-06-01", "2018-06-11", "2019-02-01", "1931-03-14")


def test_no_identifier_or_full_date_leaves_in_any_format(stored_case, tmp_path):
    secrets_in_db = [stored_case.code, "IPP-778899", "JQD", "Jeanne Dupont", *FULL_DATES]
    numbering = RowNumbering()
    written = 0
    for plan in export_plans(PROFILE):
        sources = list(plan.model.objects.order_by("pk").values_list(*plan.sources))
        rows = list(Deidentifier(plan, key=KEY, numbering=numbering).rows(sources))
        written += len(rows)
        for fmt in FORMATS:
            path = tmp_path / f"{plan.name}.{fmt}"
            with path.open("wb") as out:
                write_table(fmt, plan.columns, rows, out, table=plan.name)
            names, cells = _read(fmt, path)
            assert names == list(plan.column_names), (plan.name, fmt)
            for cell in cells:
                assert not isinstance(cell, dt.date), (plan.name, fmt, cell)
                text = str(cell)
                for secret in secrets_in_db:
                    assert secret not in text, (plan.name, fmt, secret)
                assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", text), (plan.name, fmt, text)
    assert written >= 4  # the case, a treatment, its response, a biopsy
    wide = wide_plan(PROFILE)
    row = as_dict(wide, Deidentifier(wide, key=KEY).row(
        wide.model.objects.values_list(*wide.sources).get()))  # fmt: skip
    assert row["dem_last_followup_date"] == (dt.date(2023, 1, 10) - dt.date(2018, 5, 2)).days
    assert row["dem_age_at_le_diagnosis"] == 87


def _read(fmt: str, path: Path) -> tuple[list[str], list]:
    """(variable names, every cell and label) of a written file."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        return rows[0], [c for row in rows[1:] for c in row]
    if fmt == "xlsx":
        rows = [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]
        return rows[0], [v for row in rows[1:] for v in row if v is not None]
    if fmt == "parquet":
        data = pq.read_table(path).to_pydict()
        return list(data), [v for col in data.values() for v in col]
    reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
    frame, meta = reader(str(path), user_missing=True)
    labels = [str(v) for labels in meta.variable_value_labels.values() for v in labels.values()]
    return list(frame.columns), [*frame.to_numpy().ravel().tolist(), *labels, *meta.column_labels]


# ---- re-identification report ----

RECORDS = [
    ("P1", "female", 74, "alpha"),
    ("P2", "female", 71, "alpha"),
    ("P3", "female", 78, "alpha"),
    ("P4", "male", 65, "alpha"),
    ("P5", "male", 69, "alpha"),
    ("P6", "male", "90+", "beta"),
    ("P7", None, None, "beta"),
    ("P8", "female", 80, "alpha"),  # 80 is in the 80-90 band: alone
]


def test_k_report_on_a_hand_made_example():
    report = reidentification_report(RECORDS, threshold=2)
    assert report.k == 1
    assert report.rows == 8
    assert dict(report.groups) == {
        ("female", "70-80", "alpha"): 3,
        ("male", "60-70", "alpha"): 2,
        ("male", "90+", "beta"): 1,
        (None, None, "beta"): 1,
        ("female", "80-90", "alpha"): 1,
    }
    assert report.at_risk == ("P6", "P7", "P8")
    assert not report.passes
    stricter = reidentification_report(RECORDS, threshold=3)
    assert stricter.at_risk == ("P4", "P5", "P6", "P7", "P8")
    assert reidentification_report(RECORDS[:3], threshold=3).passes
    assert reidentification_report([], threshold=5).k == 0
    with pytest.raises(ValueError, match="at least 1"):
        reidentification_report(RECORDS, threshold=0)


def test_k_report_reads_deidentified_wide_rows():
    plan = wide_plan(PROFILE)
    deidentifier = Deidentifier(plan, key=KEY)
    rows = [
        deidentifier.row(wide_source(plan, code=f"LE-AAAAAA{c}", demographics__sex=sex,
                                     demographics__age_at_le_diagnosis=age))
        for c, sex, age in (("2", "male", 71), ("3", "male", 77), ("4", "female", 95))
    ]  # fmt: skip
    report = report_for_table(plan.columns, rows, threshold=2)
    assert dict(report.groups) == {("male", "70-80", "alpha"): 2, ("female", "90+", "alpha"): 1}
    assert report.at_risk == (as_dict(plan, rows[2])["export_id"],)


def test_tables_nobody_points_at_are_numbered_the_same_without_remembering_their_rows():
    # Parents keep each row's number (a child meets them in any order); a leaf table is
    # numbered by a counter that restarts with each pass, so memory does not grow with it.
    numbering = RowNumbering(remembered={"tx"})
    for _pass in range(2):  # two formats: two passes over the same rows
        numbering.start("lresp")
        assert [numbering.number("lresp", key) for key in (907, 15, 311)] == [1, 2, 3]
    numbering.start("tx")
    assert numbering.number("tx", 42) == 1
    assert numbering.number("tx", 42) == 1  # a child asking for its parent again
    assert numbering._counters == {"lresp": 3} and numbering._numbers == {"tx": {42: 1}}
    plans = export_plans(PROFILE)
    assert {"tx", "ngs", "biopsy"} <= referenced_tables(plans)
    assert "lresp" not in referenced_tables(plans)
