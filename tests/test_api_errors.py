"""The API's answers to bad input (issue 11, point 5): one error shape (RFC 9457 problem details with a stable
code), unknown fields refused, timestamps with Beijing's offset, 405 with Allow, 413 for oversize bodies, and an
unknown reference refused as a 4xx naming the field, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Role
from tests.conftest import login, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def admin_headers(session) -> dict[str, str]:
    user = make_user(session, "fuzzadmin", Role.REGION_ADMIN)
    _, token = accounts.create_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["type"] == f"urn:ipoc:problem:{code}"
    assert body["title"] and body["detail"] and body["request_id"] == response.headers["x-request-id"]
    return body


def test_errors_are_problem_details_with_a_stable_code(client, admin_headers):
    _problem(client.get("/api/v1/me"), 401, "login_required")
    _problem(
        client.get("/api/v1/users", headers=admin_headers | {"Authorization": "Bearer nope"}), 401, "login_required"
    )
    _problem(client.get("/api/v1/orgs/999999"), 404, "not_found")
    invalid = _problem(client.get("/api/v1/orgs/0"), 422, "validation_error")
    assert invalid["field"] == "org_id" and invalid["errors"][0]["loc"] == ["path", "org_id"]
    assert "不能小于 1" in invalid["errors"][0]["msg"]
    # a web page keeps its HTML error page
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_unknown_body_fields_are_refused_not_ignored(client, admin_headers):
    sent = {"name": "导出令牌", "days": 30, "scope": "all"}  # a mistyped or smuggled field
    body = _problem(client.post("/api/v1/tokens", json=sent, headers=admin_headers), 422, "validation_error")
    assert body["field"] == "scope" and body["errors"][0]["type"] == "extra_forbidden"
    assert client.post("/api/v1/tokens", json={"name": "导出令牌"}, headers=admin_headers).status_code == 201


def test_timestamps_carry_beijing_offset(client, admin_headers, session):
    assert login(client, "fuzzadmin").status_code == 303
    users = client.get("/api/v1/users", headers=admin_headers).json()
    stamp = next(u["last_login_at"] for u in users if u["username"] == "fuzzadmin")
    session.expire_all()
    stored = session.scalar(select(User.last_login_at).where(User.username == "fuzzadmin"))  # naive UTC
    assert stamp.endswith("+08:00"), stamp
    assert datetime.fromisoformat(stamp) == stored.replace(tzinfo=UTC)


def test_405_names_the_allowed_methods(client):
    response = client.put("/api/v1/users")
    _problem(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "POST"}


def test_oversize_bodies_are_413(client, admin_headers):
    big = b'{"name": "' + b"x" * (5 << 20) + b'"}'
    headers = admin_headers | {"content-type": "application/json"}
    _problem(client.post("/api/v1/tokens", content=big, headers=headers), 413, "payload_too_large")


def test_oversize_upload_is_413(client, admin_headers, monkeypatch):
    monkeypatch.setattr("ipoc.patents.service.MAX_UPLOAD", 1 << 10)
    files = {"file": ("big.csv", b"x" * ((1 << 10) + 1), "text/csv")}
    body = _problem(
        client.post("/api/v1/patents/imports", files=files, headers=admin_headers), 413, "payload_too_large"
    )
    assert body["field"] == "file"


def test_an_unknown_center_is_a_4xx_naming_the_field(client, admin_headers, session):
    from ipoc.reference.models import Industry

    industry_id = session.query(Industry.id).first()[0]
    sent = {"name": "稀土永磁库", "industry_id": industry_id, "center_id": 999_999}
    body = _problem(client.post("/api/v1/industry-databases", json=sent, headers=admin_headers), 422, "invalid_input")
    assert body["field"] == "center_id" and "运营中心不存在" in body["detail"]


def test_openapi_documents_problem_responses(client):
    schema = client.get("/api/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    post = schema["paths"]["/api/v1/industry-databases"]["post"]["responses"]
    for status in ("400", "401", "403", "404", "409", "413", "422"):
        assert post[status]["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, status
    assert "413" not in schema["paths"]["/api/v1/me"]["get"]["responses"]


def test_what_the_full_fuzz_run_found_is_refused_as_4xx(client, admin_headers):
    """Regressions from benchmarks/api_fuzz.py: each of these was a 500."""
    _problem(client.get("/api/v1/patents/search", params={"database_id": 2**63}), 422, "validation_error")
    sent = {"name": "测试产业", "naming_term": " |", "category": "重点", "source": "自治区产业规划文件"}
    body = _problem(client.post("/api/v1/industries", json=sent, headers=admin_headers), 422, "validation_error")
    assert body["field"] == "naming_term"
    assert client.get("/api/v1/applications", params={"call_id": ""}, headers=admin_headers).status_code == 200
    not_an_id = client.get("/api/v1/applications", params={"call_id": "x"}, headers=admin_headers)
    _problem(not_an_id, 422, "validation_error")


def test_an_unknown_patent_kind_or_status_is_refused_not_an_empty_answer(client):
    """A seeded fuzz run sent kind=null and got 200 with no hits: the closed lists now refuse it."""
    for name, value in (("kind", "null"), ("status_class", "有效x")):
        body = _problem(client.get("/api/v1/patents/search", params={name: value}), 422, "validation_error")
        assert body["errors"][0]["loc"][-1] in (name, 0)
    known = {"kind": "invention", "status_class": "valid"}
    assert client.get("/api/v1/patents/search", params=known).status_code == 200
