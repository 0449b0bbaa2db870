"""The audit trail: every change to an audited model, plus logins, exports and confidential views.

Each record is chained to the previous one by an HMAC whose key derives from the instance secret (kept
outside the database), and the chain's head is mirrored in a file under the data dir, so that editing,
deleting, reordering or truncating records directly in the database is caught by :func:`verify_chain`.

Records are appended when their transaction commits (see "appending" below), so the chain's head is locked
only from that append to the COMMIT. Which tables are audited row by row and which per import batch, and how
rows are checked against their records, is in :mod:`ipoc.audit.rows`.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session, SessionTransaction

from ipoc.audit.context import Actor, current_actor
from ipoc.audit.models import GENESIS_HASH, AuditHead, AuditRecord
from ipoc.config import get_settings
from ipoc.db import utcnow

REDACTED = "***"
_PENDING_HEAD = "ipoc_audit_head"
_META = "ipoc_audit_meta"


# --- serialisation ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _dumps(data: dict[str, Any] | None) -> str | None:
    if data is None:
        return None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))


def _chain_key() -> bytes:
    secret = get_settings().resolved_secret_key.encode()
    return hmac.new(secret, b"ipoc-audit-chain-v1", hashlib.sha256).digest()


def _link_hash(key: bytes, row: dict[str, Any]) -> str:
    payload = json.dumps(
        [
            row["id"],
            row["ts"].strftime("%Y-%m-%dT%H:%M:%S.%f"),
            row["actor_id"],
            row["actor_label"],
            row["entity_type"],
            row["entity_id"],
            row["action"],
            row["before_json"],
            row["after_json"],
            row["meta_json"],
            row["prev_hash"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


# --- appending ----------------------------------------------------------------------------------------
#
# Changes and logged events are only buffered in ``session.info`` while a transaction runs; they reach the chain
# in one append right before the commit (``before_commit``: flush, lock the head, insert, move the head), so the
# head's lock is held from that append to the COMMIT that follows at once, never across password hashing, file
# work or a request's other steps. A rollback drops the buffer; a savepoint rollback drops what was buffered
# since the savepoint began.

_BUFFER = "ipoc_audit_buffer"
_MARKS = "ipoc_audit_marks"
_COMMITTING = "ipoc_audit_committing"


@dataclass
class Entry:
    entity_type: str
    entity_id: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    actor: Actor | None = None


def _buffer(session: Session, entries: Iterable[Entry]) -> None:
    """Queue entries for the commit, with the actor and context of the moment they happened."""
    actor = current_actor(session.info)
    context = dict(session.info.get(_META) or {})
    if actor.ip:
        context["ip"] = actor.ip
    if actor.request_id:
        context["request_id"] = actor.request_id
    queued = [replace(e, actor=e.actor or actor, meta={**context, **(e.meta or {})} or None) for e in entries]
    if not queued:
        return
    if session.info.get(_COMMITTING):
        # Something flushed after this commit's append (another before_commit hook): append it now, the COMMIT
        # follows at once.
        _append(session, queued)
        return
    session.info.setdefault(_BUFFER, []).extend(queued)


def _append(session: Session, entries: list[Entry]) -> None:
    """Write entries at the chain's head; the head row stays locked until the commit that follows."""
    if not entries:
        return
    conn = session.connection()
    # Take the write lock before reading the head. PostgreSQL's FOR UPDATE does that; SQLite ignores it and,
    # when nothing else was written yet, would read the head outside any lock (two writers, one id).
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=AuditHead.last_id))
    head = conn.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    last_id, last_hash = head.last_id, head.last_hash
    key = _chain_key()
    rows = []
    ts = utcnow()
    for entry in entries:
        last_id += 1
        actor = entry.actor or current_actor(session.info)
        row = {
            "id": last_id,
            "ts": ts,
            "actor_id": actor.id,
            "actor_label": actor.label,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "action": entry.action,
            "before_json": _dumps(entry.before),
            "after_json": _dumps(entry.after),
            "meta_json": _dumps(entry.meta or None),
            "prev_hash": last_hash,
        }
        row["hash"] = last_hash = _link_hash(key, row)
        rows.append(row)
    conn.execute(insert(AuditRecord), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))
    session.info[_PENDING_HEAD] = (last_id, last_hash)


def log(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    meta: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record an event that changes no audited row: a login, an export, a view of a confidential record.

    Written when the session commits, in the order of the other changes of its transaction."""
    _buffer(session, [Entry(entity_type, str(entity_id), action, after=after, meta=meta)])


def set_reason(session: Session, reason: str, **meta: Any) -> None:
    """Attach a reason (and other context) to the audit records of the changes flushed next."""
    session.info[_META] = {"reason": reason, **meta}


# --- automatic records for audited models -------------------------------------------------------------


def _columns(obj: Any) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _snapshot(obj: Any) -> dict[str, Any]:
    hidden = getattr(obj, "__audit_redact__", ())
    return {k: REDACTED if k in hidden else _plain(getattr(obj, k)) for k in _columns(obj)}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    hidden = getattr(obj, "__audit_redact__", ())
    ignored = {"updated_at", *getattr(obj, "__audit_ignore__", ())}
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes() or key in ignored:
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[key] = REDACTED if key in hidden else _plain(old)
        after[key] = REDACTED if key in hidden else _plain(new)
    return before, after


def _entity_id(obj: Any) -> str:
    """The primary key as text; read from the row's values, since a new object has no identity yet here."""
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _update_action(obj: Any, before: dict[str, Any], after: dict[str, Any]) -> str:
    state_field = getattr(obj, "__state_field__", None)
    if state_field and state_field in after:
        return f"transition:{before.get(state_field)}->{after[state_field]}"
    return "update"


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _ctx: Any) -> None:
    entries: list[Entry] = []
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            entries.append(Entry(type(obj).__tablename__, _entity_id(obj), "create", after=_snapshot(obj)))
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                action = _update_action(obj, before, after)
                entries.append(Entry(type(obj).__tablename__, _entity_id(obj), action, before, after))
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            entries.append(Entry(type(obj).__tablename__, _entity_id(obj), "delete", before=_snapshot(obj)))
    _buffer(session, entries)
    session.info.pop(_META, None)


