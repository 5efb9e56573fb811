"""The current data's CSV and Parquet de-identified by PostgreSQL and streamed by COPY
(exports.sql_plan, exports.copy_export) against the Python `Deidentifier`, the reference:
the same bytes in every file, as the application role."""

from __future__ import annotations

import csv
import datetime as dt
import math
import threading
import time
import uuid

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import DataError

from cohorts.adjudication import adjudicate
from cohorts.assessment import reassess
from crf import access
from crf import models as crf
from crf.codes import Status
from crf.lifecycle import case_withdraw
from crf.models import Case
from crf.models.fields import FREE_TEXT
from demo import synthetic
from exports import copy_export, deid, pipeline, sql_plan
from exports.dictionary import dictionary_rows
from exports.extensions import groups
from exports.formats.csv_file import quoted
from exports.sources import CurrentData
from registry.models import Role
from tests.exports.test_pipeline import exported_with_progress
from tests.factories import (
    CaseFactory,
    CentreFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SkinBiopsyFactory,
    user_with_role,
)

KEY = b"s" * 40
# Text a CSV writer must quote, a spreadsheet must not run, a reader must not take as null.
AWKWARD = [
    "line one\nline two", "carriage\rreturn", 'say "hi", then go', "=SUM(A1:A9)", "-3 days",
    "\tindented", "+33 1 23", "@home", "NA", "null", "é ü 中文", " spaced ", "\rfirst",
    "?why", "Above", "7 days",
]  # fmt: skip


def all_free_text() -> frozenset[str]:
    codes = {e.code for e in dictionary_rows() if e.deid_class == FREE_TEXT}
    codes |= {v.code for g in groups() for v in g.variables if v.free_text}
    return frozenset(codes)


PROFILES = {
    "deidentified": lambda: deid.Profile("deidentified"),
    "strict": lambda: deid.Profile(
        "strict", date_mode=deid.DATE_YEAR, age_mode=deid.AGE_DECADE, keep_centre=False
    ),
    "free-text": lambda: deid.Profile("free-text", allowed_free_text=all_free_text()),
}


@pytest.fixture
def filled(db, centre_a, centre_b, coordinator, investigator_a):
    """Synthetic patients of three centres (every repeating group, partial dates, missing
    codes) through the batch path; withdrawn cases; awkward free text, floats and ages;
    central reviews; adjudications (the case variables)."""
    third = CentreFactory(code="gamma", name="Hôpital Gamma")
    synthetic.generate(cases=60, seed=11, centre_ids=[centre_a.pk, centre_b.pk, third.pk])
    investigator = access.actor_for(investigator_a)
    for case in Case.objects.filter(centre=centre_a).order_by("code")[:4]:  # never exported
        case_withdraw(actor=investigator, case=case, based_on=case.version, reason="consent")
    for i, text in enumerate(AWKWARD):
        case = CaseFactory(centre=(centre_a, centre_b)[i % 2])
        DemographicsFactory(case=case, sex=("female", "male", "unknown")[i % 3],
                            le_diagnosis_date=dt.date(2015, 1 + i % 12, 1 + i),
                            le_diagnosis_date_precision=("day", "month", "year")[i % 3],
                            age_at_le_diagnosis=(89, 90, 101, 0, None, 45)[i % 6],
                            age_at_mds_diagnosis=(None, 91, 30)[i % 3],
                            vital_status="dead", death_cause_detail=text)  # fmt: skip
        HaematologicalDiseaseFactory(case=case, diagnosis_date=dt.date(2015, 3, 3 + i),
                                     hb=(12.0, 0.1, 7.25, 20.0, 1e-05, None)[i % 6],
                                     hb_missing=("", "", "", "", "", "not_applicable")[i % 6],
                                     karyotype_iscn=text)  # fmt: skip
        biopsy = SkinBiopsyFactory(case=case, taken_on=dt.date(2016, 2, 1 + i),
                                   local_diagnosis_detail=text)  # fmt: skip
        crf.CentralReview.objects.create(biopsy=biopsy, diagnosis="le_specific",
                                         diagnosis_detail=text)  # fmt: skip
    cases = list(Case.objects.exclude(status=Status.WITHDRAWN).order_by("code"))
    reassess(cases)
    who = access.actor_for(coordinator)
    adjudicate(actor=who, case=cases[0], decision="include", reason=AWKWARD[0],
               justification=AWKWARD[2])  # fmt: skip
    adjudicate(actor=who, case=cases[1], decision="exclude", reason=AWKWARD[3],
               justification=AWKWARD[1])  # fmt: skip


