"""The benchmark table: each figure beside its target, printed and kept in bench/results.json."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results.json"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str  # e.g. ">= 5000", "< 15"
    met: bool
    note: str = ""


_FIGURES: list[Figure] = []


def record(name: str, value: float, unit: str, target: str, note: str = "") -> Figure:
    op, _, bound = target.partition(" ")
    limit = float(bound)
    met = {">=": value >= limit, ">": value > limit, "<=": value <= limit, "<": value < limit}[op]
    figure = Figure(name, round(value, 3), unit, target, met, note)
    _FIGURES.append(figure)
    return figure


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
    }


def write_and_print() -> None:
    if not _FIGURES:
        return
    width = max(len(f.name) for f in _FIGURES)
    print("\n" + "benchmark".ljust(width), "  value          target       met")
    for f in _FIGURES:
        value = f"{f.value:,.1f} {f.unit}"
        print(
            f"{f.name.ljust(width)}  {value:<14} {f.target:<12} {'yes' if f.met else 'NO'}"
            + (f"  ({f.note})" if f.note else "")
        )
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    figures = {**previous.get("figures", {}), **{f.name: asdict(f) for f in _FIGURES}}
    RESULTS.write_text(json.dumps({"machine": machine(), "figures": figures}, indent=2) + "\n")
    print(f"written to {RESULTS}")
