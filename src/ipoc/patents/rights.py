"""Who holds a patent on a given day, and whether an organisation may offer, license, transfer or pledge it.

A patent's holding is read from what the platform knows, each fact with its source and date:
- patentees: a transfer recorded on the platform (a recorded transfer contract or a manual transfer event)
  wins; else the export's 当前权利人/专利权人 column; else the export's latest transfer; else the applicants.
  The original applicants stay beside them.
- licences in force (legal events, signed licence contracts, licences by written notice of an open licence),
  pledges in force (pledge events less their releases, recorded pledge contracts), suspensions (中止,
  专利法实施细则 第八十六、八十七条: 权属纠纷 or 保全) and whether it lapsed or was invalidated.

An organisation counts as a patentee through its confirmed names (orgs.models.OrganisationName) or as the
registered party of a recorded transfer. Acting without being a patentee needs a written authorisation
confirmed by a center; on a co-owned patent (专利法 第十四条) one co-owner alone may exploit it or grant an
ordinary licence, but a transfer, an exclusive or sole licence, a pledge or an open-licence declaration needs
every other co-owner's recorded consent. A pledged patent is transferred or licensed only with the pledgee's
recorded consent (民法典 第四百四十四条).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, inspect, or_, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ipoc import clock
from ipoc.deals.models import Deal, DealPatent, DealState
from ipoc.errors import Conflict, Forbidden
from ipoc.licensing.models import DeclarationState, OpenLicence, OpenLicenceDeclaration
from ipoc.orgs.models import NameState, Organisation, OrganisationName, OrgState
from ipoc.orgs.names import normalise_name
from ipoc.patents.models import (
    ACT_LABELS,
    LICENCE_TYPES,
    SUSPENSION_REASONS,
    AuthorisationState,
    LegalEvent,
    Patent,
    RightsAuthorisation,
    RightsConsent,
)
from ipoc.patents.parsing import split_names

ACTS: dict[str, str] = ACT_LABELS  # act -> Chinese label
# The act as a verb phrase, for the reasons ("不能给予独占许可").
DOING = {
    "offer": "发布供给或许可转让意向",
    "ordinary_licence": "给予普通许可",
    "sole_licence": "给予排他许可",
    "exclusive_licence": "给予独占许可",
    "transfer": "转让",
    "pledge": "出质",
    "open_licence": "作出开放许可声明",
}
# 专利法 第十四条: what one co-owner may not do alone.
ALL_CO_OWNERS = frozenset({"transfer", "sole_licence", "exclusive_licence", "pledge", "open_licence"})
# 民法典 第四百四十四条: a pledged patent is neither transferred nor licensed without the pledgee.
PLEDGEE_CONSENT = frozenset({"transfer", "ordinary_licence", "sole_licence", "exclusive_licence", "open_licence"})
LICENCE_OF_ACT = {"ordinary_licence": "ordinary", "sole_licence": "sole", "exclusive_licence": "exclusive"}
# Licences that keep the licensor from granting others (独占、排他).
EXCLUSIVE_KINDS = frozenset({"exclusive", "sole"})

SOURCE_IMPORT = "导入"
SOURCE_RECORDED = "登记"
SOURCE_TRANSFER = "转让记录"
SOURCE_OPEN_LICENCE = "开放许可"
NATIONWIDE = frozenset({"", "全国", "中国", "中华人民共和国", "中国大陆", "中国境内"})


@dataclass(frozen=True)
class Holder:
    name: str
    organisation_id: int | None
    source: str  # 导入 | 登记 | 转让记录
    since: date | None


@dataclass(frozen=True)
class Licence:
    kind: str  # exclusive | sole | ordinary | "" (the record does not say)
    licensee: str
    start: date | None
    end: date | None
    territory: str
    source: str
    since: date | None
    ref: str = ""  # "deal:12", "event:5", "open:3": which record, so a contract is not compared with itself

    @property
    def kind_label(self) -> str:
        return LICENCE_TYPES.get(self.kind, "许可（类型未载明）")

    @property
    def territory_label(self) -> str:
        return self.territory or "全国"


@dataclass(frozen=True)
class Pledge:
    pledgee: str
    amount: str
    since: date | None
    source: str
    ref: str = ""


@dataclass(frozen=True)
class Suspension:
    reason: str
    since: date | None
    source: str


@dataclass(frozen=True)
class Holding:
    """A patent's rights on day ``on``."""

    patent_id: int
    patentees: list[Holder]
    applicants: list[str]
    licences: list[Licence]
    pledges: list[Pledge]
    suspended: bool
    lapsed: bool
    invalidated: bool
    suspension: Suspension | None = None
    open_licence: bool = False  # an announced open-licence declaration is in force
    on: date | None = None

    @property
    def co_owned(self) -> bool:
        return len(self.patentees) > 1

    @property
    def patentee_names(self) -> str:
        return "、".join(h.name for h in self.patentees) or "（无记录）"

    def holds(self, organisation_id: int) -> bool:
        return any(h.organisation_id == organisation_id for h in self.patentees)


