"""Recording the facts ``patents.rights`` reads: legal events entered by hand (中止 and its end, a transfer, a
licence or a pledge and its release recorded with CNIPA but not yet in an export), written authorisations
(uploaded with the organisation, confirmed by a center) and co-owners' and pledgees' consents (recorded by a
center with the document). Every change is audited with its reason.

Who: a center's staff and the region bureau record events and consents and decide authorisations; a member
organisation uploads its own authorisation for a center to confirm.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.files import service as files
from ipoc.orgs.models import Organisation
from ipoc.orgs.names import normalise_name
from ipoc.patents import rights
from ipoc.patents.models import EVENT_LABELS, LICENCE_TYPES, LegalEvent, Patent, RightsAuthorisation, RightsConsent
from ipoc.uploads import Upload

R = TypeVar("R", RightsAuthorisation, RightsConsent)
STAFF_ONLY = "只有运营中心工作人员或自治区局可以登记"
# The kinds entered by hand, and the detail each needs (key -> label).
RECORDABLE: dict[str, dict[str, str]] = {
    "suspension": {"reason": "中止原因"},
    "suspension_end": {},
    "transfer": {"to": "受让人"},
    "licence": {"type": "许可类型", "licensee": "被许可人"},
    "pledge": {"pledgee": "质权人"},
    "pledge_release": {},
}
OPTIONAL_DETAIL = ("from", "licensor", "term_start", "term_end", "territory", "pledgor", "amount", "note")


def _staff(p: Principal) -> None:
    if not p.is_(Role.CENTER_STAFF, Role.REGION_ADMIN):
        raise Forbidden(STAFF_ONLY)


def _check_detail(kind: str, detail: dict[str, str]) -> dict[str, str]:
    clean = {k: " ".join(str(v).split()) for k, v in detail.items() if v not in (None, "")}
    unknown = set(clean) - set(RECORDABLE[kind]) - set(OPTIONAL_DETAIL)
    if unknown:
        raise InvalidInput(f"不适用于{EVENT_LABELS[kind]}的事项：{'、'.join(sorted(unknown))}", field="detail")
    for key, label in RECORDABLE[kind].items():
        if not clean.get(key):
            raise InvalidInput(f"请填写{label}", field=key)
    if kind == "licence" and clean["type"] not in LICENCE_TYPES:
        raise InvalidInput("许可类型应为独占许可、排他许可或普通许可", field="type")
    for key in ("term_start", "term_end"):
        if key in clean and rights.iso_date(clean[key]) is None:
            raise InvalidInput("日期格式应为 YYYY-MM-DD", field=key)
    for key, value in clean.items():
        if len(value) > 200:
            raise InvalidInput("每项不超过 200 字", field=key)
    return clean


def record_event(
    session: Session, p: Principal, patent: Patent, kind: str, on: date, detail: dict[str, Any]
) -> LegalEvent:
    """A legal event entered by hand (source "manual": a re-import keeps it)."""
    _staff(p)
    rights.require_number(patent)
    if kind not in RECORDABLE:
        raise InvalidInput("不能手工登记该类法律事件", field="kind")
    if on > clock.today():
        raise InvalidInput("日期不能晚于今天", field="event_date")
    clean = _check_detail(kind, detail)
    if kind == "suspension_end" and not rights.holding(session, patent, on).suspended:
        raise Conflict("该专利当日不处于中止程序，无需登记中止结束", field="kind")
    event = LegalEvent(patent_id=patent.id, kind=kind, event_date=on, detail=clean, source="manual")
    session.add(event)
    session.flush()
    meta = {"reason": f"登记{EVENT_LABELS[kind]}", "application_no": patent.application_no}
    audit.log(session, "record", "legal_events", event.id, meta=meta, after={"kind": kind, "on": on, **clean})
    session.expire(patent, ["events"])
    return event


# --- written authorisations ------------------------------------------------------------------------------


def _acts(acts: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(a for a in acts if a))
    if not chosen or any(a not in rights.ACTS for a in chosen):
        raise InvalidInput("请选择授权的事项", field="acts")
    return chosen


def _authorisation_owner(session: Session, p: Principal, auth_id: int) -> RightsAuthorisation:
    """Who may see an authorisation and its document: the organisation, the centers' staff, the bureaus."""
    auth = session.get(RightsAuthorisation, auth_id)
    if auth is None:
        raise NotFound("授权记录不存在或无权查看")
    org = session.get(Organisation, auth.organisation_id)
    sees = p.is_(Role.REGION_ADMIN, Role.CENTER_STAFF) or (p.is_(Role.MEMBER) and p.org_id == auth.organisation_id)
    if not sees and not (p.is_(Role.BUREAU_OFFICER) and org is not None and org.region_id in p.region_ids):
        raise NotFound("授权记录不存在或无权查看")
    return auth


def _consent_owner(session: Session, p: Principal, consent_id: int) -> RightsConsent:
    consent = session.get(RightsConsent, consent_id)
    if consent is None or not p.is_(Role.REGION_ADMIN, Role.CENTER_STAFF, Role.BUREAU_OFFICER):
        raise NotFound("同意记录不存在或无权查看")
    return consent


files.register_owner("rights_authorisation", _authorisation_owner)
files.register_owner("rights_consent", _consent_owner)