@event.listens_for(Session, "before_commit")
def _append_buffered(session: Session) -> None:
    """Flush, then append everything this transaction buffered: the head is locked only from here to COMMIT.

    Also runs when a savepoint is released (no code uses savepoints): its entries are then appended inside it."""
    session.flush()
    _append(session, session.info.pop(_BUFFER, []))
    if not session.in_nested_transaction():
        session.info[_COMMITTING] = True


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = (len(session.info.get(_BUFFER, [])), session.info.get(_PENDING_HEAD))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A savepoint rollback drops only what was buffered since the savepoint; a full rollback drops all."""
    mark = session.info.get(_MARKS, {}).pop(previous, None)
    if previous.nested and mark is not None:
        length, pending = mark
        del session.info.get(_BUFFER, [])[length:]
        session.info[_PENDING_HEAD] = pending
        if pending is None:
            session.info.pop(_PENDING_HEAD, None)
    elif previous.parent is None:
        _forget(session)


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # Whatever is still buffered belongs to a transaction that did not commit (closed, rolled back).
        session.info.pop(_BUFFER, None)
        session.info.pop(_MARKS, None)
        session.info.pop(_COMMITTING, None)


@event.listens_for(Session, "after_commit")
def _write_anchor(session: Session) -> None:
    pending = session.info.pop(_PENDING_HEAD, None)
    if pending is not None:
        write_anchor(*pending)


def _forget(session: Session) -> None:
    for key in (_PENDING_HEAD, _META, _BUFFER, _MARKS, _COMMITTING):
        session.info.pop(key, None)


@event.listens_for(Session, "after_rollback")
def _forget_head(session: Session) -> None:
    if not session.in_nested_transaction():
        _forget(session)


# --- the anchor file ----------------------------------------------------------------------------------


def _anchor_path() -> Path:
    return get_settings().audit_anchor_path


def read_anchor() -> tuple[int, str] | None:
    path = _anchor_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return int(data["last_id"]), str(data["last_hash"])


def write_anchor(last_id: int, last_hash: str) -> None:
    """Move the anchor forward, never back: concurrent writers may commit out of order."""
    path = _anchor_path()
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_anchor()
        if current is not None and current[0] >= last_id:
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"last_id": last_id, "last_hash": last_hash}))
        os.replace(tmp, path)


# --- verification and reading -------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_id: int | None = None
    message: str = "审计链完整"


def verify_chain(session: Session) -> VerifyResult:
    key = _chain_key()
    expected_id, expected_prev, checked = 1, GENESIS_HASH, 0
    rows = session.execute(select(AuditRecord.__table__).order_by(AuditRecord.id)).mappings()
    for row in rows:
        if row["id"] != expected_id:
            return VerifyResult(False, checked, row["id"], f"记录 {row['id']} 之前缺少记录 {expected_id}")
        if row["prev_hash"] != expected_prev:
            return VerifyResult(False, checked, row["id"], f"记录 {row['id']} 与前一条记录的链接不符")
        if _link_hash(key, dict(row)) != row["hash"]:
            return VerifyResult(False, checked, row["id"], f"记录 {row['id']} 的内容被改动")
        expected_id, expected_prev, checked = expected_id + 1, row["hash"], checked + 1
    last_id = expected_id - 1
    anchor = read_anchor()
    if anchor is not None:
        anchor_id, anchor_hash = anchor
        if anchor_id > last_id:
            return VerifyResult(
                False, checked, last_id + 1, f"最新的记录被删除：锚点为 {anchor_id}，数据库只到 {last_id}"
            )
        anchored = session.get(AuditRecord, anchor_id)
        if anchored is not None and anchored.hash != anchor_hash:
            return VerifyResult(False, checked, anchor_id, f"记录 {anchor_id} 与锚点不符")
    return VerifyResult(True, checked, message=f"审计链完整，共 {checked} 条记录")


def history(session: Session, entity_type: str, entity_id: object) -> list[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.entity_type == entity_type, AuditRecord.entity_id == str(entity_id))
        .order_by(AuditRecord.id)
    )
    return list(session.scalars(stmt))


def recent(session: Session, *, limit: int = 50, offset: int = 0) -> list[AuditRecord]:
    stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def decode(record: AuditRecord) -> dict[str, Any]:
    """The record's JSON parts as data, for display."""
    return {
        "before": json.loads(record.before_json) if record.before_json else None,
        "after": json.loads(record.after_json) if record.after_json else None,
        "meta": json.loads(record.meta_json) if record.meta_json else None,
    }
