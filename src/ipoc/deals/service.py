"""Contacts and deals: who records them, who sees what, the stage steps and the center's conversion ledger.

The center's staff record contacts and move deals; the region bureau sees every center's records, a
league/city bureau those of the centers in its area, and a member organisation the deals it is a party to;
all of these only read. Experts and the public see nothing (404), and amounts are never on a public page.

A contact's notes are the center's working record: they stay with the center and the bureaus, never with
members. Nothing taken from a demand here is more than its public fields (title, organisation); its
confidential detail is never copied into a contact or a deal.

The ledger (``conversion_by_year``, ``cumulative_projects``) counts deals with a signed contract (signed or
recorded) in the modes domain-rules §1 names: transfer, licence, equity and financing (pledge, investment),
and only contracts that passed the rights and conflict check (``patents.rights``): the provider holds the
patents or is authorised, co-owners and pledgees consented, no exclusive or sole licence is in the way, the
patents are neither lapsed, invalidated nor suspended, and the same contract is not recorded twice. Signing
and recording refuse a contract that fails it; a contract from before the check is left out of the ledger,
saying so, until the center checks it again (``recheck``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ipoc import clock, money
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.deals import flows
from ipoc.deals.flows import CONTACTS
from ipoc.deals.models import Contact, ContactState, Deal, DealPatent, DealState, DealStep
from ipoc.deals.schemas import ContactIn, DealEditIn, DealIn, StepIn
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.events.models import EventState, TechEvent
from ipoc.matching.models import Match, MatchState
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.orgs.names import normalise_name
from ipoc.patents import rights
from ipoc.patents.models import Applicant, Patent
from ipoc.patents.numbers import normalise_application_no
from ipoc.transfer import service as transfer
from ipoc.transfer.models import Demand, Offer
from ipoc.web.export import wan_cell
from ipoc.workflow import Transition, take

# Every mode the ledger knows counts (domain-rules §1: 转让、许可、作价入股、投融资); listed on purpose so that a
# mode added later (say, technical services) is not counted by accident.
COUNTED_MODES = frozenset(
    {"transfer", "licence_exclusive", "licence_sole", "licence_ordinary", "equity", "pledge", "investment"}
)
# The act on the patents each mode is (作价入股 assigns the patent to the company); investment involves none.
ACT_OF_MODE = {
    "transfer": "transfer",
    "equity": "transfer",
    "licence_exclusive": "exclusive_licence",
    "licence_sole": "sole_licence",
    "licence_ordinary": "ordinary_licence",
    "pledge": "pledge",
}
CONTACT_NOT_FOUND = "对接记录不存在"
DEAL_NOT_FOUND = "交易记录不存在"
STAFF_ONLY = flows.STAFF_ONLY


# --- who sees what ------------------------------------------------------------------------------------


def _area_centers(p: Principal) -> Select[int]:
    return select(Center.id).where(Center.region_id.in_(p.region_ids))


def _scoped(stmt: Select, model: type[Contact] | type[Deal], p: Principal) -> Select:
    """Narrow a query to the caller's records; experts, the public and (for contacts) members see none."""
    if p.is_(Role.REGION_ADMIN):
        return stmt
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        return stmt.where(model.center_id == p.center_id)
    if p.is_(Role.BUREAU_OFFICER) and p.region_ids:
        return stmt.where(model.center_id.in_(_area_centers(p)))
    if model is Deal and p.is_(Role.MEMBER) and p.org_id:
        return stmt.where(or_(Deal.provider_org_id == p.org_id, Deal.seeker_org_id == p.org_id))
    raise NotFound("页面不存在")


def may_see_deals(p: Principal) -> bool:
    return p.is_(Role.REGION_ADMIN, Role.CENTER_STAFF, Role.BUREAU_OFFICER, Role.MEMBER)


def may_see_contacts(p: Principal) -> bool:
    return p.is_(Role.REGION_ADMIN, Role.CENTER_STAFF, Role.BUREAU_OFFICER)


def manages(p: Principal, center_id: int) -> bool:
    """Only the center's own staff record and move its contacts and deals."""
    return p.is_(Role.CENTER_STAFF) and p.center_id == center_id


def _require_staff(p: Principal, what: str) -> int:
    if not (p.is_(Role.CENTER_STAFF) and p.center_id):
        raise Forbidden(f"只有运营中心工作人员可以{what}")
    return p.center_id


