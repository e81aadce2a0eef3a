"""Geometry of the dashboard's won/lost bar chart, drawn server-side as inline SVG (no
JavaScript, no chart library): every number the template needs, so that it only prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tenant_apps.crm.dashboard import MonthCount

WIDTH = 600
HEIGHT = 220
TOP = 16
BOTTOM = 28  # room for the month labels
LEFT = 8
BAR_GAP = 2


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int

    @property
    def label_y(self) -> float:
        return round(self.y - 3, 1)


@dataclass
class MonthBars:
    month: MonthCount
    won: Bar
    lost: Bar
    label_x: float


@dataclass
class Chart:
    width: int
    height: int
    baseline: float
    months: list[MonthBars]
    peak: int


def won_lost_chart(months: Sequence[MonthCount]) -> Chart:
    """Two bars per month (won, lost), scaled to the largest count."""
    peak = max([1, *(max(m.won, m.lost) for m in months)])
    plot = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    slot = (WIDTH - 2 * LEFT) / max(len(months), 1)
    bar = (slot - 4 * BAR_GAP) / 2

    def make(x: float, value: int) -> Bar:
        height = round(plot * value / peak, 1)
        return Bar(round(x, 1), round(baseline - height, 1), round(bar, 1), height, value)

    bars = []
    for i, month in enumerate(months):
        x = LEFT + i * slot + BAR_GAP
        bars.append(
            MonthBars(
                month=month,
                won=make(x, month.won),
                lost=make(x + bar + BAR_GAP, month.lost),
                label_x=round(LEFT + i * slot + slot / 2, 1),
            )
        )
    return Chart(WIDTH, HEIGHT, baseline, bars, peak)
