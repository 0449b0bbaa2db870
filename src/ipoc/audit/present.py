"""The audit trail as people read it: actions, actors, field names and values in Chinese.

Only the presentation: the stored records (``service``, hash-chained) keep their codes and JSON, and every
history on a page or in the API is read through :func:`readable`. Field and value names come from the models
(``ipoc.labels``); values are formatted as the rest of the platform shows them (Beijing times, 万元, 是/否,
a linked record by its name), and a code or key nobody named is left out rather than shown raw.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table, Time, select
from sqlalchemy.orm import Mapper, Session, object_session

from ipoc import clock, labels, money
from ipoc.audit.models import AuditRecord
from ipoc.audit.service import REDACTED
from ipoc.db import Base

ACTIONS = {
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "login": "登录",
    "login_failed": "登录失败",
    "login_throttled": "登录失败次数过多，暂停登录",
    "logout": "退出登录",
    "view": "查看",
    "download": "下载",
    "export": "导出",
    "import": "导入专利",
    "import_batch": "导入一批专利",
    "backup": "备份",
    "restore": "从备份恢复",
}
TRANSITION = "transition:"
LOGIN_ACTIONS = frozenset({"login", "login_failed", "login_throttled"})
# Entities logged that are no table of their own.
OTHER_ENTITIES = {"Job": "任务", "Patent": "专利", "instance": "平台数据", "legal_events": "法律事件"}
META_LABELS = {
    "reason": "理由",
    "ip": "IP 地址",
    "file": "文件",
    "rows": "行数",
    "format": "格式",
    "job": "任务编号",
    "count": "条数",
    "retry_after": "暂停秒数",
    "inserted": "新增条数",
    "updated": "更新条数",
    "application_no": "申请号",
    "application_nos": "申请号",
    "announcement_no": "公告号",
    "recordal_no": "备案号",
    "day": "日期",
    "years": "年份",
    "based_on": "所依据的评分表",
    "panel_id": "评审专家组",
    "outcome": "结果",
    "source": "依据",
    "sha256": "SHA-256 校验值",
    "other_key": "使用其他实例的密钥",
}
# Context kept for machines (request correlation, step codes already shown as the action, import id runs).
HIDDEN_META = frozenset({"request_id", "action", "patent_ids"})
# Bookkeeping fields no reader needs in a list of changes.
QUIET_FIELDS = frozenset({"id", "created_at", "updated_at"})
NAME_FIELDS = ("name", "title", "label", "display_name", "username", "application_no", "filename", "term", "org_name")
EMPTY = "（空）"


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: the record has no "before" (a creation) or no "after" (a deletion)
    after: str | None


@dataclass(frozen=True)
class Entry:
    id: int
    ts: datetime
    actor: str
    action: str
    entity: str
    entity_type: str
    entity_id: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _mappers() -> dict[str, Mapper]:
    return {m.local_table.name: m for m in Base.registry.mappers if isinstance(m.local_table, Table)}


def entity_types() -> list[tuple[str, str]]:
    """Every audited table and logged entity with its Chinese name, for the audit log's filter."""
    found = {name: labels.entity_label(m.class_) for name, m in _mappers().items() if _audited(m)}
    return sorted({**found, **OTHER_ENTITIES}.items(), key=lambda item: item[1])


def _audited(mapper: Mapper) -> bool:
    return bool(getattr(mapper.class_, "__audited__", False))


def entity_name(entity_type: str) -> str:
    mapper = _mappers().get(entity_type)
    return labels.entity_label(mapper.class_) if mapper else OTHER_ENTITIES.get(entity_type, "记录")