@dataclass(frozen=True)
class Terms:
    """The licence a contract would grant: term and territory (empty: the whole of China)."""

    start: date | None = None
    end: date | None = None
    territory: str = ""


@dataclass(frozen=True)
class Refusal:
    reason: str  # Chinese, shown as it is
    standing: bool = False  # True: the actor lacks the right to act (403); False: the patent's state bars it (409)


# --- the holding ----------------------------------------------------------------------------------------


def _dated(events: Iterable[LegalEvent], kind: str, on: date) -> list[LegalEvent]:
    """Events of ``kind`` on or before ``on``, undated ones first (their order is unknown, so they are oldest)."""
    chosen = [e for e in events if e.kind == kind and (e.event_date is None or e.event_date <= on)]
    return sorted(chosen, key=lambda e: (e.event_date is not None, e.event_date or date.min, e.id or 0))


def _source(event: LegalEvent) -> str:
    return SOURCE_IMPORT if event.source == "import" else SOURCE_RECORDED


_Raw = list[tuple[str, int | None, str, date | None]]  # the patentees' names, organisation, source and date


@dataclass
class _Transfer:
    names: list[str]
    organisation_id: int | None
    since: date | None
    on_platform: bool  # recorded here (a contract or a manual event), so later than any export


@dataclass
class _Records:
    """What the platform records about a set of patents besides their legal events (contracts, open licences,
    organisations' names), read with a few queries for all of them rather than several per patent."""

    transfer_deals: dict[int, list[Deal]] = field(default_factory=dict)
    licence_deals: dict[int, list[Deal]] = field(default_factory=dict)
    pledge_deals: dict[int, list[Deal]] = field(default_factory=dict)
    declarations: dict[int, list[OpenLicenceDeclaration]] = field(default_factory=dict)
    open_licences: dict[int, list[OpenLicence]] = field(default_factory=dict)  # by declaration id
    confirmed_names: list[tuple[str, int]] = field(default_factory=list)  # (normalised, organisation id), by id
    verified_names: list[tuple[str, int]] = field(default_factory=list)  # (registered name, organisation id), by id


def _by_patent(session: Session, query: Select, ids: list[int]) -> dict[int, list[Deal]]:
    """Patent id → its deals that ``query`` selects, in id order."""
    found: dict[int, list[Deal]] = {}
    for patent_id, deal in session.execute(query.where(DealPatent.patent_id.in_(ids)).order_by(Deal.id)):
        found.setdefault(patent_id, []).append(deal)
    return found


def _deal_records(session: Session, ids: list[int], on: date, exclude_deal_id: int | None, into: _Records) -> None:
    # the seeker (d.seeker) is all a holding reads of a deal's relations: the others load if someone reads them
    unread = [lazyload(r) for r in (Deal.center, Deal.provider_org, Deal.patent_links, Deal.steps)]
    deals = (
        select(DealPatent.patent_id, Deal)
        .select_from(Deal)
        .join(DealPatent, DealPatent.deal_id == Deal.id)
        .options(*unread)
    )
    other = Deal.id != (exclude_deal_id or 0)
    not_refused = or_(Deal.rights_state.is_(None), Deal.rights_state != "refused")
    transfers = deals.where(
        Deal.mode.in_(("transfer", "equity")),
        Deal.state == DealState.RECORDED,
        Deal.recorded_on <= on,
        not_refused,
        other,
    )
    into.transfer_deals = _by_patent(session, transfers, ids)
    licences = deals.where(
        Deal.mode.like("licence_%"), Deal.state.in_((DealState.SIGNED, DealState.RECORDED)), not_refused, other
    )
    into.licence_deals = _by_patent(session, licences, ids)
    pledges = deals.where(Deal.mode == "pledge", Deal.state == DealState.RECORDED, Deal.recorded_on <= on, other)
    into.pledge_deals = _by_patent(session, pledges, ids)


