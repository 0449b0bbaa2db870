"""Open licensing (专利法 50–52, 细则 85–88): who may declare, the legal bars, the declaration's states,
licences taken by written notice, the fee calculator, and the hand-entered facts the bars depend on.

Every permission and rule lives here; pages and API only call these functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ipoc import clock, money
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.licensing import flows
from ipoc.licensing.models import (
    AdvertisingPhrase,
    DeclarationState,
    EvaluationReport,
    OpenLicence,
    OpenLicenceDeclaration,
)
from ipoc.licensing.schemas import (
    AnnounceIn,
    DeclarationIn,
    FactIn,
    FeeQuery,
    NoticeIn,
    PhraseIn,
    RecordalIn,
    WithdrawIn,
)
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.orgs.names import normalise_name
from ipoc.patents import rights
from ipoc.patents.models import EVENT_LABELS, LICENCE_TYPES, LegalEvent, Patent, RightsConsent
from ipoc.patents.service import get_patent
from ipoc.search.text import fold
from ipoc.workflow import take

STAFF = (Role.REGION_ADMIN, Role.CENTER_STAFF)
OPEN_LICENCE_REDUCTION = Decimal("15")  # percent of the annual fee (2024 fee notice)


class Barred(Conflict):
    """A declaration refused while legal bars apply; ``bars`` names each with its article."""

    def __init__(self, bars: list[str]) -> None:
        super().__init__("不能提出开放许可声明：" + "；".join(bars))
        self.bars = bars


# --- who is the patentee ------------------------------------------------------------------------------


def _org(session: Session, p: Principal) -> Organisation | None:
    return session.get(Organisation, p.org_id) if p.org_id else None


def is_patentee(session: Session, p: Principal, patent: Patent) -> bool:
    """A member whose organisation is a current patentee (through its confirmed names or a recorded transfer)."""
    return p.is_(Role.MEMBER) and p.org_id is not None and rights.is_current_patentee(session, p.org_id, patent)


def may_act_for(session: Session, p: Principal, patent: Patent) -> bool:
    """The patentee, or the region admin and center staff acting on the patentee's behalf."""
    return p.is_(*STAFF) or is_patentee(session, p, patent)


def _declarant(h: rights.Holding, org_id: int | None) -> tuple[int | None, str]:
    """Who declares: the given organisation, else the first patentee (staff declare on its behalf)."""
    if org_id is not None:
        return org_id, ""
    first = h.patentees[0] if h.patentees else None
    return (first.organisation_id, first.name) if first else (None, "")


# --- the legal bars -----------------------------------------------------------------------------------


def advertising_phrases(session: Session) -> list[AdvertisingPhrase]:
    return list(session.scalars(select(AdvertisingPhrase).order_by(AdvertisingPhrase.phrase)))


def advertising_in(session: Session, *texts: str) -> list[str]:
    """The listed advertising phrases (细则85: no commercial advertising wording) the texts contain."""
    folded = fold(" ".join(texts))
    return [phrase for phrase in session.scalars(select(AdvertisingPhrase.phrase)) if fold(phrase) in folded]


def add_phrase(session: Session, p: Principal, data: PhraseIn) -> AdvertisingPhrase:
    """The region admin extends the list; a phrase already listed (after folding width and script) is refused."""
    require_phrase_admin(p)
    key = fold(data.phrase)
    if any(fold(x.phrase) == key for x in advertising_phrases(session)):
        raise Conflict(f"「{data.phrase}」已在禁用用语清单中", field="phrase")
    phrase = AdvertisingPhrase(phrase=data.phrase, created_by_id=p.user_id)
    audit.set_reason(session, f"新增开放许可声明禁用用语「{data.phrase}」")
    session.add(phrase)
    session.flush()
    return phrase


