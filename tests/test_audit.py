"""The audit trail: records for every change, redaction, chain verification, serialised appends."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select, text

from ipoc.audit import service as audit
from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Role
from ipoc.db import get_engine, session_factory, session_scope
from ipoc.reference.models import Industry
from ipoc.reference.schemas import IndustryIn
from ipoc.reference.service import save_industry
from tests.conftest import make_user


def _records(session, entity_type):
    return session.scalars(select(AuditRecord).where(AuditRecord.entity_type == entity_type)).all()


def test_create_update_delete_are_recorded_with_before_and_after(session):
    data = IndustryIn(name="氢能", naming_term="氢能", category="重点", source="自治区氢能产业发展规划")
    industry = save_industry(session, data)
    save_industry(session, data.model_copy(update={"category": "优势特色"}), industry.id)
    session.delete(industry)
    session.commit()
    rows = [r for r in _records(session, "industries") if r.entity_id == str(industry.id)]
    create, update, delete = rows
    assert (create.action, update.action, delete.action) == ("create", "update", "delete")
    assert json.loads(create.after_json)["name"] == "氢能"
    assert json.loads(update.before_json) == {"category": "重点"}
    assert json.loads(update.after_json) == {"category": "优势特色"}
    assert json.loads(delete.before_json)["category"] == "优势特色"


def test_state_changes_and_reasons_are_recorded(session):
    user = make_user(session, "alice", Role.EXPERT)
    audit.set_reason(session, "测试原因")
    user.active = False
    session.commit()
    last = _records(session, "users")[-1]
    assert json.loads(last.meta_json)["reason"] == "测试原因"


def test_secrets_never_reach_the_trail(session):
    user = make_user(session, "alice", Role.EXPERT)
    rows = _records(session, "users")
    assert rows and all(user.password_hash not in (r.after_json or "") for r in rows)
    assert json.loads(rows[0].after_json)["password_hash"] == audit.REDACTED


def test_a_rolled_back_change_leaves_no_record(session):
    before = audit.verify_chain(session).checked
    session.add(Industry(name="临时", naming_term="临时", category="重点", source="x"))
    session.flush()
    session.rollback()
    assert audit.verify_chain(session).checked == before


SWAP = (
    "UPDATE audit_records SET id = CASE id WHEN 2 THEN 3 WHEN 3 THEN 2 END + 100 WHERE id IN (2, 3);"
    "UPDATE audit_records SET id = id - 100 WHERE id > 100"
)


@pytest.mark.parametrize(
    ("tamper", "bad_id"),
    [
        ("UPDATE audit_records SET after_json = '{}' WHERE id = 2", 2),
        ("UPDATE audit_records SET actor_label = 'someone else' WHERE id = 3", 3),
        ("DELETE FROM audit_records WHERE id = 2", 3),
        (SWAP, 2),
        ("DELETE FROM audit_records WHERE id >= 4", 4),
    ],
    ids=["edit-content", "edit-actor", "delete-middle", "reorder", "delete-newest"],
)
def test_chain_detects_tampering(session, tamper, bad_id):
    for n in range(5):
        make_user(session, f"user{n}", Role.EXPERT)
    assert audit.verify_chain(session).ok
    with get_engine().begin() as conn:
        for statement in tamper.split(";"):
            conn.execute(text(statement))
    session.expire_all()
    result = audit.verify_chain(session)
    assert not result.ok
    assert result.bad_id == bad_id


def test_concurrent_writers_do_not_fork_the_chain(instance, backend):
    """Many threads append at once; every record links to the one before it."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            s = session_factory()()
            for k in range(5):
                s.add(Industry(name=f"并发{n}-{k}", naming_term=f"并发{n}{k}", category="重点", source="test"))
                s.commit()
            s.close()
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = session_factory()()
    result = audit.verify_chain(s)
    s.close()
    assert result.ok and result.checked == 30
    assert audit.read_anchor()[0] == 30


def test_concurrent_log_entries_without_other_writes_do_not_collide(instance):
    """A record logged by a transaction that wrote nothing else (a view, an export) must still take the
    chain's write lock before reading the head: on SQLite it once read the head unlocked and two threads
    took the same id."""
    errors: list[BaseException] = []

    def log_views(n: int) -> None:
        for k in range(10):
            try:
                with session_scope() as s:
                    s.execute(select(1))
                    audit.log(s, "view", "Patent", f"{n}-{k}")
            except BaseException as exc:  # collected and checked in the main thread
                errors.append(exc)

    threads = [threading.Thread(target=log_views, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope() as s:
        result = audit.verify_chain(s)
    assert result.ok and result.checked == 40
