"""Money is stored as whole yuan and shown as 万元, the unit bureaus and contracts use."""

from __future__ import annotations

import re
import unicodedata
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


_UNITS = {"": 1, "元": 1, "万": YUAN_PER_WAN, "萬": YUAN_PER_WAN, "亿": 100_000_000, "億": 100_000_000}
_AMOUNT = re.compile(r"(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?\s*(亿|億|万|萬)?\s*(元)?")
_FOREIGN_CURRENCY = re.compile(r"美元|欧元|日元|英镑|港元|港币|USD|EUR|JPY|GBP|HKD", re.IGNORECASE)


def parse_yuan(text: str | None) -> int | None:
    """An amount as written in a record ("1亿元", "1,200万元", "1,250,000.5 元", "人民币 500 万") to whole yuan,
    exactly (Decimal); None when there is no amount, more than one, a foreign currency, or a malformed
    thousands separator ("1,20万") — an amount that cannot be read is unknown, never zero."""
    folded = unicodedata.normalize("NFKC", text or "")
    if _FOREIGN_CURRENCY.search(folded):
        return None
    found = [m for m in _AMOUNT.finditer(folded) if not _touches_digits(folded, m)]
    with_unit = [m for m in found if m.group(3) or m.group(4)]
    chosen = with_unit if with_unit else found
    if len(chosen) != 1:
        return None
    whole, fraction, unit, _yuan = chosen[0].groups()
    value = Decimal(whole.replace(",", "") + (fraction or ""))
    return round_yuan(value * _UNITS[unit or ""])


def _touches_digits(text: str, match: re.Match[str]) -> bool:
    """A number glued to a separator and more digits ("1,20") is a malformed amount, not two amounts."""
    before, after = text[: match.start()], text[match.end(1) + len(match.group(2) or "") :]
    return bool(re.search(r"\d[,.]$", before) or re.match(r"[,.]\d", after))
