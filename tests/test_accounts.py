"""Accounts: passwords, throttling, scopes, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from ipoc.auth import service as accounts
from ipoc.auth.models import ApiToken
from ipoc.auth.passwords import check_password_rule, verify_password
from ipoc.auth.roles import Role
from ipoc.db import utcnow
from ipoc.errors import Conflict, InvalidInput, NotFound
from tests.conftest import PASSWORD, make_user
from tests.factories import make_org


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "至少"),
        ("onlyletters", "字母和数字"),
        ("1234567890", "字母和数字"),
        ("xalice12345", "用户名"),
        ("password12", "常见或已泄露"),
        ("qwerty1234", "常见或已泄露"),
        ("Password12", "常见或已泄露"),
        ("ipocDemo2026", "演示"),
    ],
)
def test_password_rule(password, reason):
    with pytest.raises(InvalidInput, match=reason):
        check_password_rule(password, username="alice")


def test_passwords_are_hashed_with_argon2(session):
    user = make_user(session, "alice", Role.EXPERT)
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD) and not verify_password(user.password_hash, "nope")


def test_usernames_are_unique_regardless_of_case(session):
    make_user(session, "alice", Role.EXPERT)
    with pytest.raises(Conflict):
        make_user(session, "ALICE", Role.EXPERT)


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        (Role.BUREAU_OFFICER, None, "盟市"),
        (Role.BUREAU_OFFICER, "火星市", "未找到盟市"),
        (Role.CENTER_STAFF, None, "运营中心"),
        (Role.MEMBER, "不存在的单位", "未找到单位"),
        (Role.EXPERT, "包头市", "未找到单位"),
        (Role.REGION_ADMIN, "包头市", "不限定范围"),
    ],
)
def test_scopes_are_checked(session, role, scope, message):
    with pytest.raises((InvalidInput, NotFound), match=message):
        make_user(session, "scoped", role, scope)


def test_an_expert_may_name_the_organisation_they_work_for(session):
    org = make_org(session, "内蒙古大学", type_code="university", city="呼和浩特市")
    assert make_user(session, "prof", Role.EXPERT, "内蒙古大学").org_id == org.id
    assert make_user(session, "free", Role.EXPERT).org_id is None


def test_login_succeeds_and_is_audited(session):
    from ipoc.audit.service import recent

    make_user(session, "alice", Role.EXPERT)
    user, error = accounts.authenticate(session, "Alice", PASSWORD, ip="10.0.0.1")
    assert user is not None and error == ""
    session.commit()  # audit records join the chain at commit
    assert recent(session, limit=1)[0].action == "login"


def test_login_is_throttled_after_repeated_failures(session, instance):
    make_user(session, "alice", Role.EXPERT)
    for _ in range(instance.login_max_failures):
        user, error = accounts.authenticate(session, "alice", "wrong-password1")
        session.commit()  # as the request does: the attempts themselves are committed on their own
        assert user is None and "用户名或密码错误" in error
    with pytest.raises(accounts.TooManyAttempts, match="失败次数过多") as refused:
        accounts.authenticate(session, "alice", PASSWORD)
    assert refused.value.status_code == 429 and refused.value.retry_after >= 1


def test_a_disabled_user_cannot_log_in_and_loses_sessions(session):
    user = make_user(session, "alice", Role.EXPERT)
    epoch = user.session_epoch
    accounts.set_active(session, user, False, reason="离职")
    session.commit()
    assert user.session_epoch == epoch + 1
    assert accounts.authenticate(session, "alice", PASSWORD)[0] is None


def test_changing_the_password_clears_the_forced_change(session):
    user = make_user(session, "alice", Role.EXPERT)
    user.must_change_password = True
    with pytest.raises(InvalidInput, match="原密码"):
        accounts.change_password(session, user, "wrong", "Another2026pw")
    with pytest.raises(InvalidInput, match="相同"):
        accounts.change_password(session, user, PASSWORD, PASSWORD)
    accounts.change_password(session, user, PASSWORD, "Another2026pw")
    assert not user.must_change_password


def test_rescoping_moves_an_officer_and_ends_old_sessions(session):
    user = make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    epoch = user.session_epoch
    accounts.update_user(session, user, role=Role.BUREAU_OFFICER, scope="赤峰市")
    assert user.region.name == "赤峰市" and user.session_epoch == epoch + 1
    with pytest.raises(InvalidInput):
        accounts.update_user(session, user, scope="包头市")


def test_tokens_authenticate_until_revoked_or_expired(session):
    user = make_user(session, "alice", Role.EXPERT)
    token, plaintext = accounts.create_token(session, user, "脚本")
    assert plaintext.startswith("ipoc_") and token.token_hash != plaintext
    assert accounts.user_for_token(session, plaintext) is user
    assert accounts.user_for_token(session, plaintext + "x") is None
    session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.expire_all()
    assert accounts.user_for_token(session, plaintext) is None
    _, second = accounts.create_token(session, user, "第二个")
    principal = accounts.principal_for(session, user)
    accounts.revoke_token(session, principal, session.query(ApiToken).order_by(ApiToken.id.desc()).first().id)
    assert accounts.user_for_token(session, second) is None