@pytest.fixture
def app_role(filled):
    """The export's session as the application role (`manage.py db_roles`)."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    call_command("db_roles", role=role, stdout=None)
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def export(tmp_path, name, profile, *, use_sql, formats=("csv", "parquet"), k=5):
    return pipeline.run_export(
        source=CurrentData(),
        profile=profile,
        formats=list(formats),
        key=KEY,
        sink=pipeline.DirectorySink(tmp_path / name),
        k_threshold=k,
        use_sql=use_sql,
    )


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_sql_path_writes_the_same_bytes_as_the_python_path(
    app_role, tmp_path, monkeypatch, profile
):
    copied = []
    for name in ("write_csv", "write_parquet"):  # a spy: the real writers run
        real = getattr(copy_export, name)
        monkeypatch.setattr(copy_export, name, lambda *a, _real=real, **kw: copied.append(1)
                            or _real(*a, **kw))  # fmt: skip
    policy = PROFILES[profile]()
    by_sql = export(tmp_path, "sql", policy, use_sql=True)
    assert len(copied) == 2 * len(deid.export_plans(policy))  # every table, both formats
    by_python = export(tmp_path, "python", policy, use_sql=False)
    assert len(copied) == 2 * len(deid.export_plans(policy))  # the reference used none

    files = [(f.name, f.rows, f.sha256) for f in by_sql.files]
    assert files == [(f.name, f.rows, f.sha256) for f in by_python.files]
    assert by_sql.manifest["row_counts"] == by_python.manifest["row_counts"]
    assert by_sql.report == by_python.report
    # The data are what the fixture wrote: every table filled, withdrawn cases left out.
    rows = by_sql.manifest["row_counts"]
    assert all(rows[table] > 0 for table in rows), rows
    assert rows["cases"] == Case.objects.exclude(status=Status.WITHDRAWN).count()
    assert by_sql.report.at_risk  # small groups: the export ids at risk are compared too


def test_awkward_text_survives_both_formats(app_role, tmp_path):
    export(tmp_path, "sql", PROFILES["free-text"](), use_sql=True)
    with (tmp_path / "sql" / "cases.csv").open(newline="", encoding="utf-8") as handle:
        details = {row["dem_death_cause_detail"] for row in csv.DictReader(handle)}
    neutralised = {"'" + t if t[0] in "=+-@\t\r" else t for t in AWKWARD}
    assert neutralised <= details
    parquet = pq.read_table(tmp_path / "sql" / "cases.parquet")
    assert set(AWKWARD) <= set(parquet.column("dem_death_cause_detail").to_pylist())
    assert None in parquet.column("dem_death_cause_detail").to_pylist()  # not entered


def test_floats_are_spelled_as_python_writes_them(db):
    values = [0.0, -0.0, 12.0, 0.1, 7.25, 1 / 3, 1e-05, 2.5e-07, 123456.789, 1e16, 1e300,
              math.inf, -math.inf, math.nan, 5e-324, 99999999999999.0]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql_plan.csv_float('v.x')} FROM unnest(%s::float8[]) WITH ORDINALITY "
            "AS v(x, i) ORDER BY v.i",
            [values],
        )
        spelled = [row[0] for row in cursor.fetchall()]
    assert spelled == [repr(v) for v in values]


def test_the_index_date_is_computed_by_postgresql_as_by_python(db):
    day = dt.date
    dates = [
        (None, "", None, ""),
        (day(2020, 5, 1), "day", None, ""),
        (None, "", day(2019, 1, 1), "month"),
        (day(2020, 1, 1), "year", day(2020, 1, 1), "day"),  # a tie: the LE date, approximate
        (day(2021, 1, 1), "day", day(2020, 6, 1), "year"),  # the MDS came first
        (day(1900, 1, 1), None, day(2024, 2, 29), "day"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql_plan.index_value('v.le', 'v.le_p', 'v.mds', 'v.mds_p')} FROM "
            "unnest(%s::date[], %s::text[], %s::date[], %s::text[]) WITH ORDINALITY "
            "AS v(le, le_p, mds, mds_p, i) ORDER BY v.i",
            [list(column) for column in zip(*dates, strict=True)],
        )
        computed = [row[0] for row in cursor.fetchall()]
    expected = []
    for known in dates:
        index = deid.index_date(*known)
        expected.append(0 if index is None else index.date.toordinal() * 2 + index.approximate)
    assert computed == expected
    assert computed[3] % 2 == 1 and computed[1] % 2 == 0


def test_the_wide_table_is_merged_to_its_case_and_the_settings_are_given_back(db):
    """The wide table's planner settings hold for its own statement only: inside them its
    one-row sections join their case by merging (no hash of the growing row), after them
    the session plans as before."""
    policy = deid.Profile("deidentified")
    plans = deid.export_plans(policy)
    connection.ensure_connection()
    sql, name_cases = pipeline._sql_export(CurrentData(), plans, KEY, policy)
    name_cases()
    cursor = connection.connection.cursor()
    for table in sql.numbered_apart:
        sql.number(cursor, table)
    wide = sql.select(plans[0], sql_plan.CSV)
    assert [sql.select(plan, sql_plan.CSV).settings for plan in plans[1:]] == [{}] * (
        len(plans) - 1
    )
    with copy_export.query_settings(cursor, wide.settings):
        cursor.execute("EXPLAIN " + wide.sql, wide.params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Merge Left Join" in plan and "Hash" not in plan, plan
    cursor.execute("SELECT current_setting('enable_hashjoin'), current_setting('enable_sort')")
    assert cursor.fetchone() == ("on", "on")


def test_the_k_report_needs_no_pseudonyms_and_the_files_wait_for_them(db):
    """Naming the cases runs beside the k report: its statement is built before the
    pseudonyms exist; a file's waits for them, and fails (not waits for ever) when they
    could not be computed."""
    policy = deid.Profile("deidentified")
    plans = deid.export_plans(policy)
    connection.ensure_connection()
    sql, _name_cases = pipeline._sql_export(CurrentData(), plans, KEY, policy)
    sql.name(None)  # what naming gives on an error
    grouped = sql.k_groups(plans[0], 5, sex=pipeline.K_SEX, age=pipeline.K_AGE,
                           centre=pipeline.K_CENTRE)  # fmt: skip
    assert "GROUP BY" in grouped.sql  # built without them
    with pytest.raises(RuntimeError, match="pseudonyms could not be computed"):
        sql.select(plans[0], sql_plan.CSV)


def test_row_numbers_read_by_several_statements_are_computed_once(db, monkeypatch):
    """A parent's row numbers that several children's statements read (treatments: lupus
    and haematological responses, adverse events) are numbered once into an array at each
    row's id: the same numbers as the numbering query; numbers one statement reads
    (SLEDAI's, by lupus responses) are joined in it. A statement whose numbers could not be
    computed fails instead of waiting for them."""
    synthetic.generate(cases=12, seed=4, centre_ids=[CentreFactory(code="north").pk])
    policy = deid.Profile("deidentified")
    plans = deid.export_plans(policy)
    connection.ensure_connection()
    sql, name_cases = pipeline._sql_export(CurrentData(), plans, KEY, policy)
    name_cases()
    assert "tx" in sql.numbered_apart and "sledai" not in sql.numbered_apart
    cursor = connection.connection.cursor()
    sql.number(cursor, "tx")
    numbering, params = sql.numbering("tx")
    cursor.execute(numbering, params)
    expected = dict(cursor.fetchall())
    cursor.execute("SELECT %s::int[]", [sql._numbers["tx"].get()])
    numbers = cursor.fetchone()[0]
    assert expected and {key: numbers[key - 1] for key in expected} == expected
    assert sum(n is not None for n in numbers) == len(expected)  # no other row numbered

    monkeypatch.setattr(sql, "numbering", lambda table: ("SELECT 1 / 0 AS key, 1 AS n", ()))
    other = next(table for table in sql.numbered_apart if table != "tx")
    with pytest.raises(DataError):
        sql.number(cursor, other)
    reader = next(p for p in plans if any(r.table == other for r in p.rules if r.at))
    with pytest.raises(RuntimeError, match=f"row numbers of {other} could not be computed"):
        sql.select(reader, sql_plan.CSV)


@pytest.mark.django_db(transaction=True)
def test_when_naming_fails_both_sessions_stop(tmp_path, monkeypatch):
    synthetic.generate(cases=8, seed=2, centre_ids=[CentreFactory(code="north").pk])

    k_report_taken, real_k_report = threading.Event(), pipeline._k_report_sql

    def k_report(*args, **kwargs):
        k_report_taken.set()
        return real_k_report(*args, **kwargs)  # then names its small groups: waits

    def broken(*args, **kwargs):
        k_report_taken.wait(30)  # the other session is in the k report: fail now
        raise MemoryError("no room for the pseudonyms")

    monkeypatch.setattr(pipeline, "_k_report_sql", k_report)
    monkeypatch.setattr(deid, "pseudonyms", broken)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            export(tmp_path, "sql", deid.Profile("deidentified"), use_sql=True)
        except BaseException as error:
            outcome.append(error)
        finally:
            connection.close()  # this thread's

    exporting = threading.Thread(target=run, daemon=True)  # a hung one must not hang pytest
    exporting.start()
    exporting.join(120)  # a session left waiting for the pseudonyms would hang here
    assert not exporting.is_alive()
    assert [type(e) for e in outcome] == [MemoryError]


def test_the_csv_writer_quotes_as_postgresql(db):
    texts = ["plain", "", "a,b", 'a"b', "a\nb", "a\rb", "\\.", " "]
    with connection.cursor() as cursor:
        statement = (
            "COPY (SELECT 1, t FROM unnest(%s::text[]) WITH ORDINALITY AS v(t, i) ORDER BY i) "
            "TO STDOUT (FORMAT csv)"
        )
        with cursor.cursor.copy(statement, [texts]) as copy:
            lines = b"".join(bytes(data) for data in copy).decode()
    assert lines == "".join(f"1,{quoted(t)}\n" for t in texts)


def test_a_case_variable_without_sql_sends_the_wide_table_through_python(
    filled, tmp_path, monkeypatch
):
    from dataclasses import replace

    from cohorts import export_variables
    from exports import extensions

    group = export_variables.ELIGIBILITY
    without_sql = replace(group, variables=tuple(replace(v, sql=None) for v in group.variables))
    monkeypatch.setitem(extensions._GROUPS, group.model, without_sql)
    copied = []
    real = copy_export.write_csv
    monkeypatch.setattr(copy_export, "write_csv", lambda *a, **kw: copied.append(1)
                        or real(*a, **kw))  # fmt: skip
    policy = deid.Profile("deidentified")
    plans = deid.export_plans(policy)
    assert not sql_plan.compilable(plans[0])
    by_sql = export(tmp_path, "sql", policy, use_sql=True, formats=["csv"])
    assert len(copied) == len(plans) - 1  # the wide table went through Python
    by_python = export(tmp_path, "python", policy, use_sql=False, formats=["csv"])
    assert [f.sha256 for f in by_sql.files] == [f.sha256 for f in by_python.files]


def _second_session_finishing_last(monkeypatch) -> None:
    """The second session takes the first file and finishes it after this one's last."""
    from exports import sql_files

    first_taken = threading.Event()
    real_drain = sql_files._drain

    def drain(sql, cursor, take, progress, every):
        second = threading.current_thread() is not threading.main_thread()

        def in_turn():
            if second:
                job = take()
                first_taken.set()
                return job
            first_taken.wait(10)
            return take()

        return real_drain(sql, cursor, in_turn, progress, every)

    def slow(write):
        def written(*args, **kwargs):
            rows = write(*args, **kwargs)
            if threading.current_thread() is not threading.main_thread():
                time.sleep(1)
            return rows

        return written

    monkeypatch.setattr(sql_files, "_drain", drain)
    for name in ("write_csv", "write_parquet"):
        monkeypatch.setattr(copy_export, name, slow(getattr(copy_export, name)))


@pytest.mark.django_db(transaction=True)
def test_in_its_own_snapshot_the_progress_ends_at_the_rows_written(tmp_path, monkeypatch):
    """There the SQL path counts nothing beforehand (the planner's estimates order the files
    and start the progress bar): the progress never goes back, never passes its total, and
    ends at the rows written, whichever session finishes last and however wrong the
    estimates (here too high: withdrawn cases' rows are counted by the statistics)."""
    north = CentreFactory(code="north")
    synthetic.generate(cases=12, seed=3, centre_ids=[north.pk])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    investigator = access.actor_for(user_with_role(Role.INVESTIGATOR, north))
    for case in Case.objects.order_by("code")[:5]:
        case_withdraw(actor=investigator, case=case, based_on=case.version, reason="consent")
    _second_session_finishing_last(monkeypatch)
    result, seen = exported_with_progress(tmp_path)
    rows = 2 * sum(result.manifest["row_counts"].values())
    assert seen[0][0] == 0 and seen[-1] == (rows, rows)
    assert all(done <= total for done, total in seen)
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)


