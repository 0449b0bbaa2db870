"""Benefit-sharing policies per unit, their statutory validation, and the calculator for callers.

Who: a member manages its own organisation's policy; center staff and the region admin read every
policy; anyone else gets 404 (a unit's policy is internal). The calculator itself is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.benefits.models import BenefitPolicy
from ipoc.benefits.rules import (
    LAW_45,
    LAW_RULES_93,
    STATE_ORG_TYPES,
    STATUTORY,
    GrantReward,
    Share,
    Terms,
    calculate,
    grant_reward,
    statute,
)
from ipoc.benefits.schemas import Basis, CalcInput, PolicyInput
from ipoc.errors import Forbidden, InvalidInput, NotFound
from ipoc.orgs.models import Organisation

READERS = (Role.REGION_ADMIN, Role.CENTER_STAFF)
_PCT_FIELDS = {
    "transfer_licence_pct": "转让/许可净收入奖励比例",
    "equity_pct": "作价投资奖励比例",
    "profit_pct": "营业利润奖励比例",
}
_REWARD_FIELDS = {"invention_reward_yuan": "发明专利", "utility_design_reward_yuan": "实用新型/外观设计专利"}


def bound_by_minimums(org_type_code: str, state_established: bool) -> bool:
    """第45条第2款: state-established institutes and universities must meet the minimums even in their
    own rules and agreements."""
    return org_type_code in STATE_ORG_TYPES and state_established


# --- validation -----------------------------------------------------------------------------------------


def _statutory_values(data: PolicyInput) -> dict:
    """Source "statutory": the 第45条 percentages exactly; years within 3–5; rewards at least 细则 minimums."""
    values: dict = {}
    for key, label in _PCT_FIELDS.items():
        given, law = getattr(data, key), Decimal(statute(key))
        if given is not None and given != law:
            raise InvalidInput(
                f"法定标准（{LAW_45}第1款）的{label}为 {law}%；如需其他比例，请将依据改为“单位规章制度”或“约定”",
                field=key,
            )
        values[key] = law
    years = STATUTORY.profit_years if data.profit_years is None else data.profit_years
    _check_years(years, "法定标准")
    values["profit_years"] = years
    for key, kind in _REWARD_FIELDS.items():
        given, least = getattr(data, key), int(statute(key))
        if given is not None and given < least:
            raise InvalidInput(f"未约定也未规定时，{kind}授权奖金不得低于 {least} 元（{LAW_RULES_93}）", field=key)
        values[key] = least if given is None else given
    return values


def _check_years(years: int, who: str) -> None:
    low, high = statute("profit_years_min"), statute("profit_years_max")
    if not low <= years <= high:
        raise InvalidInput(f"{who}的利润奖励应连续 {low}–{high} 年（{LAW_45}第1款第3项）", field="profit_years")


def _own_values(data: PolicyInput, bound: bool) -> dict:
    """Source agreement / unit rule: every figure must be given; state units keep to the 第45条 minimums."""
    values: dict = {}
    for key in (*_PCT_FIELDS, "profit_years", *_REWARD_FIELDS):
        if getattr(data, key) is None:
            raise InvalidInput("依据单位规章制度或约定时此项为必填", field=key)
        values[key] = getattr(data, key)
    if not data.document_ref:
        raise InvalidInput("请填写单位规章制度或约定的文件名称或文号", field="document_ref")
    if bound:
        who = "国家设立的研究开发机构、高等院校"
        for key, label in _PCT_FIELDS.items():
            law = Decimal(statute(key))
            if values[key] < law:
                raise InvalidInput(
                    f"{who}的{label}不得低于 {law}%（{LAW_45}第2款）：单位规定或约定也须符合法定下限", field=key
                )
        _check_years(values["profit_years"], who)
    return values


def policy_warnings(policy: Terms | None, source: str | None) -> list[str]:
    """细则第93条 binds only where nothing was agreed or ruled: below it under an agreement/rule is allowed,
    but the unit should know."""
    if policy is None or source == "statutory":
        return []
    return [
        f"{kind}授权奖金 {getattr(policy, key)} 元低于无约定时的法定标准 {statute(key)} 元（{LAW_RULES_93}），"
        "仅在单位规章制度或约定另有规定时适用"
        for key, kind in _REWARD_FIELDS.items()
        if getattr(policy, key) < statute(key)
    ]


# --- reading and saving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyState:
    org: Organisation
    policy: BenefitPolicy | None

    @property
    def bound(self) -> bool:
        state = self.policy.state_established if self.policy else self.org.type_code in STATE_ORG_TYPES
        return bound_by_minimums(self.org.type_code, state)

    @property
    def warnings(self) -> list[str]:
        return policy_warnings(self.policy, self.policy.source if self.policy else None)


def _org_for(session: Session, principal: Principal, org_id: int | None) -> Organisation:
    """The organisation whose policy the caller may read; 404 outside the caller's scope."""
    if principal.role is Role.MEMBER and principal.org_id and org_id in (None, principal.org_id):
        org_id = principal.org_id
    elif principal.role not in READERS or org_id is None:
        raise NotFound("收益分享政策不存在或无权查看")
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("收益分享政策不存在或无权查看")
    return org


