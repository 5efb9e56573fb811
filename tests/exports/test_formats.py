"""The file writers: missing data, labels, formula neutralising, determinism, streaming."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from exports.formats import FORMATS, stata_spss, write_table
from exports.formats.columns import ColumnSpec, validate_columns
from exports.formats.csv_file import write_csv
from exports.formats.parquet_file import write_parquet
from exports.formats.stata_spss import (
    DTA_STAMP,
    SAV_DATE,
    SAV_DATE_OFFSET,
    SAV_TIME,
    SAV_TIME_OFFSET,
    stamp_dta,
    stamp_sav,
)

MISSING = ("unknown", "not_done", "not_applicable")
COLUMNS = (
    ColumnSpec("export_id", "export identifier", "text"),
    ColumnSpec(
        "sex", "sex", "code", value_labels=(("female", "Female"), ("male", "Male")),
        missing_codes=MISSING,
    ),
    ColumnSpec("age", "age", "integer", value_labels=((90, "90+"),), top_code=90),
    ColumnSpec("hb", "haemoglobin (g/dL)", "number", missing_reason="hb_missing", unit="g/dL"),
    ColumnSpec("hb_missing", "haemoglobin: reason missing", "code", missing_codes=MISSING),
    ColumnSpec("del5q", "del(5q)", "boolean"),
    ColumnSpec("titre", "ANA titre", "integer", value_labels=((80, "1:80"), (160, "1:160"))),
    ColumnSpec("days", "date of death (days from index date)", "integer", unit="days"),
    ColumnSpec("note", "note", "text"),
)  # fmt: skip
# One row per missing-data state, and text a spreadsheet would run as a formula.
ROWS = (
    ("PAAAAAAAAAAAA", "female", 45, 12.5, None, True, 80, -12, '=HYPERLINK("x")'),
    ("PBBBBBBBBBBBB", "unknown", "90+", None, "not_done", False, None, 0, "+33 1 23"),
    ("PCCCCCCCCCCCC", None, None, None, "unknown", None, 160, None, "-5"),
    ("PDDDDDDDDDDDD", "not_applicable", 70, None, "not_applicable", True, None, 3, "@SUM(A1)"),
    ("PEEEEEEEEEEEE", "male", 61, None, None, False, None, 7, "\tx"),
    ("PFFFFFFFFFFFF", "not_done", 33, 9.0, None, None, None, None, "plain, text"),
)


def write(fmt: str, rows=ROWS, columns=COLUMNS) -> bytes:
    out = io.BytesIO()
    assert write_table(fmt, columns, iter(rows), out, table="cases") == len(rows)
    return out.getvalue()


def read_back(fmt: str, content: bytes):
    """pyreadstat reads from a path only."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t.{fmt}"
        path.write_bytes(content)
        reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
        return reader(str(path), user_missing=True)


# ---- CSV and XLSX ----


def test_csv_keeps_codes_and_blanks_and_neutralises_formulas():
    lines = list(csv.reader(io.StringIO(write("csv").decode("utf-8"))))
    assert lines[0] == [c.name for c in COLUMNS]
    assert lines[1] == [
        "PAAAAAAAAAAAA", "female", "45", "12.5", "", "true", "80", "-12", "'=HYPERLINK(\"x\")",
    ]  # fmt: skip
    assert lines[2] == ["PBBBBBBBBBBBB", "unknown", "90+", "", "not_done", "false", "", "0",
                        "'+33 1 23"]  # fmt: skip
    assert lines[3][1:5] == ["", "", "", "unknown"]  # sex not entered, hb missing: unknown
    assert lines[4][1] == "not_applicable" and lines[4][8] == "'@SUM(A1)"
    assert lines[3][8] == "'-5" and lines[5][8] == "'\tx"  # text, not a number: neutralised
    assert lines[1][7] == "-12"  # a negative number stays a number


