"""Demands and offers: who records them, who sees what, and their states.

The confidential detail of a demand is the owning organisation's business secret: only its members, the
staff of the center handling it and the region admin may read it (``can_see_confidential``); every page,
API answer and export takes a demand's fields through ``public_fields``. Anyone outside a record's scope
gets 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ipoc import clock, money
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import ACTIVE_STATUSES, Center
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.orgs.service import require_verified
from ipoc.patents import rights
from ipoc.patents.models import Patent
from ipoc.patents.service import get_patent
from ipoc.transfer import flows
from ipoc.transfer.models import Demand, DemandState, Offer, OfferPatent, OfferState
from ipoc.transfer.schemas import DemandIn, OfferIn
from ipoc.web.export import wan_cell
from ipoc.workflow import take

OFFER_ORG_TYPES = {"university", "research_institute", "enterprise"}
ON_BEHALF = (Role.CENTER_STAFF,)  # may record a demand for a member organisation


# --- who is who ---------------------------------------------------------------------------------------


def _owns(p: Principal, org_id: int) -> bool:
    """A member of the organisation (an expert's affiliation is not membership)."""
    return p.is_(Role.MEMBER) and p.org_id == org_id


def _handles(p: Principal, d: Demand) -> bool:
    return p.is_(Role.CENTER_STAFF) and d.center_id is not None and p.center_id == d.center_id


def can_see_confidential(p: Principal, d: Demand) -> bool:
    """Owner's members, the handling center's staff and the region admin; never anyone else."""
    return _owns(p, d.org_id) or _handles(p, d) or p.is_(Role.REGION_ADMIN)


def may_manage_demand(p: Principal, d: Demand) -> bool:
    return _owns(p, d.org_id) or _handles(p, d)


def public_fields(p: Principal, d: Demand) -> dict[str, Any]:
    """The demand as this caller may see it: ``confidential_detail`` is None unless allowed."""
    return {
        "id": d.id,
        "org": d.org.name,
        "center_id": d.center_id,
        "title": d.title,
        "problem": d.problem,
        "desired_effect": d.desired_effect,
        "industry": d.industry.name if d.industry else None,
        "keywords": d.keywords,
        "ipc_hints": d.ipc_hints,
        "constraints": d.constraints,
        "budget_min_yuan": d.budget_min_yuan,
        "budget_max_yuan": d.budget_max_yuan,
        "modes": list(d.modes),
        "deadline": d.deadline,
        "public_summary": d.public_summary,
        "state": d.state,
        "status": d.state,  # the key before the state column had one name everywhere
        "confidential_detail": d.confidential_detail if can_see_confidential(p, d) else None,
    }


def reveal(session: Session, p: Principal, d: Demand) -> str | None:
    """The confidential detail for a single-record view, audited when read by anyone but the owner."""
    if not can_see_confidential(p, d):
        return None
    if not _owns(p, d.org_id):
        audit.log(session, "view", "tech_demands", d.id)
    return d.confidential_detail


# --- demands ------------------------------------------------------------------------------------------


def visible_demands(p: Principal) -> Select[Demand]:
    """Published demands for all; drafts and closed ones for the owner, handling center and region admin."""
    stmt = select(Demand).order_by(Demand.id.desc())
    if p.is_(Role.REGION_ADMIN):
        return stmt
    scope = [Demand.state == DemandState.PUBLISHED]
    if p.is_(Role.MEMBER) and p.org_id:
        scope.append(Demand.org_id == p.org_id)
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        scope.append(Demand.center_id == p.center_id)
    return stmt.where(or_(*scope))


def _filtered(
    session: Session,
    stmt: Select,
    model: type[Demand] | type[Offer],
    industry_id: int | None,
    mode: str | None,
    state: str | None,
) -> list:
    """Industry and state narrow the query itself; the mode is looked up in the JSON list of each row,
    which SQLite and PostgreSQL would each query their own way."""
    if industry_id is not None:
        stmt = stmt.where(model.industry_id == industry_id)
    if state:
        stmt = stmt.where(model.state == state)
    return [item for item in session.scalars(stmt) if not mode or mode in item.modes]


def list_demands(
    session: Session,
    p: Principal,
    *,
    industry_id: int | None = None,
    mode: str | None = None,
    state: str | None = None,
) -> list[Demand]:
    return _filtered(session, visible_demands(p), Demand, industry_id, mode, state)


def get_demand(session: Session, p: Principal, demand_id: int) -> Demand:
    demand = session.scalar(visible_demands(p).where(Demand.id == demand_id))
    if demand is None:
        raise NotFound("技术需求不存在")
    return demand


def _range(low: Decimal | None, high: Decimal | None, field: str, what: str) -> tuple[int | None, int | None]:
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"{what}下限不能高于上限", field=field)
    return money.yuan(low), money.yuan(high)


