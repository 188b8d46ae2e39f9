"""Shared pieces of the schemas: a named wide check that carries its column and the reason it gives."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa

URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
PRECISIONS = ["day", "month", "year"]  # how much of a publication date its source gave


# name -> (column, reason) of every wide check, for quarantine rows.
WIDE_CHECKS: dict[str, tuple[str, str]] = {}


def wide(name: str, column: str, reason: str, fn: Callable[[pd.DataFrame], pd.Series]) -> pa.Check:
    """A dataframe-level check; ``column`` names the value shown in quarantine, ``reason`` is what it means."""
    WIDE_CHECKS[name] = (column, reason)
    return pa.Check(fn, name=name, description=reason)
