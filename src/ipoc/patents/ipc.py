"""IPC codes in one canonical form (``H01F 1/057``) so filters, facets and prefixes compare equal."""

from __future__ import annotations

import re
import unicodedata

# section, class, subclass, main group (leading zeros dropped), subgroup; then an optional version date
# such as "(2006.01)" and a level letter (I/N/A) that some exports append.
_CODE = re.compile(
    r"([A-H])(\d{2})([A-Z])\s*0*([1-9]\d{0,3})\s*/\s*(\d{2,6})\s*(?:\(\s*\d{4}\s*\.\s*\d{2}\s*\)\s*[A-Z]?)?"
)
_SUBCLASS = re.compile(r"[A-H]\d{2}[A-Z]")
_SEPARATORS = re.compile(r"[;,，；、|\n\r]+")


def _fold(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).upper().strip()


def normalise_ipc(raw: str | None) -> str | None:
    """Canonical ``H01F 1/057``; None when empty or malformed."""
    match = _CODE.fullmatch(_fold(raw or ""))
    if match is None:
        return None
    section, klass, subclass, group, subgroup = match.groups()
    return f"{section}{klass}{subclass} {group}/{subgroup}"


def split_ipc_list(raw: str | None) -> tuple[list[str], list[str]]:
    """(valid canonical codes, malformed codes as written), each without duplicates, in file order."""
    valid: list[str] = []
    invalid: list[str] = []
    for part in _SEPARATORS.split(raw or ""):
        code = part.strip()
        if not code:
            continue
        canonical = normalise_ipc(code)
        if canonical is None:
            if code not in invalid:
                invalid.append(code)
        elif canonical not in valid:
            valid.append(canonical)
    return valid, invalid


def ipc_subclass(code: str | None) -> str | None:
    """``H01F`` from a full code or a bare subclass; None when neither."""
    folded = _fold(code or "")
    canonical = normalise_ipc(folded)
    if canonical is not None:
        return canonical[:4]
    return folded if _SUBCLASS.fullmatch(folded) else None


IPC_SECTIONS = {
    "A": "A 人类生活必需",
    "B": "B 作业；运输",
    "C": "C 化学；冶金",
    "D": "D 纺织；造纸",
    "E": "E 固定建筑物",
    "F": "F 机械工程；照明；加热；武器；爆破",
    "G": "G 物理",
    "H": "H 电学",
}


def section_label(section: str | None) -> str:
    """The IPC section's name for reports ("H 电学"); "未分类" when there is no main IPC."""
    return IPC_SECTIONS.get(section or "", "未分类")