def _check_center(session: Session, center_id: int | None) -> int | None:
    if center_id is None:
        return None
    center = session.get(Center, center_id)
    if center is None or center.state not in ACTIVE_STATUSES:
        raise InvalidInput("请选择在认定有效期内的运营中心", field="center_id")
    return center_id


def _demand_owner(session: Session, p: Principal, data: DemandIn) -> tuple[int, int | None]:
    """(org_id, center_id): a member records for its own organisation, center staff for a member org."""
    if p.is_(Role.MEMBER) and p.org_id:
        require_verified(session.get(Organisation, p.org_id))
        return p.org_id, _check_center(session, data.center_id)
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        if data.org_id is None:
            raise InvalidInput("请选择代为登记的需求单位", field="org_id")
        org = session.get(Organisation, data.org_id)
        if org is None:
            raise InvalidInput("需求单位不存在", field="org_id")
        require_verified(org)
        return org.id, _check_center(session, p.center_id)
    raise Forbidden("只有会员单位或运营中心工作人员可以登记技术需求")


def _demand_values(data: DemandIn, today: date) -> dict[str, Any]:
    if data.deadline is not None and data.deadline < today:
        raise InvalidInput("截止日期不能早于今天", field="deadline")
    low, high = _range(data.budget_min_wan, data.budget_max_wan, "budget_max_wan", "预算")
    fields = data.model_dump(exclude={"org_id", "center_id", "budget_min_wan", "budget_max_wan"})
    return fields | {"budget_min_yuan": low, "budget_max_yuan": high, "modes": list(dict.fromkeys(data.modes))}


def create_demand(session: Session, p: Principal, data: DemandIn, today: date | None = None) -> Demand:
    org_id, center_id = _demand_owner(session, p, data)
    values = _demand_values(data, today or clock.today())
    demand = Demand(org_id=org_id, center_id=center_id, created_by_id=p.user_id, **values)
    audit.set_reason(session, "登记技术需求")
    session.add(demand)
    session.flush()
    return demand


def managed_demand(session: Session, p: Principal, demand_id: int) -> Demand:
    demand = get_demand(session, p, demand_id)
    if not may_manage_demand(p, demand):
        raise Forbidden("只有需求单位或承办运营中心可以办理该需求")
    return demand


def update_demand(session: Session, p: Principal, demand_id: int, data: DemandIn, today: date | None = None) -> Demand:
    demand = managed_demand(session, p, demand_id)
    if demand.state == DemandState.CLOSED:
        raise Conflict("需求已关闭，不能修改")
    values = _demand_values(data, today or clock.today())
    if _owns(p, demand.org_id):
        values["center_id"] = _check_center(session, data.center_id)
    audit.set_reason(session, "修改技术需求")
    for key, value in values.items():
        setattr(demand, key, value)
    session.flush()
    return demand


def demand_input(d: Demand) -> dict[str, Any]:
    """The stored demand as input (for the edit form and partial API updates)."""
    pairs = (("budget_min_wan", d.budget_min_yuan), ("budget_max_wan", d.budget_max_yuan))
    wan = {k: money.wan(v) for k, v in pairs if v is not None}
    keep = ("center_id", "title", "problem", "desired_effect", "industry_id", "keywords", "ipc_hints", "constraints")
    return (
        {k: getattr(d, k) for k in keep}
        | wan
        | {
            "modes": list(d.modes),
            "deadline": d.deadline,
            "public_summary": d.public_summary,
            "confidential_detail": d.confidential_detail,
        }
    )


def publish_demand(session: Session, p: Principal, demand_id: int, today: date | None = None) -> Demand:
    demand = managed_demand(session, p, demand_id)
    flows.DEMANDS.check(demand, "publish", owners=None)  # managed_demand checked the rights; 409 from a wrong state
    require_verified(demand.org)
    if demand.deadline is not None and demand.deadline < (today or clock.today()):
        raise InvalidInput("截止日期已过，请先修改截止日期", field="deadline")
    take(session, flows.DEMANDS, demand, "publish", owners=None, actor=p, changes={"published_at": utcnow()})
    _tell_owner(session, p, demand.org_id, f"您单位的技术需求“{demand.title}”已发布", f"/demands/{demand.id}")
    session.flush()
    return demand


def close_demand(session: Session, p: Principal, demand_id: int) -> Demand:
    demand = managed_demand(session, p, demand_id)
    take(session, flows.DEMANDS, demand, "close", owners=None, actor=p)  # managed_demand checked the rights
    _tell_owner(session, p, demand.org_id, f"您单位的技术需求“{demand.title}”已关闭", f"/demands/{demand.id}")
    session.flush()
    return demand


