"""What a benchmark module returns, and small helpers for writing one."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

# --- What a benchmark returns -------------------------------------------------------------


@dataclass
class Target:
    name: str  # e.g. "ours median"
    threshold: str  # e.g. "<= 0.500 s"
    measured: str  # e.g. "0.081 s"
    passed: bool


@dataclass
class Result:
    """One benchmark's output: one table (columns + rows), targets, notes, raw numbers."""

    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)  # JSON only (e.g. every timing)
    name: str = ""
    seconds: float = 0.0
    error: str | None = None


class BenchTimeout(RuntimeError):
    pass


@dataclass
class Context:
    started: float
    budget: float

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def check_deadline(self) -> None:
        """Call in long loops: aborts the benchmark instead of running past the budget."""
        if self.elapsed() > self.budget:
            raise BenchTimeout(f"time budget of {self.budget:.0f} s exceeded")

    def progress(self, message: str) -> None:
        print(f"[{self.elapsed():7.1f}s] {message}", flush=True)


# --- Small statistics helpers for benchmark modules ---------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (for 20 samples: the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s"
