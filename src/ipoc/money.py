"""Money is stored as whole yuan and shown as 万元, the unit bureaus and contracts use."""

from __future__ import annotations

from decimal import Decimal

YUAN_PER_WAN = 10_000


def wan(yuan: int, places: int | None = None) -> str:
    """Yuan as 万元: exact by default (4,999,999 → 499.9999), or to ``places`` decimals for a table."""
    value = Decimal(yuan) / YUAN_PER_WAN
    return f"{value:f}" if places is None else f"{value:.{places}f}"