def remove_phrase(session: Session, p: Principal, phrase_id: int) -> None:
    require_phrase_admin(p)
    phrase = session.get(AdvertisingPhrase, phrase_id)
    if phrase is None:
        raise NotFound("禁用用语不存在")
    audit.set_reason(session, f"删除开放许可声明禁用用语「{phrase.phrase}」")
    session.delete(phrase)
    session.flush()


def require_phrase_admin(p: Principal) -> None:
    """The region admin keeps the phrase list (its page and API answer 403 to anyone else)."""
    if not p.is_(Role.REGION_ADMIN):
        raise Forbidden("只有自治区局管理员可以维护禁用用语清单")


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def paid_through(patent: Patent) -> date | None:
    dates = [patent.fee_paid_through] + [_date(e.detail.get("paid_through")) for e in patent.events if e.kind == "fee"]
    known = [d for d in dates if d]
    return max(known) if known else None


def _pledgee_consented(session: Session, patent: Patent, pledge: rights.Pledge) -> bool:
    """The pledgee's consent, recorded as a rights consent or on the hand-entered pledge itself."""
    consents = session.scalars(
        select(RightsConsent.party).where(
            RightsConsent.patent_id == patent.id, RightsConsent.act == "open_licence", RightsConsent.role == "pledgee"
        )
    )
    if normalise_name(pledge.pledgee) in {normalise_name(x) for x in consents}:
        return True
    event_id = int(pledge.ref.removeprefix("event:")) if pledge.ref.startswith("event:") else None
    event = session.get(LegalEvent, event_id) if event_id else None
    return event is not None and event.detail.get("pledgee_consent") == "yes"


def _holding_bars(session: Session, patent: Patent, h: rights.Holding) -> list[str]:
    """The bars of 细则86 the patent's holding shows: suspension, lapse or invalidation, an exclusive or sole
    licence in force (events, contracts), a pledge without the pledgee's consent."""
    found: list[str] = []
    if h.suspension is not None:
        since = f"，自{h.suspension.since}起" if h.suspension.since else ""
        found.append(
            f"专利权因{h.suspension.reason}被中止{since}，中止期间不得声明开放许可（专利法实施细则第八十六条）"
        )
    if h.invalidated:
        found.append("专利权已被宣告无效，不能实施开放许可（专利法实施细则第八十六条）")
    for lic in h.licences:
        if lic.kind in rights.EXCLUSIVE_KINDS:
            found.append(
                f"{LICENCE_TYPES[lic.kind]}在有效期内（被许可人：{lic.licensee or '未载明'}，"
                f"期限至：{lic.end or '未载明'}），独占或排他许可有效期内不得声明开放许可（专利法实施细则第八十六条）"
            )
    for pledge in h.pledges:
        if not _pledgee_consented(session, patent, pledge):
            who = pledge.pledgee or "未载明"
            found.append(f"专利权已质押且质权人（{who}）未同意开放许可（专利法实施细则第八十六条）")
    return found


def bars(
    session: Session, patent: Patent, *texts: str, today: date | None = None, org_id: int | None = None
) -> list[str]:
    """Every reason the patent cannot be declared open today, each in Chinese with its article. ``org_id`` is
    the declaring organisation (default: the first current patentee, on whose behalf staff act); every other
    co-owner's recorded consent is needed (专利法 第十四条)."""
    today = today or clock.today()
    events = sorted(patent.events, key=lambda e: (e.event_date or date.min, e.id or 0))
    h = rights.holding(session, patent, today)
    found: list[str] = []
    granted = (patent.grant_date is not None and patent.grant_date <= today) or any(
        e.kind == "grant" and (e.event_date is None or e.event_date <= today) for e in events
    )
    if not granted:
        found.append("专利尚未公告授权，开放许可声明只能在公告授予专利权后提出（专利法实施细则第八十五条）")
    declarant, name = _declarant(h, org_id)
    standing = rights.check(session, patent, "open_licence", organisation_id=declarant, name=name, on=today)
    found += [r.reason for r in standing if r.standing]
    found += _holding_bars(session, patent, h)
    fee_lapse = any(e.kind == "lapse" and "年费" in str(e.detail.get("note", "")) for e in events)
    through = paid_through(patent)
    if fee_lapse or (through is not None and through < today):
        shown = through.isoformat() if through else "未载明"
        found.append(f"未按规定缴纳年费（年费缴至：{shown}）（专利法实施细则第八十六条）")
    elif h.lapsed:
        found.append("专利权已终止或失效，不能实施开放许可（专利法实施细则第八十六条）")
    if patent.kind in ("utility_model", "design") and not evaluation_reports(session, patent):
        found.append("实用新型或外观设计专利提出开放许可声明，应当提供专利权评价报告（专利法第五十条）")
    phrases = advertising_in(session, *texts)
    if phrases:
        quoted = "".join(f"「{p}」" for p in phrases)
        found.append(f"声明含有商业性宣传用语{quoted}，声明应当准确、清楚（专利法实施细则第八十五条）")
    return found


