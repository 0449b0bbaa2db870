"""Money is stored as whole yuan and shown as 万元, the unit bureaus and contracts use."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

YUAN_PER_WAN = 10_000


def wan(yuan: int, places: int | None = None) -> str:
    """Yuan as 万元: exact by default (4,999,999 → 499.9999), or to ``places`` decimals for a table."""
    value = Decimal(yuan) / YUAN_PER_WAN
    return f"{value:f}" if places is None else f"{value:.{places}f}"


def round_yuan(value: Decimal) -> int:
    """Half up to the whole yuan (a half yuan is paid in the payee's favour)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
