"""The export pipeline end to end, from PostgreSQL to files read back by their own readers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import statistics
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pyreadstat
import pytest

from crf import models as crf
from crf.codes import Status
from crf.models import Case
from exports import deid, pipeline
from exports.formats import FORMATS
from exports.manifest import CURRENT_DATA
from exports.sources import CurrentData, FreezeUnavailable, source_for
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    IdentityFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
)

KEY = b"k" * 40
FORMULA = '=HYPERLINK("http://x.example","click")'


@pytest.fixture
def stored(db, centre_a, centre_b):
    """Two cases of two centres with identity, dates, free text and a measured value
    missing for a stated reason; and a withdrawn case that must not leave."""
    first = CaseFactory(centre=centre_a)
    IdentityFactory(case=first, local_identifier="IPP-778899", initials="JQD",
                    date_of_birth=dt.date(1931, 3, 14))  # fmt: skip
    DemographicsFactory(case=first, sex="female", le_diagnosis_date=dt.date(2018, 5, 2),
                        last_followup_date=dt.date(2023, 1, 10), age_at_le_diagnosis=93,
                        death_cause_detail=FORMULA)  # fmt: skip
    HaematologicalDiseaseFactory(case=first, diagnosis_date=dt.date(2018, 6, 1), hb=None,
                                 hb_missing="not_done")  # fmt: skip
    treatment = TreatmentFactory(case=first, started_on=dt.date(2018, 6, 11))
    crf.LupusResponse.objects.create(treatment=treatment, recorded="complete_response")
    SkinBiopsyFactory(case=first, taken_on=dt.date(2019, 2, 1))
    second = CaseFactory(centre=centre_b)
    IdentityFactory(case=second, local_identifier="IPP-B-445566", initials="MB")
    DemographicsFactory(case=second, sex="male", le_diagnosis_date=dt.date(2016, 9, 20),
                        age_at_le_diagnosis=71)  # fmt: skip
    withdrawn = CaseFactory(centre=centre_a, status=Status.WITHDRAWN, withdrawn_reason="consent")
    IdentityFactory(case=withdrawn, local_identifier="IPP-GONE-1", initials="ZZ")
    return {"first": first, "second": second, "withdrawn": withdrawn}


FULL_DATES = ("2018-05-02", "2023-01-10", "2018-06-01", "2018-06-11", "2019-02-01", "1931-03-14")


def export(tmp_path: Path, name: str = "out", profile=None, formats=FORMATS, key=KEY):
    out = tmp_path / name
    result = pipeline.run_export(
        source=CurrentData(),
        profile=profile or deid.Profile("deidentified"),
        formats=formats,
        key=key,
        sink=pipeline.DirectorySink(out),
        k_threshold=2,
    )
    return out, result


def read_cells(fmt: str, path: Path) -> tuple[list[str], list]:
    """(variable names, every cell, value label and variable label) of a written file."""
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


def test_every_table_in_every_format_with_codebook_report_and_manifest(stored, tmp_path):
    out, result = export(tmp_path)

    plans = deid.export_plans(deid.Profile("deidentified"))
    extensions = ("csv", "xlsx", "dta", "sav", "parquet")
    expected = {f"{p.name}.{ext}" for p in plans for ext in extensions}
    documents = {"codebook.csv", "codebook.json", "reidentification.json", "manifest.json"}
    assert {p.name for p in out.iterdir()} == expected | documents
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["freeze"] == {"id": None, "data": CURRENT_DATA}
    assert manifest["profile"]["name"] == "deidentified"
    assert manifest["dictionary_version"].startswith("sha256:")
    assert manifest["software_version"]
    # Withdrawn cases are left out; the rest are counted per table.
    assert manifest["row_counts"]["cases"] == 2
    assert manifest["row_counts"]["tx"] == 1 and manifest["row_counts"]["lresp"] == 1
    for record in manifest["files"]:
        content = (out / record["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == record["sha256"], record["name"]
        assert len(content) == record["bytes"]
    assert {r["name"] for r in manifest["files"]} == expected | documents - {"manifest.json"}
    assert manifest["reidentification"]["k"] == 1  # each case is alone in its group


def test_no_identifier_case_code_or_full_date_in_any_file(stored, tmp_path):
    out, _result = export(tmp_path)
    secrets = [
        *(stored[k].code for k in stored),
        "IPP-778899", "JQD", "IPP-B-445566", "IPP-GONE-1", "HYPERLINK", *FULL_DATES,
    ]  # fmt: skip
    for path in out.iterdir():
        if path.suffix in (".csv", ".xlsx", ".dta", ".sav", ".parquet"):
            names, cells = read_cells(path.suffix[1:], path)
            texts = [*names, *map(str, cells)]
            assert not any(isinstance(c, dt.date) for c in cells), path.name
        else:
            texts = [path.read_text("utf-8")]
        for text in texts:
            for secret in secrets:
                assert secret not in text, (path.name, secret)
            assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", text), (path.name, text)


def test_the_pseudonym_is_keyed_and_not_the_case_code(stored, tmp_path):
    out, _result = export(tmp_path)
    ids = [row["export_id"] for row in csv.DictReader((out / "cases.csv").open())]
    codes = sorted(stored[k].code for k in ("first", "second"))
    assert sorted(ids) == sorted(deid.pseudonym(c, key=KEY, profile="deidentified") for c in codes)
    assert not set(ids) & set(codes)
    other, _result = export(tmp_path, "other-key", key=b"o" * 40, formats=["csv"])
    assert not set(ids) & {r["export_id"] for r in csv.DictReader((other / "cases.csv").open())}


def test_the_same_data_and_profile_give_byte_identical_files(stored, tmp_path):
    _out, first = export(tmp_path, "first")
    _out, second = export(tmp_path, "second")
    assert [(f.name, f.sha256) for f in first.files] == [(f.name, f.sha256) for f in second.files]
    # Another profile: other pseudonyms, other files.
    _out, year = export(tmp_path, "year", profile=deid.Profile("yearly", date_mode="year"))
    assert {f.name: f.sha256 for f in year.files}["cases.csv"] != next(
        f.sha256 for f in first.files if f.name == "cases.csv"
    )


def test_stata_and_spss_carry_the_dictionarys_labels_and_missing_reasons(stored, tmp_path):
    out, _result = export(tmp_path, formats=["dta", "sav"])
    frame, meta = pyreadstat.read_dta(str(out / "cases.dta"), user_missing=True)
    frame = frame.set_index("export_id")
    first = deid.pseudonym(stored["first"].code, key=KEY, profile="deidentified")
    assert meta.column_names_to_labels["dem_sex"] == "sex"
    labels = meta.variable_value_labels["dem_sex"]
    assert labels[frame.loc[first, "dem_sex"]] == "Female"
    assert {"a", "b", "c"} <= set(labels)  # unknown, not done, not applicable
    assert frame.loc[first, "haem_hb"] == "b"  # not done: Stata's .b
    assert meta.variable_value_labels["dem_age_at_le_diagnosis"] == {90: "90+"}
    assert frame.loc[first, "dem_age_at_le_diagnosis"] == 90  # 93, top-coded
    sav, sav_meta = pyreadstat.read_sav(str(out / "cases.sav"), user_missing=True)
    sav = sav.set_index("export_id")
    assert sav.loc[first, "haem_hb"] == -2  # not done: SPSS user-missing -2
    assert sav_meta.variable_value_labels["haem_hb"][-2.0] == "Not done"


def test_allowed_free_text_leaves_neutralised_in_csv_and_xlsx(stored, tmp_path):
    profile = deid.Profile(
        "with-text", allowed_free_text=frozenset({"demographics.death_cause_detail"})
    )
    out, _result = export(tmp_path, profile=profile, formats=["csv", "xlsx"])
    rows = list(csv.DictReader((out / "cases.csv").open()))
    assert "'" + FORMULA in [r["dem_death_cause_detail"] for r in rows]
    sheet = openpyxl.load_workbook(out / "cases.xlsx").active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def exported_with_progress(tmp_path: Path) -> tuple[pipeline.ExportResult, list[tuple[int, int]]]:
    """The current data in CSV and Parquet, and every (done, total) the progress was told."""
    seen: list[tuple[int, int]] = []
    result = pipeline.run_export(
        source=CurrentData(),
        profile=deid.Profile("deidentified"),
        formats=["csv", "parquet"],
        key=KEY,
        sink=pipeline.DirectorySink(tmp_path),
        k_threshold=1,
        progress=lambda done, total: seen.append((done, total)),
    )
    return result, seen


def test_progress_counts_every_row_of_every_format(stored, tmp_path):
    _result, seen = exported_with_progress(tmp_path)
    total = seen[0][1]
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert total == 2 * sum(manifest["row_counts"].values())


def test_bad_requests_are_refused_with_the_fix(db, tmp_path):
    with pytest.raises(ValueError, match="choose one or more of csv"):
        pipeline.check_formats(["pdf"])
    with pytest.raises(ValueError, match="at least 32 bytes"):
        export(tmp_path, key=b"short")
    with pytest.raises(FreezeUnavailable, match="F1 does not exist: give the name of an existing"):
        source_for("F1")
    assert isinstance(source_for(""), CurrentData)


# ---- the study's analysis, from the exported files of a cohort with known values ----

CASE_AGES = {"female": [52, 61, 67, 74, 95], "male": [70, 80]}
CONTROL_AGES = {"female": [25, 31, 38, 44, 49, 33], "male": [58]}


@pytest.fixture
def known_cohort(db, centre_a, centre_b):
    for group, ages in (("case", CASE_AGES), ("control", CONTROL_AGES)):
        for sex, values in ages.items():
            for i, age in enumerate(values):
                case = CaseFactory(centre=(centre_a, centre_b)[i % 2], group=group)
                DemographicsFactory(case=case, sex=sex, age_at_le_diagnosis=age)
                crf.SliccCriteria.objects.create(case=case, classification="met")
    # A case without SLICC classification met: in Table 1, not in the comparison.
    other = CaseFactory(centre=centre_a, group="case")
    DemographicsFactory(case=other, sex="male", age_at_le_diagnosis=66)
    crf.SliccCriteria.objects.create(case=other, classification="not_met")


def test_the_study_tables_from_the_files_match_scipy(known_cohort, tmp_path):
    from scipy import stats

    from exports import study

    out, _result = export(tmp_path, formats=["csv"])
    tables = study.study_tables(study.read_directory(out))

    # Table 1 (every case): n (%) female, median [range] of age; "95" left the registry as
    # "90+" and is read back as its top code, 90.
    case_ages = sorted([*CASE_AGES["female"], *CASE_AGES["male"], 66])
    exported = [min(a, 90) for a in case_ages]
    age = tables["table1"].row("age_le").cells[0]
    assert age.values["median"] == pytest.approx(statistics.median(exported))
    assert (age.values["min"], age.values["max"]) == (52, 90)
    assert "90+" in age.text
    sex = tables["table1"].row("female_male").cells[0].values
    assert sex["female_n"] == 5 and sex["female_percent"] == pytest.approx(100 * 5 / 8)

    # The comparison (SLICC-met cases against controls).
    comparison = tables["case_control"]
    sle = [min(a, 90) for a in [*CASE_AGES["female"], *CASE_AGES["male"]]]
    controls = [*CONTROL_AGES["female"], *CONTROL_AGES["male"]]
    expected_p = stats.mannwhitneyu(sle, controls, alternative="two-sided").pvalue
    assert comparison.row("age_le").cells[2].values["p"] == pytest.approx(expected_p)
    table = [[5, 2], [6, 1]]  # female / male: expected counts under 5, so Fisher
    _odds, fisher_p = stats.fisher_exact(table, alternative="two-sided")
    female = comparison.row("female")
    assert female.cells[2].values["p"] == pytest.approx(fisher_p)
    assert female.cells[3].text == "Fisher's exact test"
    assert female.cells[0].values["n"] == 5 and female.cells[1].values["n"] == 6


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_study_reads_every_column_the_analysis_uses(stored, tmp_path, fmt):
    """The study reads only the columns `analysis.columns` declares: one the analysis uses
    but the declaration forgets would read as absent (and be footnoted as not exported)."""
    from exports import study

    out, _result = export(tmp_path, formats=[fmt])
    data = study.read_directory(out)
    tables = study.study_tables(data)

    assert data.absent == set()
    assert not [note for t in tables.values() for note in t.footnotes if "Not in the" in note]
    assert tables["table1"].row("female_male").cells[0].values["female_n"] == 1


def test_analysis_tables_command_writes_every_table_and_figure(known_cohort, tmp_path):
    from django.core.management import call_command

    call_command("analysis_tables", "--profile", "deidentified", "--out", str(tmp_path / "t"))
    names = {p.name for p in (tmp_path / "t").iterdir()}
    assert {"table1.csv", "case_control.csv", "table2.csv", "figure3.png", "figure3.svg"} <= names
    assert (tmp_path / "t" / "export" / "cases.csv").exists()  # computed from the files
    table1 = (tmp_path / "t" / "table1.csv").read_text()
    assert "MDS/CMML associated LE (n=8)" in table1


def test_export_dataset_command_writes_the_export(stored, tmp_path):
    from django.core.management import call_command

    call_command(
        "export_dataset", "--profile", "deidentified", "--format", "csv", "--format", "sav",
        "--out", str(tmp_path), "--quiet",
    )  # fmt: skip
    assert {"cases.csv", "cases.sav", "manifest.json"} <= {p.name for p in tmp_path.iterdir()}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--profile 'nope' does not exist"):
        call_command("export_dataset", "--profile", "nope", "--out", str(tmp_path))


def test_cases_held_in_memory_export_byte_for_byte_like_the_database(stored, tmp_path):
    """The freeze path (CaseRows, as cohorts.freezes rebuilds them) and the live path agree."""
    from crf import snapshot
    from exports.sources import CaseRowsSource

    live = Case.objects.exclude(status=Status.WITHDRAWN).order_by("code")
    source = CaseRowsSource(
        freeze="F-test", case_ids=list(live.values_list("pk", flat=True)), load=snapshot.load,
        chunk=1,
    )  # fmt: skip
    _out, expected = export(tmp_path, "live")
    result = pipeline.run_export(
        source=source,
        profile=deid.Profile("deidentified"),
        formats=FORMATS,
        key=KEY,
        sink=pipeline.DirectorySink(tmp_path / "rows"),
        k_threshold=2,
    )
    data = [f for f in expected.files if f.table]
    assert [(f.name, f.rows, f.sha256) for f in data] == [
        (f.name, f.rows, f.sha256) for f in result.files if f.table
    ]
    assert result.manifest["freeze"]["id"] == "F-test"
