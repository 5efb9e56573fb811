"""The data dictionary is generated from the CRF models: coverage, known rows, the command."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from crf.models import CRF_MODELS
from crf.models.fields import DEID_CLASSES, YesNo, classify, coded, free_text, measurement
from exports.dictionary import (
    COLUMNS,
    TYPES,
    DictionaryEntry,
    deid_class,
    dictionary_rows,
    field_type,
    is_derived,
)

REPO = Path(__file__).resolve().parents[2]
MISSING_CHOICES = "unknown=Unknown | not_done=Not done | not_applicable=Not applicable"


@pytest.fixture(scope="module")
def rows() -> list[DictionaryEntry]:
    return dictionary_rows()


@pytest.fixture(scope="module")
def by_code(rows: list[DictionaryEntry]) -> dict[str, DictionaryEntry]:
    return {row.code: row for row in rows}


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("data_dictionary", *args, stdout=out)
    return out.getvalue()


# ---- coverage and order ----


def test_covers_every_concrete_field_of_every_crf_model(rows):
    # Every column but the confirmed-warnings bookkeeping, which is not a study variable.
    expected = []
    for model in CRF_MODELS:
        concrete = [f for f in model._meta.get_fields() if getattr(f, "concrete", False)]
        one_to_one = any(isinstance(f, models.OneToOneField) for f in concrete)
        expected += [
            f"{model._meta.model_name}.{f.name}"
            for f in concrete
            if not (one_to_one and f.primary_key and f.auto_created)
            and f.name != "acknowledged_warnings"
        ]
    assert [row.code for row in rows] == expected
    assert len({row.code for row in rows}) == len(rows)


def test_tables_follow_crf_order_with_their_section(rows):
    tables = list(dict.fromkeys(row.table for row in rows))
    assert tables == [model._meta.model_name for model in CRF_MODELS]
    sections = {model._meta.model_name: model.crf_section for model in CRF_MODELS}
    assert all(row.section == sections[row.table] for row in rows)
    assert all(row.code.startswith(f"{row.table}.") for row in rows)


def test_row_ids_kept_where_rows_repeat_or_are_pointed_at(by_code):
    for table in ("case", "sledaiassessment", "skinbiopsy", "ngstest", "treatment", "ngsvariant"):
        assert by_code[f"{table}.id"].type == "reference"
    for table in ("identity", "demographics", "haematologicaldisease", "centralreview"):
        assert f"{table}.id" not in by_code
        assert f"{table}.{'biopsy' if table == 'centralreview' else 'case'}" in by_code


def test_no_crf_link_points_at_an_id_left_out(by_code):
    # Leaving out the id of one-to-one tables is only safe while nothing points at them.
    for model in CRF_MODELS:
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in CRF_MODELS:
                assert f"{field.related_model._meta.model_name}.id" in by_code, field


def test_every_row_has_an_allowed_class_and_type(rows):
    assert {row.deid_class for row in rows} == set(DEID_CLASSES)  # all five in use
    assert {row.type for row in rows} == set(TYPES)  # and every type
    assert all(row.label for row in rows)


# ---- known rows ----


def test_haemoglobin(by_code):
    hb = by_code["haematologicaldisease.hb"]
    assert (hb.section, hb.table) == ("5. Haematological disease", "haematologicaldisease")
    assert (hb.unit, hb.type, hb.deid_class) == ("g/dL", "decimal", "clinical")
    assert hb.label == "haemoglobin"  # the unit has its own column
    assert not hb.derived and hb.missing_reason_of == "" and hb.choices == ""


def test_missing_reason_names_its_measured_field(by_code):
    reason = by_code["haematologicaldisease.hb_missing"]
    assert reason.missing_reason_of == "hb"
    assert (reason.type, reason.choices, reason.unit) == ("coded", MISSING_CHOICES, "")
    assert by_code["ngsvariant.vaf_missing"].missing_reason_of == "vaf"
    # A coded field that is not a measurement's reason explains nothing.
    assert by_code["haematologicaldisease.karyotype"].missing_reason_of == ""


def test_every_measurement_has_its_reason_row(by_code):
    measured = [
        f"{model._meta.model_name}.{field.name}"
        for model in CRF_MODELS
        for field in model._meta.concrete_fields
        if hasattr(field, "bounds")
    ]
    assert len(measured) > 20
    for code in measured:
        table, name = code.split(".")
        assert by_code[code].unit, code
        assert by_code[f"{code}_missing"].missing_reason_of == name
    pointed_at = {
        f"{row.table}.{row.missing_reason_of}" for row in by_code.values() if row.missing_reason_of
    }
    assert pointed_at == set(measured)


def test_sex_choices_include_missing_codes(by_code):
    sex = by_code["demographics.sex"]
    choices = sex.choices.split(" | ")
    assert choices == [
        "female=Female",
        "male=Male",
        "unknown=Unknown",
        "not_done=Not done",
        "not_applicable=Not applicable",
    ]
    assert (sex.type, sex.deid_class) == ("coded", "quasi_identifier")


def test_integer_with_choices_lists_them(by_code):
    titre = by_code["serologypanel.ana_titre"]
    assert titre.type == "integer"
    assert titre.choices.split(" | ")[:2] == ["80=1:80", "160=1:160"]


def test_derived_values(by_code):
    score = by_code["sledaiassessment.score"]
    assert score.derived and (score.type, score.label) == ("integer", "SLEDAI-2K")
    for code in (
        "demographics.age_at_le_diagnosis",
        "haematologicaldisease.ipssr_score",
        "serologypanel.low_c3",
        "centralreview.reclassified",
        "demographics.rule_version",
        "demographics.temporal_relation",
        "haematologicaldisease.who2022_computed",
        "ngstest.concordance",
    ):
        assert by_code[code].derived, code
    # Entered values, and bookkeeping that is editable=False but not computed.
    for code in (
        "sledaiassessment.seizure",
        "haematologicaldisease.hb",
        "case.code",
        "case.version",
        "case.created_at",
        "demographics.updated_at",
        "centralreview.reviewed_by",
    ):
        assert not by_code[code].derived, code


def test_types(by_code):
    expected = {
        "case.group": "coded",
        "case.created_at": "datetime",
        "case.consent_date": "date",
        "case.centre": "reference",
        "cutaneouslesion.site_face": "boolean",
        "serologypanel.low_c3": "boolean",
        "treatment.dose": "decimal",
        "treatment.cycles": "integer",
        "haematologicaldisease.karyotype_iscn": "text",
        "lupusresponse.sledai": "reference",
    }
    assert {code: by_code[code].type for code in expected} == expected


def test_help_text(by_code):
    assert by_code["lupusresponse.sledai"].help_text == "The SLEDAI-2K at assessment."
    assert by_code["demographics.diagnosis_interval_days"].help_text.startswith("MDS/CMML date")


# ---- de-identification classes ----


def test_identity_is_direct_identifiers_but_its_link(by_code):
    identity = {code: row for code, row in by_code.items() if row.table == "identity"}
    assert identity.pop("identity.case").deid_class == "quasi_identifier"
    assert {row.deid_class for row in identity.values()} == {"direct_identifier"}
    assert "identity.date_of_birth" in identity


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # classified explicitly in the models
        ("case.centre", "quasi_identifier"),
        ("case.code", "quasi_identifier"),
        ("case.created_by", "direct_identifier"),
        ("centralreview.reviewed_by", "direct_identifier"),
        ("centralreview.reviewers", "direct_identifier"),
        ("demographics.sex", "quasi_identifier"),
        ("demographics.age_at_le_diagnosis", "quasi_identifier"),
        ("demographics.age_at_mds_diagnosis", "quasi_identifier"),
        ("demographics.case", "quasi_identifier"),
        ("sledaiassessment.case", "quasi_identifier"),
        ("ngstest.skin_biopsy", "quasi_identifier"),
        ("ngsvariant.test", "quasi_identifier"),
        ("lupusresponse.sledai", "quasi_identifier"),
        ("adverseevent.treatment", "quasi_identifier"),
        ("ngsvariant.gene", "clinical"),
        ("ngsvariant.hgvs_c", "clinical"),
        ("ngsvariant.hgvs_p", "clinical"),
        ("ngstest.shared_genes", "clinical"),
        ("haematologicaldisease.rule_version", "clinical"),
        # defaults by type
        ("case.id", "quasi_identifier"),
        ("case.created_at", "date"),
        ("case.updated_at", "date"),
        ("demographics.death_date", "date"),
        ("haematologicaldisease.karyotype_iscn", "free_text"),
        ("case.withdrawn_reason", "free_text"),
        ("adverseevent.description", "free_text"),
        ("demographics.diagnosis_interval_days", "clinical"),
        ("case.group", "clinical"),
    ],
)
def test_deid_class(by_code, code, expected):
    assert by_code[code].deid_class == expected


def test_every_link_between_tables_is_a_quasi_identifier(rows):
    links = [
        row for row in rows if row.type == "reference" and row.deid_class != "direct_identifier"
    ]
    assert len(links) > 25
    assert {row.deid_class for row in links} == {"quasi_identifier"}


def test_default_class_by_type():
    assert deid_class(models.DateField()) == "date"
    assert deid_class(models.DateTimeField()) == "date"
    assert deid_class(free_text("notes")) == "free_text"
    assert deid_class(models.TextField()) == "free_text"
    assert deid_class(coded(YesNo, "answer")) == "clinical"
    assert deid_class(models.FloatField()) == "clinical"
    assert deid_class(models.BooleanField()) == "clinical"
    value, reason = measurement("x", unit="g/L")
    assert (deid_class(value), deid_class(reason)) == ("clinical", "clinical")
    # The explicit class wins over the type.
    assert deid_class(classify(models.DateField(), "quasi_identifier")) == "quasi_identifier"
    assert deid_class(classify(free_text("code"), "clinical")) == "clinical"


def test_derived_and_type_rules_on_plain_fields():
    assert is_derived(models.IntegerField(null=True, editable=False))
    assert not is_derived(models.IntegerField())
    assert not is_derived(models.DateTimeField(auto_now=True))
    assert not is_derived(models.PositiveIntegerField(default=1, editable=False))
    with pytest.raises(TypeError, match="no dictionary type"):
        field_type(models.JSONField())


# ---- the command ----


def test_csv_parses_with_one_row_per_entry(rows):
    text = run_command("--format", "csv")
    reader = csv.DictReader(io.StringIO(text))
    parsed = list(reader)
    assert reader.fieldnames == list(COLUMNS)
    assert len(parsed) == len(rows)
    for entry, record in zip(rows, parsed, strict=True):
        expected = {key: str(value) for key, value in asdict(entry).items()}
        expected["derived"] = "true" if entry.derived else "false"
        assert record == expected
    hb = next(record for record in parsed if record["code"] == "haematologicaldisease.hb")
    assert (hb["unit"], hb["type"], hb["deid_class"]) == ("g/dL", "decimal", "clinical")


def test_csv_is_the_default_format():
    assert run_command().splitlines()[0] == ",".join(COLUMNS)


def test_json_is_a_list_of_objects(rows):
    data = json.loads(run_command("--format=json"))
    assert isinstance(data, list)
    assert data == [asdict(row) for row in rows]
    score = next(item for item in data if item["code"] == "sledaiassessment.score")
    assert score["derived"] is True


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_output_writes_the_file_not_stdout(tmp_path, fmt):
    path = tmp_path / f"dictionary.{fmt}"
    assert run_command("--format", fmt, "--output", str(path)) == ""
    assert path.read_text(encoding="utf-8") == run_command("--format", fmt)


def test_bad_format_names_the_option_and_allowed_values():
    with pytest.raises(CommandError) as error:
        run_command("--format", "xml")
    message = str(error.value)
    assert "--format" in message and "'csv'" in message and "'json'" in message
    # Passed as a keyword, call_command skips argparse's choices: the command checks itself.
    with pytest.raises(CommandError, match=r"--format must be one of csv, json, not 'xml'"):
        call_command("data_dictionary", format="xml", stdout=io.StringIO())


def test_command_line(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test"}
    manage = [sys.executable, str(REPO / "manage.py"), "data_dictionary"]
    good = subprocess.run(
        [*manage, "--format", "json"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert good.returncode == 0, good.stderr
    assert len(json.loads(good.stdout)) == len(dictionary_rows())
    bad = subprocess.run(
        [*manage, "--format", "xml"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert bad.returncode != 0 and bad.stdout == ""
    assert "argument --format: invalid choice: 'xml'" in bad.stderr
    assert "csv" in bad.stderr and "json" in bad.stderr