def get_policy(session: Session, principal: Principal, org_id: int | None = None) -> PolicyState:
    """A member reads its own unit's policy (org_id optional); center staff and the region admin any unit's."""
    org = _org_for(session, principal, org_id)
    policy = session.scalar(select(BenefitPolicy).where(BenefitPolicy.org_id == org.id))
    if policy is not None and principal.org_id != org.id:
        audit.log(session, "view", "benefit_policies", policy.id)
    return PolicyState(org, policy)


def save_policy(session: Session, principal: Principal, data: PolicyInput) -> PolicyState:
    """Create or replace the member's own unit policy, refused (nothing changed) where the law forbids it."""
    if principal.role is not Role.MEMBER or not principal.org_id:
        raise Forbidden("只有单位自己的会员账号可以维护本单位的收益分享政策")
    state = get_policy(session, principal)
    org = state.org
    is_state_type = org.type_code in STATE_ORG_TYPES
    state_established = is_state_type and data.state_established is not False
    bound = bound_by_minimums(org.type_code, state_established)
    values = _statutory_values(data) if data.source == "statutory" else _own_values(data, bound)
    policy = state.policy or BenefitPolicy(org_id=org.id)
    if state.policy is None:
        session.add(policy)
    audit.set_reason(session, "更新收益分享政策" if state.policy else "登记收益分享政策", source=data.source)
    policy.source = data.source
    policy.state_established = state_established
    policy.effective_on = data.effective_on
    policy.document_ref = data.document_ref
    policy.note = data.note
    for key, value in values.items():
        setattr(policy, key, value)
    session.flush()
    return PolicyState(org, policy)


# --- the calculator for a caller ------------------------------------------------------------------------


@dataclass(frozen=True)
class Calculation:
    basis: Basis
    share: Share | None
    grant_reward: GrantReward | None

    @property
    def basis_label(self) -> str:
        return "本单位收益分享政策" if self.basis == "policy" else "法定标准（无约定、无规定时）"


def terms_for(session: Session, principal: Principal, basis: Basis) -> tuple[Basis, Terms]:
    """The member's own policy where asked for and recorded; the statutory default otherwise."""
    if basis == "policy" and principal.role is Role.MEMBER and principal.org_id:
        policy = session.scalar(select(BenefitPolicy).where(BenefitPolicy.org_id == principal.org_id))
        if policy is not None:
            return "policy", policy
    return "statutory", STATUTORY


def compute(session: Session, principal: Principal, data: CalcInput) -> Calculation:
    basis, terms = terms_for(session, principal, data.basis)
    if data.mode == "grant_reward":
        if data.patent_kind is None:
            raise InvalidInput("请选择专利类型", field="patent_kind")
        if data.announced_on is None:
            raise InvalidInput("请填写授权公告日", field="announced_on")
        return Calculation(basis, None, grant_reward(terms, data.patent_kind, data.announced_on))
    if data.amount_yuan is None:
        raise InvalidInput("请填写金额（元）", field="amount_yuan")
    return Calculation(basis, calculate(terms, data.mode, data.amount_yuan, data.years), None)


def list_policies(session: Session, principal: Principal) -> list[BenefitPolicy]:
    """Every recorded policy, for center staff and the region admin; nobody else has a list."""
    if principal.role not in READERS:
        raise NotFound("收益分享政策不存在或无权查看")
    stmt = select(BenefitPolicy).join(BenefitPolicy.org).order_by(Organisation.name)
    return list(session.scalars(stmt))
