"""A server-rendered SVG bar chart: the geometry as plain numbers for the template.

Sized for a phone: the view box is 360 units wide, about the screen's width, so the
labels keep their size instead of shrinking with the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, BASELINE, TOP = 360, 210, 160, 22


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    sublabel: str  # e.g. the year under the first month and under January

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: int
    bars: tuple[Bar, ...]
    maximum: int


def bar_chart(points: Sequence[tuple[str, str, int]]) -> BarChart:
    """One bar per (label, sublabel, value), scaled so that the largest value reaches the
    top; the scale starts at 0 and is at least 1, so a year without data draws flat."""
    maximum = max([1, *(value for _label, _sub, value in points)])
    slot = WIDTH / max(len(points), 1)
    usable = BASELINE - TOP
    bars = tuple(
        Bar(x=round(i * slot + slot * 0.15, 1), y=round(BASELINE - usable * v / maximum, 1),
            width=round(slot * 0.7, 1), height=round(usable * v / maximum, 1), value=v,
            label=label, sublabel=sub)
        for i, (label, sub, v) in enumerate(points))
    return BarChart(WIDTH, HEIGHT, BASELINE, bars, maximum)
