"""Organisation registration and verification, with the data rules of who sees what."""

from __future__ import annotations

import re

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.messages import service as messages
from ipoc.orgs.flows import ORGS
from ipoc.orgs.models import Organisation, OrgState
from ipoc.orgs.schemas import OrgRegistration
from ipoc.reference.models import OrgType, Region
from ipoc.workflow import take


def register(session: Session, data: OrgRegistration) -> tuple[Organisation, User]:
    """An organisation registers itself with its first member account; a bureau verifies it later."""
    if session.get(OrgType, data.type_code) is None:
        raise InvalidInput("单位类型不存在", field="type_code")
    if session.get(Region, data.region_id) is None:
        raise InvalidInput("所在盟市不存在", field="region_id")
    if session.scalar(select(Organisation.id).where(Organisation.uscc == data.uscc)):
        raise Conflict("该统一社会信用代码已注册", field="uscc")
    org = Organisation(
        name=data.name,
        type_code=data.type_code,
        uscc=data.uscc,
        region_id=data.region_id,
        address=data.address,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        state=OrgState.PENDING,
    )
    session.add(org)
    session.flush()
    user = accounts.create_user(
        session,
        username=data.username,
        display_name=data.contact_name,
        role=Role.MEMBER,
        password=data.password,
        scope=str(org.id),
        must_change_password=False,
    )
    return org, user


def can_see_details(principal: Principal, org: Organisation) -> bool:
    """Registration details (code, contacts, review notes) are not public."""
    if principal.role is Role.REGION_ADMIN:
        return True
    if principal.role is Role.BUREAU_OFFICER:
        return org.region_id in principal.region_ids
    if principal.role is Role.MEMBER:
        return org.id == principal.org_id
    return False


def _visible(principal: Principal) -> Select[Organisation]:
    stmt = select(Organisation)
    if principal.role is Role.REGION_ADMIN:
        return stmt
    public = Organisation.state == OrgState.VERIFIED
    if principal.role is Role.BUREAU_OFFICER:
        return stmt.where(or_(public, Organisation.region_id.in_(principal.region_ids or [-1])))
    if principal.role is Role.MEMBER and principal.org_id:
        return stmt.where(or_(public, Organisation.id == principal.org_id))
    return stmt.where(public)


def list_orgs(
    session: Session, principal: Principal, *, state: str | None = None, region_id: int | None = None
) -> list[Organisation]:
    stmt = _visible(principal).order_by(Organisation.state, Organisation.name)
    if state:
        stmt = stmt.where(Organisation.state == state)
    if region_id:
        stmt = stmt.where(Organisation.region_id == region_id)
    return list(session.scalars(stmt))


def _name_key(name: str) -> str:
    """A name as compared: spaces dropped, brackets of either width alike, Latin letters in one case."""
    return re.sub(r"\s+", "", name).replace("(", "（").replace(")", "）").lower()


def find_by_name(session: Session, principal: Principal, text: str, limit: int = 20) -> list[Organisation]:
    """Type-ahead: the organisations the caller may see whose name contains what was typed, an exact name first."""
    key = _name_key(text)
    chunk = max(re.split(r"[\s()（）]+", text), key=len)  # narrows the query; the key decides
    if not key or not chunk:
        return []
    stmt = _visible(principal).where(Organisation.name.icontains(chunk, autoescape=True)).order_by(Organisation.name)
    found = [o for o in session.scalars(stmt.limit(500)) if key in _name_key(o.name)]
    return sorted(found, key=lambda o: (_name_key(o.name) != key, o.name))[:limit]  # the same order on every database


def org_id_by_name(session: Session, principal: Principal, text: str, *, field: str) -> int:
    """The organisation a form names (chosen from the type-ahead or typed in full), or why none is, on ``field``."""
    key = _name_key(text)
    candidates = find_by_name(session, principal, text, limit=6)
    exact = [o for o in candidates if _name_key(o.name) == key]
    if len(exact) == 1:
        return exact[0].id
    if exact:
        raise InvalidInput(f"名称为“{text.strip()}”的单位有 {len(exact)} 个，请联系管理员核对单位名录", field=field)
    if len(candidates) > 1:
        names = "、".join(o.name for o in candidates[:5])
        raise InvalidInput(f"“{text.strip()}”对应多个单位（{names}），请选择或输入单位全称", field=field)
    hint = f"，您要找的是否为“{candidates[0].name}”" if candidates else "，未注册的单位请填写在名称栏"
    raise InvalidInput(f"单位名录中没有“{text.strip()}”{hint}", field=field)


def pending_for(session: Session, principal: Principal) -> list[Organisation]:
    """What waits on this bureau: registrations in its area not yet verified."""
    if principal.role not in (Role.BUREAU_OFFICER, Role.REGION_ADMIN):
        return []
    stmt = _visible(principal).where(Organisation.state == OrgState.PENDING)
    if principal.role is Role.BUREAU_OFFICER:
        stmt = stmt.where(Organisation.region_id.in_(principal.region_ids or [-1]))
    return list(session.scalars(stmt.order_by(Organisation.created_at)))


def get_org(session: Session, principal: Principal, org_id: int) -> Organisation:
    """404, not 403, for a record outside the caller's scope: its existence is not public either."""
    org = session.scalar(_visible(principal).where(Organisation.id == org_id))
    if org is None:
        raise NotFound("单位不存在或无权查看")
    if can_see_details(principal, org) and principal.user_id and org.id != principal.org_id:
        audit.log(session, "view", "organisations", org.id)
    return org


def may_review(principal: Principal, org: Organisation) -> bool:
    return principal.role is Role.REGION_ADMIN or (
        principal.role is Role.BUREAU_OFFICER and org.region_id in principal.region_ids
    )


def review(session: Session, principal: Principal, org_id: int, *, approve: bool, note: str) -> Organisation:
    org = get_org(session, principal, org_id)
    if not may_review(principal, org):
        raise Forbidden("只有单位所在盟市的主管部门可以核验")
    if not approve and not note.strip():
        raise InvalidInput("不予通过时必须填写原因", field="note")
    decided = {"review_note": note.strip(), "reviewed_by_id": principal.user_id, "reviewed_at": utcnow()}
    take(
        session,
        ORGS,
        org,
        "verify" if approve else "reject",
        owners=None,
        actor=principal,
        reason=note,
        changes=decided,
    )
    said = f"您单位的注册核验结果：{org.state_label}" + (f"。意见：{org.review_note}" if org.review_note else "")
    messages.tell(session, text=said, link=f"/orgs/{org.id}", organisations=[org.id])
    session.flush()
    return org


def require_verified(org: Organisation | None) -> Organisation:
    """Applying and publishing need a verified organisation."""
    if org is None or not org.is_verified:
        raise Forbidden("单位尚未通过主管部门核验，暂不能申报或发布")
    return org
