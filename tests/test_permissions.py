"""Data rules over HTTP: each role sees and does only what docs/permissions.md says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Role
from ipoc.orgs.models import Organisation
from tests.conftest import login, make_user, post_form
from tests.factories import make_org


def _org(session, name: str) -> Organisation:
    return session.scalar(select(Organisation).where(Organisation.name == name))


@pytest.fixture
def officer(client, demo):
    login(client, "baotou")
    return client


def test_an_officer_gets_404_for_another_citys_non_public_record(officer, demo):
    chifeng_pending = make_org(demo, "赤峰待核验企业", city="赤峰市", status="pending")
    demo.commit()
    assert officer.get(f"/orgs/{chifeng_pending.id}").status_code == 404
    assert officer.get(f"/api/v1/orgs/{chifeng_pending.id}").status_code == 404
    review = post_form(officer, f"/orgs/{chifeng_pending.id}/review", {"approve": "true"})
    assert review.status_code == 404
    demo.refresh(chifeng_pending)
    assert chifeng_pending.state == "pending", "nothing changed"


def test_an_officer_sees_public_fields_only_of_other_cities(officer, demo):
    chifeng = _org(demo, "赤峰示例乳业有限公司")
    data = officer.get(f"/api/v1/orgs/{chifeng.id}").json()
    assert data["name"] == chifeng.name and "uscc" not in data and "contact_phone" not in data
    own = officer.get(f"/api/v1/orgs/{_org(demo, '包头示例风电装备有限公司').id}").json()
    assert own["uscc"] and own["contact_phone"]


def test_an_officer_verifies_in_their_own_area_and_it_is_audited(officer, demo):
    pending = _org(demo, "包头示例风电装备有限公司")
    assert post_form(officer, f"/orgs/{pending.id}/review", {"approve": "true"}).status_code == 303
    demo.refresh(pending)
    assert pending.state == "verified"
    record = demo.scalars(
        select(AuditRecord).where(AuditRecord.entity_type == "organisations", AuditRecord.entity_id == str(pending.id))
    ).all()[-1]
    assert record.action == "transition:pending->verified"


def test_viewing_a_confidential_record_is_recorded(officer, demo):
    pending = _org(demo, "包头示例风电装备有限公司")
    officer.get(f"/orgs/{pending.id}")
    views = demo.scalars(select(AuditRecord).where(AuditRecord.action == "view")).all()
    assert [v.entity_id for v in views] == [str(pending.id)]


def test_anonymous_users_see_only_public_records(client, demo):
    listed = {o["name"] for o in client.get("/api/v1/orgs").json()}
    assert "包头示例稀土新材料有限公司" in listed and "包头示例风电装备有限公司" not in listed
    pending = _org(demo, "包头示例风电装备有限公司")
    assert client.get(f"/api/v1/orgs/{pending.id}").status_code == 404
    assert client.get(f"/orgs/{pending.id}").status_code == 404
    public = client.get(f"/api/v1/orgs/{_org(demo, '内蒙古示例大学').id}").json()
    assert "uscc" not in public
    assert "包头示例风电装备有限公司" not in client.get("/orgs").text


def test_anonymous_users_cannot_reach_private_pages_or_api(client, demo):
    assert client.get("/dashboard").headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/users").status_code == 401
    assert client.get("/admin/audit").status_code == 303


@pytest.mark.parametrize(
    ("username", "status"),
    [("admin", 200), ("baotou", 403), ("expert", 403), ("center", 403), ("member", 403)],
)
def test_only_the_region_admin_manages_users_and_reads_the_audit_trail(client, demo, username, status):
    login(client, username)
    assert client.get("/admin/users").status_code == status
    assert client.get("/admin/audit").status_code == status
    assert client.get("/api/v1/audit/verify").status_code == status


def test_a_member_sees_its_own_organisation_in_full(client, demo):
    login(client, "member")
    own = _org(demo, "内蒙古示例大学")
    assert client.get(f"/api/v1/orgs/{own.id}").json()["uscc"] == own.uscc
    other = _org(demo, "赤峰示例乳业有限公司")
    assert "uscc" not in client.get(f"/api/v1/orgs/{other.id}").json()
    assert post_form(client, f"/orgs/{own.id}/review", {"approve": "true"}).status_code == 403


def test_the_admin_disables_an_account_and_its_sessions_end(app, client, demo):
    from ipoc.auth.models import User

    with TestClient(app, follow_redirects=False) as expert:
        login(expert, "expert")
        assert expert.get("/dashboard").status_code == 200
        login(client, "admin")
        user = demo.scalar(select(User).where(User.username == "expert"))
        assert post_form(client, f"/admin/users/{user.id}", {"active": "false", "reason": "离岗"}).status_code == 303
        assert expert.get("/dashboard").status_code == 303
    demo.refresh(user)
    assert not user.active


def test_api_tokens_act_with_their_owners_scope(client, demo):
    from ipoc.auth import service as accounts
    from ipoc.auth.models import User

    user = demo.scalar(select(User).where(User.username == "baotou"))
    _, token = accounts.create_token(demo, user, "脚本")
    demo.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "bureau_officer"
    pending = _org(demo, "包头示例风电装备有限公司")
    response = client.post(f"/api/v1/orgs/{pending.id}/review", json={"approve": True}, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "verified"
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_a_session_cookie_alone_cannot_post_to_the_api(client, demo):
    login(client, "baotou")
    pending = _org(demo, "包头示例风电装备有限公司")
    assert client.post(f"/api/v1/orgs/{pending.id}/review", json={"approve": True}).status_code == 403


def test_users_of_a_separately_addressed_city_are_seen_by_their_league(client, demo):
    make_user(demo, "hlbe2", Role.BUREAU_OFFICER, "呼伦贝尔市")
    login(client, "hlbe2")
    mzl = _org(demo, "满洲里示例口岸贸易有限公司")
    assert "满洲里示例口岸贸易有限公司" in client.get("/orgs/pending").text
    assert client.get(f"/api/v1/orgs/{mzl.id}").json()["uscc"] == mzl.uscc
