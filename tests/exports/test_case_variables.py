"""The computed eligibility and the adjudication in the wide table (exports.extensions,
declared by cohorts.export_variables): values, labels, free text by profile, freezes."""

from __future__ import annotations

import csv
import json

import pyreadstat
import pytest
from django.core.exceptions import ValidationError

from cohorts import freezes
from cohorts.adjudication import adjudicate
from cohorts.assessment import reassess
from cohorts.eligibility import ELIGIBILITY_VERSION
from cohorts.models import Freeze
from crf import access, snapshot
from crf.models import Case
from exports import deid, pipeline
from exports.models import ExportProfile
from exports.sources import CaseRowsSource, CurrentData, source_for
from tests.factories import CaseFactory

KEY = b"v" * 40
COLUMNS = ["elig_computed", "elig_rule_version", "adj_decision", "adj_verdict_at_decision",
           "adj_overrules"]  # fmt: skip


def run(source, out, profile=None, formats=("csv", "dta")):
    return pipeline.run_export(
        source=source,
        profile=profile or deid.Profile("deidentified"),
        formats=list(formats),
        key=KEY,
        sink=pipeline.DirectorySink(out),
        k_threshold=1,
    )


def by_case(out, case) -> dict[str, str]:
    pseudonym = deid.pseudonym(case.code, key=KEY, profile="deidentified")
    rows = {r["export_id"]: r for r in csv.DictReader((out / "cases.csv").open())}
    return rows[pseudonym]


@pytest.fixture
def adjudicated(db, centre_a, coordinator):
    """Three undetermined cases: included against the verdict, excluded, not adjudicated."""
    included, excluded, pending = (CaseFactory(centre=centre_a) for _ in range(3))
    reassess([included, excluded, pending])
    who = access.actor_for(coordinator)
    adjudicate(actor=who, case=included, decision="include", reason="Seen the source files",
               justification="SLICC met on the hospital records")  # fmt: skip
    adjudicate(actor=who, case=excluded, decision="exclude", reason="VEXAS")
    return {"included": included, "excluded": excluded, "pending": pending}


def test_the_wide_table_carries_eligibility_and_adjudication(adjudicated, tmp_path):
    out = tmp_path / "out"
    run(CurrentData(), out)

    header = next(csv.reader((out / "cases.csv").open()))
    assert header[-len(COLUMNS) :] == COLUMNS
    assert not {"adj_reason", "adj_justification"} & set(header)  # free text: not by default
    included = by_case(out, adjudicated["included"])
    assert [included[c] for c in COLUMNS] == [
        "undetermined", ELIGIBILITY_VERSION, "include", "undetermined", "true"
    ]  # fmt: skip
    excluded = by_case(out, adjudicated["excluded"])
    assert [excluded[c] for c in COLUMNS[2:]] == ["exclude", "undetermined", "false"]
    pending = by_case(out, adjudicated["pending"])
    assert [pending[c] for c in COLUMNS] == ["undetermined", ELIGIBILITY_VERSION, "", "", ""]

    frame, meta = pyreadstat.read_dta(str(out / "cases.dta"))
    assert COLUMNS[0] in frame.columns and COLUMNS[-1] in frame.columns
    labels = meta.variable_value_labels
    assert set(labels["elig_computed"].values()) == {"Eligible", "Not eligible", "Undetermined"}
    assert set(labels["adj_decision"].values()) == {"Include", "Exclude"}
    assert sorted(frame["adj_overrules"].dropna().tolist()) == [0, 1]
    assert meta.column_names_to_labels["adj_overrules"] == (
        "adjudication overrules the computed eligibility"
    )

    codebook = {r["name"]: r for r in csv.DictReader((out / "codebook.csv").open())}
    assert codebook["adj_decision"]["codes"] == "include=Include | exclude=Exclude"
    assert codebook["adj_decision"]["numeric_codes"] == "1=include | 2=exclude"
    assert codebook["elig_computed"]["source"] == "eligibility.computed"
    assert codebook["elig_computed"]["derived"] == "true"
    document = json.loads((out / "codebook.json").read_text())
    withheld = {w["source"] for w in document["withheld"]}
    assert {"adjudication.reason", "adjudication.justification"} <= withheld
    notes = {tuple(n["variables"]): n for n in document["case_variables"]}
    assert "recorded when the freeze was taken" in notes[
        ("adjudication.decision", "adjudication.computed", "adjudication.overrules",
         "adjudication.reason", "adjudication.justification")
    ]["freeze"]  # fmt: skip


def test_a_profile_may_allow_the_reason_and_justification(adjudicated, tmp_path):
    profile = deid.Profile(
        "with-reasons", allowed_free_text={"adjudication.reason", "adjudication.justification"}
    )
    out = tmp_path / "out"
    run(CurrentData(), out, profile=profile, formats=("csv",))
    pseudonym = deid.pseudonym(adjudicated["included"].code, key=KEY, profile="with-reasons")
    row = next(r for r in csv.DictReader((out / "cases.csv").open()) if r["export_id"] == pseudonym)
    assert (row["adj_reason"], row["adj_justification"]) == (
        "Seen the source files", "SLICC met on the hospital records"
    )  # fmt: skip

    with pytest.raises(ValidationError, match="adjudication.nope"):
        ExportProfile(name="bad", allowed_free_text=["adjudication.nope"]).clean()


def test_reruns_and_the_case_rows_path_give_the_same_bytes(adjudicated, tmp_path):
    first = run(CurrentData(), tmp_path / "a", formats=("csv", "dta", "sav", "parquet", "xlsx"))
    again = run(CurrentData(), tmp_path / "b", formats=("csv", "dta", "sav", "parquet", "xlsx"))
    ids = list(Case.objects.order_by("code").values_list("pk", flat=True))
    rows = run(
        CaseRowsSource(freeze=None, case_ids=ids, load=snapshot.load, chunk=2),
        tmp_path / "c",
        formats=("csv", "dta", "sav", "parquet", "xlsx"),
    )
    files = [(f.name, f.sha256) for f in first.files]
    assert files == [(f.name, f.sha256) for f in again.files]
    assert files == [(f.name, f.sha256) for f in rows.files]


def test_a_freeze_exports_the_adjudication_recorded_at_the_freeze(
    adjudicated, coordinator, tmp_path
):
    cases = list(adjudicated.values())
    Freeze.objects.create(
        name="Before review",
        case_ids=[c.pk for c in cases],
        position=freezes.position_now(),
        created_by=coordinator,
    )
    # After the freeze: the pending case is adjudicated, the excluded one reversed.
    who = access.actor_for(coordinator)
    adjudicate(actor=who, case=adjudicated["pending"], decision="exclude", reason="Late")
    adjudicate(actor=who, case=adjudicated["excluded"], decision="include", reason="Re-read",
               justification="VEXAS ruled out")  # fmt: skip

    frozen = tmp_path / "frozen"
    first = run(source_for("Before review"), frozen)
    again = run(source_for("Before review"), tmp_path / "again")
    run(CurrentData(), tmp_path / "live")

    assert by_case(frozen, adjudicated["pending"])["adj_decision"] == ""
    assert by_case(frozen, adjudicated["excluded"])["adj_decision"] == "exclude"
    assert by_case(frozen, adjudicated["excluded"])["elig_computed"] == "undetermined"
    assert by_case(tmp_path / "live", adjudicated["pending"])["adj_decision"] == "exclude"
    assert by_case(tmp_path / "live", adjudicated["excluded"])["adj_overrules"] == "true"
    assert [(f.name, f.sha256) for f in first.files] == [(f.name, f.sha256) for f in again.files]