def _tell_owner(session: Session, p: Principal, org_id: int, said: str, link: str) -> None:
    """A demand or offer the center handles for its organisation: the organisation hears what was done."""
    if p.org_id != org_id:
        messages.tell(session, text=f"{said}（办理人：{p.label}）", link=link, organisations=[org_id])


# --- offers -------------------------------------------------------------------------------------------


def visible_offers(p: Principal) -> Select[Offer]:
    """Published offers for all; drafts and withdrawn ones for the owner's members and for the center staff
    member who prepared the draft on the owner's behalf."""
    stmt = select(Offer).order_by(Offer.id.desc())
    if p.is_(Role.MEMBER) and p.org_id:
        return stmt.where(or_(Offer.state == OfferState.PUBLISHED, Offer.org_id == p.org_id))
    if p.is_(Role.CENTER_STAFF) and p.user_id is not None:
        return stmt.where(or_(Offer.state == OfferState.PUBLISHED, Offer.created_by_id == p.user_id))
    return stmt.where(Offer.state == OfferState.PUBLISHED)


def list_offers(
    session: Session,
    p: Principal,
    *,
    industry_id: int | None = None,
    mode: str | None = None,
    state: str | None = None,
) -> list[Offer]:
    return _filtered(session, visible_offers(p), Offer, industry_id, mode, state)


def get_offer(session: Session, p: Principal, offer_id: int) -> Offer:
    offer = session.scalar(visible_offers(p).where(Offer.id == offer_id))
    if offer is None:
        raise NotFound("技术供给不存在")
    return offer


def may_manage_offer(p: Principal, o: Offer) -> bool:
    return _owns(p, o.org_id)


def _offer_values(session: Session, data: OfferIn) -> tuple[dict[str, Any], list[OfferPatent]]:
    low, high = _range(data.price_min_wan, data.price_max_wan, "price_max_wan", "价格")
    links: list[OfferPatent] = []
    for number in dict.fromkeys(data.application_nos):
        try:
            patent = get_patent(session, number)
        except (NotFound, InvalidInput):
            raise InvalidInput(f"专利库中没有申请号 {number} 的专利", field="application_nos") from None
        if all(link.patent_id != patent.id for link in links):
            links.append(OfferPatent(patent_id=patent.id, patent=patent, position=len(links)))
    fields = data.model_dump(exclude={"price_min_wan", "price_max_wan", "application_nos"})
    return fields | {"price_min_yuan": low, "price_max_yuan": high, "modes": list(dict.fromkeys(data.modes))}, links


def _offer_owner(session: Session, p: Principal, on_behalf_of: int | None) -> Organisation:
    """A member records for its own organisation; a center's staff may prepare a draft for one (a university's
    stock patents, say), which the organisation's members then check and publish."""
    if p.is_(Role.MEMBER) and p.org_id:
        return require_verified(session.get(Organisation, p.org_id))
    if p.is_(Role.CENTER_STAFF) and p.center_id and on_behalf_of is not None:
        org = session.get(Organisation, on_behalf_of)
        if org is None:
            raise InvalidInput("供给单位不存在", field="org_id")
        return require_verified(org)
    raise Forbidden("只有会员单位可以发布技术供给")


def refuse_unless_entitled(session: Session, org_id: int, patents: list[Patent]) -> None:
    """Offering needs the organisation to be a current patentee of every patent, or to hold a written
    authorisation a center confirmed (patents.rights); a lapsed, invalidated or suspended patent is not offered.
    403 naming each patent when the organisation lacks the right, else 409."""
    found = [
        rights.Refusal(f"专利 {patent.application_no}：{r.reason}", r.standing)
        for patent in patents
        for r in rights.check(session, patent, "offer", organisation_id=org_id)
    ]
    if found:
        message = "不能发布技术供给：" + "；".join(dict.fromkeys(r.reason for r in found))
        raise (Forbidden if any(r.standing for r in found) else Conflict)(message, field="application_nos")


def patentees_of(session: Session, offers: list[Offer]) -> dict[int, list[str]]:
    """Patent id → its current patentees, for every patent of the offers: what an offer shows beside each
    patent, so that no one offers another's patent as its own unseen."""
    held = rights.holdings(session, [pt for o in offers for pt in o.patents])
    return {pid: [h.name for h in holding.patentees] for pid, holding in held.items()}


def holders_line(o: Offer, patentees: dict[int, list[str]]) -> str:
    """The current patentees of all the offer's patents, each name once."""
    return "、".join(dict.fromkeys(name for pt in o.patents for name in patentees[pt.id])) or "（无记录）"


