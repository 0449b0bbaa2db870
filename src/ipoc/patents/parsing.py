"""One mapped export row → a validated PatentRecord, or the reasons (in Chinese) it is rejected.

Rejected: a missing or invalid application number, a missing title, an impossible or unreadable date
(never rolled over or guessed). Kept with a warning: malformed IPC codes (flagged in ipc_invalid),
unreadable publication numbers and counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache

from ipoc.errors import InvalidInput
from ipoc.patents.ipc import normalise_ipc, split_ipc_list
from ipoc.patents.numbers import (
    OFFICE_NAMES,
    SOURCE_ID_MIN,
    is_application_key,
    is_source_key,
    kind_from_cn_publication,
    kind_of_canonical,
    normalise_application_no,
    normalise_publication_no,
    office_of,
    priority_key,
    source_key,
    strip_kind,
)
from ipoc.patents.records import EXTRA, SOURCE_ID, LegalEventRecord, PatentRecord, RowIssue

# ---- dates -------------------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TIME_TAIL = re.compile(r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_NO_DATE = {"", "0", "00000000", "0000-00-00", "-", "—", "无"}
_DATE_IN_TEXT = re.compile(r"\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?|(?<!\d)\d{8}(?!\d)")
_LIST_SEPARATORS = re.compile(r"[;；,，、|｜\n\r]+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str | None, *, month_first: bool = False) -> date | None:
    """A date in any usual export notation; None when empty; ValueError (Chinese) when not a real date.

    ``5/1/2023`` is ambiguous and refused, unless the file is known to write month/day/year (``month_first``:
    Google Patents' exports, written in a US locale)."""
    if not text:  # most date columns of a row are empty: skip the folding (same answer, a third of parse time)
        return None
    folded = _TIME_TAIL.sub("", _fold(text or ""))
    if folded in _NO_DATE:
        return None
    match = _DATE.fullmatch(folded) or _COMPACT_DATE.fullmatch(folded)
    if match is not None:
        year, month, day = (int(part) for part in match.groups())
    elif month_first and (us := _US_DATE.fullmatch(folded)):
        month, day, year = (int(part) for part in us.groups())
    else:
        raise ValueError("日期格式无法识别")
    if not 1900 <= year <= 2100:
        raise ValueError("日期年份不合理")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("日期不存在") from None


# ---- names, types, places ----------------------------------------------------------------------------

_NAME_SEPARATORS = re.compile(r"[;；,，、|｜\n\r]+")  # PatSnap writes " | " between names
_NAME_SUFFIX = re.compile(r"(?i)(inc|ltd|llc|co|corp|plc|gmbh|ag|s\.?a|l\.?p|b\.?v|limited)\.?")
_HAN_PERSON = re.compile(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,10}[·•][\u4e00-\u9fff]{1,10}")
_LATIN_ENTERPRISE = re.compile(
    r"(?i)\b(inc|corp|corporation|co|ltd|llc|gmbh|ag|aktiengesellschaft|plc|limited|company|kk|bv|s\.a)\b"
)
_LATIN_UNIVERSITY = re.compile(r"(?i)\b(university|college|universit[ée]t)\b")
_LATIN_INSTITUTE = re.compile(r"(?i)\b(institute|academy|laborator(y|ies)|research)\b")


def split_names(raw: str | None) -> list[str]:
    """Names from a ; ； , 、 | or newline separated cell, without duplicates; "Acme, Inc." stays whole."""
    names: list[str] = []
    for part in _NAME_SEPARATORS.split(raw or ""):
        name = " ".join(part.split())
        if not name:
            continue
        if names and _NAME_SUFFIX.fullmatch(name):
            names[-1] = f"{names[-1]}, {name}"
        elif name not in names:
            names.append(name)
    return names


@lru_cache(maxsize=1 << 16)
def applicant_type(name: str) -> str:
    """enterprise | university | institute | individual from the name; other when nothing tells (cached: the same
    applicants fill an export, and each call scans a dozen word lists)."""
    if "大学" in name or _LATIN_UNIVERSITY.search(name):
        return "university"
    if any(word in name for word in ("研究院", "研究所", "科学院", "研究中心", "实验室", "设计院", "医院")):
        return "institute"
    if any(word in name for word in ("学院", "学校", "职业技术")):
        return "university"
    if _LATIN_INSTITUTE.search(name):
        return "institute"
    if any(word in name for word in ("公司", "厂", "集团", "合作社", "中心", "企业", "株式会社", "商行")):
        return "enterprise"
    if _LATIN_ENTERPRISE.search(name):
        return "enterprise"
    if _HAN_PERSON.fullmatch(name):
        return "individual"
    return "other"


_EXPLICIT_TYPES = (
    ("university", ("院校", "高校", "大学", "学校", "university")),
    ("institute", ("科研", "研究", "institute")),
    ("individual", ("个人", "自然人", "individual")),
    ("enterprise", ("企业", "公司", "enterprise", "company")),
)


def _explicit_type(text: str) -> str | None:
    lowered = text.casefold()
    return next((kind for kind, words in _EXPLICIT_TYPES if any(w in lowered for w in words)), None)


def _applicant_types(applicants: list[str], explicit: str | None) -> list[str]:
    """An explicit type column wins: one value per applicant, or a single value for the first applicant."""
    given = [_explicit_type(t) for t in _NAME_SEPARATORS.split(explicit or "") if t.strip()]
    if len(given) != len(applicants):
        given = given[:1]
    return [(given[i] if i < len(given) else None) or applicant_type(name) for i, name in enumerate(applicants)]


_PROVINCES = (
    ("11", "北京市", "北京"), ("12", "天津市", "天津"), ("13", "河北省", "河北"), ("14", "山西省", "山西"),
    ("15", "内蒙古自治区", "内蒙古"), ("21", "辽宁省", "辽宁"), ("22", "吉林省", "吉林"),
    ("23", "黑龙江省", "黑龙江"), ("31", "上海市", "上海"), ("32", "江苏省", "江苏"), ("33", "浙江省", "浙江"),
    ("34", "安徽省", "安徽"), ("35", "福建省", "福建"), ("36", "江西省", "江西"), ("37", "山东省", "山东"),
    ("41", "河南省", "河南"), ("42", "湖北省", "湖北"), ("43", "湖南省", "湖南"), ("44", "广东省", "广东"),
    ("45", "广西壮族自治区", "广西"), ("46", "海南省", "海南"), ("50", "重庆市", "重庆"), ("51", "四川省", "四川"),
    ("52", "贵州省", "贵州"), ("53", "云南省", "云南"), ("54", "西藏自治区", "西藏"), ("61", "陕西省", "陕西"),
    ("62", "甘肃省", "甘肃"), ("63", "青海省", "青海"), ("64", "宁夏回族自治区", "宁夏"),
    ("65", "新疆维吾尔自治区", "新疆"), ("71", "台湾省", "台湾"), ("81", "香港特别行政区", "香港"),
    ("82", "澳门特别行政区", "澳门"),
)  # fmt: skip
_PROVINCE_BY_CODE = {code: full for code, full, _ in _PROVINCES}
_INNER_MONGOLIA = "内蒙古自治区"
_ADDRESS_HEAD = re.compile(r"^[\d\s,，:：]*(?:中华人民共和国|中国)?")

# League/city names as in ipoc.reference.seed.REGIONS, keyed by what addresses write.
_IM_CITIES = {
    "呼和浩特": "呼和浩特市", "呼市": "呼和浩特市", "包头": "包头市", "乌海": "乌海市", "赤峰": "赤峰市",
    "通辽": "通辽市", "鄂尔多斯": "鄂尔多斯市", "呼伦贝尔": "呼伦贝尔市", "巴彦淖尔": "巴彦淖尔市",
    "乌兰察布": "乌兰察布市", "兴安盟": "兴安盟", "锡林郭勒": "锡林郭勒盟", "阿拉善": "阿拉善盟",
    "满洲里": "满洲里市", "二连浩特": "二连浩特市",
}  # fmt: skip
_IM_COUNTIES = {
    "呼和浩特市": ("新城区", "回民区", "玉泉区", "赛罕区", "土默特左旗", "托克托县", "和林格尔", "清水河县", "武川县"),
    "包头市": ("昆都仑", "青山区", "东河区", "九原区", "石拐区", "白云鄂博", "土默特右旗", "固阳县", "达尔罕茂明安"),
    "乌海市": ("海勃湾", "乌达区", "海南区"),
    "赤峰市": ("红山区", "元宝山", "松山区", "阿鲁科尔沁", "巴林左旗", "巴林右旗", "林西县", "克什克腾",
              "翁牛特", "喀喇沁", "宁城县", "敖汉旗"),
    "通辽市": ("科尔沁区", "霍林郭勒", "科尔沁左翼", "开鲁县", "库伦旗", "奈曼旗", "扎鲁特旗"),
    "鄂尔多斯市": ("东胜区", "康巴什", "达拉特旗", "准格尔旗", "鄂托克前旗", "鄂托克旗", "杭锦旗", "乌审旗",
                "伊金霍洛"),
    "呼伦贝尔市": ("海拉尔", "阿荣旗", "莫力达瓦", "鄂伦春", "鄂温克", "陈巴尔虎", "新巴尔虎", "牙克石", "扎兰屯",
                "额尔古纳", "根河"),
    "巴彦淖尔市": ("临河区", "五原县", "磴口县", "乌拉特", "杭锦后旗"),
    "乌兰察布市": ("集宁", "卓资县", "化德县", "商都县", "兴和县", "凉城县", "察哈尔右翼", "四子王旗", "丰镇"),
    "兴安盟": ("乌兰浩特", "阿尔山", "科尔沁右翼", "扎赉特", "突泉县"),
    "锡林郭勒盟": ("锡林浩特", "阿巴嘎", "苏尼特", "乌珠穆沁", "太仆寺", "镶黄旗", "正镶白旗", "正蓝旗", "多伦县"),
    "阿拉善盟": ("额济纳",),
    "满洲里市": ("扎赉诺尔",),
}  # fmt: skip
_IM_PLACES = {**{c: r for r, counties in _IM_COUNTIES.items() for c in counties}, **_IM_CITIES}
_SEPARATELY_ADDRESSED = re.compile("满洲里|二连浩特|扎赉诺尔")


def _alternation(words: list[str]) -> re.Pattern[str]:
    """Longest first, so at one position the most specific name wins."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


_IM_CITY_PATTERN = _alternation([w for w in _IM_CITIES if w != "呼市"])
_IM_PLACE_PATTERN = _alternation(list(_IM_PLACES))


def province_of(address: str | None, hint: str | None = None) -> str | None:
    """Province from an explicit column (``河南(41)``, ``41``, ``河南``) or else from the address."""
    folded_hint = _fold(hint or "")
    code = re.search(r"(?<!\d)(\d{2})(?!\d)", folded_hint)
    if code and code.group(1) in _PROVINCE_BY_CODE:
        return _PROVINCE_BY_CODE[code.group(1)]
    for _, full, short in _PROVINCES:
        if folded_hint.startswith(short):
            return full
    text = _ADDRESS_HEAD.sub("", _fold(address or ""))
    if not text:
        return None
    for _, full, short in _PROVINCES:
        if text.startswith(short):
            return full
    if text.startswith("内蒙"):
        return _INNER_MONGOLIA
    for _, full, _short in _PROVINCES:
        if full in text:
            return full
    return _INNER_MONGOLIA if _IM_CITY_PATTERN.search(text) else None


def inner_mongolia_region(address: str | None) -> str | None:
    """League/city (seed REGIONS name) of an Inner Mongolia address; 满洲里/二连浩特 count as their own."""
    text = _fold(address or "")
    separate = _SEPARATELY_ADDRESSED.search(text)
    match = separate or _IM_PLACE_PATTERN.search(text)
    return _IM_PLACES[match.group(0)] if match else None


# ---- status, kind, claims ----------------------------------------------------------------------------

_STATUS_WORDS = (
    ("lapsed", ("失效", "驳回", "撤回", "放弃", "届满", "未缴年费", "无权", "终止", "全部无效", "宣告无效",
                "lapsed", "expired", "withdrawn", "rejected", "abandoned")),
    ("valid", ("有效", "授权", "维持", "有权", "部分无效", "active", "granted", "in force")),
    ("pending", ("审中", "公开", "实质审查", "实审", "申请", "pending", "examination")),
)  # fmt: skip


def status_class(legal_status: str | None) -> str | None:
    """valid | pending | lapsed from the export's wording; None when it says nothing we know."""
    lowered = (legal_status or "").casefold()
    if not lowered.strip():
        return None
    return next((cls for cls, words in _STATUS_WORDS if any(w in lowered for w in words)), None)


def _kind_from_text(text: str | None) -> str | None:
    lowered = (text or "").casefold()
    if "实用新型" in lowered or "utility" in lowered:
        return "utility_model"
    if "外观" in lowered or "design" in lowered:
        return "design"
    if "发明" in lowered or "invention" in lowered:
        return "invention"
    return None


_CLAIM_START = re.compile(r"(?:^|(?<=[\s。；;:：]))(\d{1,3})\s*[.．、]\s*(?!\d)")
_DEPENDENT = re.compile(r"(?i)权利要求\s*\d|(?:according to|as claimed in|of|in) claims? \d")


def _numbered_claims(claims: str) -> Iterator[str]:
    """Claim texts in numbering order; a stray "5." inside a claim is not taken as a claim start."""
    starts: list[int] = []
    expected = 1
    for match in _CLAIM_START.finditer(claims):
        if int(match.group(1)) == expected:
            starts.append(match.start(1))
            expected += 1
    if not starts:
        yield claims.strip()
        return
    for begin, end in zip(starts, [*starts[1:], len(claims)], strict=True):
        yield claims[begin:end].strip()


def first_independent_claim(claims: str | None) -> str | None:
    """The first numbered claim that does not refer to another claim."""
    if not claims or not claims.strip():
        return None
    return next((claim for claim in _numbered_claims(claims) if not _DEPENDENT.search(claim)), None)


def claim_counts(claims: str | None) -> tuple[int | None, int | None]:
    """(claims, independent claims) from the claims text; (None, None) when the record has none."""
    if not claims or not claims.strip():
        return None, None
    numbered = list(_numbered_claims(claims))
    return len(numbered), sum(1 for claim in numbered if not _DEPENDENT.search(claim))


_LINK_PUBLICATION = re.compile(r"(?:filename=|/patent/)([A-Z]{2}[A-Z]?\d{5,13}[A-Z]\d?)")

# ---- legal events ------------------------------------------------------------------------------------

_EVENT_WORDS = (
    ("pledge_release", ("质押解除", "解除质押", "质押注销", "质押的注销", "质押合同解除", "质押合同登记的注销")),
    ("pledge", ("质押",)),
    ("licence", ("许可",)),
    ("transfer", ("转移", "转让", "变更")),
    ("invalidation", ("无效",)),
    ("lapse", ("未缴年费", "终止", "失效", "届满", "放弃")),
    ("grant", ("授权",)),
    ("fee", ("年费",)),
)
_LICENCE_TYPES = (("exclusive", ("独占", "exclusive")), ("sole", ("排他", "排它", "sole")),
                  ("ordinary", ("普通", "ordinary", "non-exclusive")))  # fmt: skip
_INFO_FIELDS = (("transfer_info", "transfer"), ("licence_info", "licence"), ("pledge_info", "pledge"),
                ("invalidation_info", "invalidation"))  # fmt: skip


def _text_date(text: str) -> date | None:
    """The first date in free text; an impossible one leaves the event undated rather than guessed."""
    match = _DATE_IN_TEXT.search(_fold(text))
    if match is None:
        return None
    try:
        return parse_date(match.group(0))
    except ValueError:
        return None


def _events_from_text(text: str, kind: str | None) -> list[LegalEventRecord]:
    """One event per ;/newline separated entry; entries of the free 法律事件 column need a date and a keyword."""
    events = []
    for entry in re.split(r"[;；\n\r]+", text):
        entry = entry.strip()
        if not entry:
            continue
        when = _text_date(entry)
        entry_kind = kind or next((k for k, words in _EVENT_WORDS if any(w in entry for w in words)), None)
        if entry_kind is None or (kind is None and when is None):
            continue
        events.append(LegalEventRecord(entry_kind, when, {"text": entry}))
    return events


def _licence_type(text: str | None) -> str | None:
    lowered = (text or "").casefold()
    return next((kind for kind, words in _LICENCE_TYPES if any(w in lowered for w in words)), None)


# ---- the row -----------------------------------------------------------------------------------------

_DATE_FIELDS = (
    "application_date", "publication_date", "grant_date", "fee_paid_through", "priority_date", "lapse_date",
    "licence_term_start", "licence_term_end",
)  # fmt: skip
_DATE_LIST_FIELDS = ("transfer_date", "licence_date", "pledge_date", "pledge_release_date", "invalidation_date")


class _Row:
    """Cell access with the header names issues must report."""

    def __init__(
        self, row_no: int, raw: dict[str, str], headers_by_field: dict[str, str], *, month_first: bool = False
    ) -> None:
        self.row_no = row_no
        self.raw = raw
        self.headers = headers_by_field
        self.month_first = month_first
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []
        self.dates: dict[str, date | None] = {}
        self.date_lists: dict[str, list[date]] = {}

    def get(self, field: str) -> str | None:
        value = (self.raw.get(field) or "").strip()
        return value or None

    def issue(self, field: str, reason: str, *, warning: bool = False) -> None:
        item = RowIssue(self.row_no, self.headers.get(field, field), reason, (self.raw.get(field) or "")[:200])
        (self.warnings if warning else self.errors).append(item)

    def read_dates(self) -> None:
        for field in _DATE_FIELDS:
            self.dates[field] = self._date(field, self.get(field))
        for field in _DATE_LIST_FIELDS:
            parts = _LIST_SEPARATORS.split(self.get(field) or "")
            self.date_lists[field] = [d for d in (self._date(field, p) for p in parts) if d is not None]

    def _date(self, field: str, text: str | None) -> date | None:
        try:
            return parse_date(text, month_first=self.month_first)
        except ValueError as exc:
            self.issue(field, f"{exc}：{text}")
            return None

    def count(self, field: str) -> int | None:
        text = _fold(self.get(field) or "")
        if not text:
            return None
        match = re.fullmatch(r"(\d+)(?:\.0+)?", text)
        if match is None:
            self.issue(field, "不是整数，已忽略", warning=True)
            return None
        return int(match.group(1))

    def publication(self, field: str) -> str | None:
        try:
            return normalise_publication_no(self.get(field))
        except InvalidInput as exc:
            self.issue(field, f"{exc.message}，按原样保留", warning=True)
            return self.get(field)


_FOREIGN_APPLICATION = re.compile(r"^(?!CN|ZL)[A-Z]{2}")


def _key(row: _Row, number: str | None) -> str | None:
    """The record's key: its CN application number (check character validated), else its publication number, else,
    for a record that carries no patent number at all, a source key made from the export's own record id.

    An application number of another office (US14/514,255) identifies nothing here: the record is then known by
    its publication number, and the cell is kept verbatim with the record.
    """
    raw = row.get("application_no")
    if raw and not _FOREIGN_APPLICATION.match(_fold(raw).upper()):
        try:
            return normalise_application_no(raw)
        except InvalidInput as exc:
            row.issue("application_no", exc.message)
            return None
    if number is not None:
        return number
    record_id = row.get("record_id")
    if record_id is None or raw or row.get("publication_no") or row.get("grant_no"):
        # a number the row gives but that cannot be read is an error to fix, not a record to key by its id
        row.issue("application_no", "申请号为空，也没有可识别的公开号或授权公告号")
        return None
    if len(record_id) < SOURCE_ID_MIN:
        row.issue("record_id", f"没有专利号，记录编号过短（不足 {SOURCE_ID_MIN} 个字符），不能作为来源编号")
        return None
    return source_key(row.headers.get("record_id", "record_id"), record_id)


def _normalised(raw: str | None) -> str | None:
    try:
        return normalise_publication_no(raw)
    except InvalidInput:
        return None


def _ipc(row: _Row) -> tuple[str | None, list[str], list[str]]:
    """(main, all valid with main first, invalid as written); each invalid code adds a warning."""
    main_raw = row.get("ipc_main")
    main = normalise_ipc(main_raw)
    valid, invalid = split_ipc_list(row.get("ipc_codes"))
    for code in invalid:
        row.issue("ipc_codes", f"IPC 分类号格式不对，已标记：{code}", warning=True)
    if main_raw and main is None:
        row.issue("ipc_main", f"IPC 主分类号格式不对，已标记：{main_raw}", warning=True)
        invalid = [main_raw, *[c for c in invalid if c != main_raw]]
    main = main or (valid[0] if valid else None)
    codes = [main, *[c for c in valid if c != main]] if main else valid
    return main, codes, invalid


def _legal_events(row: _Row, legal_status: str | None, grant_no: str | None) -> list[LegalEventRecord]:
    dates, lists = row.dates, row.date_lists
    events: list[LegalEventRecord] = []
    if row.dates["grant_date"]:
        events.append(LegalEventRecord("grant", dates["grant_date"], {"grant_no": grant_no} if grant_no else {}))
    if dates["lapse_date"]:
        events.append(LegalEventRecord("lapse", dates["lapse_date"], {"status": legal_status or ""}))
    events += _column_events(row, "transfer", {"from": "transfer_from", "to": "transfer_to"})
    events += _column_events(row, "licence", {"licensor": "licensor", "licensee": "licensee"})
    for event in events:
        if event.kind == "licence":
            _add_licence_terms(row, event)
    events += _column_events(row, "pledge", {"pledgee": "pledgee", "pledgor": "pledgor"})
    events += [LegalEventRecord("pledge_release", d, {}) for d in lists["pledge_release_date"]]
    events += _column_events(row, "invalidation", {"decision": "invalidation_decision"})
    for field, kind in _INFO_FIELDS:
        events += _events_from_text(row.get(field) or "", kind)
    events += _events_from_text(row.get("legal_events") or "", None)
    return _dedupe_events(events)


def _column_events(row: _Row, kind: str, detail_fields: dict[str, str]) -> list[LegalEventRecord]:
    """Events of one kind from its date column (one per date) and its party columns."""
    detail = {key: value for key, field in detail_fields.items() if (value := row.get(field))}
    dates = row.date_lists[f"{kind}_date"]
    if not dates and not detail:
        return []
    whens: Sequence[date | None] = dates or [None]  # detail without a date: one event of unknown date
    return [LegalEventRecord(kind, when, dict(detail)) for when in whens]


def _add_licence_terms(row: _Row, event: LegalEventRecord) -> None:
    licence_type = _licence_type(row.get("licence_type"))
    if licence_type:
        event.detail["type"] = licence_type
    for key in ("licence_term_start", "licence_term_end"):
        if day := row.dates[key]:
            event.detail[key.removeprefix("licence_")] = day.isoformat()


def _dedupe_events(events: list[LegalEventRecord]) -> list[LegalEventRecord]:
    """A dated text entry repeating a column event adds nothing; keep the richer column one."""
    seen: set[tuple[str, date | None]] = set()
    kept = []
    for event in events:
        key = (event.kind, event.date)
        if event.date is not None and key in seen:
            continue
        seen.add(key)
        kept.append(event)
    return kept


def _priority(row: _Row) -> str | None:
    parts = [row.get("priority"), row.dates["priority_date"] and row.dates["priority_date"].isoformat()]
    return "; ".join(p for p in parts if p) or None


def _publication_no(row: _Row) -> str | None:
    if row.get("publication_no"):
        return row.publication("publication_no")
    if numbered := _record_id_number(row.get("record_id")):
        return numbered
    match = _LINK_PUBLICATION.search(row.get("link") or "")
    return match.group(1) if match else None


def _record_id_number(record_id: str | None) -> str | None:
    """The publication number a record id is (Google Patents' ``US-8271025-B2``): only with a known office's code
    in front, so that a hash or a UUID is never read as a number."""
    if not record_id or _fold(record_id)[:2].upper() not in OFFICE_NAMES:
        return None
    return _normalised(record_id)


def _family_key(row: _Row, key: str) -> str | None:
    """Simple-family members share it: the export's family id, else the first priority claimed, else the CN
    application itself (which foreign members name as their priority)."""
    if explicit := row.get("family_id"):
        return " ".join(explicit.split())[:64]
    return priority_key(row.get("priority")) or (f"CN{key}" if is_application_key(key) else None)


def _kept(row: _Row, key: str) -> dict[str, str]:
    """The cells of the columns no field carries, under the file's headers; with them another office's application
    number, which does not key the record, and the export's own id of a record known by no number (来源编号)."""
    kept = {name.removeprefix(EXTRA): value.strip() for name, value in row.raw.items() if name.startswith(EXTRA)}
    if not is_application_key(key) and (foreign := row.get("application_no")):
        kept[row.headers.get("application_no", "申请号")] = foreign
    if is_source_key(key):
        kept[SOURCE_ID] = row.get("record_id") or ""
    elif (record_id := row.get("record_id")) and _record_id_number(record_id) is None:
        kept[row.headers.get("record_id", SOURCE_ID)] = record_id  # an id beside a number: nothing dropped
    return kept


def _office_without_number(*texts: str | None) -> str:
    """The office of a record known by no number, from its script: TW where its Chinese has more Traditional-only
    characters (outside GB2312) than Simplified-only ones (outside Big5), else CN; empty (unknown) for text without
    Chinese. A number, where there is one, always names the office instead."""
    han = "".join(char for text in texts for char in (text or "") if "\u4e00" <= char <= "\u9fff")
    if not han:
        return ""
    traditional = _outside(han, "gb2312")
    simplified = _outside(han, "big5")
    return "TW" if traditional > simplified else "CN"


def _outside(han: str, encoding: str) -> int:
    """How many of the Han characters ``encoding`` lacks: it writes each one it has in two bytes, so one encode of
    the whole text counts them (a per-character try/except cost about 0.2 ms a row)."""
    return len(han) - len(han.encode(encoding, errors="ignore")) // 2


def _build(row: _Row, application_no: str, title: str, publication_no: str | None, number: str | None) -> PatentRecord:
    patentees = split_names(row.get("patentees"))
    applicants = split_names(row.get("applicants")) or patentees
    address = row.get("address")
    province = province_of(address, row.get("province"))
    legal_status = row.get("legal_status")
    grant_no = row.publication("grant_no")
    claims = row.get("claims")
    ipc_main, ipc_codes, ipc_invalid = _ipc(row)
    by_number = kind_of_canonical(application_no) if is_application_key(application_no) else None
    numberless = is_source_key(application_no)
    office = _office_without_number(title, row.get("abstract"), *applicants) if numberless else None
    return PatentRecord(
        application_no=application_no,
        title=title,
        office=office_of(application_no) if office is None else office,
        publication_key=strip_kind(number) if number else None,
        family_key=_family_key(row, application_no),
        kind=by_number or _kind_from_text(row.get("kind")) or kind_from_cn_publication(number),
        publication_no=publication_no,
        grant_no=grant_no,
        abstract=row.get("abstract"),
        claims=claims,
        first_claim=row.get("first_claim") or first_independent_claim(claims),
        ipc_main=ipc_main,
        ipc_codes=ipc_codes,
        ipc_invalid=ipc_invalid,
        applicants=applicants,
        applicant_types=_applicant_types(applicants, row.get("applicant_type")),
        patentees=patentees,
        inventors=split_names(row.get("inventors")),
        address=address,
        province=province,
        region_name=inner_mongolia_region(address) if province == _INNER_MONGOLIA else None,
        application_date=row.dates["application_date"],
        publication_date=row.dates["publication_date"],
        grant_date=row.dates["grant_date"],
        legal_status=legal_status,
        status_class=status_class(legal_status),
        fee_paid_through=row.dates["fee_paid_through"],
        priority=_priority(row),
        family=row.get("family"),
        family_size=row.count("family_size"),
        cited_count=row.count("cited_count"),
        citing_count=row.count("citing_count"),
        legal_events=_legal_events(row, legal_status, grant_no),
        extra=_kept(row, application_no),
        warnings=row.warnings,
    )


_BUNDLE_LABELS = re.compile(r"(?im)^\s*(title|keywords|abstract)\s*[:：]\s*")


def _unbundle(raw: dict[str, str]) -> dict[str, str]:
    """Title, keywords and abstract of a bundled text cell, filling only what the row lacks; the keywords are kept
    as 关键词 beside the record."""
    text = (raw.get("text_bundle") or "").strip()
    if not text:
        return raw
    parts = _BUNDLE_LABELS.split(text)
    if len(parts) > 1:  # "", label, value, label, value …
        named = {label.casefold(): value.strip() for label, value in zip(parts[1::2], parts[2::2], strict=False)}
    else:
        named = dict(zip(("title", "keywords", "abstract"), (p.strip() for p in text.split("[SEP]")), strict=False))
    filled = dict(raw)
    for field in ("title", "abstract"):
        if not (filled.get(field) or "").strip() and named.get(field):
            filled[field] = named[field]
    if named.get("keywords"):
        filled[EXTRA + "关键词"] = named["keywords"]
    return filled


def parse_row(
    row_no: int, raw: dict[str, str], headers_by_field: dict[str, str], *, month_first: bool = False
) -> PatentRecord | list[RowIssue]:
    """A record, or every reason the row is rejected (fields named by the file's own headers); ``month_first`` for
    a file known to write dates as month/day/year."""
    row = _Row(row_no, _unbundle(raw) if "text_bundle" in raw else raw, headers_by_field, month_first=month_first)
    publication_no = _publication_no(row)
    number = _normalised(publication_no) or _normalised(row.get("grant_no"))  # the publication (else grant) number
    application_no = _key(row, number)
    title = row.get("title")
    if title is None:
        row.issue("title", "标题为空")
    row.read_dates()
    if row.errors or application_no is None or title is None:
        return row.errors
    return _build(row, application_no, " ".join(title.split()), publication_no, number)