def declaration_texts(d: OpenLicenceDeclaration) -> tuple[str, ...]:
    return (d.field, d.products, d.other_terms)


def _refuse_if_barred(session: Session, patent: Patent, *texts: str, today: date, org_id: int | None) -> None:
    found = bars(session, patent, *texts, today=today, org_id=org_id)
    if found:
        raise Barred(found)


def evaluation_reports(session: Session, patent: Patent) -> list[EvaluationReport]:
    stmt = select(EvaluationReport).where(EvaluationReport.patent_id == patent.id).order_by(EvaluationReport.issued_on)
    return list(session.scalars(stmt))


def active_declaration(session: Session, patent_id: int) -> OpenLicenceDeclaration | None:
    stmt = select(OpenLicenceDeclaration).where(
        OpenLicenceDeclaration.patent_id == patent_id, OpenLicenceDeclaration.state == DeclarationState.ANNOUNCED
    )
    return session.scalar(stmt)


# --- hand-entered facts -------------------------------------------------------------------------------


def record_fact(
    session: Session, p: Principal, application_no: str, data: FactIn, today: date | None = None
) -> LegalEvent | EvaluationReport:
    """A licence, pledge (with the pledgee's consent), pledge release, suspension (中止, 细则86) or its end, fee
    payment or evaluation report, entered by the patentee or staff; kept as a manual LegalEvent (a re-import
    keeps it)."""
    patent = get_patent(session, application_no)
    if not may_act_for(session, p, patent):
        raise Forbidden("只有专利权人或运营中心、自治区局工作人员可以登记该专利的许可、质押等事项")
    if data.event_date > (today or clock.today()):
        raise InvalidInput("日期不能晚于今天", field="event_date")
    fact = EVENT_LABELS.get(data.kind, "专利权评价报告")
    audit.set_reason(session, f"手工登记{fact}", application_no=patent.application_no)
    if data.kind == "evaluation_report":
        if patent.kind not in ("utility_model", "design"):
            raise InvalidInput("专利权评价报告只适用于实用新型和外观设计专利", field="kind")
        if not data.report_no:
            raise InvalidInput("请填写评价报告编号", field="report_no")
        report = EvaluationReport(
            patent_id=patent.id, number=data.report_no, issued_on=data.event_date, created_by_id=p.user_id
        )
        session.add(report)
        session.flush()
        return report
    detail = _fact_detail(session, patent, data)
    event = LegalEvent(patent_id=patent.id, kind=data.kind, event_date=data.event_date, detail=detail, source="manual")
    session.add(event)
    session.flush()
    audit.log(session, "create", "legal_events", event.id, after={"kind": data.kind, **detail})
    return event


