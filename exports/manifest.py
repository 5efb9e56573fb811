"""manifest.json: what an export holds, so a download can be checked, cited and reproduced.

It lists every file (name, table, format, rows, SHA-256, bytes), the row count of each table,
the dictionary version (a hash of the data dictionary), the freeze the data come from (or
null: the current data), the de-identification profile, when it was made and by which
version of the registry. `DigestWriter` hashes and counts a file while a writer streams it,
so nothing is read twice.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from exports.deid import Profile
from exports.dictionary import DictionaryEntry
from exports.dictionary import to_json as dictionary_json

MANIFEST_VERSION = 1
SOFTWARE_VERSION_FALLBACK = "registry-unversioned"
CURRENT_DATA = "current data (not a frozen snapshot): a later export may differ"
_REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class FileRecord:
    name: str
    table: str  # the table it holds ("" for the codebook and other documents)
    format: str
    rows: int | None  # data rows (None for documents)
    sha256: str
    bytes: int


class DigestWriter(io.RawIOBase):
    """A write-only, non-seekable file that forwards to `target`, hashing and counting."""

    def __init__(self, target: BinaryIO):
        super().__init__()
        self._target = target
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self._hash.update(view)
        self._target.write(view)
        self.size += len(view)
        return len(view)

    def tell(self) -> int:  # zipfile and pyarrow ask where they are; seeking stays refused
        return self.size

    def flush(self) -> None:
        self._target.flush()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def record(self, name: str, *, table: str, fmt: str, rows: int | None) -> FileRecord:
        return FileRecord(name, table, fmt, rows, self.sha256, self.size)


def file_record(
    name: str, content: bytes, *, table: str = "", fmt: str, rows: int | None = None
) -> FileRecord:
    """The record of a file already in memory (the codebook, a README)."""
    return FileRecord(name, table, fmt, rows, hashlib.sha256(content).hexdigest(), len(content))


def dictionary_version(entries: Iterable[DictionaryEntry]) -> str:
    """A hash of the data dictionary: two exports with the same value share every definition."""
    return "sha256:" + hashlib.sha256(dictionary_json(list(entries)).encode()).hexdigest()


@lru_cache(maxsize=1)
def software_version() -> str:
    """`git describe` of the registry's checkout, or a constant where there is no git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(_REPO), "describe", "--tags", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return SOFTWARE_VERSION_FALLBACK
    return done.stdout.strip() or SOFTWARE_VERSION_FALLBACK


def build_manifest(
    *,
    files: Sequence[FileRecord],
    profile: Profile,
    dictionary_version: str,
    freeze_id: int | str | None,
    created_at: datetime.datetime,
    software_version: str,
) -> dict:
    if created_at.tzinfo is None:
        raise ValueError("created_at must carry its time zone (use django.utils.timezone.now).")
    rows: dict[str, int] = {}
    for f in files:
        if f.table and f.rows is not None:
            if rows.setdefault(f.table, f.rows) != f.rows:
                raise ValueError(
                    f"Table {f.table}: {f.name} has {f.rows} rows, another file of it "
                    f"{rows[f.table]}; every format of a table must hold the same rows."
                )
    return {
        "manifest_version": MANIFEST_VERSION,
        "created_at": created_at.astimezone(datetime.UTC).isoformat(),
        "software_version": software_version,
        "dictionary_version": dictionary_version,
        "freeze": {
            "id": freeze_id,
            "data": CURRENT_DATA if freeze_id is None else f"frozen snapshot {freeze_id}",
        },
        "profile": profile.as_dict(),
        "row_counts": rows,
        "files": [asdict(f) for f in files],
    }


def to_json(manifest: dict) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
