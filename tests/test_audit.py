"""The audit trail: records for every change, redaction, chain verification, serialised appends."""

from __future__ import annotations

import json
import threading
import time

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


# --- appends hold the head only from the commit's append to its COMMIT ---------------------------------


def _actions(session, *actions):
    return session.scalars(select(AuditRecord).where(AuditRecord.action.in_(actions)).order_by(AuditRecord.id)).all()


def test_records_keep_the_order_of_the_changes_and_a_savepoint_rollback_drops_only_its_own(session):
    session.add(Industry(name="先", naming_term="先", category="重点", source="x"))
    session.flush()
    audit.log(session, "view", "Patent", 1)
    with session.begin_nested() as savepoint:
        session.add(Industry(name="撤回", naming_term="撤回", category="重点", source="x"))
        audit.log(session, "view", "Patent", 2)
        session.flush()
        savepoint.rollback()
    session.add(Industry(name="后", naming_term="后", category="重点", source="x"))
    session.flush()  # a change is recorded when it reaches the database, as before
    audit.log(session, "export", "Patent", 3)
    session.commit()
    rows = session.scalars(
        select(AuditRecord).where(AuditRecord.entity_type.in_(["industries", "Patent"])).order_by(AuditRecord.id)
    ).all()
    tail = [(r.action, r.entity_id if r.entity_type == "Patent" else json.loads(r.after_json)["name"]) for r in rows]
    assert tail[-4:] == [("create", "先"), ("view", "1"), ("create", "后"), ("export", "3")]
    assert ("view", "2") not in tail and ("create", "撤回") not in tail
    assert audit.verify_chain(session).ok


def test_a_rolled_back_log_entry_is_never_written(session):
    before = audit.verify_chain(session).checked
    audit.log(session, "view", "Patent", 1)
    session.rollback()
    session.commit()
    assert audit.verify_chain(session).checked == before


def test_an_open_transaction_does_not_hold_up_other_audited_commits(instance, backend):
    """One request holds an audited change (flushed on PostgreSQL; on SQLite, whose one writer at a time would
    serialise any two flushes, logged and staged) and sleeps, as password hashing or file work would; another
    logs a login and commits meanwhile, without waiting for the first."""
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    took: list[float] = []

    def slow() -> None:
        try:
            with session_scope() as s:
                s.add(Industry(name="慢", naming_term="慢", category="重点", source="x"))
                audit.log(s, "view", "Patent", "slow")
                if backend == "postgresql":
                    s.flush()
                holding.set()
                done.wait(10)
        except BaseException as exc:  # collected and checked in the main thread
            errors.append(exc)

    def fast() -> None:
        try:
            holding.wait(10)
            start = time.monotonic()
            with session_scope() as s:
                audit.log(s, "login", "users", 1)
            took.append(time.monotonic() - start)
        except BaseException as exc:  # collected and checked in the main thread
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=slow), threading.Thread(target=fast)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert took and took[0] < 2.0, f"the second commit waited {took} s for the first transaction"
    with session_scope() as s:
        assert audit.verify_chain(s).ok
        login, view = _actions(s, "login", "view")
        assert login.id < view.id  # appended at commit: the one committed first comes first
        assert s.scalar(select(Industry).where(Industry.name == "慢")) is not None


def test_concurrent_logins_failed_logins_and_logouts_complete_and_verify(app, session):
    """Eight browsers at once: a failed login, a login and a logout each; every record is written, none waits on
    another's transaction, and the chain verifies."""
    from fastapi.testclient import TestClient

    from tests.conftest import csrf_of, login

    for n in range(8):
        make_user(session, f"peer{n}", Role.EXPERT)
    errors: list[BaseException] = []
    statuses: list[tuple[int, int, int]] = []

    server = TestClient(app, base_url="http://testserver", follow_redirects=False)

    def visit(n: int) -> None:
        try:
            client = TestClient(app, base_url="http://testserver", follow_redirects=False)
            client.portal = server.portal  # one event loop for all eight browsers, as in one server process
            failed = login(client, f"peer{n}", "wrong-password").status_code
            ok = login(client, f"peer{n}").status_code
            out = client.post("/logout", data={"csrf_token": csrf_of(client)}).status_code
            statuses.append((failed, ok, out))
        except BaseException as exc:  # collected and checked in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=visit, args=(n,)) for n in range(8)]
    start = time.monotonic()
    with server:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not any(t.is_alive() for t in threads), "logins deadlocked"
    assert errors == []
    assert sorted(statuses) == [(401, 303, 303)] * 8
    assert time.monotonic() - start < 120
    session.expire_all()
    for action in ("login_failed", "login", "logout"):
        assert len(_actions(session, action)) == 8
    assert audit.verify_chain(session).ok