def _fact_detail(session: Session, patent: Patent, data: FactIn) -> dict[str, str]:
    detail = {"note": data.note} if data.note else {}
    if data.kind == "licence":
        if data.licence_type is None:
            raise InvalidInput("请选择许可类型", field="licence_type")
        if data.licence_type != "ordinary" and active_declaration(session, patent.id):
            raise Conflict(
                "该专利处于开放许可实施期间，专利权人不得就该专利给予独占或排他许可（专利法第五十一条）",
                field="licence_type",
            )
        if data.term_start and data.term_end and data.term_end < data.term_start:
            raise InvalidInput("许可期限止不能早于期限起", field="term_end")
        detail |= {"type": data.licence_type, "licensee": data.counterparty}
        detail |= {k: v.isoformat() for k, v in (("term_start", data.term_start), ("term_end", data.term_end)) if v}
    elif data.kind in ("pledge", "pledge_release"):
        if data.kind == "pledge" and not data.counterparty:
            raise InvalidInput("请填写质权人", field="counterparty")
        detail |= {"pledgee": data.counterparty} if data.counterparty else {}
        if data.kind == "pledge":
            detail["pledgee_consent"] = "yes" if data.pledgee_consent else "no"
    elif data.kind == "suspension":
        if data.suspension_reason is None:
            raise InvalidInput("请选择中止原因", field="suspension_reason")
        detail["reason"] = data.suspension_reason
    elif data.kind == "fee":
        if data.paid_through is None:
            raise InvalidInput("请填写年费缴至日期", field="paid_through")
        detail["paid_through"] = data.paid_through.isoformat()
    return detail


# --- declarations -------------------------------------------------------------------------------------


def _fee_standard_fields(data: DeclarationIn) -> dict[str, int | None]:
    """Only the amounts the chosen payment method uses; a missing one is named with its field."""
    if data.fee_method == "royalty":
        if data.royalty_percent is None:
            raise InvalidInput("按销售额提成须填写提成比例", field="royalty_percent")
        bp = int(data.royalty_percent * 100)
        return {"royalty_bp": bp, "minimum_yuan": data.minimum_yuan or 0, "fee_amount_yuan": None}
    if data.fee_amount_yuan is None:
        raise InvalidInput("请填写费用金额（元）", field="fee_amount_yuan")
    return {"fee_amount_yuan": data.fee_amount_yuan, "royalty_bp": None, "minimum_yuan": None}


def create_declaration(
    session: Session, p: Principal, data: DeclarationIn, today: date | None = None
) -> OpenLicenceDeclaration:
    """A draft, refused while any bar applies (so a patentee learns them before submitting)."""
    today = today or clock.today()
    patent = get_patent(session, data.application_no)
    if not may_act_for(session, p, patent):
        raise Forbidden("只有专利权人（或代为办理的运营中心、自治区局工作人员）可以提出开放许可声明")
    fees = _fee_standard_fields(data)
    open_ = select(OpenLicenceDeclaration.id).where(
        OpenLicenceDeclaration.patent_id == patent.id, OpenLicenceDeclaration.state != DeclarationState.WITHDRAWN
    )
    if session.scalar(open_) is not None:
        raise Conflict("该专利已有未撤回的开放许可声明", field="application_no")
    h = rights.holding(session, patent, today)
    org_id = p.org_id if is_patentee(session, p, patent) else _declarant(h, None)[0]
    _refuse_if_barred(session, patent, data.field, data.products, data.other_terms, today=today, org_id=org_id)
    declaration = OpenLicenceDeclaration(
        patent_id=patent.id,
        org_id=org_id,
        patentee=h.patentee_names,
        fee_method=data.fee_method,
        term_years=data.term_years,
        field=data.field,
        products=data.products,
        industry_id=data.industry_id,
        other_terms=data.other_terms,
        prepared_by_id=p.user_id,
        **fees,
    )
    audit.set_reason(session, "起草开放许可声明")
    session.add(declaration)
    session.flush()
    return declaration


def owner_roles(p: Principal) -> set[str]:
    """The declaration machine's roles of a caller who may manage the declaration (``may_manage``)."""
    return {"patentee", "staff"} if p.is_(*STAFF) else {"patentee"}


