"""Treatments and their responses as the tables read them (Table 2, Figure 3).

Rows hang together by row ids: a response carries its treatment's `row_id` as `tx_row_id`.
A treatment row with several responses keeps the first (lowest `row_id`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from crf.models import HaematologicalResponse, LupusResponse, Treatment

from . import columns as col
from .data import StudyData, coded_values, numbers, per_export

# Clone-directed agents count as haematological treatment whatever their target.
CLONE_DIRECTED = frozenset({"azacitidine", "decitabine", "venetoclax", "allo_hsct"})
HAEM_TARGETS = frozenset({"haematological", "both"})


@per_export
def case_treatments(data: StudyData) -> pd.DataFrame:
    """The cases' treatment rows, codes checked (None when missing), cycles as numbers."""
    tx = data.table(col.TX, col.ROW_ID, col.TX_AGENT, col.TX_REGIMEN, col.TX_TARGET, col.TX_CYCLES)
    tx = tx[tx[col.EXPORT_ID].isin(data.ids("case")).to_numpy()]
    for name in (col.TX_AGENT, col.TX_REGIMEN, col.TX_TARGET):
        tx[name] = coded_values(
            tx[name], valid=col.codes(Treatment, name), column=f"{col.TX}.{name}"
        )
    tx[col.TX_CYCLES] = numbers(tx[col.TX_CYCLES], column=f"{col.TX}.{col.TX_CYCLES}").values
    return tx


def is_haematological(tx: pd.DataFrame) -> pd.Series:
    return tx[col.TX_AGENT].isin(CLONE_DIRECTED) | tx[col.TX_TARGET].isin(HAEM_TARGETS)


def _first_per_treatment(rows: pd.DataFrame, values: list[object]) -> dict[object, object]:
    found: dict[object, object] = {}
    for tx_row, value in zip(rows[col.RESP_TX].tolist(), values, strict=True):
        found.setdefault(tx_row, value)
    return found


@per_export
def lupus_responses(data: StudyData) -> dict[object, str | None]:
    """Per treatment row id: the lupus response, derived by the registry else recorded."""
    rows = data.table(col.LRESP, col.RESP_TX, col.LRESP_RECORDED, col.LRESP_DERIVED)
    valid = col.codes(LupusResponse, col.LRESP_RECORDED) | col.codes(
        LupusResponse, col.LRESP_DERIVED
    )
    derived = coded_values(rows[col.LRESP_DERIVED], valid=valid, column=f"{col.LRESP}.derived")
    recorded = coded_values(rows[col.LRESP_RECORDED], valid=valid, column=f"{col.LRESP}.recorded")
    best = [d or r for d, r in zip(derived.tolist(), recorded.tolist(), strict=True)]
    return _first_per_treatment(rows, best)  # type: ignore[return-value]


@dataclass(frozen=True)
class HaemResponse:
    category: str | None
    criteria: str | None
    baseline_bm_blasts: float | None


@per_export
def haem_responses(data: StudyData) -> dict[object, HaemResponse]:
    rows = data.table(
        col.HRESP, col.RESP_TX, col.HRESP_CRITERIA, col.HRESP_CATEGORY, col.HRESP_BASELINE_BLASTS
    )

    def codes(name: str) -> list[object]:
        return coded_values(
            rows[name], valid=col.codes(HaematologicalResponse, name), column=f"{col.HRESP}.{name}"
        ).tolist()

    blasts = numbers(
        rows[col.HRESP_BASELINE_BLASTS], column=f"{col.HRESP}.{col.HRESP_BASELINE_BLASTS}"
    ).values.tolist()
    responses = [
        HaemResponse(category, criteria, None if math.isnan(b) else b)
        for category, criteria, b in zip(
            codes(col.HRESP_CATEGORY), codes(col.HRESP_CRITERIA), blasts, strict=True
        )
    ]
    return _first_per_treatment(rows, responses)  # type: ignore[return-value]
