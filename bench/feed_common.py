"""What bench/feed.py's parts share: where things are, the goals, printing."""

from __future__ import annotations

import math
import os
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_NAME = "koe_bench_feed"

GOAL_FEED_P99_MS = 25.0
GOAL_PUBLISH_RATIO = 1.5
GOAL_VISIBLE_S = 5.0


# ### Helpers ###


class Clock:
    def __init__(self):
        self.start = time.perf_counter()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.start:7.1f}s"


def say(clock: Clock, text: str) -> None:
    print(f"[{clock}] {text}", flush=True)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))]


def mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"
