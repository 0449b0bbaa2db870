"""Patent numbers: CN application numbers (validated), publication numbers of any office, and the keys that make
one document of the forms different exports write.

python-stdnum has no CN patent number module (only cn.ric and cn.uscc), so the check is written here.
Application numbers since 2003 have 12 digits (YYYY + type + 7-digit serial), before that 8 digits
(YY + type + 5-digit serial); both end in a check character: digits weighted 2..9, 2..5 from the left,
sum mod 11, 10 written X. Verified on 134 of 136 real ZL numbers in the shared samples (the two others
carry typos).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata

from ipoc import clock
from ipoc.errors import InvalidInput

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_KINDS = {"1": "invention", "8": "invention", "2": "utility_model", "9": "utility_model", "3": "design"}
_PREFIX = re.compile(r"^(?:CN|ZL)+")
_SHAPE = re.compile(r"(\d+)\.?([0-9X])")
# Office code, the number (TW and JP may start with a letter: TWI521460B, JPH05123456A; WO carries its year), kind.
_PUBLICATION = re.compile(r"([A-Z]{2})?((?:RE|PP|[A-Z])?\d{5,13})([A-Z]\d?)?")


def _fold(raw: str) -> str:
    """Full-width to half-width, upper case, no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", raw).upper().split())


def check_char(body: str) -> str:
    """Check character for the 8 or 12 digits before the dot."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=False)) % 11
    return "X" if total == 10 else str(total)


def normalise_application_no(raw: str | None) -> str:
    """Canonical ``202310123456.7`` / ``98123456.X`` from any notation; InvalidInput saying why not."""
    text = _PREFIX.sub("", _fold(raw or ""))
    if not text:
        raise InvalidInput("申请号为空", field="application_no")
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise InvalidInput("申请号含有非法字符", field="application_no")
    body, check = match.groups()
    if len(body) not in (8, 12):
        raise InvalidInput("申请号位数不对（应为 8 位或 12 位数字加校验位）", field="application_no")
    type_digit = body[4] if len(body) == 12 else body[2]
    if type_digit not in _KINDS:
        raise InvalidInput("申请号的专利类型位不对（应为 1、2、3、8 或 9）", field="application_no")
    if len(body) == 12 and not 2003 <= int(body[:4]) <= clock.today().year + 1:
        raise InvalidInput("申请号的年份不对", field="application_no")
    if check_char(body) != check:
        raise InvalidInput("申请号校验位错误", field="application_no")
    return f"{body}.{check}"


def is_valid_application_no(raw: str | None) -> bool:
    try:
        normalise_application_no(raw)
    except InvalidInput:
        return False
    return True


def kind_of_canonical(canonical: str) -> str | None:
    """The kind of a number ``normalise_application_no`` has just returned (its type digit is already checked):
    what ``kind_from_application_no`` answers for it, without normalising and checking it a second time."""
    body = canonical.split(".")[0]
    return _KINDS.get(body[4] if len(body) == 12 else body[2])


def kind_from_application_no(raw: str) -> str | None:
    """invention | utility_model | design from the type digit; None when the number is invalid."""
    try:
        canonical = normalise_application_no(raw)
    except InvalidInput:
        return None
    body = canonical.split(".")[0]
    return _KINDS[body[4] if len(body) == 12 else body[2]]


def normalise_publication_no(raw: str | None) -> str | None:
    """``CN 112345678 A`` / ``CN-105389980-B`` → ``CN112345678A`` (kind code kept); None when empty.

    A number without a country code is taken as CN; InvalidInput when it is not a publication number.
    """
    text = _fold(raw or "")
    for mark in "-./,":
        text = text.replace(mark, "")
    if not text:
        return None
    match = _PUBLICATION.fullmatch(text)
    if match is None:
        raise InvalidInput("公开号格式不对", field="publication_no")
    country, digits, kind_code = match.groups()
    if digits[0].isalpha() and country not in _LETTERED_OFFICES:
        raise InvalidInput("公开号格式不对", field="publication_no")
    if country == "US" and len(digits) == 10 and digits[:2] in ("19", "20"):
        digits = f"{digits[:4]}0{digits[4:]}"  # US-2015112182-A1 is US 2015/0112182 A1: year and 7-digit serial
    return f"{country or 'CN'}{digits}{kind_code or ''}"


_LETTERED_OFFICES = {"TW", "JP", "US", "KR"}  # TWI…/TWM…, JPH…/JPS…, USD…/USRE…/USPP…, KR… design numbers
OFFICE_NAMES = {
    "CN": "中国", "US": "美国", "EP": "欧洲专利局", "WO": "世界知识产权组织", "JP": "日本", "KR": "韩国",
    "TW": "中国台湾", "HK": "中国香港", "MO": "中国澳门", "DE": "德国", "FR": "法国", "GB": "英国", "RU": "俄罗斯",
    "CA": "加拿大", "AU": "澳大利亚", "IN": "印度", "BR": "巴西", "MN": "蒙古", "SG": "新加坡", "ES": "西班牙",
    "IT": "意大利", "NL": "荷兰", "SE": "瑞典", "CH": "瑞士", "AT": "奥地利", "DK": "丹麦", "FI": "芬兰",
    "IL": "以色列", "MX": "墨西哥", "ZA": "南非", "EA": "欧亚专利局",
}  # fmt: skip


def office_name(code: str) -> str:
    """The office's Chinese name (its code where we have none); 未知 for a record whose office nothing tells."""
    return OFFICE_NAMES.get(code, code) if code else "未知"


def strip_kind(publication: str) -> str:
    """``CN105389980B`` → ``CN105389980``: one CN number names every stage (A publication, B/C grant)."""
    return publication[:2] + _KIND_CODE.sub("", publication[2:])