def _today(today: date | None) -> date:
    return today or clock.today()


def _not_future(day: date, today: date, field: str, label: str) -> date:
    if day > today:
        raise InvalidInput(f"{label}不能晚于今天", field=field)
    return day


def _org_id(session: Session, org_id: int | None, field: str) -> int | None:
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise InvalidInput("单位不存在", field=field)
    return org_id


def _parties(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Each side is a registered organisation or a name; both sides are needed."""
    out: dict[str, Any] = {}
    for side, label in (("provider", "供给方（转让方/许可方）"), ("seeker", "需求方（受让方/被许可方）")):
        org_id = _org_id(session, values.get(f"{side}_org_id"), f"{side}_org_id")
        name = (values.get(f"{side}_name") or "").strip()
        if org_id is None and len(name) < 2:
            raise InvalidInput(f"请选择{label}单位或填写其名称", field=f"{side}_name")
        out[f"{side}_org_id"] = org_id
        out[f"{side}_name"] = "" if org_id is not None else name
    return out


# --- contacts -----------------------------------------------------------------------------------------


def visible_contacts(p: Principal) -> Select[Contact]:
    return _scoped(select(Contact).order_by(Contact.contacted_on.desc(), Contact.id.desc()), Contact, p)


def list_contacts(
    session: Session, p: Principal, *, status: str | None = None, channel: str | None = None, year: int | None = None
) -> list[Contact]:
    stmt = visible_contacts(p)
    if status:
        stmt = stmt.where(Contact.state == status)
    if channel:
        stmt = stmt.where(Contact.channel == channel)
    if year:
        stmt = stmt.where(Contact.contacted_on.between(date(year, 1, 1), date(year, 12, 31)))
    return list(session.scalars(stmt))


def get_contact(session: Session, p: Principal, contact_id: int) -> Contact:
    if not may_see_contacts(p):
        raise NotFound(CONTACT_NOT_FOUND)
    contact = session.scalar(visible_contacts(p).where(Contact.id == contact_id))
    if contact is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return contact


def contacts_for_event(session: Session, p: Principal, event_id: int) -> list[Contact]:
    """The contacts that came out of an event, as far as the caller may see them (none for the public)."""
    if not may_see_contacts(p):
        return []
    return list(session.scalars(visible_contacts(p).where(Contact.event_id == event_id)))


def _accepted_match(session: Session, p: Principal, match_id: int) -> Match:
    match = session.get(Match, match_id)
    if match is None or match.center_id != p.center_id:
        raise InvalidInput("推荐匹配不存在", field="match_id")
    if match.state != MatchState.ACCEPTED:
        raise Conflict("只有已采纳的推荐匹配可以转为对接", field="match_id")
    return match


def _applicant_party(session: Session, patent: Patent) -> dict[str, Any]:
    """A patent's first applicant as the provider: the registered organisation of that name, or the name."""
    first: Applicant | None = patent.applicants[0] if patent.applicants else None
    if first is None:
        return {}
    org_id = first.organisation_id or session.scalar(select(Organisation.id).where(Organisation.name == first.name))
    return {"provider_org_id": org_id} if org_id else {"provider_name": first.name}


def match_defaults(session: Session, p: Principal, match_id: int) -> dict[str, Any]:
    """What an accepted match says about the contact: demand, offer, patent and both parties (public fields
    of the demand only)."""
    match = _accepted_match(session, p, match_id)
    demand_id = match.demand_id or match.target_demand_id
    offer_id = match.offer_id or match.target_offer_id
    demand = session.get(Demand, demand_id) if demand_id else None
    offer = session.get(Offer, offer_id) if offer_id else None
    patent = session.get(Patent, match.patent_id) if match.patent_id else None
    values: dict[str, Any] = {"match_id": match.id, "demand_id": demand_id, "offer_id": offer_id}
    values["patent_id"] = patent.id if patent else None
    if demand is not None:
        values["seeker_org_id"] = demand.org_id
    elif match.target_kind == "org" and match.target_org_id:
        values["seeker_org_id"] = match.target_org_id
    if offer is not None:
        values["provider_org_id"] = offer.org_id
    elif patent is not None:
        values |= _applicant_party(session, patent)
    parts = [x.title for x in (demand, offer, patent) if x is not None]
    values["subject"] = " — ".join(parts)[:200]
    return values


def _event(session: Session, event_id: int) -> TechEvent:
    event = session.get(TechEvent, event_id)
    if event is None:
        raise InvalidInput("对接活动不存在", field="event_id")
    if event.state in (EventState.DRAFT, EventState.CANCELLED):
        raise Conflict("该对接活动尚未发布或已取消，不能登记对接成果", field="event_id")
    return event


def contact_defaults(
    session: Session,
    p: Principal,
    *,
    match_id: int | None = None,
    event_id: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The new-contact form pre-filled from a match or an event."""
    _require_staff(p, "登记对接")
    values: dict[str, Any] = {"contacted_on": _today(today).isoformat(), "channel": "meeting"}
    if match_id is not None:
        values |= {k: v for k, v in match_defaults(session, p, match_id).items() if v is not None}
    if event_id is not None:
        event = _event(session, event_id)
        values |= {"event_id": event.id, "channel": "event", "subject": values.get("subject") or event.title}
    return values


def _linked(session: Session, p: Principal, data: ContactIn) -> dict[str, Any]:
    """Demand, offer and patent the contact concerns, checked against what the staff member may see."""
    if data.match_id is not None:
        found = match_defaults(session, p, data.match_id)
        return {k: found.get(k) for k in ("match_id", "demand_id", "offer_id", "patent_id")} | {"found": found}
    linked: dict[str, Any] = {"match_id": None, "patent_id": None, "found": {}}
    for key, getter in (("demand_id", transfer.get_demand), ("offer_id", transfer.get_offer)):
        record_id = getattr(data, key)
        if record_id is not None:
            try:
                getter(session, p, record_id)
            except NotFound:
                raise InvalidInput("所选记录不存在", field=key) from None
        linked[key] = record_id
    return linked


def create_contact(session: Session, p: Principal, data: ContactIn, today: date | None = None) -> Contact:
    center_id = _require_staff(p, "登记对接")
    today = _today(today)
    _not_future(data.contacted_on, today, "contacted_on", "对接日期")
    linked = _linked(session, p, data)
    found = linked.pop("found")
    given = data.model_dump(include=PARTY_FIELDS)
    for side in ("seeker", "provider"):  # the match's party unless the staff member named another
        if given[f"{side}_org_id"] is None and not given[f"{side}_name"]:
            given[f"{side}_org_id"] = found.get(f"{side}_org_id")
            given[f"{side}_name"] = found.get(f"{side}_name", "")
    event_id = _event(session, data.event_id).id if data.event_id is not None else None
    contact = Contact(
        center_id=center_id,
        event_id=event_id,
        subject=data.subject,
        contacted_on=data.contacted_on,
        channel=data.channel,
        notes=data.notes,
        created_by_id=p.user_id,
        **linked,
        **_parties(session, given),
    )
    audit.set_reason(session, "登记对接")
    session.add(contact)
    session.flush()
    return contact


def managed_contact(session: Session, p: Principal, contact_id: int) -> Contact:
    contact = get_contact(session, p, contact_id)
    if not manages(p, contact.center_id):
        raise Forbidden(STAFF_ONLY)
    return contact


def close_contact(session: Session, p: Principal, contact_id: int, reason: str) -> Contact:
    contact = managed_contact(session, p, contact_id)
    CONTACTS.check_state(contact, CONTACTS.transition("close"))
    if len(reason.strip()) < 2:
        raise InvalidInput("请填写关闭原因", field="reason")
    take(
        session,
        CONTACTS,
        contact,
        "close",
        owners=None,
        actor=p,
        reason=reason,
        changes={"close_reason": reason.strip()},
    )
    return contact


# --- deals --------------------------------------------------------------------------------------------


def visible_deals(p: Principal) -> Select[Deal]:
    return _scoped(select(Deal).order_by(Deal.id.desc()), Deal, p)


def list_deals(
    session: Session, p: Principal, *, state: str | None = None, mode: str | None = None, year: int | None = None
) -> list[Deal]:
    """``year`` is the contract's signing year, the year the ledger counts it in."""
    stmt = visible_deals(p)
    if state:
        stmt = stmt.where(Deal.state == state)
    if mode:
        stmt = stmt.where(Deal.mode == mode)
    if year:
        stmt = stmt.where(Deal.signed_on.between(date(year, 1, 1), date(year, 12, 31)))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Totals:
    """Of a list of deals: how many, and the contracts among them (signed or recorded) with their amount."""

    deals: int
    contracts: int
    amount_yuan: int

    @property
    def amount_wan(self) -> str:
        return money.wan(self.amount_yuan, 2)


def totals(deals: Iterable[Deal]) -> Totals:
    deals = list(deals)
    contracts = [d for d in deals if d.state in flows.CONTRACT_STAGES]
    return Totals(len(deals), len(contracts), sum(d.amount_yuan or 0 for d in contracts))


def get_deal(session: Session, p: Principal, deal_id: int) -> Deal:
    if not may_see_deals(p):
        raise NotFound(DEAL_NOT_FOUND)
    deal = session.scalar(visible_deals(p).where(Deal.id == deal_id))
    if deal is None:
        raise NotFound(DEAL_NOT_FOUND)
    return deal


def available_steps(p: Principal, deal: Deal) -> list[Transition]:
    return flows.DEALS.available(deal.state, flows.owners_for(p, deal.center_id))


def _patent_links(session: Session, numbers: Iterable[str]) -> tuple[list[DealPatent], list[str]]:
    """Application numbers in any notation, each checked and found in the patent database; the links and
    the canonical numbers (for the audit record)."""
    links: list[DealPatent] = []
    canonical: list[str] = []
    for raw in dict.fromkeys(numbers):
        try:
            number = normalise_application_no(raw)
        except InvalidInput as exc:
            raise InvalidInput(f"申请号 {raw} 有误：{exc.message}", field="application_nos") from None
        patent_id = session.scalar(select(Patent.id).where(Patent.application_no == number))
        if patent_id is None:
            raise InvalidInput(f"专利库中没有申请号 {number} 的专利", field="application_nos")
        if all(link.patent_id != patent_id for link in links):
            links.append(DealPatent(patent_id=patent_id, position=len(links)))
            canonical.append(number)
    return links, canonical


def _source_contact(session: Session, p: Principal, contact_id: int | None) -> Contact | None:
    if contact_id is None:
        return None
    try:
        contact = managed_contact(session, p, contact_id)
    except NotFound:
        raise InvalidInput(CONTACT_NOT_FOUND, field="contact_id") from None
    if contact.state == ContactState.CLOSED:
        raise Conflict("对接已关闭，不能转为交易", field="contact_id")
    return contact


def _contact_patents(session: Session, contact: Contact) -> list[str]:
    numbers = [contact.patent.application_no] if contact.patent is not None else []
    offer = session.get(Offer, contact.offer_id) if contact.offer_id else None
    return numbers + ([pt.application_no for pt in offer.patents] if offer else [])


def deal_defaults(session: Session, p: Principal, contact_id: int | None, today: date | None = None) -> dict[str, Any]:
    """The new-deal form, pre-filled from the contact it grows out of."""
    _require_staff(p, "登记交易")
    values: dict[str, Any] = {"intention_on": _today(today).isoformat()}
    contact = _source_contact(session, p, contact_id)
    if contact is not None:
        values |= {
            "contact_id": contact.id,
            "title": contact.subject,
            "seeker_org_id": contact.seeker_org_id or "",
            "seeker_name": contact.seeker_name,
            "provider_org_id": contact.provider_org_id or "",
            "provider_name": contact.provider_name,
            "application_nos": " ".join(dict.fromkeys(_contact_patents(session, contact))),
        }
    return values


def create_deal(session: Session, p: Principal, data: DealIn, today: date | None = None) -> Deal:
    center_id = _require_staff(p, "登记交易")
    today = _today(today)
    contact = _source_contact(session, p, data.contact_id)
    intention_on = _not_future(data.intention_on or today, today, "intention_on", "意向日期")
    given = data.model_dump(include={"seeker_org_id", "seeker_name", "provider_org_id", "provider_name"})
    if contact is not None:  # the contact's parties unless others are named
        for side in ("seeker", "provider"):
            if given[f"{side}_org_id"] is None and not given[f"{side}_name"]:
                given[f"{side}_org_id"] = getattr(contact, f"{side}_org_id")
                given[f"{side}_name"] = getattr(contact, f"{side}_name")
    parties = _parties(session, given)
    links, numbers = _patent_links(session, data.application_nos or [])
    deal = Deal(
        center_id=center_id,
        contact_id=contact.id if contact else None,
        title=data.title,
        mode=data.mode,
        amount_yuan=money.yuan(data.amount_wan),
        intention_on=intention_on,
        last_step_on=intention_on,
        contract_no=data.contract_no,
        notes=data.notes,
        created_by_id=p.user_id,
        patent_links=links,
        steps=[
            DealStep(action="create", from_stage=None, to_stage=DealState.INTENTION, on=intention_on, by_id=p.user_id)
        ],
        **parties,
    )
    audit.set_reason(session, "登记交易意向", application_nos=numbers)
    session.add(deal)
    session.flush()  # the deal's own audit reason, before the contact's step words its own
    if contact is not None and contact.state == ContactState.OPEN:
        take(session, CONTACTS, contact, "to_deal", owners=None, actor=p)
    _tell_parties(session, deal, f"运营中心登记了与您单位有关的技术合同交易“{deal.title}”（意向）")
    return deal


def _tell_parties(session: Session, deal: Deal, said: str) -> None:
    """The registered organisations party to a deal hear of each of its steps."""
    parties = [deal.provider_org_id, deal.seeker_org_id]
    messages.tell(session, text=said, link=f"/deals/{deal.id}", organisations=parties)


PARTY_FIELDS = {"seeker_org_id", "seeker_name", "provider_org_id", "provider_name"}


def deal_edit_values(deal: Deal) -> dict[str, Any]:
    """The stored basic data as the edit form shows it."""
    values = {name: getattr(deal, name) for name in DealEditIn.model_fields}
    return {k: "" if v is None else v for k, v in values.items()}


def update_deal(session: Session, p: Principal, deal_id: int, data: DealEditIn) -> Deal:
    """Correct an open deal's title, mode, parties or notes (audited); a recorded or abandoned deal is final."""
    deal = get_deal(session, p, deal_id)
    if not manages(p, deal.center_id):
        raise Forbidden("只有承办该交易的运营中心工作人员可以修改")
    if deal.state not in flows.OPEN_STAGES:
        raise Conflict(f"交易已{deal.state_label}，不能再修改")
    values = {"title": data.title, "mode": data.mode, "notes": data.notes}
    values |= _parties(session, data.model_dump(include=PARTY_FIELDS))
    for name, value in values.items():
        setattr(deal, name, value)
    audit.set_reason(session, "修改交易信息")
    session.flush()
    return deal


def _replace_patents(deal: Deal, links: list[DealPatent]) -> None:
    """Keep the links that stay, drop the others, add the new ones: no flush in between, so the step's
    changes reach the audit trail as one record with its reason."""
    wanted = {link.patent_id: link for link in links}
    for link in list(deal.patent_links):
        if link.patent_id not in wanted:
            deal.patent_links.remove(link)
    kept = {link.patent_id: link for link in deal.patent_links}
    for patent_id, link in wanted.items():
        if patent_id in kept:
            kept[patent_id].position = link.position
        else:
            deal.patent_links.append(link)
    deal.patent_links.sort(key=lambda link: link.position)


def _present(deal: Deal, data: StepIn, name: str) -> bool:
    """A required field is given with the step, or (for contract data) already on the deal."""
    value = getattr(data, name)
    if value not in (None, "", []):
        return True
    stored = {"amount_wan": deal.amount_yuan, "contract_no": deal.contract_no, "application_nos": deal.patent_links}
    return name in stored and stored[name] not in (None, "", [])


def _earliest(deal: Deal, t: Transition) -> tuple[date, str]:
    """The day a step may not precede, and what that day is, for the message."""
    if t.action == "record":
        return deal.signed_on or deal.intention_on, "合同签订日期"
    if t.action == "sign" and deal.negotiation_on:
        return deal.negotiation_on, "洽谈日期"
    if t.action == "abandon":
        return deal.last_step_on, "上一阶段日期"
    return deal.intention_on, "意向日期"


def _check_step(deal: Deal, t: Transition, data: StepIn, today: date) -> date:
    """Everything a step needs, checked before anything changes."""
    for name in t.requires:
        if not _present(deal, data, name):
            raise InvalidInput(f"请填写{flows.FIELD_LABELS[name]}", field=name)
    if t.action == "abandon" and len(data.reason) < 2:
        raise InvalidInput("请填写终止原因", field="reason")
    if data.licence_start and data.licence_end and data.licence_end < data.licence_start:
        raise InvalidInput("许可期限止不能早于期限起", field="licence_end")
    field = flows.date_field(t)
    on = getattr(data, field) or today
    _not_future(on, today, field, flows.FIELD_LABELS[field])
    earliest, what = _earliest(deal, t)
    if on < earliest:
        raise InvalidInput(f"{flows.FIELD_LABELS[field]}不能早于{what}（{earliest}）", field=field)
    return on


def transition(session: Session, p: Principal, deal_id: int, data: StepIn, today: date | None = None) -> Deal:
    """Take one step of ``flows.TRANSITIONS``: 404 out of scope, 403 for a reader, 409 from the wrong stage,
    422 naming the missing or wrong field; nothing is written unless the whole step holds."""
    deal = get_deal(session, p, deal_id)
    owners = flows.owners_for(p, deal.center_id)
    t = flows.DEALS.check(deal, data.action, owners=owners)
    on = _check_step(deal, t, data, _today(today))
    links, numbers = _patent_links(session, data.application_nos) if data.application_nos else (None, [])
    changes: dict[str, Any] = {"last_step_on": on}
    if t.action in ("sign", "record"):
        contract = _contract(deal, t.action, data, on, links)
        rights.raise_for(contract_refusals(session, contract), "合同未通过权利核验：")
        changes |= {"rights_state": "passed", "rights_note": "", "rights_checked_on": on}
    note = data.reason if t.action == "abandon" else ""
    if t.action == "negotiate":
        changes["negotiation_on"] = on
    elif t.action == "sign":
        amount = money.yuan(data.amount_wan) if data.amount_wan is not None else deal.amount_yuan
        changes |= {"signed_on": on, "amount_yuan": amount, "contract_no": data.contract_no or deal.contract_no}
        changes |= {"licence_start": data.licence_start, "licence_end": data.licence_end, "territory": data.territory}
    elif t.action == "record":
        changes |= {"recorded_on": on, "record_no": data.record_no}
    else:
        changes |= {"abandoned_on": on, "abandon_reason": data.reason}
    if links is not None:
        _replace_patents(deal, links)
    meta = {"application_nos": numbers} if numbers else {}
    take(session, flows.DEALS, deal, t.action, owners=owners, actor=p, reason=note, meta=meta, changes=changes)
    said = f"技术合同交易“{deal.title}”：{t.label}（{on}），当前阶段为“{deal.state_label}”"
    _tell_parties(session, deal, said + (f"。{note}" if note else ""))
    session.flush()
    return deal


# --- the rights and conflict check of a contract ----------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    """What a contract would say once the step is taken, checked before anything changes."""

    deal: Deal
    signed_on: date
    contract_no: str
    patent_ids: list[int]
    terms: rights.Terms


def _contract(deal: Deal, action: str, data: StepIn, on: date, links: list[DealPatent] | None) -> Contract:
    patent_ids = [link.patent_id for link in (links if links is not None else deal.patent_links)]
    if action == "sign":
        start = data.licence_start or on
        terms = rights.Terms(start, data.licence_end, data.territory)
        return Contract(deal, on, data.contract_no or deal.contract_no, patent_ids, terms)
    return Contract(deal, deal.signed_on or on, deal.contract_no, patent_ids, _stored_terms(deal))


def _stored_terms(deal: Deal) -> rights.Terms:
    return rights.Terms(deal.licence_start or deal.signed_on, deal.licence_end, deal.territory)


def _same_party(org_a: int | None, name_a: str, org_b: int | None, name_b: str) -> bool:
    if org_a is not None or org_b is not None:
        return org_a == org_b
    return normalise_name(name_a) == normalise_name(name_b)


def _duplicate(session: Session, c: Contract) -> list[rights.Refusal]:
    """The same contract counted twice: same mode, parties and a shared patent, and the same contract number
    (or, without numbers, the same signing date)."""
    others = session.scalars(
        select(Deal)
        .join(DealPatent)
        .where(
            DealPatent.patent_id.in_(c.patent_ids or [0]),
            Deal.id != (c.deal.id or 0),
            Deal.mode == c.deal.mode,
            Deal.state.in_(flows.CONTRACT_STAGES),
            or_(Deal.rights_state.is_(None), Deal.rights_state != "refused"),
        )
        .distinct()
    )
    d = c.deal
    number = normalise_name(c.contract_no)
    out = []
    for other in others:
        parties = _same_party(other.provider_org_id, other.provider_name, d.provider_org_id, d.provider_name)
        parties = parties and _same_party(other.seeker_org_id, other.seeker_name, d.seeker_org_id, d.seeker_name)
        other_no = normalise_name(other.contract_no)
        same = (number and number == other_no) or ((not number or not other_no) and other.signed_on == c.signed_on)
        if parties and same:
            what = f"合同编号 {other.contract_no}" if other.contract_no else f"签订日期 {other.signed_on}"
            out.append(rights.Refusal(f"与交易 #{other.id}（{what}）是同一份合同，不能重复登记和计入台账"))
    return out


def contract_refusals(session: Session, c: Contract) -> list[rights.Refusal]:
    """Every reason the contract may not be signed, recorded or counted (Chinese, per patent)."""
    act = ACT_OF_MODE.get(c.deal.mode)
    return (_rights_refusals(session, c, act) if act else []) + _duplicate(session, c)


def _rights_refusals(session: Session, c: Contract, act: str) -> list[rights.Refusal]:
    """Why the provider may not do ``act`` on each patent of the contract."""
    if not c.patent_ids:
        return [rights.Refusal("合同未列明涉及的专利，无法核验权利")]
    out: list[rights.Refusal] = []
    for patent_id in c.patent_ids:
        patent = session.get(Patent, patent_id)
        assert patent is not None  # a deal's patents are linked by foreign key, and patents are never deleted
        found = rights.check(
            session,
            patent,
            act,
            organisation_id=c.deal.provider_org_id,
            name="" if c.deal.provider_org_id else c.deal.provider_name,
            on=c.signed_on,
            terms=c.terms,
            exclude_deal_id=c.deal.id,
        )
        out += [rights.Refusal(f"专利 {patent.application_no}：{r.reason}", r.standing) for r in found]
    return out


def recheck(session: Session, p: Principal, deal_id: int, today: date | None = None) -> Deal:
    """Check a signed or recorded contract again (one from before the check, or after the facts changed): it
    counts in the ledger only if it passes; the reasons of a failure stay on the deal, audited."""
    deal = get_deal(session, p, deal_id)
    if not manages(p, deal.center_id):
        raise Forbidden(STAFF_ONLY)
    if deal.state not in flows.CONTRACT_STAGES or deal.signed_on is None:
        raise Conflict("只有已签订的合同需要权利核验")
    contract = Contract(deal, deal.signed_on, deal.contract_no, [x.patent_id for x in deal.patent_links],
                        _stored_terms(deal))  # fmt: skip
    found = contract_refusals(session, contract)
    deal.rights_state = "refused" if found else "passed"
    deal.rights_note = "；".join(dict.fromkeys(r.reason for r in found))
    deal.rights_checked_on = _today(today)
    audit.set_reason(session, "合同权利核验：" + ("未通过" if found else "通过"))
    session.flush()
    return deal


def unchecked_count(session: Session, p: Principal) -> int:
    """The staff's center's contracts never checked (0 for anyone else): the list offers to check them."""
    if not (p.is_(Role.CENTER_STAFF) and p.center_id):
        return 0
    return sum(d.rights_state is None for d in excluded_contracts(session, p.center_id))


def recheck_unchecked(session: Session, p: Principal, today: date | None = None) -> int:
    """Check every contract of the staff's center that never was (signed before the check existed), oldest
    first, so that of two conflicting contracts the later one is the one refused; how many were checked."""
    center_id = _require_staff(p, "核验合同")
    stmt = select(Deal.id).where(
        Deal.center_id == center_id, Deal.state.in_(flows.CONTRACT_STAGES), Deal.rights_state.is_(None)
    )
    ids = list(session.scalars(stmt.order_by(Deal.signed_on, Deal.id)))
    for deal_id in ids:
        recheck(session, p, deal_id, today)
    return len(ids)


def follow_query(p: Principal) -> Select[Deal] | None:
    """Open deals, stalest first (longest since their last stage): the staff's own center, every center for
    the region admin; None for anyone else."""
    stmt = select(Deal).where(Deal.state.in_(flows.OPEN_STAGES)).order_by(Deal.last_step_on, Deal.id)
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        return stmt.where(Deal.center_id == p.center_id)
    return stmt if p.is_(Role.REGION_ADMIN) else None


def deals_to_follow(session: Session, p: Principal) -> list[Deal]:
    query = follow_query(p)
    return [] if query is None else list(session.scalars(query))


# --- the ledger ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversionYear:
    year: int
    amount_yuan: int
    deals: int

    @property
    def amount_wan(self) -> str:
        return money.wan(self.amount_yuan)


def _ledger(center_id: int) -> Select:
    return select(Deal.signed_on, Deal.amount_yuan).where(
        Deal.center_id == center_id,
        Deal.state.in_(flows.CONTRACT_STAGES),
        Deal.mode.in_(COUNTED_MODES),
        Deal.signed_on.is_not(None),
        Deal.rights_state == "passed",
    )


def excluded_contracts(session: Session, center_id: int, year: int | None = None) -> list[Deal]:
    """Signed contracts (of ``year``'s signing, or all) the ledger leaves out: they did not pass, or never had,
    the rights check."""
    stmt = select(Deal).where(
        Deal.center_id == center_id,
        Deal.state.in_(flows.CONTRACT_STAGES),
        Deal.mode.in_(COUNTED_MODES),
        or_(Deal.rights_state.is_(None), Deal.rights_state != "passed"),
    )
    if year is not None:
        stmt = stmt.where(Deal.signed_on.between(date(year, 1, 1), date(year, 12, 31)))
    return list(session.scalars(stmt.order_by(Deal.signed_on, Deal.id)))


def conversion_by_year(session: Session, center_id: int) -> dict[int, ConversionYear]:
    """Per calendar year of the contract's signing date: the amount and the number of counted deals."""
    amounts: dict[int, list[int]] = {}
    for signed_on, amount in session.execute(_ledger(center_id)):
        amounts.setdefault(signed_on.year, []).append(amount or 0)
    return {year: ConversionYear(year, sum(v), len(v)) for year, v in sorted(amounts.items())}


def cumulative_projects(session: Session, center_id: int) -> int:
    """Every counted deal of the center so far (domain-rules §1: 累计转化项目)."""
    return session.scalar(select(func.count()).select_from(_ledger(center_id).subquery())) or 0


def threshold_year(session: Session, center_id: int, today: date | None = None) -> ConversionYear:
    """The year whose conversion amount the national threshold check uses: the better of the last full
    calendar year and the current year so far.

    Why both: the last full year is the latest complete record, but a center that passes the threshold in
    the spring would otherwise wait until next January to show as eligible; the current year so far is a
    lower bound of its full year, so once it passes the mark the year will too (unless contracts are
    terminated, which removes them from the ledger and the check follows). On a tie the full year is shown,
    being final."""
    current = _today(today).year
    years = conversion_by_year(session, center_id)
    full = years.get(current - 1, ConversionYear(current - 1, 0, 0))
    now = years.get(current, ConversionYear(current, 0, 0))
    return now if now.amount_yuan > full.amount_yuan else full


def center_conversion(session: Session, p: Principal, center_id: int) -> tuple[dict[int, ConversionYear], int]:
    """A center's ledger for its staff, the region admin and its league/city bureau; 404 for anyone else."""
    center = session.get(Center, center_id)
    allowed = center is not None and (
        p.is_(Role.REGION_ADMIN)
        or manages(p, center.id)
        or (p.is_(Role.BUREAU_OFFICER) and center.region_id in p.region_ids)
    )
    if not allowed:
        raise NotFound("记录不存在或无权查看")
    return conversion_by_year(session, center_id), cumulative_projects(session, center_id)


# --- exports ------------------------------------------------------------------------------------------

CONTACT_HEADERS = ["编号", "对接事项", "来源", "需求方", "供给方", "对接日期", "对接方式", "状态"]
DEAL_HEADERS = [
    "编号",
    "项目名称",
    "运营中心",
    "交易方式",
    "阶段",
    "转让方/许可方",
    "受让方/被许可方",
    "合同金额（万元）",
    "意向日期",
    "合同签订日期",
    "备案/登记日期",
    "合同编号",
    "备案/登记号",
    "涉及专利",
]


def contact_rows(contacts: list[Contact]) -> list[list[object]]:
    """Without the notes: a list export travels further than the center."""
    return [
        [c.id, c.subject, c.source_label, c.seeker, c.provider, c.contacted_on, c.channel_label, c.state_label]
        for c in contacts
    ]


def deal_rows(deals: list[Deal]) -> list[list[object]]:
    return [
        [d.id, d.title, d.center.name, d.mode_label, d.state_label, d.provider, d.seeker,
         wan_cell(d.amount_yuan), d.intention_on, d.signed_on, d.recorded_on,
         d.contract_no, d.record_no, "、".join(pt.application_no for pt in d.patents)]
        for d in deals
    ]  # fmt: skip
