"""The web shell over real HTTP: login, sessions, CSRF, Chinese form errors, error pages."""

from __future__ import annotations

import re

from ipoc.auth.roles import Role
from ipoc.ops.demo import DEMO_PASSWORD
from tests.conftest import PASSWORD, csrf_of, login, make_user, post_form


def test_login_then_dashboard_then_logout(client, session):
    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    response = login(client, "officer")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200 and "盟市局工作人员" in page.text
    assert post_form(client, "/logout", {}).status_code == 303
    assert client.get("/dashboard").headers["location"].startswith("/login")


def test_wrong_password_says_so_in_chinese(client, session):
    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    response = login(client, "officer", "wrong-password-1")
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_demo_and_initial_passwords_must_be_changed_first(client, session):
    from ipoc.ops import demo

    demo.load(session)
    session.commit()
    assert login(client, "admin", DEMO_PASSWORD).headers["location"] == "/account/password"
    assert client.get("/dashboard").headers["location"] == "/account/password"
    assert client.get("/api/v1/me").status_code == 403
    page = post_form(
        client,
        "/account/password",
        {"old_password": DEMO_PASSWORD, "new_password": "Fresh2026pass", "confirm_password": "Fresh2026pass"},
    )
    assert page.headers["location"] == "/dashboard?changed=1"
    assert client.get("/dashboard").status_code == 200


def test_forms_without_the_csrf_token_are_refused(client, session):
    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    csrf_of(client)
    response = client.post("/login", data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 403 and "CSRF" in response.text
    response = client.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


def test_session_expires_after_idle_time(client, session, monkeypatch, instance):
    import time

    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    login(client, "officer")
    assert client.get("/dashboard").status_code == 200
    later = time.time() + instance.session_idle_minutes * 60 + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/dashboard").status_code == 303


def test_a_password_change_ends_other_sessions(app, client, session):
    from fastapi.testclient import TestClient

    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    login(client, "officer")
    with TestClient(app, follow_redirects=False) as other:
        login(other, "officer")
        post_form(
            other,
            "/account/password",
            {"old_password": PASSWORD, "new_password": "Changed2026pw", "confirm_password": "Changed2026pw"},
        )
        assert other.get("/dashboard").status_code == 200
    assert client.get("/dashboard").status_code == 303


def test_registration_form_shows_each_error_next_to_its_field(client, session):
    response = post_form(
        client,
        "/register",
        {
            "name": "甲",
            "type_code": "enterprise",
            "uscc": "91110000600037341X",
            "region_id": "2",
            "contact_name": "",
            "contact_phone": "123",
            "username": "ok_user",
            "password": "weak",
        },
    )
    assert response.status_code == 422
    errors = dict(re.findall(r'data-field="(\w+)">([^<]+)<', response.text))
    assert "校验位不正确" in errors["uscc"]
    assert errors["name"] == "至少 2 个字符"
    assert errors["contact_name"] == "此项为必填"
    assert "至少 5 个字符" in errors["contact_phone"]
    assert 'value="甲"' in response.text, "what was typed is kept"


REGISTRATION = {
    "name": "包头测试企业有限公司",
    "type_code": "enterprise",
    "uscc": "91110000600037341L",
    "region_id": "2",
    "contact_name": "李四",
    "contact_phone": "0472-7654321",
    "username": "bt_test",
}


def test_registration_then_login_shows_pending_status(client, session):
    data = {**REGISTRATION, "password": "Register2026"}
    assert "注册已提交" in post_form(client, "/register", data).text
    login(client, "bt_test", "Register2026")
    assert "待核验" in client.get("/dashboard").text


def test_weak_password_on_registration_keeps_nothing(client, session):
    from sqlalchemy import func, select

    from ipoc.orgs.models import Organisation

    data = {**REGISTRATION, "password": "weakpassword"}
    response = post_form(client, "/register", data)
    assert response.status_code == 422 and "字母和数字" in response.text
    assert session.scalar(select(func.count(Organisation.id))) == 0, "no half-written organisation"


def test_pages_that_do_not_exist_answer_in_chinese(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "页面不存在" in page.text
    api = client.get("/api/v1/no-such")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    body = api.json()
    assert body["detail"] == "页面不存在" and body["code"] == "not_found" and body["status"] == 404


def test_api_validation_errors_are_422_with_field_details(client):
    response = client.post("/api/v1/orgs", json={"name": "x", "uscc": "123"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["type"] == "urn:ipoc:problem:validation_error"
    fields = {tuple(d["loc"])[-1]: d["msg"] for d in body["errors"]}
    assert fields["name"] == "至少 2 个字符"
    assert "18 位" in fields["uscc"]
    assert fields["contact_name"] == "此项为必填"


def test_static_assets_are_served_locally(client):
    page = client.get("/login").text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert client.get(asset).status_code == 200, asset
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    docs = client.get("/api/docs").text
    assert "/static/vendor/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


def test_openapi_lists_the_api(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/orgs" in spec["paths"] and "/api/v1/me" in spec["paths"]


def test_every_response_has_a_request_id(client):
    response = client.get("/", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"


def test_a_crash_shows_an_error_page_with_a_request_id_and_logs_it(app, session, monkeypatch, caplog):
    from fastapi.testclient import TestClient

    import ipoc.shell.views

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    monkeypatch.setattr(ipoc.shell.views, "dashboard", broken)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        login(c, "officer")
        page = c.get("/dashboard", headers={"x-request-id": "req42"})
    assert page.status_code == 500 and "req42" in page.text and "系统内部错误" in page.text
    assert any("request_id=req42" in r.getMessage() and r.exc_info for r in caplog.records)
