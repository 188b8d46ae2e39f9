"""The one backoff rule: exponential, capped, with jitter so that clients racing for one resource drift apart."""

from __future__ import annotations

import random


def jittered(base: float, attempt: int, ceiling: float = float("inf")) -> float:
    """Seconds to wait before retry ``attempt`` + 1: ``base * 2**attempt``, capped at ``ceiling``, times 0.5–1.5."""
    return float(min(base * 2 ** min(attempt, 16), ceiling) * random.uniform(0.5, 1.5))


def doubled(base: float, failures: int, ceiling: float) -> float:
    """Seconds to wait after ``failures`` in a row, without jitter (one poller, nobody to drift apart from)."""
    return float(min(base * 2**failures, ceiling))