def test_xlsx_cells_are_typed_and_never_formulas():
    sheet = openpyxl.load_workbook(io.BytesIO(write("xlsx"))).active
    assert sheet.title == "cases"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [c.name for c in COLUMNS]
    assert rows[1][:8] == ["PAAAAAAAAAAAA", "female", 45, 12.5, None, True, 80, -12]
    assert rows[2][2] == "90+" and rows[2][4] == "not_done"
    assert [r[8] for r in rows[1:5]] == ['\'=HYPERLINK("x")', "'+33 1 23", "'-5", "'@SUM(A1)"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# ---- Parquet ----


def test_parquet_types_nulls_and_labels():
    table = pq.read_table(io.BytesIO(write("parquet")))
    assert [str(t) for t in table.schema.types] == [
        "string", "string", "int64", "double", "string", "bool", "int64", "int64", "string",
    ]  # fmt: skip
    data = table.to_pydict()
    assert data["sex"] == ["female", "unknown", None, "not_applicable", "male", "not_done"]
    assert data["age"] == [45, 90, None, 70, 61, 33]  # 90 stands for "90+"
    assert data["hb"] == [12.5, None, None, None, None, 9.0]
    assert data["note"][0] == '=HYPERLINK("x")'  # not a spreadsheet: left as recorded
    meta = table.schema.field("age").metadata
    assert meta[b"label"] == b"age" and b"90+" in meta[b"value_labels"]
    assert table.schema.field("hb").metadata[b"missing_reason"] == b"hb_missing"


def test_parquet_keeps_min_and_max_of_numbers_not_of_text():
    group = pq.ParquetFile(io.BytesIO(write("parquet"))).metadata.row_group(0)
    stats = {group.column(i).path_in_schema: group.column(i).statistics for i in range(9)}
    assert (stats["age"].min, stats["age"].max) == (33, 90)
    assert (stats["hb"].min, stats["hb"].max) == (9.0, 12.5)
    assert stats["sex"] is None or not stats["sex"].has_min_max


# ---- Stata and SPSS ----


def test_stata_reads_back_with_labels_and_extended_missing():
    frame, meta = read_back("dta", write("dta"))
    assert meta.column_names_to_labels["hb"] == "haemoglobin (g/dL)"
    assert meta.variable_value_labels["sex"] == {
        1: "Female", 2: "Male", "a": "Unknown", "b": "Not done", "c": "Not applicable",
    }  # fmt: skip
    assert meta.variable_value_labels["del5q"] == {0: "No", 1: "Yes"}
    assert meta.variable_value_labels["age"] == {90: "90+"}
    assert _same(frame["sex"], [1, "a", None, "c", 2, "b"])
    # The measured value carries its companion's reason; not entered stays system missing.
    assert _same(frame["hb"], [12.5, "b", "a", "c", None, 9.0])
    assert _same(frame["age"], [45, 90, None, 70, 61, 33])
    assert list(frame["note"])[2] == "-5" and list(frame["note"])[1] == "+33 1 23"


def test_spss_reads_back_with_labels_and_user_missing():
    frame, meta = read_back("sav", write("sav"))
    assert meta.column_names_to_labels["sex"] == "sex"
    assert meta.variable_value_labels["sex"] == {
        1.0: "Female", 2.0: "Male", -1.0: "Unknown", -2.0: "Not done", -3.0: "Not applicable",
    }  # fmt: skip
    assert meta.missing_ranges["hb"] == [{"lo": v, "hi": v} for v in (-1.0, -2.0, -3.0)]
    assert _same(frame["sex"], [1, -1, None, -3, 2, -2])
    assert _same(frame["hb"], [12.5, -2, -1, -3, None, 9.0])
    assert _same(frame["titre"], [80, None, 160, None, None, None])
    assert meta.variable_value_labels["titre"] == {80.0: "1:80", 160.0: "1:160"}
    assert meta.variable_measure["hb"] == "scale" and meta.variable_measure["sex"] == "nominal"
    # Without user-missing, SPSS treats the codes as missing.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.sav"
        path.write_bytes(write("sav"))
        plain, _meta = pyreadstat.read_sav(str(path))
    assert _same(plain["sex"], [1, None, None, None, 2, None])


def test_stata_keeps_32_character_names_with_their_value_labels():
    # pyreadstat would name the label set "<name><counter>": too long for Stata by itself.
    long = "dem_last_followup_date_precision"
    precision = (("day", "Day"), ("month", "Month"), ("year", "Year"))
    columns = [ColumnSpec(f"c{i}", f"item {i}", "boolean") for i in range(11)]
    columns.append(ColumnSpec(long, "date of last follow-up: known to the", "code",
                              value_labels=precision))  # fmt: skip
    rows = [(*[True] * 11, "month"), (*[False] * 11, None)]
    frame, meta = read_back("dta", write("dta", rows=rows, columns=columns))
    assert list(frame.columns) == [c.name for c in columns]
    assert meta.column_names_to_labels[long] == "date of last follow-up: known to the"
    assert meta.variable_value_labels[long] == {1: "Day", 2: "Month", 3: "Year"}
    assert _same(frame[long], [2, None]) and _same(frame["c10"], [1, 0])


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_gathering_in_chunks_changes_nothing(fmt, monkeypatch):
    whole = write(fmt)
    # Chunks of two rows: some hold .a/.b/.c, some only numbers; they join into one column.
    monkeypatch.setattr(stata_spss, "CHUNK_ROWS", 2)
    assert write(fmt) == whole


def test_stata_refuses_a_code_the_dictionary_does_not_know():
    rows = [("P1", "femme", 40, None, None, True, None, None, "")]
    with pytest.raises(ValueError, match="sex: 'femme' is not one of its codes"):
        write("dta", rows=rows)


def _same(series, expected) -> bool:
    """Compare cells, treating NaN/None as the same missing value."""
    got = [None if (isinstance(v, float) and v != v) or v is None else v for v in series]
    assert got == expected, got
    return True


# ---- determinism ----


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_runs_give_identical_bytes(fmt):
    first, second = write(fmt), write(fmt)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_xlsx_carries_no_time_of_writing():
    archive = zipfile.ZipFile(io.BytesIO(write("xlsx")))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified


def test_xlsx_bytes_do_not_depend_on_the_target_being_seekable():
    class Stream:
        def __init__(self):
            self.chunks = []

        def write(self, data):
            self.chunks.append(bytes(data))
            return len(data)

        def flush(self):
            pass

    stream = Stream()
    write_table("xlsx", COLUMNS, iter(ROWS), stream, table="cases")
    assert b"".join(stream.chunks) == write("xlsx")


def _xlsx_by_openpyxl(columns, rows) -> bytes:
    """The reference: every row appended to openpyxl's write-only sheet, as the writer did
    before it serialised the data rows itself (same values, same archive)."""
    from openpyxl.writer.excel import ExcelWriter

    from exports.formats import xlsx_file
    from exports.formats.columns import CODE, TEXT, as_number

    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = xlsx_file.FIXED_TIME
    workbook.properties.creator = "registry"
    sheet = workbook.create_sheet("cases")
    sheet.append([c.name for c in columns])
    texts = [c.kind in (TEXT, CODE) for c in columns]
    for row in rows:
        sheet.append(
            [xlsx_file._text(v) if t else as_number(v) for t, v in zip(texts, row, strict=True)]
        )
    out = io.BytesIO()
    archive = xlsx_file._FixedTimeZipFile(
        xlsx_file._ForwardOnly(out), "w", zipfile.ZIP_DEFLATED, allowZip64=True
    )
    with archive:
        ExcelWriter(workbook, archive).save()
    return out.getvalue()


def test_xlsx_data_rows_are_written_byte_for_byte_as_openpyxl_writes_them():
    columns = (
        ColumnSpec("t", "text", "text"),
        ColumnSpec("c", "code", "code"),
        ColumnSpec("n", "number", "number"),
        ColumnSpec("i", "integer", "integer"),
        ColumnSpec("b", "boolean", "boolean"),
    )
    rows = [
        *(row[:5] for row in ROWS),
        ('x<&>"y', " lead", 1.5, 3, True),  # escaped text; blanks kept
        ("trail ", "  ", 2.0, -5, False),  # blanks only: no xml:space
        ("a\nb\rc", "", float("nan"), 10**17, None),  # line breaks; empty text; big int
        ("ünï ✓", "#N/A", float("inf"), 0, True),  # an error code: openpyxl's own cell
        ("\x01x\x1f", "x" * 40_000, -0.0, None, None),  # control characters; truncated
        (None, None, None, None, None),  # an empty row
        ("=", "1", 1e-7, 2**53 + 1, False),
        ("d", None, datetime.date(2020, 1, 2), None, 0.1 + 0.2),  # any other type
        ("d", "#N/A", datetime.date(2020, 1, 2), 1, True),  # met again: not remembered
        ("1", "1", 1, 1.0, 1),  # equal values of other types are other cells
        ("True", "1", True, 1, 1.0),
        ("0", "0", 0.0, 0, False),  # zero float first, then the negative zero
        ("-0", "-0", -0.0, 0, 0.0),
    ]
    assert write("xlsx", rows=rows, columns=columns) == _xlsx_by_openpyxl(columns, rows)
    assert write("xlsx") == _xlsx_by_openpyxl(COLUMNS, ROWS)


def _raw_readstat(fmt: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / f"t.{fmt}")
        frame = pd.DataFrame({"x": [1.0, 2.0]})
        (pyreadstat.write_dta if fmt == "dta" else pyreadstat.write_sav)(frame, path)
        return Path(path).read_bytes()


def test_dta_stamp_replaces_readstats_time_of_writing():
    raw = _raw_readstat("dta")
    at = raw.index(b"<timestamp>") + len(b"<timestamp>")
    assert raw[at] == 17
    now = datetime.datetime.now()
    # What ReadStat wrote there is the time of writing (to the minute; allow a tick over).
    written = datetime.datetime.strptime(raw[at + 1 : at + 18].decode(), "%d %b %Y %H:%M")
    assert abs((now - written).total_seconds()) < 120
    file = io.BytesIO(raw)
    stamp_dta(file)
    stamped = file.getvalue()
    assert stamped[at + 1 : at + 18] == DTA_STAMP
    assert len(stamped) == len(raw) and stamped[: at + 1] == raw[: at + 1]
    assert stamped[at + 18 :] == raw[at + 18 :]


def test_sav_stamp_replaces_readstats_time_of_writing():
    raw = _raw_readstat("sav")
    now = datetime.datetime.now()
    written = datetime.datetime.strptime(
        raw[SAV_DATE_OFFSET : SAV_TIME_OFFSET + 8].decode(), "%d %b %y%H:%M:%S"
    )
    assert abs((now - written).total_seconds()) < 120
    file = io.BytesIO(raw)
    stamp_sav(file)
    stamped = file.getvalue()
    assert stamped[SAV_DATE_OFFSET : SAV_DATE_OFFSET + 9] == SAV_DATE
    assert stamped[SAV_TIME_OFFSET : SAV_TIME_OFFSET + 8] == SAV_TIME
    assert stamped[:SAV_DATE_OFFSET] == raw[:SAV_DATE_OFFSET]
    assert stamped[SAV_TIME_OFFSET + 8 :] == raw[SAV_TIME_OFFSET + 8 :]


# ---- streaming ----


def test_csv_writes_each_row_before_reading_the_next():
    out = io.BytesIO()
    seen_before_pull: list[int] = []

    def rows():
        for number, row in enumerate(ROWS):
            seen_before_pull.append(out.getvalue().count(b"\n"))
            yield row
            assert number < len(ROWS)

    write_csv(COLUMNS, rows(), out)
    # Before pulling row n, the header and rows 1..n-1 are already written.
    assert seen_before_pull == list(range(1, len(ROWS) + 1))


def test_parquet_flushes_fixed_size_row_groups_as_it_goes():
    out = io.BytesIO()
    sizes_when_pulled: list[int] = []

    def rows():
        for row in ROWS:
            sizes_when_pulled.append(len(out.getvalue()))
            yield row

    assert write_parquet(COLUMNS, rows(), out, row_group_size=2) == 6
    # A row group is written once full: the file grows after rows 2 and 4 were handed over.
    assert sizes_when_pulled[1] == sizes_when_pulled[0]
    assert sizes_when_pulled[2] > sizes_when_pulled[1]
    assert sizes_when_pulled[4] > sizes_when_pulled[3]
    meta = pq.ParquetFile(io.BytesIO(out.getvalue())).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [2, 2, 2]


@pytest.mark.parametrize("fmt", FORMATS)
def test_writers_consume_a_generator_once_and_count_rows(fmt):
    pulled = []

    def rows():
        for row in ROWS:
            pulled.append(row[0])
            yield row

    assert write_table(fmt, COLUMNS, rows(), io.BytesIO()) == len(ROWS)
    assert pulled == [r[0] for r in ROWS]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_table_is_still_a_valid_file(fmt):
    content = write(fmt, rows=())
    assert content
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(content)).num_rows == 0


# ---- names ----


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 33, "at most 32"),
        ("Sex", "lower-case"),
        ("1st", "starting with a letter"),
        ("dem-sex", "underscores"),
        ("in", "reserved"),
        ("with", "reserved"),
    ],
)
def test_variable_names_must_suit_stata_and_spss(name, message):
    with pytest.raises(ValueError, match=message):
        validate_columns([ColumnSpec(name, "x", "text")])


def test_names_must_be_unique_and_companions_present():
    with pytest.raises(ValueError, match="appears twice"):
        validate_columns([ColumnSpec("x", "x", "text"), ColumnSpec("x", "y", "text")])
    with pytest.raises(ValueError, match="hb_missing"):
        validate_columns([ColumnSpec("hb", "hb", "number", missing_reason="hb_missing")])
    validate_columns(COLUMNS)  # the fixture itself is valid


def test_write_table_refuses_an_unknown_format_and_a_short_row():
    with pytest.raises(ValueError, match="choose one of csv, xlsx, dta, sav, parquet"):
        write_table("ods", COLUMNS, [], io.BytesIO())
    with pytest.raises(ValueError, match="Row 1 has 2 values for 9 columns"):
        write_table("csv", COLUMNS, [("P1", "male")], io.BytesIO())
