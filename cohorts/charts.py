"""Server-rendered SVG charts: geometry computed here, drawn by
`cohorts/templates/cohorts/charts/bars.html` (no script, no inline style: CSP-safe; colours
are SVG presentation attributes). Each chart carries its numbers as text too, and the page
shows the same numbers in a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Colour-blind safe (Okabe–Ito), dark enough for white labels beside them.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")

WIDTH = 640
LABEL_WIDTH = 170
BAR_HEIGHT = 22
GAP = 8
TOP = 8


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    value: int
    series: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    total: int
    segments: list[Segment]

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT * 0.7

    @property
    def end_x(self) -> float:
        return (
            (self.segments[-1].x + self.segments[-1].width + 6)
            if self.segments
            else LABEL_WIDTH + 6
        )


@dataclass(frozen=True)
class Legend:
    label: str
    colour: str


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    legend: list[Legend] = field(default_factory=list)
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return int(TOP * 2 + len(self.bars) * (BAR_HEIGHT + GAP))


def stacked(title: str, rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[str]) -> Chart:
    """Horizontal stacked bars: one bar per row, one segment per series value."""
    biggest = max((sum(values) for _label, values in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    bars = []
    for i, (label, values) in enumerate(rows):
        x = float(LABEL_WIDTH)
        segments = []
        for j, value in enumerate(values):
            if value:
                width = span * value / biggest
                segments.append(Segment(x, width, PALETTE[j % len(PALETTE)], value, series[j]))
                x += width
        bars.append(Bar(label, TOP + i * (BAR_HEIGHT + GAP), sum(values), segments))
    legend = [Legend(s, PALETTE[j % len(PALETTE)]) for j, s in enumerate(series)]
    return Chart(title, bars, legend if len(series) > 1 else [])


def simple(title: str, rows: Sequence[tuple[str, int]], series: str = "") -> Chart:
    return stacked(title, [(label, [value]) for label, value in rows], [series])
