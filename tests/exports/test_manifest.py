"""manifest.json: file hashes while streaming, dictionary version, freeze, software version."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import json
import subprocess
import zipfile

import openpyxl
import pyarrow.parquet as pq
import pytest

from exports import manifest
from exports.deid import Profile
from exports.dictionary import dictionary_rows
from exports.formats import FORMATS, write_table
from exports.formats.columns import ColumnSpec
from exports.manifest import (
    CURRENT_DATA,
    SOFTWARE_VERSION_FALLBACK,
    DigestWriter,
    FileRecord,
    build_manifest,
    dictionary_version,
    file_record,
    software_version,
    to_json,
)

COLUMNS = (ColumnSpec("export_id", "export identifier", "text"), ColumnSpec("n", "n", "integer"))
ROWS = [("P1", 1), ("P2", None), ("P3", 3)]
CREATED = datetime.datetime(2025, 3, 4, 10, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize("fmt", FORMATS)
def test_digest_writer_hashes_what_the_writer_streams(fmt):
    target = io.BytesIO()
    digest = DigestWriter(target)
    rows = write_table(fmt, COLUMNS, iter(ROWS), digest, table="cases")
    content = target.getvalue()
    record = digest.record(f"cases.{fmt}", table="cases", fmt=fmt, rows=rows)
    assert record == FileRecord(
        f"cases.{fmt}", "cases", fmt, 3, hashlib.sha256(content).hexdigest(), len(content)
    )
    # What went through the digest is a complete, readable file.
    if fmt == "xlsx":
        assert openpyxl.load_workbook(io.BytesIO(content)).active.max_row == 4
        assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(content)).num_rows == 3


def test_digest_writer_refuses_to_seek():
    digest = DigestWriter(io.BytesIO())
    digest.write(b"abc")
    assert digest.tell() == 3 and not digest.seekable()
    with pytest.raises(OSError):
        digest.seek(0)


def test_file_record_of_content_in_memory():
    record = file_record("codebook.json", b"{}\n", fmt="json")
    assert record == FileRecord(
        "codebook.json", "", "json", None, hashlib.sha256(b"{}\n").hexdigest(), 3
    )


def test_dictionary_version_changes_with_the_dictionary():
    entries = dictionary_rows()
    version = dictionary_version(entries)
    assert version.startswith("sha256:") and len(version) == len("sha256:") + 64
    assert dictionary_version(dictionary_rows()) == version
    relabelled = [dataclasses.replace(entries[0], label="something else"), *entries[1:]]
    assert dictionary_version(relabelled) != version


def test_software_version_is_git_describe_or_a_constant(monkeypatch):
    software_version.cache_clear()
    described = subprocess.run(
        ["git", "describe", "--tags", "--always", "--dirty"],
        capture_output=True,
        text=True,
        cwd=manifest._REPO,
    ).stdout.strip()
    assert software_version() == described
    software_version.cache_clear()

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(manifest.subprocess, "run", no_git)
    assert software_version() == SOFTWARE_VERSION_FALLBACK
    software_version.cache_clear()


def files() -> list[FileRecord]:
    return [
        FileRecord("cases.csv", "cases", "csv", 24, "a" * 64, 100),
        FileRecord("cases.dta", "cases", "dta", 24, "b" * 64, 900),
        FileRecord("tx.csv", "tx", "csv", 41, "c" * 64, 80),
        FileRecord("codebook.csv", "", "csv", None, "d" * 64, 50),
    ]


def test_manifest_lists_files_counts_profile_and_versions():
    profile = Profile("statistician", date_mode="year")
    document = build_manifest(
        files=files(),
        profile=profile,
        dictionary_version="sha256:" + "e" * 64,
        freeze_id=None,
        created_at=CREATED,
        software_version="v1.2-3-gabc",
    )
    assert document["row_counts"] == {"cases": 24, "tx": 41}
    assert document["freeze"] == {"id": None, "data": CURRENT_DATA}
    assert "current data" in document["freeze"]["data"]
    assert document["profile"]["date_mode"] == "year"
    assert document["created_at"] == "2025-03-04T10:30:00+00:00"
    assert document["files"][1] == {
        "name": "cases.dta", "table": "cases", "format": "dta", "rows": 24,
        "sha256": "b" * 64, "bytes": 900,
    }  # fmt: skip
    assert json.loads(to_json(document)) == document


def test_manifest_of_a_freeze_names_it():
    document = build_manifest(
        files=files(),
        profile=Profile("statistician"),
        dictionary_version="sha256:x",
        freeze_id=7,
        created_at=CREATED,
        software_version="v1",
    )
    assert document["freeze"] == {"id": 7, "data": "frozen snapshot 7"}


def test_manifest_refuses_naive_times_and_disagreeing_row_counts():
    common = dict(
        profile=Profile("p"), dictionary_version="x", freeze_id=None, software_version="v"
    )
    with pytest.raises(ValueError, match="time zone"):
        build_manifest(files=files(), created_at=datetime.datetime(2025, 1, 1), **common)
    bad = [*files(), FileRecord("cases.sav", "cases", "sav", 23, "f" * 64, 1)]
    with pytest.raises(ValueError, match="cases.sav has 23 rows, another file of it 24"):
        build_manifest(files=bad, created_at=CREATED, **common)
