"""Where each field of a stored patent came from, and how a later import merges into it (merge, don't wipe).

A later import updates a field only when its file carries that field (has a column that feeds it). An empty cell
clears a field only when the field last came from the same tool: that tool's newer export now says it is empty;
another tool's silence says nothing. A title or abstract without Chinese does not replace a Chinese one (the
foreign text is kept beside it under 其他字段), as within one file 中文 wins over the original language.
Columns kept verbatim (``extra``) merge key by key. ``Patent.sources`` maps each field to the import job it last
came from; the job holds the file name, the tool and the time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ipoc.patents.reading import header_key

TOOLS = {
    "cnipa": "国家知识产权局 专利检索及分析",
    "incopat": "incoPat",
    "patsnap": "智慧芽 PatSnap",
    "cnki": "中国知网 CNKI",
    "google": "Google Patents",
    "sixty": "商业数据库 60 字段导出",
    "other": "其他表格",
}

# Headers only one tool writes, checked in this order; a file matching none is "other".
_SIGNATURES = (
    ("google", ("result link", "inventor/author", "representative figure link")),
    ("cnki", ("srcdatabase-来源库", "title-题名", "chdiv_summary", "organ-申请人")),
    ("incopat", ("合享价值度", "简单同族个数", "incopat")),
    ("patsnap", ("当前申请(专利权)人", "专利价值", "patsnap", "智慧芽")),
    ("sixty", ("专利转移次数", "当前著录项联系人通讯地址", "授权名称")),
    ("cnipa", ("申请(专利权)人", "公开(公告)号", "发明名称")),
)


def detect_tool(headers: Iterable[str]) -> str:
    """The export tool a header row looks like it came from (a key of TOOLS)."""
    keys = {header_key(h) for h in headers}
    return next((tool for tool, marks in _SIGNATURES if any(header_key(m) in keys for m in marks)), "other")


_EVENT_FIELDS = (
    "grant_date", "lapse_date", "transfer_date", "transfer_from", "transfer_to", "transfer_info", "licence_date",
    "licence_type", "licensor", "licensee", "licence_term_start", "licence_term_end", "licence_info", "pledge_date",
    "pledgee", "pledgor", "pledge_release_date", "pledge_info", "invalidation_date", "invalidation_decision",
    "invalidation_info", "legal_events",
)  # fmt: skip
_NUMBERS = ("publication_no", "link", "grant_no", "record_id")  # a record id may be a publication number (Google)

# A stored attribute → the file fields that feed it; an attribute not listed is fed by the field of its name.
FED_BY: dict[str, tuple[str, ...]] = {
    "publication_no": ("publication_no", "link", "record_id"),
    "publication_key": _NUMBERS,
    "kind": ("kind", "application_no", *_NUMBERS),
    "title": ("title", "text_bundle"),
    "abstract": ("abstract", "text_bundle"),
    "first_claim": ("first_claim", "claims"),
    "ipc_main": ("ipc_main", "ipc_codes"),
    "ipc_codes": ("ipc_main", "ipc_codes"),
    "ipc_invalid": ("ipc_main", "ipc_codes"),
    "province": ("province", "address"),
    "region_id": ("address",),
    "status_class": ("legal_status",),
    "priority": ("priority", "priority_date"),
    "family_key": ("family_id", "priority", "application_no"),
    "applicants": ("applicants", "patentees", "applicant_type"),
    "events": _EVENT_FIELDS,
}
MERGED = (
    "publication_no", "publication_key", "grant_no", "kind", "title", "abstract", "claims", "first_claim",
    "ipc_main", "ipc_codes", "ipc_invalid", "inventors", "address", "province", "region_id", "application_date",
    "publication_date", "grant_date", "legal_status", "patentees", "status_class", "fee_paid_through", "priority",
    "family", "family_size", "cited_count", "citing_count", "family_key", "applicants", "events",
)  # fmt: skip
FIELD_LABELS = {
    "publication_no": "公开号", "grant_no": "授权公告号", "kind": "专利类型", "title": "名称", "abstract": "摘要",
    "claims": "权利要求", "first_claim": "首项权利要求", "ipc_main": "主分类号", "ipc_codes": "IPC 分类号",
    "inventors": "发明人", "address": "地址", "province": "省份", "region_id": "所在盟市", "application_date": "申请日",
    "publication_date": "公开日", "grant_date": "授权日", "legal_status": "法律状态", "patentees": "当前权利人",
    "fee_paid_through": "年费缴至", "priority": "优先权", "family": "同族", "family_size": "同族数量",
    "cited_count": "被引证次数", "citing_count": "引证次数", "applicants": "申请人", "events": "法律事件",
}  # fmt: skip
_FOREIGN_TEXT = {"title": "原文标题", "abstract": "原文摘要"}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def carried(fields: Iterable[str]) -> frozenset[str]:
    """The stored attributes a file with these mapped fields carries."""
    present = set(fields)
    return frozenset(attr for attr in MERGED if present.intersection(FED_BY.get(attr, (attr,))))


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    carried_attrs: frozenset[str],
    job_id: int,
    tool: str,
    tool_of_job: Mapping[int, str],
) -> tuple[dict[str, Any], set[str]]:
    """The values to store and the attributes taken from ``new``. ``old`` and ``new`` hold every MERGED attribute
    plus ``extra`` and ``sources``; the result's ``sources`` and ``extra`` are merged too."""
    sources = dict(old.get("sources") or {})
    extra = dict(old.get("extra") or {})
    merged: dict[str, Any] = {}
    taken: set[str] = set()
    for attr in MERGED:
        value = new.get(attr)
        if not _takes(attr, old.get(attr), value, carried_attrs, tool, tool_of_job.get(sources.get(attr, -1))):
            merged[attr] = old.get(attr)
            if attr in _FOREIGN_TEXT and attr in carried_attrs and not is_empty(value) and value != old.get(attr):
                extra[_FOREIGN_TEXT[attr]] = value
            continue
        if _foreign_over_chinese(attr, value, old.get(attr)):  # the Chinese text replaces a foreign one: keep that
            extra[_FOREIGN_TEXT[attr]] = old.get(attr)
        merged[attr] = value
        sources[attr] = job_id
        taken.add(attr)
    for header, value in (new.get("extra") or {}).items():
        extra[header] = value
        sources[f"extra:{header}"] = job_id
    merged["extra"] = extra
    merged["sources"] = sources
    return merged, taken


def _takes(attr: str, old: Any, new: Any, carried_attrs: frozenset[str], tool: str, old_tool: str | None) -> bool:
    if attr not in carried_attrs:
        return False
    if is_empty(new):
        return old_tool == tool
    return not _foreign_over_chinese(attr, old, new)


def _foreign_over_chinese(attr: str, old: Any, new: Any) -> bool:
    """Whether ``new`` is a foreign text about to replace the Chinese ``old`` (of a title or abstract)."""
    chinese = isinstance(old, str) and bool(_HAN.search(old))
    return attr in _FOREIGN_TEXT and chinese and isinstance(new, str) and bool(new) and not _HAN.search(new)


def initial_sources(record_attrs: frozenset[str], extra: Mapping[str, str], job_id: int) -> dict[str, int]:
    """The sources of a newly imported patent: every attribute its file carries, and each kept column."""
    sources = dict.fromkeys(sorted(record_attrs), job_id)
    sources.update({f"extra:{header}": job_id for header in extra})
    return sources