def create_offer(session: Session, p: Principal, data: OfferIn, *, on_behalf_of: int | None = None) -> Offer:
    org = _offer_owner(session, p, on_behalf_of)
    if org.type_code not in OFFER_ORG_TYPES:
        raise Forbidden("技术供给由高等院校、科研院所或企业发布")
    values, links = _offer_values(session, data)
    refuse_unless_entitled(session, org.id, [link.patent for link in links])
    offer = Offer(org_id=org.id, created_by_id=p.user_id, patent_links=links, **values)
    audit.set_reason(session, "登记技术供给")
    session.add(offer)
    session.flush()
    return offer


def managed_offer(session: Session, p: Principal, offer_id: int) -> Offer:
    offer = get_offer(session, p, offer_id)
    if not may_manage_offer(p, offer):
        raise Forbidden("只有供给单位可以办理该技术供给")
    return offer


def update_offer(session: Session, p: Principal, offer_id: int, data: OfferIn) -> Offer:
    offer = managed_offer(session, p, offer_id)
    if offer.state == OfferState.WITHDRAWN:
        raise Conflict("技术供给已撤回，不能修改")
    values, links = _offer_values(session, data)
    refuse_unless_entitled(session, offer.org_id, [link.patent for link in links])
    audit.set_reason(session, "修改技术供给")
    for key, value in values.items():
        setattr(offer, key, value)
    offer.patent_links.clear()
    session.flush()
    offer.patent_links.extend(links)
    session.flush()
    return offer


def offer_input(o: Offer) -> dict[str, Any]:
    keep = ("title", "problem_solved", "advantage", "trl", "field", "products", "expected_terms", "industry_id")
    pairs = (("price_min_wan", o.price_min_yuan), ("price_max_wan", o.price_max_yuan))
    wan = {k: money.wan(v) for k, v in pairs if v is not None}
    return (
        {k: getattr(o, k) for k in keep}
        | wan
        | {
            "modes": list(o.modes),
            "application_nos": [pt.application_no for pt in o.patents],
        }
    )


def publish_offer(session: Session, p: Principal, offer_id: int) -> Offer:
    offer = managed_offer(session, p, offer_id)
    flows.OFFERS.check(offer, "publish", owners=None)  # managed_offer checked the rights; 409 from a wrong state
    require_verified(offer.org)
    refuse_unless_entitled(session, offer.org_id, offer.patents)  # the facts may have changed since the draft
    take(session, flows.OFFERS, offer, "publish", owners=None, actor=p, changes={"published_at": utcnow()})
    _tell_owner(session, p, offer.org_id, f"您单位的技术供给“{offer.title}”已发布", f"/offers/{offer.id}")
    session.flush()
    return offer


def withdraw_offer(session: Session, p: Principal, offer_id: int) -> Offer:
    offer = managed_offer(session, p, offer_id)
    take(session, flows.OFFERS, offer, "withdraw", owners=None, actor=p)  # managed_offer checked the rights
    _tell_owner(session, p, offer.org_id, f"您单位的技术供给“{offer.title}”已撤回", f"/offers/{offer.id}")
    session.flush()
    return offer


# --- exports ------------------------------------------------------------------------------------------

DEMAND_HEADERS = [
    "编号",
    "需求名称",
    "需求单位",
    "产业",
    "合作方式",
    "预算下限（万元）",
    "预算上限（万元）",
    "截止日期",
    "状态",
    "公开摘要",
]
OFFER_HEADERS = [
    "编号",
    "成果名称",
    "供给单位",
    "产业",
    "技术成熟度",
    "合作方式",
    "涉及专利",
    "当前专利权人",
    "价格下限（万元）",
    "价格上限（万元）",
    "状态",
]


def demand_rows(demands: list[Demand]) -> list[list[object]]:
    """Public fields only: a list export is meant to be passed around, so no confidential detail."""
    return [
        [d.id, d.title, d.org.name, d.industry.name if d.industry else "", d.modes_label, wan_cell(d.budget_min_yuan),
         wan_cell(d.budget_max_yuan), d.deadline, d.state_label, d.public_summary]
        for d in demands
    ]  # fmt: skip


def offer_rows(session: Session, offers: list[Offer]) -> list[list[object]]:
    patentees = patentees_of(session, offers)
    return [
        [o.id, o.title, o.org.name, o.industry.name if o.industry else "", o.trl_label, o.modes_label,
         "、".join(pt.application_no for pt in o.patents), holders_line(o, patentees), wan_cell(o.price_min_yuan),
         wan_cell(o.price_max_yuan), o.state_label]
        for o in offers
    ]  # fmt: skip
