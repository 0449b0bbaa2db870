"""Sessions and logins through real HTTP: a copied cookie is refused after logout, password changes and
disabling end other sessions, logins slow down with growing delays per username and per address (never a
lockout of a known address), weak new passwords are refused saying why, the import's rejected-row report
is formula-safe, and every page carries a Content-Security-Policy that no template needs to break."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ipoc.auth import service as accounts
from ipoc.auth.models import LoginAttempt, User, UserSession
from ipoc.auth.roles import Role
from ipoc.db import session_scope, utcnow
from ipoc.web.deps import SESSION_COOKIE
from tests.conftest import PASSWORD, login, make_user, post_form
from tests.import_files import counts, good_row, report_rows, run_import, write_csv

NEW_PASSWORD = "Zq7-grassland-2031"


def client_at(app, ip: str) -> TestClient:
    """A browser at its own client address (the throttle counts per address)."""
    return TestClient(app, base_url="http://testserver", follow_redirects=False, client=(ip, 50000))


def attempts() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count(LoginAttempt.id))) or 0


# --- server-side sessions -------------------------------------------------------------------------------


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, session):
    make_user(session, "alice", Role.EXPERT)
    assert login(client, "alice").status_code == 303
    stolen = client.cookies[SESSION_COOKIE]
    assert client.get("/api/v1/me").status_code == 200

    assert post_form(client, "/logout", {}).status_code == 303
    with session_scope() as s:
        row = s.scalars(select(UserSession)).one()
        assert row.revoked_at is not None and row.ip == "testclient" and row.user_agent

    with client_at(app, "10.9.9.9") as thief:
        thief.cookies.set(SESSION_COOKIE, stolen)
        assert thief.get("/api/v1/me").status_code == 401
        page = thief.get("/dashboard")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_each_login_is_its_own_session_and_unknown_tokens_are_anonymous(app, client, session):
    make_user(session, "alice", Role.EXPERT)
    login(client, "alice")
    with client_at(app, "10.0.0.2") as other:
        login(other, "alice")
        assert other.get("/api/v1/me").status_code == 200
        post_form(other, "/logout", {})
    assert client.get("/api/v1/me").status_code == 200  # the other browser's logout ends only its session
    with session_scope() as s:
        assert s.scalar(select(func.count(UserSession.id)).where(UserSession.revoked_at.is_(None))) == 1
    assert accounts.session_user(session, "not-a-token") is None


def test_a_password_change_ends_the_other_sessions(app, client, session):
    make_user(session, "alice", Role.EXPERT)
    login(client, "alice")
    with client_at(app, "10.0.0.3") as other:
        login(other, "alice")
        answer = post_form(
            client,
            "/account/password",
            {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        )
        assert answer.status_code == 303, answer.text
        assert other.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200  # the one that changed it goes on, in a fresh session


def test_disabling_an_account_ends_its_sessions(app, client, session):
    make_user(session, "root", Role.REGION_ADMIN)
    alice = make_user(session, "alice", Role.EXPERT)
    with client_at(app, "10.0.0.4") as victim:
        login(victim, "alice")
        assert victim.get("/api/v1/me").status_code == 200
        login(client, "root")
        answer = post_form(client, f"/admin/users/{alice.id}", {"active": "false", "reason": "离职"})
        assert answer.status_code == 303, answer.text
        assert victim.get("/api/v1/me").status_code == 401
    with session_scope() as s:
        assert s.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == alice.id)) == 1
        assert s.scalar(select(UserSession.revoked_at).where(UserSession.user_id == alice.id)) is not None


def test_an_idle_session_expires_on_the_server(app, client, session, instance):
    make_user(session, "alice", Role.EXPERT)
    with time_machine.travel(utcnow().replace(microsecond=0), tick=False) as clock:
        login(client, "alice")
        clock.shift(timedelta(minutes=instance.session_idle_minutes - 1))
        assert client.get("/api/v1/me").status_code == 200  # a request keeps it alive
        clock.shift(timedelta(minutes=instance.session_idle_minutes - 1))
        assert client.get("/api/v1/me").status_code == 200
        clock.shift(timedelta(minutes=instance.session_idle_minutes + 1))
        assert client.get("/api/v1/me").status_code == 401


def test_old_sessions_and_attempts_are_pruned_at_the_next_login(client, session):
    alice = make_user(session, "alice", Role.EXPERT)
    long_ago = utcnow() - timedelta(days=100)
    session.add(UserSession(id="0" * 64, user_id=alice.id, created_at=long_ago, last_seen_at=long_ago))
    session.add(LoginAttempt(username="alice", ip="10.8.8.8", ts=long_ago, success=False))
    session.commit()
    assert login(client, "alice").status_code == 303
    with session_scope() as s:
        assert s.scalar(select(func.count(UserSession.id))) == 1  # only the new one
        assert s.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.ts < utcnow() - timedelta(days=95))) == 0


# --- throttling -----------------------------------------------------------------------------------------


def bad_login(client, username: str):
    return login(client, username, "Wrong-password-123")


def test_failures_from_one_address_slow_it_down_with_growing_delays(app, session, instance):
    make_user(session, "alice", Role.EXPERT)
    start = utcnow().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock, client_at(app, "10.1.1.1") as browser:
        for _ in range(instance.login_max_failures):
            assert bad_login(browser, "alice").status_code == 401
        before = attempts()
        refused = login(browser, "alice")  # the right password, but it is not even checked
        assert refused.status_code == 429
        assert "登录失败次数过多" in refused.text and refused.headers["Retry-After"] == "2"
        assert attempts() == before
        clock.shift(timedelta(seconds=2))
        assert bad_login(browser, "alice").status_code == 401  # waited: checked again
        assert login(browser, "alice").headers["Retry-After"] == "4"  # and the delay doubled
        clock.shift(timedelta(seconds=4))
        assert login(browser, "alice").status_code == 303
        clock.shift(timedelta(seconds=1))
        post_form(browser, "/logout", {})
        assert bad_login(browser, "alice").status_code == 401  # a success starts the count afresh


def test_delays_are_capped(app, session, instance):
    make_user(session, "alice", Role.EXPERT)
    cap = instance.login_lock_minutes * 60
    assert accounts.throttle_delay(instance.login_max_failures + 40, instance.login_max_failures) == cap
    assert accounts.throttle_delay(instance.login_max_failures - 1, instance.login_max_failures) == 0


def test_a_spray_against_admin_does_not_slow_admin_at_a_known_address(app, session):
    make_user(session, "admin2", Role.REGION_ADMIN)
    frozen = time_machine.travel(utcnow().replace(microsecond=0), tick=False)  # no delay runs out meanwhile
    with frozen, client_at(app, "10.2.2.2") as office:
        assert login(office, "admin2").status_code == 303  # the address becomes known
        post_form(office, "/logout", {})
        refused = 0
        for n in range(accounts.USERNAME_FREE_FAILURES + 3):  # a spray from many places, two tries each
            with client_at(app, f"192.0.2.{n}") as attacker:
                answers = [bad_login(attacker, "admin2").status_code for _ in range(2)]
                refused += answers.count(429)
        assert refused >= 2  # the unknown addresses were slowed, together
        with client_at(app, "192.0.2.200") as fresh:
            assert login(fresh, "admin2").status_code == 429  # even a fresh unknown address waits
        assert login(office, "admin2").status_code == 303  # the known address was never slowed


def test_failures_at_a_known_address_do_not_slow_the_unknown_ones(instance):
    """The per-username count looks only at addresses where the user never logged in."""
    accounts.record_attempt("carol", "10.5.5.1", True)
    for _ in range(accounts.USERNAME_FREE_FAILURES + 2):
        accounts.record_attempt("carol", "10.5.5.1", False)  # her own typing, at her office
    accounts.check_throttle("carol", "10.5.5.2")  # a new address: not slowed by those
    for n in range(accounts.USERNAME_FREE_FAILURES):
        accounts.record_attempt("carol", f"198.51.100.{n}", False)
    with pytest.raises(accounts.TooManyAttempts):
        accounts.check_throttle("carol", "10.5.5.2")


def test_spraying_many_usernames_from_one_address_is_slowed(app, session):
    make_user(session, "bob", Role.EXPERT)
    make_user(session, "carl", Role.EXPERT)
    frozen = time_machine.travel(utcnow().replace(microsecond=0), tick=False)
    with frozen, client_at(app, "10.3.3.3") as sprayer:
        assert login(sprayer, "carl").status_code == 303  # carl works here (an office behind one address)
        post_form(sprayer, "/logout", {})
        for n in range(accounts.ADDRESS_FREE_FAILURES):
            assert bad_login(sprayer, f"user{n}").status_code == 401
        answer = login(sprayer, "bob")
        assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
        with client_at(app, "10.3.3.4") as elsewhere:
            assert login(elsewhere, "bob").status_code == 303  # another address is not affected
        assert login(sprayer, "carl").status_code == 303  # nor a user who has logged in here before


def test_throttled_and_failed_logins_are_audited(app, session, instance):
    from ipoc.audit.service import recent

    make_user(session, "alice", Role.EXPERT)
    with client_at(app, "10.4.4.4") as browser:
        for _ in range(instance.login_max_failures):
            bad_login(browser, "alice")
        assert login(browser, "alice").status_code == 429
    session.expire_all()
    actions = [r.action for r in recent(session, limit=20)]
    assert actions.count("login_failed") == instance.login_max_failures and "login_throttled" in actions


# --- passwords ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password12", "常见或已泄露"),
        ("qwerty1234", "常见或已泄露"),
        ("ipocDemo2026", "演示"),
        ("xaliceX2026", "用户名"),
    ],
)
def test_the_first_login_change_says_which_rule_a_weak_password_breaks(client, session, password, reason):
    user = make_user(session, "alice", Role.EXPERT)
    user.must_change_password = True
    session.commit()
    assert login(client, "alice").headers["location"] == "/account/password"
    answer = post_form(
        client, "/account/password", {"old_password": PASSWORD, "new_password": password, "confirm_password": password}
    )
    assert answer.status_code == 422
    assert 'data-field="new_password"' in answer.text and reason in answer.text
    assert 'id="f-new_password"' in answer.text  # the form is shown again, with the field
    with session_scope() as s:
        assert s.scalar(select(User.must_change_password).where(User.username == "alice"))


def test_the_common_password_list_is_bundled_and_large():
    from ipoc.auth.passwords import common_passwords

    listed = common_passwords()
    assert len(listed) >= 10_000 and {"password12", "qwerty1234"} <= listed


# --- formula-safe import report -------------------------------------------------------------------------


def test_the_import_report_is_formula_safe(instance, tmp_path):
    hyperlink = '=HYPERLINK("http://x","y")'
    command = "+cmd|' /C calc'!A0"
    rows = [good_row(1), good_row(2, 申请号=hyperlink), good_row(3, 申请日=command)]
    report = tmp_path / "report.csv"
    result = counts(run_import(write_csv(tmp_path / "hostile.csv", rows), "--report", str(report)))
    assert result["imported"] == 1 and result["rejected"] == 2
    values = [row["原值"] for row in report_rows(report)]
    assert "'" + hyperlink in values and "'" + command in values
    assert not any(v.startswith(("=", "+", "-", "@")) for row in report_rows(report) for v in row.values())


# --- Content-Security-Policy ----------------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "ipoc" / "web" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)


def test_pages_carry_a_policy_without_inline_scripts(client, session):
    make_user(session, "root", Role.REGION_ADMIN)
    login(client, "root")
    for path in ("/", "/login", "/dashboard", "/orgs", "/admin/users", "/api/docs", "/api/v1/me", "/no-such-page"):
        answer = client.get(path)
        policy = answer.headers.get("content-security-policy", "")
        assert "script-src 'self';" in policy and "'unsafe-eval'" not in policy, (path, policy)
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy and "form-action 'self'" in policy
        if answer.headers.get("content-type", "").startswith("text/html"):
            assert not INLINE_SCRIPT.search(answer.text), path
            assert not HANDLER.search(answer.text), path
    docs = client.get("/api/docs").text
    assert '<script src="/static/swagger-init.js">' in docs
    assert client.get("/static/swagger-init.js").status_code == 200


def test_no_template_has_an_inline_script_or_event_handler():
    checked = 0
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), f"{template.name}: inline <script> (move it to /static)"
        assert not HANDLER.search(text), f"{template.name}: on*/hx-on handler (use data-* and /static/ipoc.js)"
        checked += 1
    assert checked > 50
    assert "allowEval" in (TEMPLATES / "base.html").read_text(encoding="utf-8")


def test_a_failure_recorded_by_a_concurrent_login_does_not_slow_a_login_below_the_free_failures(instance):
    """Another request may record its failure after this one read the clock: no delay is due below the free
    failures, whatever the order (this once answered a correct login 429)."""
    accounts.record_attempt("alice", "10.0.0.1", False)
    with session_scope() as own:
        assert accounts._wait_seconds(own, "alice", "10.0.0.1", utcnow() - timedelta(seconds=5)) == 0