def may_manage(session: Session, p: Principal, d: OpenLicenceDeclaration) -> bool:
    return p.is_(*STAFF) or (p.org_id is not None and p.org_id == d.org_id) or is_patentee(session, p, d.patent)


def visible(session: Session, p: Principal, d: OpenLicenceDeclaration) -> bool:
    return d.state in flows.PUBLIC or may_manage(session, p, d)


def get_declaration(session: Session, p: Principal, declaration_id: int) -> OpenLicenceDeclaration:
    """Announced and withdrawn declarations are public; drafts only for the patentee and staff (else 404)."""
    d = session.get(OpenLicenceDeclaration, declaration_id)
    if d is None or not visible(session, p, d):
        raise NotFound("开放许可声明不存在")
    return d


def list_public(
    session: Session, *, q: str = "", ipc: str = "", industry_id: int | None = None
) -> list[OpenLicenceDeclaration]:
    """Announced declarations, filtered by field words, IPC prefix or industry."""
    stmt: Select = (
        select(OpenLicenceDeclaration)
        .join(Patent)
        .where(OpenLicenceDeclaration.state == DeclarationState.ANNOUNCED)
        .order_by(OpenLicenceDeclaration.announced_on.desc(), OpenLicenceDeclaration.id.desc())
    )
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(OpenLicenceDeclaration.field.ilike(like), OpenLicenceDeclaration.products.ilike(like)))
    if ipc:
        stmt = stmt.where(Patent.ipc_main.ilike(f"{ipc.strip().upper()}%"))
    if industry_id:
        stmt = stmt.where(OpenLicenceDeclaration.industry_id == industry_id)
    return list(session.scalars(stmt))


def list_managed(session: Session, p: Principal) -> list[OpenLicenceDeclaration]:
    """Drafts and submitted declarations the caller prepares (patentee) or processes (staff)."""
    if not p.is_authenticated or not (p.is_(*STAFF) or p.org_id):
        return []
    stmt = select(OpenLicenceDeclaration).where(OpenLicenceDeclaration.state.in_(flows.UNDECIDED))
    if not p.is_(*STAFF):
        stmt = stmt.where(OpenLicenceDeclaration.org_id == p.org_id)
    return list(session.scalars(stmt.order_by(OpenLicenceDeclaration.id.desc())))


def _managed(session: Session, p: Principal, declaration_id: int) -> OpenLicenceDeclaration:
    d = get_declaration(session, p, declaration_id)
    if not may_manage(session, p, d):
        raise Forbidden("只有专利权人或代为办理的工作人员可以办理该声明")
    return d


def submit(session: Session, p: Principal, declaration_id: int, today: date | None = None) -> OpenLicenceDeclaration:
    """Submitted for CNIPA; the bars are checked again, the facts may have changed since the draft."""
    today = today or clock.today()
    d = _managed(session, p, declaration_id)
    flows.DECLARATIONS.check(d, "submit", owners=None)  # _managed checked the rights; 409 from a wrong state
    _refuse_if_barred(session, d.patent, *declaration_texts(d), today=today, org_id=d.org_id)
    take(session, flows.DECLARATIONS, d, "submit", owners=None, actor=p, changes={"submitted_at": utcnow()})
    return d


def announce(
    session: Session, p: Principal, declaration_id: int, data: AnnounceIn, today: date | None = None
) -> OpenLicenceDeclaration:
    """The region admin or center staff record CNIPA's announcement; from then on it binds (专利法50)."""
    today = today or clock.today()
    if not p.is_(*STAFF):
        raise Forbidden("只有自治区局管理员或运营中心工作人员可以登记公告")
    d = get_declaration(session, p, declaration_id)
    flows.DECLARATIONS.check(d, "announce", owners=owner_roles(p))
    if data.announced_on > today:
        raise InvalidInput("公告日不能晚于今天", field="announced_on")
    _refuse_if_barred(session, d.patent, *declaration_texts(d), today=data.announced_on, org_id=d.org_id)
    announcement = {"announced_on": data.announced_on, "announcement_no": data.announcement_no}
    meta = {"announcement_no": data.announcement_no}
    take(session, flows.DECLARATIONS, d, "announce", owners=owner_roles(p), actor=p, changes=announcement, meta=meta)
    said = f"您单位的开放许可声明（专利 {d.patent.application_no}）已登记公告（{data.announcement_no}），自公告日起生效"
    messages.tell(session, text=said, link=f"/open-licences/{d.id}", organisations=[d.org_id])
    session.flush()
    return d