@pytest.mark.django_db(transaction=True)
def test_two_sessions_share_the_snapshot_when_the_export_owns_its_transaction(
    tmp_path, monkeypatch
):
    """Outside a caller's transaction a second session (exports.sql_files) writes files on
    the same exported snapshot: the bytes stay those of the Python path."""
    from exports import sql_files

    centres = [CentreFactory(code=code).pk for code in ("north", "south")]
    synthetic.generate(cases=30, seed=5, centre_ids=centres)
    taken: dict[int, int] = {}  # files written per thread
    real = sql_files._drain

    def drain(sql, cursor, take, progress, every):
        def counted():
            job = take()
            if job is not None:
                ident = threading.get_ident()
                taken[ident] = taken.get(ident, 0) + 1
            return job

        return real(sql, cursor, counted, progress, every)

    monkeypatch.setattr(sql_files, "_drain", drain)
    policy = deid.Profile("deidentified")
    by_sql = export(tmp_path, "sql", policy, use_sql=True)
    assert len(taken) == 2, taken  # this thread and the helper's session both wrote files
    # Every file, the k report, naming the cases, and numbering the rows children point at.
    plans = deid.export_plans(policy)
    numbered = sql_plan.SqlExport(plans, 0, "{}", "{}").numbered_apart
    assert sum(taken.values()) == 2 * len(plans) + 2 + len(numbered)
    by_python = export(tmp_path, "python", policy, use_sql=False)
    assert [(f.name, f.rows, f.sha256) for f in by_sql.files] == [
        (f.name, f.rows, f.sha256) for f in by_python.files
    ]
