"""Money is stored as whole yuan and shown as 万元, the unit bureaus and contracts use."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import overload

YUAN_PER_WAN = 10_000


def wan(yuan: int, places: int | None = None) -> str:
    """Yuan as 万元: exact by default (4,999,999 → 499.9999), or to ``places`` decimals for a table."""
    value = Decimal(yuan) / YUAN_PER_WAN
    return f"{value:f}" if places is None else f"{value:.{places}f}"


@overload
def yuan(wan_amount: Decimal) -> int: ...
@overload
def yuan(wan_amount: None) -> None: ...
@overload
def yuan(wan_amount: Decimal | None) -> int | None: ...
def yuan(wan_amount: Decimal | None) -> int | None:
    """万元 as entered (12.3456) to whole yuan (123,456), half up; None stays None (no amount given)."""
    return None if wan_amount is None else round_yuan(wan_amount * YUAN_PER_WAN)


def round_yuan(value: Decimal) -> int:
    """Half up to the whole yuan (a half yuan is paid in the payee's favour)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
