"""Comparing organisation and applicant names: one spelling per name, whatever the export's width, spaces or
brackets, so that "内蒙古 示例大学（呼和浩特）" and "内蒙古示例大学(呼和浩特)" are the same holder."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalise_name(name: str | None) -> str:
    """NFKC (full-width letters, digits and brackets become half-width), no whitespace, case-folded."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name or "")).casefold()