def kind_code(publication: str | None) -> str:
    """The kind code of a normalised publication number (``B``, ``A1``); empty when it has none."""
    match = _KIND_CODE.search((publication or "")[2:])
    return match.group(0) if match else ""


def is_application_key(key: str) -> bool:
    """Whether a record's key is a CN application number (``202310123456.7``) rather than a publication number
    (``US8271025B2``): canonical application numbers start with a digit, publication numbers with an office."""
    return key[:1].isdigit()


def office_of(key: str) -> str:
    """The office of a record from its key: CN for an application number, else the publication number's prefix."""
    return "CN" if is_application_key(key) else key[:2]


SOURCE_KEY_PREFIX = "SRC-"  # no office is "SR", and a hyphen never survives normalisation: never a patent number
SOURCE_ID_MIN = 8  # characters: shorter ids (1, 2, 3 …) are row counters, which identify nothing across files


def source_key(column: str, record_id: str) -> str:
    """The key of a record that carries no patent number, only the export's own record id: a stable digest of the
    id and the (folded) column that holds it, so that re-importing the file finds the same records."""
    folded_column = "".join(unicodedata.normalize("NFKC", column).casefold().split())
    digest = hashlib.sha256(f"{folded_column}\x1f{record_id.strip()}".encode()).hexdigest()
    return SOURCE_KEY_PREFIX + digest[:16].upper()


def is_source_key(key: str) -> bool:
    """Whether a record's key is a source key (a record known by no patent number, 无号文献)."""
    return key.startswith(SOURCE_KEY_PREFIX)


_CN_KIND_CODES = {"A": "invention", "B": "invention", "C": "invention", "U": "utility_model", "Y": "utility_model",
                  "S": "design", "D": "design"}  # fmt: skip


def kind_from_cn_publication(publication: str | None) -> str | None:
    """invention | utility_model | design from a CN kind code (A/B/C, U/Y, S/D); None for other offices."""
    if not publication or not publication.startswith("CN"):
        return None
    return _CN_KIND_CODES.get(kind_code(publication)[:1])


_PRIORITY_NUMBER = re.compile(r"(?:[A-Z]{2} ?)?[A-Z]?\d[\d./,-]{4,}[\dX]")


def priority_key(text: str | None) -> str | None:
    """The first priority number of a 优先权 cell in one form (``CN201710123456.7`` and ``CN 2017101234567``
    agree); None when the cell holds no number (Google exports give only a date)."""
    folded = unicodedata.normalize("NFKC", text or "").upper().replace("ZL", "CN")
    for match in _PRIORITY_NUMBER.finditer(folded):
        number = match.group(0)
        if re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{8}", number):
            continue  # a date, not a number
        office = number[:2] if number[:2].isalpha() else "CN"
        with contextlib.suppress(InvalidInput):
            return "CN" + normalise_application_no(number) if office == "CN" else _squeeze(number)
        return _squeeze(number if number[:2].isalpha() else "CN" + number)
    return None


def _squeeze(number: str) -> str:
    return re.sub(r"[\s./,-]", "", number)


_SEARCH_SHAPE = re.compile(r"(?:CN|ZL)?\d{7,13}(?:\.?[0-9X])?(?:[A-Z]\d?)?")
# Another office's publication number as typed (US8271025B2, WO2015/123456), for the offices named in OFFICE_NAMES.
_FOREIGN_SHAPE = re.compile(
    rf"(?:{'|'.join(sorted(set(OFFICE_NAMES) - {'CN'}))})(?:RE|PP|[A-Z])?\d{{5,13}}(?:[A-Z]\d?)?"
)
_KIND_CODE = re.compile(r"[A-Z]\d?$")


def index_numbers(application_no: str, *numbers: str | None) -> set[str]:
    """The forms a patent is found under: its canonical application number, and each publication or grant
    number with and without its kind code (a search without the kind code finds every publication stage)."""
    found = {application_no}
    for raw in numbers:
        try:
            publication = normalise_publication_no(raw)
        except InvalidInput:
            continue
        if publication:
            found |= {publication, strip_kind(publication)}
    return found


def search_numbers(raw: str, *, application: bool = True, publication: bool = True) -> set[str]:
    """The index forms a typed number may mean, in any notation (ZL/CN prefix, dots, spaces, full width, with or
    without check character or kind code; another office's publication number); empty when the text is not a
    patent number. A bare run of digits
    counts only as an application number (with its check character, or a body whose type digit fits), so a
    year or an amount is never taken for a number."""
    text = _fold(raw).replace("-", "")
    foreign = text.replace("/", "").replace(",", "")
    # In free text another office's number needs its kind code (US8271025B2): GB50016 is a standard, not a patent.
    if publication and _FOREIGN_SHAPE.fullmatch(foreign) and (not application or _KIND_CODE.search(foreign)):
        with contextlib.suppress(InvalidInput):
            return {normalise_publication_no(foreign) or ""} - {""}
    if not _SEARCH_SHAPE.fullmatch(text):
        return set()
    found = _application_forms(text) if application else set()
    if publication and (text.startswith("CN") or _KIND_CODE.search(text)):
        with contextlib.suppress(InvalidInput):
            found.add(normalise_publication_no(text) or "")
    return found - {""}


def _application_forms(text: str) -> set[str]:
    """The canonical application number of a typed one, the check character added when it was left out."""
    body = _PREFIX.sub("", text).replace(".", "")
    for candidate in (text, body + check_char(body) if len(body) in (8, 12) else ""):
        try:
            return {normalise_application_no(candidate)} if candidate else set()
        except InvalidInput:
            continue
    return set()
