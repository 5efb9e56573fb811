"""The study's analysis from an export's de-identified files (never from the database).

`read_export(open_file, names)` reads the CSV files of an export (or its Parquet files when
there is no CSV) back into the analysis' `StudyData`; `study_tables(data)` computes Table 1,
the case-control comparison, Table 2, Figure 3's counts and the Results' counts;
`write_study(data, out)` writes them as CSV (printed tables, and every number with the
export ids it counts), and Figure 3 as PNG and SVG.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow.parquet as pq

from exports import analysis, deid
from exports.analysis import columns
from registry.gcpause import collector_paused

Opener = Callable[[str], AbstractContextManager[IO[bytes]]]
TABLES = ("table1", "case_control", "table2", "figure3", "results")


class NoAnalysableFiles(ValueError):
    """The export has no CSV or Parquet table to read."""


@collector_paused()  # millions of long-lived small objects: the passes found nothing
def read_export(open_file: Opener, names: Iterable[str]) -> analysis.StudyData:
    """The export's tables (CSV preferred: it keeps "90+" and the missing-data codes as
    written) as the analysis reads them: only the tables and columns it reads
    (`analysis.columns`); `names` are the export's file names."""
    names = set(names)
    reads = {deid.WIDE_TABLE: columns.WIDE_READS, **columns.LONG_READS}
    for ext in ("csv", "parquet"):
        if f"{deid.WIDE_TABLE}.{ext}" in names:
            frames = {
                table: _read(open_file, f"{table}.{ext}", ext, wanted)
                for table, wanted in reads.items()
                if f"{table}.{ext}" in names
            }
            cases = frames.pop(deid.WIDE_TABLE)
            return analysis.StudyData(cases, frames)
    raise NoAnalysableFiles(
        "This export has no CSV or Parquet file of the cases table: start an export with "
        "CSV or Parquet to compute the study's tables."
    )


def _read(open_file: Opener, name: str, ext: str, wanted: Collection[str]) -> pd.DataFrame:
    """The `wanted` columns the file has, in the file's order (every value text in a CSV)."""
    with open_file(name) as handle:
        content = handle.read()
    if ext == "csv":
        end = content.find(b"\n")  # the header, without copying the rest
        first_line = content[: end if end >= 0 else len(content)].decode("utf-8")
        header = next(csv.reader(io.StringIO(first_line)), [])
        present = [c for c in header if c in wanted]
        # Arrow's reader: several times faster than pandas' own on the wide table.
        return pd.read_csv(
            io.BytesIO(content), dtype=str, keep_default_na=False, usecols=present, engine="pyarrow"
        )
    parquet = pq.read_table(io.BytesIO(content))
    return parquet.select([c for c in parquet.column_names if c in wanted]).to_pandas()


def read_directory(directory: Path) -> analysis.StudyData:
    directory = Path(directory)
    return read_export(lambda name: (directory / name).open("rb"), _names(directory))


def _names(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.is_file()]


@collector_paused()
def study_tables(data: analysis.StudyData) -> dict[str, analysis.AnalysisTable]:
    return {
        "table1": analysis.table1(data),
        "case_control": analysis.case_control(data),
        "table2": analysis.table2(data),
        "figure3": analysis.figure3_counts(data),
        "results": analysis.results_counts(data),
    }


@collector_paused()
def write_study(data: analysis.StudyData, out: Path) -> list[Path]:
    """Every table as `<key>.csv`, all numbers in `numbers.csv`, Figure 3 as PNG and SVG."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = study_tables(data)
    written = []
    for key, table in tables.items():
        path = out / f"{key}.csv"
        path.write_text(analysis.to_csv(table), encoding="utf-8")
        written.append(path)
    path = out / "numbers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        analysis.write_numbers_csv(tables.values(), handle)
    written.append(path)
    for fmt in ("png", "svg"):
        path = out / f"figure3.{fmt}"
        path.write_bytes(analysis.render_figure3(tables["figure3"], format=fmt))  # type: ignore[arg-type]
        written.append(path)
    return written