def withdraw(
    session: Session, p: Principal, declaration_id: int, data: WithdrawIn, today: date | None = None
) -> OpenLicenceDeclaration:
    """Withdrawn with a reason from the withdrawal's announcement; licences given before stay valid (法50)."""
    today = today or clock.today()
    d = _managed(session, p, declaration_id)
    flows.DECLARATIONS.check(d, "withdraw", owners=None, reason=data.reason)  # _managed checked the rights
    withdrawn_on = data.withdrawn_on or today
    if d.announced_on and withdrawn_on < d.announced_on:
        raise InvalidInput("撤回公告日不能早于声明公告日", field="withdrawn_on")
    withdrawal = {"withdrawn_on": withdrawn_on, "withdrawal_reason": data.reason}
    take(session, flows.DECLARATIONS, d, "withdraw", owners=None, actor=p, reason=data.reason, changes=withdrawal)
    return d


# --- licences by written notice -----------------------------------------------------------------------


def licences_visible_to(session: Session, p: Principal, d: OpenLicenceDeclaration) -> list[OpenLicence]:
    """Licensees are seen by the patentee side and staff; a licensee sees its own licences."""
    if may_manage(session, p, d):
        return list(d.licences)
    return [lic for lic in d.licences if p.org_id is not None and lic.licensee_org_id == p.org_id]


def take_licence(
    session: Session, p: Principal, declaration_id: int, data: NoticeIn, today: date | None = None
) -> OpenLicence:
    """An ordinary licence, effective on the day of the written notice (专利法51)."""
    today = today or clock.today()
    d = get_declaration(session, p, declaration_id)
    org = _org(session, p)
    if not p.is_(Role.MEMBER) or org is None:
        raise Forbidden("请以被许可单位的会员账号提交书面通知")
    if d.state != DeclarationState.ANNOUNCED:
        raise Conflict("该声明不在开放许可实施期间（未公告或已公告撤回），不能再通过书面通知获得许可")
    if is_patentee(session, p, d.patent):
        raise Conflict("专利权人不能向自己的开放许可声明提交许可通知")
    if not data.acknowledged:
        raise InvalidInput("须确认已阅知并接受声明公告的许可使用费支付方式、标准和期限", field="acknowledged")
    if data.start_date < today:
        raise InvalidInput("实施起始日不能早于书面通知之日", field="start_date")
    if any(lic.licensee_org_id == org.id and lic.ends_on >= today for lic in d.licences):
        raise Conflict("本单位已通过该声明获得许可")
    licence = OpenLicence(
        declaration_id=d.id,
        licensee_org_id=org.id,
        licensee=data.licensee or org.name,
        contact=data.contact,
        notice_date=today,
        start_date=data.start_date,
        ends_on=clock.add_months(today, 12 * d.term_years),
        recordal_due=clock.add_months(today, 3),
        filed_by_id=p.user_id,
    )
    audit.set_reason(session, "被许可人书面通知（专利法第五十一条）")
    session.add(licence)
    said = f"{licence.licensee}通过书面通知获得专利 {d.patent.application_no} 的开放许可，自 {data.start_date} 起实施"
    messages.tell(session, text=said, link=f"/open-licences/{d.id}", organisations=[d.org_id])
    session.flush()
    return licence


