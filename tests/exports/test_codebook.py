"""The codebook describes exactly the exported variables, and agrees with the files."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pyreadstat
import pytest

from crf import scores
from exports.codebook import (
    COLUMNS,
    RULES_OF,
    codebook_rows,
    rule_version,
    to_csv,
    to_json,
    withheld_rows,
)
from exports.deid import Deidentifier, Profile, export_plans, wide_plan
from exports.dictionary import dictionary_rows
from exports.formats import write_table

PROFILE = Profile("statistician")


@pytest.fixture(scope="module")
def plans():
    return export_plans(PROFILE)


@pytest.fixture(scope="module")
def by_name(plans):
    return {(row.table, row.name): row for row in codebook_rows(plans)}


def test_one_entry_per_exported_column_in_file_order(plans):
    rows = codebook_rows(plans)
    assert [(r.table, r.name) for r in rows] == [
        (plan.name, column.name) for plan in plans for column in plan.columns
    ]


def test_a_coded_variable_lists_codes_numbers_and_missing_codes(by_name):
    sex = by_name[("cases", "dem_sex")]
    assert (sex.type, sex.label) == ("code", "sex")
    assert sex.codes == "female=Female | male=Male"
    assert sex.numeric_codes == "1=female | 2=male"
    assert sex.missing_codes == "unknown | not_done | not_applicable"
    assert sex.deidentification == "exported as recorded"
    assert sex.source == "demographics.sex"


def test_a_measured_value_names_its_unit_and_reason_column(by_name):
    hb = by_name[("cases", "haem_hb")]
    assert (hb.type, hb.unit, hb.missing_reason_in) == ("number", "g/dL", "haem_hb_missing")
    assert by_name[("cases", "haem_hb_missing")].missing_codes.startswith("unknown")


def test_derived_values_carry_their_rule_version(by_name):
    ipssr = by_name[("cases", "haem_ipssr_score")]
    assert ipssr.derived and ipssr.rule_version == scores.IPSSR_VERSION
    # A computed code (default "") is derived too, though the dictionary's flag misses it.
    relation = by_name[("cases", "dem_temporal_relation")]
    assert relation.derived and relation.rule_version == scores.TEMPORAL_RELATION_VERSION
    who = by_name[("cases", "haem_who2022_computed")]
    assert who.rule_version == scores.WHO2022_VERSION  # two rules, one version: said once
    assert not by_name[("cases", "haem_hb")].derived
    assert by_name[("cases", "haem_hb")].rule_version == ""


def test_rules_point_at_real_fields_and_rules():
    codes = {e.code for e in dictionary_rows()}
    assert set(RULES_OF) <= codes
    assert {name for names in RULES_OF.values() for name in names} <= set(scores.RULE_VERSIONS)
    assert rule_version("demographics.sex") == ""


def test_deidentification_is_described(by_name):
    assert by_name[("cases", "export_id")].deidentification.startswith("keyed pseudonym")
    death = by_name[("cases", "dem_death_date")]
    assert (death.type, death.unit) == ("integer", "days")
    assert "days from the index date" in death.deidentification
    assert (
        "known only to the month or year"
        in by_name[("cases", "dem_death_date_approx")].deidentification
    )
    age = by_name[("cases", "dem_age_at_le_diagnosis")]
    assert "90+" in age.deidentification and age.codes == "90=90+"
    assert by_name[("tx", "row_id")].deidentification.startswith("number of the row")


def test_csv_and_json_hold_the_same_variables(plans):
    rows = codebook_rows(plans)
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert tuple(parsed[0]) == COLUMNS
    assert len(parsed) == len(rows)
    document = json.loads(to_json(plans))
    assert [v["name"] for v in document["variables"]] == [r["name"] for r in parsed]
    assert {r["derived"] for r in parsed} == {"true", "false"}
    assert document["variables"][0]["derived"] is False
    assert "not entered" in document["missing_data"]


def test_withheld_fields_are_listed_with_their_reason(plans):
    withheld = {(w["table"], w["source"]): w["reason"] for w in withheld_rows(plans)}
    assert withheld[("cases", "identity.date_of_birth")].startswith("direct identifier")
    assert withheld[("cases", "case.code")] == "replaced by export_id"
    assert withheld[("ngs", "ngstest.panel_name")].startswith("free text")
    assert json.loads(to_json(plans))["withheld"] == withheld_rows(plans)


def test_codebook_numbers_are_the_ones_stata_writes():
    plan = wide_plan(PROFILE)
    source = dict.fromkeys(plan.sources)
    source.update(code="LE-ABCDEFG", demographics__sex="male", lupusprofile__articular="arthritis")
    row = Deidentifier(plan, key=b"k" * 32).row(tuple(source.values()))
    content = io.BytesIO()
    write_table("dta", plan.columns, [row], content)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.dta"
        path.write_bytes(content.getvalue())
        frame, meta = pyreadstat.read_dta(str(path))
    entries = {r.name: r for r in codebook_rows([plan])}
    for name, code in (("dem_sex", "male"), ("lup_articular", "arthritis")):
        numbers = dict(pair.split("=")[::-1] for pair in entries[name].numeric_codes.split(" | "))
        assert frame[name][0] == int(numbers[code])
        label = dict(p.split("=") for p in entries[name].codes.split(" | "))[code]
        assert meta.variable_value_labels[name][int(numbers[code])] == label
