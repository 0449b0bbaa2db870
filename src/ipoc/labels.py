"""Chinese names of model fields and of their coded values, for every change history shown to users.

Each model declares its own, next to its columns, so that any domain can add fields without touching a
central list (and this module imports no domain)::

    class OpenLicenceDeclaration(Base, Timestamped):
        __label__ = "开放许可声明"                       # what one row is called
        __labels__ = named(fee_method="许可使用费支付方式", ...)  # field → name (also keys inside JSON fields)
        __value_labels__ = coded(fee_method=FEE_METHODS, state=DECLARATION_STATES)  # code → name

Fields most tables share (``id``, ``created_at``, ``org_id`` …) are named once in :data:`COMMON`; a model's own
``__labels__`` wins over it. ``tests/test_history_labels.py`` fails when an audited column has no name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

COMMON: dict[str, str] = {
    "id": "编号",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "created_by_id": "登记人",
    "org_id": "单位",
    "center_id": "运营中心",
    "region_id": "盟市",
    "industry_id": "所属产业",
    "patent_id": "专利",
    "application_id": "申报材料",
    "call_id": "申报批次",
    "panel_id": "评审专家组",
    "notice_id": "公示",
    "event_id": "对接活动",
    "demand_id": "技术需求",
    "offer_id": "技术供给",
    "batch_id": "存量专利批次",
    "user_id": "用户",
    "expert_id": "评审专家",
    "decided_by_id": "决定人",
    "name": "名称",
    "title": "名称",
    "status": "状态",
    "state": "状态",
    "note": "备注",
    "notes": "备注",
    "year": "年度",
    "source": "来源",
    "kind": "类型",
    "summary": "概述",
    "description": "说明",
    "contact": "联系人及电话",
    "deadline": "截止日期",
    "submitted_at": "提交时间",
    "published_at": "发布时间",
    "decided_at": "决定时间",
    "sort_order": "排列顺序",
    "active": "启用",
    "published": "已公开",
    "reason": "理由",
}


def named(**labels: str) -> Mapping[str, str]:
    """A model's field names (``__labels__ = named(fee_method="许可使用费支付方式")``), read-only like a column."""
    return MappingProxyType(labels)


def coded(**maps: Mapping[Any, str] | Callable[[], Mapping[Any, str]]) -> Mapping[str, Any]:
    """A model's coded values per field (``__value_labels__ = coded(state=DECLARATION_STATES)``); a map may be a
    function returning it, where importing it when the model is defined would be an import cycle."""
    return MappingProxyType(maps)


def entity_label(cls: type | None, fallback: str = "记录") -> str:
    """What one row of this model is called (开放许可声明), or ``fallback`` for a model that says nothing."""
    return getattr(cls, "__label__", None) or fallback


def field_label(cls: type | None, key: str) -> str | None:
    """The Chinese name of a field (or of a key inside a JSON field); None when nobody named it."""
    own: Mapping[str, str] = getattr(cls, "__labels__", None) or {}
    return own.get(key) or COMMON.get(key)


def value_label(cls: type | None, key: str, value: Any) -> str | None:
    """The Chinese name of a coded value (``fee_method`` ``royalty`` → 按销售额提成…); None when not coded."""
    names: Mapping[str, Mapping[Any, str] | Callable[[], Mapping[Any, str]]] = (
        getattr(cls, "__value_labels__", None) or {}
    )
    table = names.get(key)
    if callable(table):  # a map the model cannot import when it is defined (its module imports the model's)
        table = table()
    if table is None or isinstance(value, dict | list):
        return None
    return table.get(value) or table.get(str(value))
