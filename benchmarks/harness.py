"""Figures, targets and the printed table (also written to bench/results.json)."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results.json"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""  # e.g. "<= 2.0" or ">= 5000"; blank: reported, no target
    reference: str = ""  # what the value is a ratio to, when it is a ratio

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        op, bound = self.target.split()
        return self.value <= float(bound) if op == "<=" else self.value >= float(bound)


@dataclass
class Bench:
    cases: int
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, name: str, value: float, unit: str, target: str = "", reference: str = ""):
        figure = Figure(name, round(value, 3), unit, target, reference)
        self.figures.append(figure)
        print(f"  {_line(figure)}", flush=True)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


@contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then `t[0]` is the elapsed seconds."""
    out: list[float] = []
    started = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - started)


def _line(f: Figure) -> str:
    verdict = {True: "ok", False: "MISSED", None: ""}[f.met]
    ref = f" (vs {f.reference})" if f.reference else ""
    return f"{f.name:<58} {f.value:>12,.3f} {f.unit:<10} {f.target:<10} {verdict}{ref}"


def machine() -> dict[str, object]:
    import psutil

    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def report(bench: Bench, postgres: str) -> None:
    print("\n" + "=" * 100)
    print(f"Benchmark: {bench.cases:,} cases; {postgres}")
    print(f"{'figure':<58} {'value':>12} {'unit':<10} {'target':<10}")
    for figure in bench.figures:
        print(_line(figure))
    missed = [f.name for f in bench.figures if f.met is False]
    print(f"targets missed: {len(missed)}" + (f" ({'; '.join(missed)})" if missed else ""))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "cases": bench.cases,
                "machine": machine(),
                "postgres": postgres,
                "figures": [asdict(f) | {"met": f.met} for f in bench.figures],
                "notes": bench.notes,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS.relative_to(RESULTS.parents[1])}")