# --- values ----------------------------------------------------------------------------------------------


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _by_suffix(key: str, value: Any) -> str | None:
    """Amounts and rates named by their unit: ``*_yuan`` as 万元, ``*_pct`` and ``*_bp`` as percentages."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if key.endswith("_yuan"):
        return f"{money.wan(int(number))} 万元"
    if key.endswith("_pct"):
        return f"{number.normalize():f}%"
    if key.endswith("_bp"):
        return f"{(number / 100).normalize():f}%"
    return None


class Reader:
    """Formats the values of a page of records; linked records are named with one query per table."""

    def __init__(self, session: Session | None) -> None:
        self.session = session
        self.mappers = _mappers()
        self.wanted: dict[str, set[Any]] = defaultdict(set)
        self.names: dict[tuple[str, str], str] = {}

    # Linked records and users are collected first, then named in one query per table.
    def want(self, table: str, key: Any) -> None:
        if key is not None and not isinstance(key, dict | list | bool):
            self.wanted[table].add(key)

    def load_names(self) -> None:
        if self.session is None:
            return
        for table, keys in self.wanted.items():
            mapper = self.mappers.get(table)
            if mapper is None or len(mapper.primary_key) != 1:
                continue
            pk = mapper.primary_key[0]
            name_col = next((mapper.columns[n] for n in NAME_FIELDS if n in mapper.columns), None)
            if name_col is None:
                continue
            try:
                by_int = pk.type.python_type is int
            except NotImplementedError:
                continue
            typed = {int(k) for k in keys if str(k).isdigit()} if by_int else {str(k) for k in keys}
            for key, name in self.session.execute(select(pk, name_col).where(pk.in_(typed))):
                self.names[(table, str(key))] = str(name)

    def name_of(self, table: str, key: Any) -> str | None:
        return self.names.get((table, str(key)))

    def _foreign_table(self, mapper: Mapper | None, key: str) -> str | None:
        if mapper is None or key not in mapper.columns:
            return None
        fks = list(mapper.columns[key].foreign_keys)
        return fks[0].column.table.name if fks else None

    def collect(self, mapper: Mapper | None, data: dict[str, Any] | None) -> None:
        for key, value in (data or {}).items():
            table = self._foreign_table(mapper, key)
            if table:
                self.want(table, value)

    def value(self, mapper: Mapper | None, key: str, value: Any) -> str:
        """One field's value as a reader expects it."""
        cls = mapper.class_ if mapper else None
        if value is None or value == "" or value == [] or value == {}:
            return EMPTY
        if value == REDACTED:
            return "（不显示）"
        named = labels.value_label(cls, key, value)
        if named:
            return named
        column = mapper.columns[key] if mapper is not None and key in mapper.columns else None
        table = self._foreign_table(mapper, key)
        if table:
            return self.name_of(table, value) or f"编号 {value}"
        if column is not None:
            shown = self._typed(column.type, value)
            if shown is not None:
                return shown
        if isinstance(value, bool):
            return "是" if value else "否"
        by_unit = _by_suffix(key, value)
        if by_unit:
            return by_unit
        if isinstance(value, list):
            return "、".join(self._item(mapper, key, v) for v in value)
        if isinstance(value, dict):
            return self._mapping(mapper, value)
        return _number(value)

    def _typed(self, column_type: Any, value: Any) -> str | None:
        if isinstance(column_type, Boolean):
            return "是" if value else "否"
        if isinstance(column_type, DateTime) and isinstance(value, str):
            try:
                return clock.beijing(datetime.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(column_type, Date) and isinstance(value, str):
            return value[:10]
        if isinstance(column_type, Time) and isinstance(value, str):
            return value[:5]
        return None

    def _item(self, mapper: Mapper | None, key: str, item: Any) -> str:
        if isinstance(item, dict):
            title = next((item[k] for k in ("label", "name", "title") if item.get(k)), None)
            return str(title) if title else self._mapping(mapper, item)
        return labels.value_label(mapper.class_ if mapper else None, key, item) or self.value(None, key, item)

    def _mapping(self, mapper: Mapper | None, data: dict[str, Any]) -> str:
        """A JSON object by its named keys; keys nobody named are counted, never shown raw."""
        cls = mapper.class_ if mapper else None
        parts = []
        for key, value in data.items():
            label = labels.field_label(cls, key)
            if label:
                parts.append(f"{label}：{self.value(mapper, key, value)}")
        hidden = len(data) - len(parts)
        if hidden:
            parts.append(f"另有 {hidden} 项")
        return "；".join(parts)


def described(obj: Any, key: str) -> str:
    """A JSON field of a row (a legal event's detail) as its model names it: 许可类型：独占许可；被许可人：…"""
    mapper = _mappers().get(type(obj).__tablename__)
    value = getattr(obj, key)
    return Reader(None).value(mapper, key, value) if value else ""


# --- records ---------------------------------------------------------------------------------------------


def _decoded(raw: str | None) -> dict[str, Any] | None:
    data = json.loads(raw) if raw else None
    return data if isinstance(data, dict) else None


def _action(record: AuditRecord, mapper: Mapper | None) -> str:
    if record.action.startswith(TRANSITION):
        cls = mapper.class_ if mapper else None
        state_field = getattr(cls, "__state_field__", "status")
        old, _, new = record.action.removeprefix(TRANSITION).partition("->")
        names = [
            labels.value_label(cls, state_field, s) or ("（无）" if s == "None" else "其他状态") for s in (old, new)
        ]
        return f"状态变更：{names[0]} → {names[1]}"
    return ACTIONS.get(record.action, "其他操作")


def _actor(record: AuditRecord, reader: Reader) -> str:
    """A user by name; the public, the command line and the platform's own jobs by what they are."""
    label = record.actor_label
    if record.actor_id is not None:
        return reader.name_of("users", record.actor_id) or label
    if label == "anonymous":
        if record.action in LOGIN_ACTIONS:
            tried = reader.name_of("users", record.entity_id) if record.entity_id.isdigit() else record.entity_id
            return f"匿名（登录尝试：{tried or record.entity_id}）"
        return "匿名"
    if label.startswith("cli:"):
        return f"命令行（{label.removeprefix('cli:')}）"
    if label == "system":
        return "系统"
    return label


def _changes(record: AuditRecord, mapper: Mapper | None, reader: Reader) -> list[Change]:
    before, after = _decoded(record.before_json) or {}, _decoded(record.after_json) or {}
    keys = [k for k in {**before, **after} if k not in QUIET_FIELDS]
    if record.action != "update" and not record.action.startswith(TRANSITION):
        # A creation or deletion lists what the row held, leaving out the empty fields.
        keys = [k for k in keys if reader.value(mapper, k, after.get(k, before.get(k))) != EMPTY]
    cls = mapper.class_ if mapper else None
    changes = []
    for key in keys:
        label = labels.field_label(cls, key)
        if label is None:
            continue  # a field without a name is not shown raw (tests/test_history_labels.py names them all)
        old = reader.value(mapper, key, before[key]) if key in before else None
        new = reader.value(mapper, key, after[key]) if key in after else None
        changes.append(Change(label, old, new))
    return changes


def _notes(record: AuditRecord, mapper: Mapper | None, reader: Reader) -> list[str]:
    meta = _decoded(record.meta_json) or {}
    notes = []
    for key, value in meta.items():
        if key in HIDDEN_META or key not in META_LABELS or value in (None, "", []):
            continue
        cls = mapper.class_ if mapper else None
        shown = labels.value_label(cls, key, value) or reader.value(None, key, value)
        if key == "panel_id":
            shown = reader.name_of("panels", value) or f"编号 {value}"
        notes.append(f"{META_LABELS[key]}：{shown}")
    return notes


def _entity(record: AuditRecord, mapper: Mapper | None, reader: Reader) -> str:
    name = entity_name(record.entity_type)
    if record.entity_id in ("-", ""):
        return name
    own = reader.name_of(record.entity_type, record.entity_id)
    return f"{name}：{own}" if own else f"{name} {record.entity_id}"


def readable(records: Iterable[AuditRecord], session: Session | None = None) -> list[Entry]:
    """Records as entries a person reads: the chain's rows themselves are not changed."""
    records = list(records)
    if not records:
        return []
    reader = Reader(session or object_session(records[0]))
    mappers = reader.mappers
    for r in records:
        mapper = mappers.get(r.entity_type)
        reader.want("users", r.actor_id)
        reader.want(r.entity_type, r.entity_id)
        meta = _decoded(r.meta_json) or {}
        reader.want("panels", meta.get("panel_id"))
        for data in (_decoded(r.before_json), _decoded(r.after_json)):
            reader.collect(mapper, data)
    reader.load_names()
    entries = []
    for r in records:
        mapper = mappers.get(r.entity_type)
        entries.append(
            Entry(
                id=r.id,
                ts=r.ts,
                actor=_actor(r, reader),
                action=_action(r, mapper),
                entity=_entity(r, mapper, reader),
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                changes=_changes(r, mapper, reader),
                notes=_notes(r, mapper, reader),
            )
        )
    return entries