def record_recordal(session: Session, p: Principal, licence_id: int, data: RecordalIn) -> OpenLicence:
    """The patentee (or the licensee, 细则87) records that the licence was filed with CNIPA."""
    licence = session.get(OpenLicence, licence_id)
    if licence is None or licence not in licences_visible_to(session, p, licence.declaration):
        raise NotFound("许可记录不存在")
    flows.LICENCES.check(licence, "record", owners=None)  # seen by the parties only; 409 once recorded
    if data.recorded_on < licence.notice_date:
        raise InvalidInput("备案日不能早于许可生效日", field="recorded_on")
    recordal = {"recorded_on": data.recorded_on, "recordal_no": data.recordal_no}
    meta = {"recordal_no": data.recordal_no}
    take(session, flows.LICENCES, licence, "record", owners=None, actor=p, changes=recordal, meta=meta)
    return licence


# --- fee calculator -----------------------------------------------------------------------------------


def wan(yuan: int) -> str:
    return money.wan(yuan, 2)


def fee_standard(d: OpenLicenceDeclaration) -> str:
    if d.fee_method == "royalty":
        rate = Decimal(d.royalty_bp or 0) / 100
        return f"按年销售额的 {rate.normalize():f}% 提成，每年不低于 {wan(d.minimum_yuan or 0)} 万元"
    amount = wan(d.fee_amount_yuan or 0)
    return f"一次性支付 {amount} 万元" if d.fee_method == "lump_sum" else f"每年 {amount} 万元"


@dataclass(frozen=True)
class FeeQuote:
    licence_fee_yuan: int | None
    explanation: str
    annual_fee_payable_yuan: int | None
    reduction_percent: Decimal | None
    reduction_note: str

    @property
    def licence_fee_wan(self) -> str | None:
        return None if self.licence_fee_yuan is None else wan(self.licence_fee_yuan)


def licence_fee(d: OpenLicenceDeclaration, query: FeeQuery) -> tuple[int | None, str]:
    """The licensee's fee under the declared standard for the given years (and, for a royalty, sales)."""
    years = query.years or d.term_years
    if years > d.term_years:
        raise InvalidInput(f"实施年数不能超过许可期限（{d.term_years} 年）", field="years")
    if d.fee_method == "lump_sum":
        return d.fee_amount_yuan, "一次性支付，与销售额和年数无关"
    if d.fee_method == "yearly":
        amount = (d.fee_amount_yuan or 0) * years
        return amount, f"每年 {wan(d.fee_amount_yuan or 0)} 万元 × {years} 年"
    if query.annual_sales_wan is None:
        return None, "请填写预计年销售额"
    per_year = max(
        money.round_yuan(query.annual_sales_wan * money.YUAN_PER_WAN * (d.royalty_bp or 0) / 10_000),
        d.minimum_yuan or 0,
    )
    return per_year * years, f"每年 max(销售额 × 提成比例, 年度最低额) = {wan(per_year)} 万元 × {years} 年"


def patentee_fee_reduction(query: FeeQuery) -> tuple[int | None, Decimal, str]:
    """Annual fee during open licensing: 15 % off, or another reduction if larger — never both."""
    other = query.other_reduction_percent or Decimal(0)
    rate = max(OPEN_LICENCE_REDUCTION, other)
    which = "开放许可年费减缴 15%" if rate == OPEN_LICENCE_REDUCTION else f"其他年费减缴 {other.normalize():f}%"
    note = f"开放许可实施期间年费减缴 15%，不与其他减缴叠加，择优适用：按{which}"
    if query.annual_fee_yuan is None:
        return None, rate, note
    return money.round_yuan(query.annual_fee_yuan * (100 - rate) / 100), rate, note


def fee_quote(d: OpenLicenceDeclaration, query: FeeQuery) -> FeeQuote:
    fee, explanation = licence_fee(d, query)
    payable, rate, note = patentee_fee_reduction(query)
    return FeeQuote(fee, explanation, payable, rate, note)
