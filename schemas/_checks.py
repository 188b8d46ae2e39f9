"""Shared pieces of the schemas: a named wide check that carries its column and the reason it gives."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa

URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
PRECISIONS = ["day", "month", "year"]  # how much of a publication date its source gave


Explain = Callable[[pd.Series], str]  # a failing row -> what the check held it to (a range, a date)
# name -> (column, reason, explain) of every wide check, for quarantine rows.
WIDE_CHECKS: dict[str, tuple[str, str, Explain | None]] = {}


def wide(
    name: str, column: str, reason: str, fn: Callable[[pd.DataFrame], pd.Series], explain: Explain | None = None
) -> pa.Check:
    """A dataframe-level check; ``column`` names the value shown in quarantine, ``reason`` is what it means and
    ``explain`` adds, per failing row, what it was held to."""
    WIDE_CHECKS[name] = (column, reason, explain)
    return pa.Check(fn, name=name, description=reason)