def _with_document(session: Session, p: Principal, record: R, upload: Upload, owner_type: str) -> R:
    """Keep the record with its signed document; a refused file leaves neither."""
    session.add(record)
    session.flush()
    att = files.store(session, upload, owner_type=owner_type, owner_id=record.id, purpose="document",
                      uploader_id=p.user_id)  # fmt: skip
    record.attachment_id = att.id
    session.flush()
    return record


def submit_authorisation(
    session: Session,
    p: Principal,
    patent: Patent,
    *,
    organisation_id: int,
    grantor: str,
    acts: list[str],
    valid_until: date | None,
    upload: Upload,
) -> RightsAuthorisation:
    """The organisation (or a center's staff for it) uploads a patentee's written authorisation; it counts
    once a center confirms it."""
    if not (p.is_(Role.CENTER_STAFF, Role.REGION_ADMIN) or (p.is_(Role.MEMBER) and p.org_id == organisation_id)):
        raise Forbidden("只能为本单位上传授权书")
    rights.require_number(patent)
    if session.get(Organisation, organisation_id) is None:
        raise InvalidInput("单位不存在", field="organisation_id")
    holders = rights.holding(session, patent).patentees
    if normalise_name(grantor) not in {normalise_name(h.name) for h in holders}:
        names = "、".join(h.name for h in holders) or "（无记录）"
        raise InvalidInput(f"授权人应为该专利的当前专利权人（{names}）", field="grantor")
    if valid_until is not None and valid_until < clock.today():
        raise InvalidInput("授权期限已过", field="valid_until")
    auth = RightsAuthorisation(patent_id=patent.id, organisation_id=organisation_id, grantor=grantor.strip(),
                               acts=_acts(acts), valid_until=valid_until, created_by_id=p.user_id)  # fmt: skip
    audit.set_reason(session, "上传专利权人书面授权")
    return _with_document(session, p, auth, upload, "rights_authorisation")


def decide_authorisation(
    session: Session, p: Principal, auth_id: int, *, approve: bool, note: str = ""
) -> RightsAuthorisation:
    """A center's staff (or the region bureau) confirms the authorisation after reading the document."""
    _staff(p)
    auth = _authorisation_owner(session, p, auth_id)
    if auth.state != "pending":
        raise Conflict(f"该授权已是“{auth.state_label}”状态")
    if not approve and len(note.strip()) < 2:
        raise InvalidInput("不予确认时必须填写原因", field="note")
    audit.set_reason(session, ("确认" if approve else "不予确认") + f"书面授权：{note.strip()}".rstrip("："))
    auth.state = "confirmed" if approve else "rejected"
    auth.note = note.strip()
    auth.decided_by_id = p.user_id
    auth.decided_at = utcnow()
    session.flush()
    return auth


def authorisations(session: Session, patent: Patent) -> list[RightsAuthorisation]:
    stmt = select(RightsAuthorisation).where(RightsAuthorisation.patent_id == patent.id)
    return list(session.scalars(stmt.order_by(RightsAuthorisation.id)))


# --- consents --------------------------------------------------------------------------------------------


def record_consent(
    session: Session,
    p: Principal,
    patent: Patent,
    *,
    act: str,
    role: str,
    party: str,
    upload: Upload,
    note: str = "",
) -> RightsConsent:
    """A co-owner's consent to an act (专利法 第十四条) or the pledgee's (民法典 第四百四十四条), with the
    signed document: recorded by a center's staff or the region bureau."""
    _staff(p)
    rights.require_number(patent)
    if act not in rights.ACTS or act == "offer":
        raise InvalidInput("请选择同意的事项", field="act")
    h = rights.holding(session, patent)
    parties = {"co_owner": [x.name for x in h.patentees], "pledgee": [x.pledgee for x in h.pledges]}
    if role not in parties:
        raise InvalidInput("请选择同意方的身份", field="role")
    if normalise_name(party) not in {normalise_name(x) for x in parties[role]}:
        known = "、".join(parties[role]) or "（无）"
        what = "共有专利权人" if role == "co_owner" else "质权人"
        raise InvalidInput(f"同意方应为该专利当前的{what}（{known}）", field="party")
    if normalise_name(party) in rights.consenting(session, patent, act, role):
        raise Conflict("该同意已登记", field="party")
    consent = RightsConsent(patent_id=patent.id, act=act, role=role, party=party.strip(), note=note.strip()[:2000],
                            recorded_by_id=p.user_id)  # fmt: skip
    audit.set_reason(session, f"登记{party.strip()}同意{rights.ACTS[act]}")
    return _with_document(session, p, consent, upload, "rights_consent")


def consents(session: Session, patent: Patent) -> list[RightsConsent]:
    stmt = select(RightsConsent).where(RightsConsent.patent_id == patent.id)
    return list(session.scalars(stmt.order_by(RightsConsent.id)))


def shown_to(p: Principal, h: rights.Holding) -> rights.Holding:
    """Contracts are not public: licences and pledges known only from the platform's contracts are shown to the
    centers' staff and the bureaus; registered (CNIPA) ones to everyone."""
    if p.is_(Role.REGION_ADMIN, Role.CENTER_STAFF, Role.BUREAU_OFFICER):
        return h
    licences = [x for x in h.licences if not x.ref.startswith("deal:")]
    pledges = [x for x in h.pledges if not x.ref.startswith("deal:")]
    return replace(h, licences=licences, pledges=pledges)