def _open_licence_records(session: Session, ids: list[int], into: _Records) -> None:
    query = (
        select(OpenLicenceDeclaration)
        .where(OpenLicenceDeclaration.patent_id.in_(ids))
        .options(lazyload(OpenLicenceDeclaration.patent), lazyload(OpenLicenceDeclaration.industry))
    )
    for declaration in session.scalars(query.order_by(OpenLicenceDeclaration.id)):
        into.declarations.setdefault(declaration.patent_id, []).append(declaration)
    declaration_ids = [d.id for found in into.declarations.values() for d in found] or [0]
    rows = select(OpenLicence).where(OpenLicence.declaration_id.in_(declaration_ids)).order_by(OpenLicence.id)
    for licence in session.scalars(rows):
        into.open_licences.setdefault(licence.declaration_id, []).append(licence)


def _name_records(session: Session, names: Iterable[str], into: _Records) -> None:
    """The confirmed names and verified organisations any of ``names`` may be (see confirmed_organisations)."""
    names = set(names)
    wanted = _norm_set(names)
    if not wanted:
        return
    into.confirmed_names = list(
        session.execute(
            select(OrganisationName.normalised, OrganisationName.organisation_id)
            .where(OrganisationName.normalised.in_(wanted), OrganisationName.state == NameState.CONFIRMED)
            .order_by(OrganisationName.id)
        )
    )
    into.verified_names = list(
        session.execute(
            select(Organisation.name, Organisation.id)
            .where(Organisation.name.in_(names | wanted), Organisation.state == OrgState.VERIFIED)
            .order_by(Organisation.id)
        )
    )


def _organisations_named(names: Iterable[str], records: _Records) -> dict[str, int]:
    """Normalised name → the organisation holding it, out of the records read for these and other names."""
    names = list(names)
    wanted = _norm_set(names)
    if not wanted:
        return {}
    found: dict[str, int] = {}
    for normalised, org_id in records.confirmed_names:
        if normalised in wanted:
            found.setdefault(normalised, org_id)
    asked = set(names) | wanted
    for name, org_id in records.verified_names:
        if name in asked:
            found.setdefault(normalise_name(name), org_id)
    return found


def _load_events(session: Session, patents: list[Patent]) -> None:
    """Every patent's legal events with one query, for those whose events are not loaded yet (in the order the
    relationship loads them)."""
    unloaded = [pt for pt in patents if pt.id is not None and "events" in inspect(pt).unloaded]
    if not unloaded:
        return
    found: dict[int, list[LegalEvent]] = {pt.id: [] for pt in unloaded}
    query = select(LegalEvent).where(LegalEvent.patent_id.in_(list(found))).order_by(LegalEvent.event_date)
    for event in session.scalars(query):
        found[event.patent_id].append(event)
    for pt in unloaded:
        set_committed_value(pt, "events", found[pt.id])


def _transfers(patent: Patent, on: date, records: _Records) -> list[_Transfer]:
    found = [
        _Transfer(split_names(e.detail.get("to")), None, e.event_date, e.source != "import")
        for e in _dated(patent.events, "transfer", on)
        if e.detail.get("to")
    ]
    deals = records.transfer_deals.get(patent.id, [])
    found += [_Transfer([d.seeker], d.seeker_org_id, d.recorded_on, True) for d in deals]
    return sorted(found, key=lambda t: (t.since is not None, t.since or date.min))


