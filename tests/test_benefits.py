"""Benefit sharing (guideline Art. 4(7)): the statutory minimums of 《促进科技成果转化法》第45条 and
《专利法实施细则》第93条 as validation, the calculator on hand-checked numbers, and who sees a policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Principal, Role
from ipoc.benefits import service as benefits
from ipoc.benefits.rules import STATUTE, STATUTORY, StatutoryTerms, calculate, grant_reward, round_yuan
from ipoc.benefits.schemas import PolicyInput
from ipoc.clock import add_months
from ipoc.errors import Forbidden, InvalidInput, NotFound
from ipoc.orgs.models import Organisation
from tests.conftest import csrf_of, login, make_user, post_form
from tests.factories import make_org

OWN = StatutoryTerms(Decimal("70"), Decimal("60"), Decimal("10"), 5, 3000, 1000)


# --- the calculator (pure) ------------------------------------------------------------------------------


def test_transfer_income_share_rounds_half_up_to_the_yuan():
    share = calculate(STATUTORY, "transfer_licence", 1_234_567)
    assert share.share_yuan == 617_284  # 617,283.5 rounds up
    assert share.share_wan == "61.7284" and share.pct == 50


def test_equity_share_uses_the_policy_percentage():
    assert calculate(STATUTORY, "equity", 1_000_001).share_yuan == 500_001  # 500,000.5
    assert calculate(OWN, "equity", 1_000_001).share_yuan == 600_001  # 600,000.6


def test_profit_share_is_paid_each_year_for_the_policy_years():
    share = calculate(STATUTORY, "profit", 2_000_010)  # 5 % = 100,000.5 → 100,001 a year, 3 years
    assert share.per_year_yuan == [100_001] * 3 and share.share_yuan == 300_003
    assert calculate(OWN, "profit", 123_456).share_yuan == 5 * 12_346  # 12,345.6 → 12,346, five years
    assert calculate(STATUTORY, "profit", 2_000_010, years=5).share_yuan == 500_005


@pytest.mark.parametrize(("value", "yuan"), [("0.5", 1), ("0.4999", 0), ("2.5", 3), ("617283.49", 617283)])
def test_round_half_up(value, yuan):
    assert round_yuan(Decimal(value)) == yuan


@pytest.mark.parametrize(
    ("announced", "due"),
    [
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 1, 31), date(2026, 4, 30)),
        (date(2026, 3, 15), date(2026, 6, 15)),
        (date(2026, 10, 1), date(2027, 1, 1)),
    ],
)
def test_grant_reward_due_three_months_after_announcement(announced, due):
    assert add_months(announced, 3) == due
    reward = grant_reward(STATUTORY, "invention", announced)
    assert reward.due_on == due and reward.amount_yuan == 4000
    assert grant_reward(STATUTORY, "design", announced).amount_yuan == 1500
    assert grant_reward(OWN, "utility_model", announced).amount_yuan == 1000


def test_statutory_numbers_live_in_one_table_with_their_source():
    assert STATUTORY.transfer_licence_pct == STATUTE["transfer_licence_pct"].value == 50
    assert STATUTORY.invention_reward_yuan == STATUTE["invention_reward_yuan"].value == 4000
    assert all("《" in s.source and "第" in s.source for s in STATUTE.values())


# --- policies (service, both databases) -----------------------------------------------------------------


def _member(org: Organisation) -> Principal:
    return Principal(role=Role.MEMBER, user_id=None, org_id=org.id)


RULE = {
    "source": "unit_rule",
    "transfer_licence_pct": "50",
    "equity_pct": "50",
    "profit_pct": "5",
    "profit_years": 3,
    "invention_reward_yuan": 4000,
    "utility_design_reward_yuan": 1500,
    "effective_on": "2026-01-01",
    "document_ref": "校发〔2026〕1号",
}


BELOW_THE_LINE = [
    ("transfer_licence_pct", "49.99"),
    ("equity_pct", "49"),
    ("profit_pct", "4.99"),
    ("profit_years", 2),
    ("profit_years", 6),
]


def test_state_university_minimums_refused_enterprise_accepted(session):
    university = make_org(session, "内蒙古测试大学", type_code="university")
    enterprise = make_org(session, "包头测试稀土有限公司", type_code="enterprise")
    for field, value in BELOW_THE_LINE:
        with pytest.raises(InvalidInput, match="国家设立的研究开发机构、高等院校") as refused:
            benefits.save_policy(session, _member(university), PolicyInput(**{**RULE, field: value}))
        assert refused.value.field == field and "第45条" in refused.value.message
        state = benefits.save_policy(session, _member(enterprise), PolicyInput(**{**RULE, field: value}))
        assert not state.bound and Decimal(getattr(state.policy, field)) == Decimal(value)
    assert benefits.get_policy(session, _member(university)).policy is None  # refusals changed nothing
    accepted = benefits.save_policy(session, _member(university), PolicyInput(**RULE))  # exactly on the line
    assert accepted.bound and accepted.policy.transfer_licence_pct == 50


def test_private_university_and_institute_flag(session):
    private = make_org(session, "测试民办学院", type_code="university")
    state = benefits.save_policy(
        session, _member(private), PolicyInput(**{**RULE, "state_established": False, "transfer_licence_pct": "30"})
    )
    assert not state.bound and not state.policy.state_established
    institute = make_org(session, "测试研究所", type_code="research_institute")
    with pytest.raises(InvalidInput, match="第2款"):
        benefits.save_policy(session, _member(institute), PolicyInput(**{**RULE, "equity_pct": "20"}))


def test_statutory_source_forces_the_minimums(session):
    org = make_org(session, "测试企业", type_code="enterprise")
    blank = {"source": "statutory", "effective_on": "2026-01-01"}
    policy = benefits.save_policy(session, _member(org), PolicyInput(**blank)).policy
    assert (policy.transfer_licence_pct, policy.equity_pct, policy.profit_pct) == (50, 50, 5)
    assert (policy.profit_years, policy.invention_reward_yuan, policy.utility_design_reward_yuan) == (3, 4000, 1500)
    with pytest.raises(InvalidInput, match="法定标准") as refused:
        benefits.save_policy(session, _member(org), PolicyInput(**blank, transfer_licence_pct="60"))
    assert refused.value.field == "transfer_licence_pct"
    with pytest.raises(InvalidInput, match="4000 元") as low:
        benefits.save_policy(session, _member(org), PolicyInput(**blank, invention_reward_yuan=3000))
    assert low.value.field == "invention_reward_yuan"
    with pytest.raises(InvalidInput, match="3–5 年"):
        benefits.save_policy(session, _member(org), PolicyInput(**blank, profit_years=6))
    assert benefits.save_policy(session, _member(org), PolicyInput(**blank, profit_years=5)).policy.profit_years == 5


def test_reward_below_the_default_under_a_rule_warns_but_is_kept(session):
    org = make_org(session, "测试企业", type_code="enterprise")
    state = benefits.save_policy(session, _member(org), PolicyInput(**{**RULE, "utility_design_reward_yuan": 800}))
    assert state.policy.utility_design_reward_yuan == 800
    assert len(state.warnings) == 1 and "1500 元" in state.warnings[0] and "第93条" in state.warnings[0]


def test_own_rule_needs_every_figure_and_a_document(session):
    org = make_org(session, "测试企业", type_code="enterprise")
    with pytest.raises(InvalidInput) as missing:
        benefits.save_policy(session, _member(org), PolicyInput(**{**RULE, "equity_pct": None}))
    assert missing.value.field == "equity_pct"
    with pytest.raises(InvalidInput) as no_doc:
        benefits.save_policy(session, _member(org), PolicyInput(**{**RULE, "document_ref": " "}))
    assert no_doc.value.field == "document_ref"


def test_who_reads_and_who_writes_a_policy(session):
    mine, other = (
        make_org(session, "甲大学", type_code="university"),
        make_org(session, "乙公司", type_code="enterprise"),
    )
    benefits.save_policy(session, _member(mine), PolicyInput(**RULE))
    with pytest.raises(NotFound):
        benefits.get_policy(session, _member(other), mine.id)
    for role in (Role.EXPERT, Role.BUREAU_OFFICER, Role.ANONYMOUS):
        with pytest.raises(NotFound):
            benefits.get_policy(session, Principal(role=role), mine.id)
    admin = Principal(role=Role.REGION_ADMIN)
    assert benefits.get_policy(session, admin, mine.id).policy.org_id == mine.id
    assert [p.org_id for p in benefits.list_policies(session, Principal(role=Role.CENTER_STAFF))] == [mine.id]
    session.commit()  # audit records are written at commit
    viewed = select(AuditRecord).where(AuditRecord.entity_type == "benefit_policies", AuditRecord.action == "view")
    assert session.scalars(viewed).first() is not None
    for role in (Role.CENTER_STAFF, Role.REGION_ADMIN):
        with pytest.raises(Forbidden):
            benefits.save_policy(session, Principal(role=role), PolicyInput(**RULE))
    created = select(AuditRecord).where(AuditRecord.entity_type == "benefit_policies", AuditRecord.action == "create")
    assert session.scalars(created).first() is not None


# --- pages and API --------------------------------------------------------------------------------------


def _member_login(session, client, username: str, type_code: str = "university") -> Organisation:
    org = make_org(session, f"{username}单位", type_code=type_code)
    make_user(session, username, Role.MEMBER, str(org.id))
    login(client, username)
    return org


def test_anonymous_calculator_and_login_for_the_policy_page(client):
    assert client.get("/benefits").status_code == 200
    r = post_form(client, "/benefits", {"mode": "transfer_licence", "amount_yuan": "1234567"})
    assert r.status_code == 200 and "61.7284 万元（617284 元）" in r.text and "法定标准" in r.text
    r = post_form(
        client, "/benefits", {"mode": "grant_reward", "patent_kind": "invention", "announced_on": "2026-11-30"}
    )
    assert "4000 元，最迟 2027-02-28 前发放" in r.text
    r = post_form(client, "/benefits", {"mode": "profit"})
    assert r.status_code == 422 and 'data-field="amount_yuan">请填写金额（元）' in r.text
    assert client.get("/benefits/policy").headers["location"].startswith("/login")


def test_member_policy_form_errors_in_chinese_and_saving(session, client):
    org = _member_login(session, client, "uni_member")
    assert client.get("/benefits/policy").status_code == 200
    form = {k: str(v) for k, v in RULE.items()}
    r = post_form(client, "/benefits/policy", {**form, "transfer_licence_pct": "40"})
    assert r.status_code == 422
    assert (
        'data-field="transfer_licence_pct">国家设立的研究开发机构、高等院校的转让/许可净收入奖励比例不得低于' in r.text
    )
    r = post_form(client, "/benefits/policy", {**form, "transfer_licence_pct": "abc"})
    assert r.status_code == 422 and 'data-field="transfer_licence_pct">请输入数字' in r.text
    r = post_form(client, "/benefits/policy", {**form, "transfer_licence_pct": "70"})
    assert r.status_code == 303
    assert "已保存" in client.get(r.headers["location"]).text
    r = post_form(client, "/benefits", {"mode": "transfer_licence", "amount_yuan": "1000", "basis": "policy"})
    assert "本单位收益分享政策" in r.text and "0.07 万元（700 元）" in r.text
    make_user(session, "region_admin1", Role.REGION_ADMIN)
    login(client, "region_admin1")
    listing = client.get("/benefits/policy")
    assert listing.status_code == 200 and f"/benefits/policy?org_id={org.id}" in listing.text
    page = client.get(f"/benefits/policy?org_id={org.id}")
    assert page.status_code == 200 and "70%" in page.text and 'data-testid="policy-form"' not in page.text


def test_api_policy_and_calculate_shapes(session, client):
    org = _member_login(session, client, "api_member", "enterprise")
    headers = {"x-csrf-token": csrf_of(client)}
    assert client.get("/api/v1/benefits/policy").json() == {
        "org_id": org.id,
        "policy": None,
        "bound_by_minimums": False,
        "warnings": [],
    }
    r = client.put("/api/v1/benefits/policy", json={**RULE, "invention_reward_yuan": 2000}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["policy"]["source"] == "unit_rule" and Decimal(body["policy"]["transfer_licence_pct"]) == 50
    assert len(body["warnings"]) == 1
    bad = client.put(
        "/api/v1/benefits/policy", json={**RULE, "source": "statutory", "equity_pct": "10"}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["field"] == "equity_pct"
    r = client.post("/api/v1/benefits/calculate", json={"mode": "profit", "amount_yuan": 2_000_010}, headers=headers)
    share = r.json()["share"]
    assert r.json()["basis"] == "policy" and share["per_year_yuan"] == [100_001] * 3 and share["share_wan"] == "30.0003"
    assert len(client.get("/api/v1/benefits/statute").json()) == len(STATUTE)
    other = make_org(session, "别家单位", type_code="enterprise")
    session.commit()
    assert client.get(f"/api/v1/benefits/policy?org_id={other.id}").status_code == 404


def test_api_calculator_is_public(client):
    r = client.post(
        "/api/v1/benefits/calculate",
        json={"mode": "grant_reward", "basis": "policy", "patent_kind": "utility_model", "announced_on": "2026-11-30"},
    )
    assert r.status_code == 200
    assert r.json()["basis"] == "statutory"
    assert r.json()["grant_reward"] == {
        "kind": "utility_model",
        "kind_label": "实用新型专利",
        "announced_on": "2026-11-30",
        "due_on": "2027-02-28",
        "amount_yuan": 1500,
    }
    assert client.get("/api/v1/benefits/policy").status_code == 401