def _holder_names(patent: Patent, on: date, records: _Records) -> _Raw:
    transfers = _transfers(patent, on, records)
    on_platform = [t for t in transfers if t.on_platform]
    if on_platform:
        last = on_platform[-1]
        return [(n, last.organisation_id, SOURCE_TRANSFER, last.since) for n in last.names]
    if patent.patentees:
        matching = [t for t in transfers if {normalise_name(n) for n in t.names} == _norm_set(patent.patentees)]
        since = matching[-1].since if matching else None
        return [(n, None, SOURCE_IMPORT, since) for n in patent.patentees]
    if transfers:
        last = transfers[-1]
        return [(n, None, SOURCE_TRANSFER, last.since) for n in last.names]
    return [(a.name, None, SOURCE_IMPORT, patent.application_date) for a in patent.applicants]


def _norm_set(names: Iterable[str]) -> set[str]:
    return {normalise_name(n) for n in names}


def confirmed_organisations(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Normalised name → the organisation holding it: a confirmed OrganisationName, or the registered name of a
    verified organisation (its bureau checked that name against its 统一社会信用代码 when verifying it)."""
    names = list(names)
    records = _Records()
    _name_records(session, names, records)
    return _organisations_named(names, records)


def _patentees(raw: _Raw, records: _Records) -> list[Holder]:
    orgs = _organisations_named([name for name, *_ in raw], records)
    holders: dict[str, Holder] = {}
    for name, org_id, source, since in raw:
        key = normalise_name(name)
        holders.setdefault(key, Holder(name, org_id or orgs.get(key), source, since))
    return list(holders.values())


def _in_term(start: date | None, end: date | None, on: date) -> bool:
    return (start is None or start <= on) and (end is None or on <= end)


def iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _event_licences(patent: Patent, on: date) -> list[Licence]:
    out = []
    for e in _dated(patent.events, "licence", on):
        start = iso_date(e.detail.get("term_start")) or e.event_date
        end = iso_date(e.detail.get("term_end"))
        if _in_term(start, end, on):
            d = e.detail
            out.append(Licence(d.get("type", ""), d.get("licensee", ""), start, end, d.get("territory", ""),
                               _source(e), e.event_date, f"event:{e.id}"))  # fmt: skip
    return out


def _deal_licences(patent: Patent, on: date, records: _Records) -> list[Licence]:
    out = []
    for d in records.licence_deals.get(patent.id, []):
        start = d.licence_start or d.signed_on
        if _in_term(start, d.licence_end, on):
            kind = d.mode.removeprefix("licence_")
            out.append(Licence(kind, d.seeker, start, d.licence_end, d.territory, SOURCE_RECORDED, d.signed_on,
                               f"deal:{d.id}"))  # fmt: skip
    return out


def _open_licences(patent: Patent, on: date, records: _Records) -> tuple[list[Licence], bool]:
    declarations = records.declarations.get(patent.id, [])
    # a withdrawal ends the offer to license, not the licences already taken under it
    in_force = any(
        d.state == DeclarationState.ANNOUNCED and (d.announced_on is None or d.announced_on <= on) for d in declarations
    )
    rows = [x for d in declarations for x in records.open_licences.get(d.id, [])]
    licences = [
        Licence("ordinary", x.licensee, x.start_date, x.ends_on, "", SOURCE_OPEN_LICENCE, x.notice_date, f"open:{x.id}")
        for x in sorted(rows, key=lambda x: x.id)
        if _in_term(x.start_date, x.ends_on, on)
    ]
    return licences, in_force


def _pledges(patent: Patent, on: date, records: _Records) -> list[Pledge]:
    """Pledge events less their releases (a release naming a pledgee ends that one, else every earlier one),
    and recorded pledge contracts."""
    events = _dated(patent.events, "pledge", on) + _dated(patent.events, "pledge_release", on)
    events.sort(key=lambda e: (e.event_date is not None, e.event_date or date.min, e.kind != "pledge", e.id or 0))
    open_: list[Pledge] = []
    for e in events:
        if e.kind == "pledge":
            open_.append(Pledge(e.detail.get("pledgee", ""), e.detail.get("amount", ""), e.event_date, _source(e),
                                f"event:{e.id}"))  # fmt: skip
            continue
        released = normalise_name(e.detail.get("pledgee"))
        open_ = [p for p in open_ if released and normalise_name(p.pledgee) != released]
    deals = records.pledge_deals.get(patent.id, [])
    open_ += [Pledge(d.seeker, d.amount_wan + " 万元", d.recorded_on, SOURCE_RECORDED, f"deal:{d.id}") for d in deals]
    return open_


def _suspension(patent: Patent, on: date) -> Suspension | None:
    """The suspension in force: the latest 中止 not followed by its end."""
    marks = _dated(patent.events, "suspension", on) + _dated(patent.events, "suspension_end", on)
    marks.sort(key=lambda e: (e.event_date is not None, e.event_date or date.min, e.id or 0))
    if not marks or marks[-1].kind != "suspension":
        return None
    last = marks[-1]
    reason = last.detail.get("reason", "")
    return Suspension(SUSPENSION_REASONS.get(reason, reason) or "未载明原因", last.event_date, _source(last))


def _invalidated(patent: Patent, on: date) -> bool:
    """A decision declaring the patent wholly invalid (a partial one or one upholding it leaves it in force)."""
    for e in _dated(patent.events, "invalidation", on):
        text = (e.detail.get("decision") or "") + (e.detail.get("text") or "")
        if "无效" in text and not any(word in text for word in ("部分", "维持", "驳回")):
            return True
    return False


def _lapsed(patent: Patent, on: date) -> bool:
    if _dated(patent.events, "lapse", on):
        return True
    later = [e for e in patent.events if e.kind == "lapse" and e.event_date and e.event_date > on]
    return patent.status_class == "lapsed" and not later


def _holding(patent: Patent, on: date, raw: _Raw, records: _Records) -> Holding:
    open_licences, open_in_force = _open_licences(patent, on, records)
    suspension = _suspension(patent, on)
    return Holding(
        patent_id=patent.id,
        patentees=_patentees(raw, records),
        applicants=[a.name for a in patent.applicants],
        licences=_event_licences(patent, on) + _deal_licences(patent, on, records) + open_licences,
        pledges=_pledges(patent, on, records),
        suspended=suspension is not None,
        lapsed=_lapsed(patent, on),
        invalidated=_invalidated(patent, on),
        suspension=suspension,
        open_licence=open_in_force,
        on=on,
    )


def holdings(
    session: Session, patents: Iterable[Patent], on: date | None = None, *, exclude_deal_id: int | None = None
) -> dict[int, Holding]:
    """Patent id → its rights on ``on`` (today, Beijing, by default), for lists and pages that show many patents:
    about eight queries for all of them, where each ``holding`` alone takes as many. ``exclude_deal_id`` leaves
    one contract out, so that re-checking a contract does not find it in conflict with itself."""
    on = on or clock.today()
    patents = list({pt.id: pt for pt in patents}.values())
    if not patents:
        return {}
    ids = [pt.id for pt in patents]
    records = _Records()
    _load_events(session, patents)
    _deal_records(session, ids, on, exclude_deal_id, records)
    _open_licence_records(session, ids, records)
    raw = {pt.id: _holder_names(pt, on, records) for pt in patents}
    _name_records(session, [name for found in raw.values() for name, *_ in found], records)
    return {pt.id: _holding(pt, on, raw[pt.id], records) for pt in patents}


def holding(session: Session, patent: Patent, on: date | None = None, *, exclude_deal_id: int | None = None) -> Holding:
    """The patent's rights on ``on`` (today, Beijing, by default). ``exclude_deal_id`` leaves one contract out,
    so that re-checking a contract does not find it in conflict with itself."""
    return holdings(session, [patent], on, exclude_deal_id=exclude_deal_id)[patent.id]


def is_current_patentee(session: Session, organisation_id: int, patent: Patent) -> bool:
    return holding(session, patent).holds(organisation_id)


# --- may this organisation act? -------------------------------------------------------------------------


NUMBERLESS = "该文献没有专利号（仅有来源编号），无法核实专利权"


def require_number(patent: Patent) -> None:
    """Rights are recorded only on a patent with a number: a record known only by its source's id (无专利号) names
    no right anyone can hold, so no event, authorisation or consent is recorded on it (409)."""
    if not patent.has_number:
        raise Conflict(f"{NUMBERLESS}，不能登记权利事项")


def _doing(act: str) -> str:
    if act not in ACTS:
        raise ValueError(f"unknown act {act!r}")
    return DOING[act]


def _state_refusals(h: Holding, act: str) -> list[Refusal]:
    label = _doing(act)
    out = []
    if h.lapsed:
        out.append(Refusal(f"专利权已失效，不能{label}"))
    if h.invalidated:
        out.append(Refusal(f"专利权已被宣告无效，不能{label}"))
    if h.suspension is not None:
        since = f"，自{h.suspension.since}起" if h.suspension.since else ""
        out.append(Refusal(f"专利处于中止程序（{h.suspension.reason}{since}），不能{label}"))
    return out


def _authorisation(
    session: Session, h: Holding, organisation_id: int, patent: Patent, act: str, on: date
) -> str | None:
    """The grantor of a confirmed, unexpired written authorisation for ``act``; None without one. An authorisation
    speaks only while its grantor is still a patentee: after a transfer, the old holder's paper grants nothing."""
    patentees = {normalise_name(x.name) for x in h.patentees}
    rows = session.scalars(
        select(RightsAuthorisation).where(
            RightsAuthorisation.patent_id == patent.id,
            RightsAuthorisation.organisation_id == organisation_id,
            RightsAuthorisation.state == AuthorisationState.CONFIRMED,
        )
    )
    for auth in rows:
        current = normalise_name(auth.grantor) in patentees
        if current and act in auth.acts and (auth.valid_until is None or on <= auth.valid_until):
            return auth.grantor
    return None


def consenting(session: Session, patent: Patent, act: str, role: str) -> set[str]:
    rows = session.scalars(
        select(RightsConsent.party).where(
            RightsConsent.patent_id == patent.id, RightsConsent.act == act, RightsConsent.role == role
        )
    )
    return _norm_set(rows)


def _standing(
    session: Session, h: Holding, organisation_id: int | None, name: str, patent: Patent, act: str, on: date
) -> tuple[list[Refusal], set[str]]:
    """Whether the actor is a patentee or authorised, and which patentees it speaks for."""
    own = {
        normalise_name(x.name)
        for x in h.patentees
        if (organisation_id is not None and x.organisation_id == organisation_id)
        or (organisation_id is None and normalise_name(x.name) == normalise_name(name))
    }
    if own:
        return [], own
    grantor = _authorisation(session, h, organisation_id, patent, act, on) if organisation_id is not None else None
    if grantor is not None:
        return [], {normalise_name(grantor)}
    who = name or "该单位"
    reason = (
        f"「{who}」不是该专利的当前专利权人（当前专利权人：{h.patentee_names}），"
        f"也没有经运营中心确认的{ACTS[act]}书面授权"
    )
    return [Refusal(reason, standing=True)], set()


def _co_owner_refusals(session: Session, h: Holding, patent: Patent, act: str, speaks_for: set[str]) -> list[Refusal]:
    if act not in ALL_CO_OWNERS or not h.co_owned:
        return []
    consented = consenting(session, patent, act, "co_owner") | speaks_for
    return [
        Refusal(f"共有专利权人「{x.name}」尚未登记同意{ACTS[act]}的书面意见（专利法第十四条）", standing=True)
        for x in h.patentees
        if normalise_name(x.name) not in consented
    ]


def _pledge_refusals(session: Session, h: Holding, patent: Patent, act: str) -> list[Refusal]:
    if act not in PLEDGEE_CONSENT or not h.pledges:
        return []
    consented = consenting(session, patent, act, "pledgee")
    law = "须经质权人同意（民法典第四百四十四条），尚无其同意的登记"
    return [
        Refusal(f"专利已质押给「{p.pledgee or '质权人'}」，{DOING[act]}{law}")
        for p in h.pledges
        if normalise_name(p.pledgee) not in consented
    ]


def territories_overlap(a: str, b: str) -> bool:
    """Empty or nationwide overlaps everything; otherwise two lists (、,;) overlap when a place of one contains a
    place of the other (内蒙古 and 内蒙古自治区呼和浩特市)."""
    if a.strip() in NATIONWIDE or b.strip() in NATIONWIDE:
        return True
    split = [[normalise_name(x) for x in _places(t)] for t in (a, b)]
    return any(x in y or y in x for x in split[0] for y in split[1] if x and y)


def _places(text: str) -> list[str]:
    return [x for x in text.replace("，", "、").replace(",", "、").replace("；", "、").replace(";", "、").split("、")]


def _terms_overlap(licence: Licence, terms: Terms) -> bool:
    starts_before_end = licence.end is None or terms.start is None or terms.start <= licence.end
    ends_after_start = terms.end is None or licence.start is None or licence.start <= terms.end
    return starts_before_end and ends_after_start and territories_overlap(licence.territory, terms.territory)


def _licence_refusals(h: Holding, act: str, terms: Terms) -> list[Refusal]:
    """Exclusive and sole licences exclude other licences of the same time and place; an announced open
    licence excludes exclusive and sole ones (专利法 第五十一条; 细则 第八十六条 the other way round)."""
    kind = LICENCE_OF_ACT.get(act, "ordinary" if act == "open_licence" else None)
    if kind is None:
        return []
    out = []
    for lic in h.licences:
        clashes = lic.kind in EXCLUSIVE_KINDS or kind == "exclusive"
        if clashes and (act == "open_licence" or _terms_overlap(lic, terms)):
            term = f"{lic.start or '—'} 至 {lic.end or '未载明'}"
            out.append(
                Refusal(
                    f"与「{lic.licensee or '被许可人'}」的{lic.kind_label}（{term}，{lic.territory_label}）"
                    f"在期限和地域上重叠，不能再{DOING[act]}"
                )
            )
    if h.open_licence and kind in EXCLUSIVE_KINDS:
        out.append(Refusal(f"专利处于开放许可实施期间，不能{DOING[act]}（专利法第五十一条）"))
    return out


def check(
    session: Session,
    patent: Patent,
    act: str,
    *,
    organisation_id: int | None = None,
    name: str = "",
    on: date | None = None,
    terms: Terms | None = None,
    exclude_deal_id: int | None = None,
) -> list[Refusal]:
    """Every reason the actor (a registered organisation, or a party known only by ``name``) may not do ``act``
    on ``patent`` on ``on``; [] when it may. A licence's ``terms`` default to from ``on``, open-ended, nationwide."""
    on = on or clock.today()
    label = _doing(act)
    if not patent.has_number:  # nobody holds, offers or signs a right on a document without a number
        return [Refusal(f"{NUMBERLESS}，不能{label}", standing=True)]
    h = holding(session, patent, on, exclude_deal_id=exclude_deal_id)
    if organisation_id is not None and not name:
        name = session.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""
    standing, speaks_for = _standing(session, h, organisation_id, name, patent, act, on)
    return (
        _state_refusals(h, act)
        + standing
        + ([] if standing else _co_owner_refusals(session, h, patent, act, speaks_for))
        + _pledge_refusals(session, h, patent, act)
        + _licence_refusals(h, act, terms or Terms(start=on))
    )


def refusals(session: Session, organisation_id: int, patent: Patent, act: str, on: date | None = None) -> list[str]:
    """Chinese reasons ``organisation_id`` may not do ``act`` on ``patent``; [] = allowed (authorisations and
    co-owners' and pledgees' consents considered)."""
    return [r.reason for r in check(session, patent, act, organisation_id=organisation_id, on=on)]


def raise_for(found: list[Refusal], prefix: str = "") -> None:
    """403 when the actor lacks the right, else 409; the message joins every reason."""
    if not found:
        return
    message = prefix + "；".join(dict.fromkeys(r.reason for r in found))
    raise (Forbidden if any(r.standing for r in found) else Conflict)(message)


def require(session: Session, organisation_id: int, patent: Patent, act: str, on: date | None = None) -> None:
    """Raise errors.Forbidden (not a patentee, no authorisation, a co-owner's consent missing) or errors.Conflict
    (lapsed, invalidated, suspended, pledged without consent, a licence in the way) with the joined reasons."""
    raise_for(check(session, patent, act, organisation_id=organisation_id, on=on), f"专利 {patent.application_no}：")


def holders_text(session: Session, patent: Patent) -> str:
    """The current patentees as one line, for offers and lists."""
    return holding(session, patent).patentee_names
