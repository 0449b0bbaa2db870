"""JSON API of the notices domain (under /api/v1): the public notices, objections, and the region admin's
drafting, publishing, objection handling and recognition."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.auth.roles import Principal, Role
from ipoc.lifecycle import recognition
from ipoc.notices import service as notices
from ipoc.notices.models import PublicNotice
from ipoc.notices.schemas import (
    NoticeAdminOut,
    NoticeCreate,
    NoticeEntry,
    NoticeOut,
    NoticeSummary,
    ObjectionIn,
    ObjectionOut,
    ObjectionReceipt,
    ObjectionResolve,
    RecognitionOut,
)
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["公示"])


def _out(session: Session, p: Principal, notice: PublicNotice) -> NoticeOut:
    is_admin = p.role is Role.REGION_ADMIN
    entries = [
        NoticeEntry(
            application_id=a.id,
            proposed_name=notices.proposed_name(a),
            org_name=a.org.name,
            industry=a.industry.name,
            region=a.region.name,
            state=a.state if is_admin else None,
            state_label=a.state_label if is_admin else None,
        )
        for a in notices.entries(session, notice)
    ]
    public = NoticeSummary.model_validate(notice).model_dump()
    fields = {**public, "body": notice.body, "contact": notice.contact, "entries": entries}
    fields["open_for_objections"] = notice.is_open(clock.today())
    if not is_admin:
        return NoticeOut(**fields)
    objections = [ObjectionOut.model_validate(o) for o in notices.objections_for(session, p, notice.id)]
    return NoticeAdminOut(**fields, objections=objections)


@router.get("/notices", response_model=list[NoticeSummary])
def list_notices(session: DB, p: CurrentPrincipal):
    """Published notices, newest first (the region admin also gets its drafts)."""
    return [NoticeSummary.model_validate(n) for n in notices.list_notices(session, p)]


@router.get("/notices/{notice_id}", response_model=NoticeAdminOut | NoticeOut)
def get_notice(notice_id: PathId, session: DB, p: CurrentPrincipal):
    """A published notice with its list; the region admin also gets drafts and the objections."""
    return _out(session, p, notices.get_notice(session, p, notice_id))


@router.post("/notices", status_code=status.HTTP_201_CREATED, response_model=NoticeAdminOut)
def create_notice(data: NoticeCreate, session: DB, p: LoggedIn):
    """A draft notice for shortlisted dossiers of one call; the end date is computed on the working-day
    calendar (422 on ``starts_on`` for a year whose schedule is not loaded)."""
    notice = notices.create_notice(session, p, data.call_id, data, data.application_ids)
    return _out(session, p, notice)


@router.post("/notices/{notice_id}/publish", response_model=NoticeAdminOut)
def publish_notice(notice_id: PathId, session: DB, p: LoggedIn):
    """Publish a draft: every dossier on it goes to public notice."""
    return _out(session, p, recognition.publish(session, p, notice_id))


@router.post("/notices/{notice_id}/objections", status_code=status.HTTP_201_CREATED, response_model=ObjectionReceipt)
def file_objection(notice_id: PathId, data: ObjectionIn, session: DB, p: CurrentPrincipal):
    """Anyone may object to one dossier during the window (409 outside it); the answer is a receipt."""
    return ObjectionReceipt.model_validate(notices.file_objection(session, p, notice_id, data))


@router.post("/objections/{objection_id}/resolve", response_model=ObjectionOut)
def resolve_objection(objection_id: PathId, data: ObjectionResolve, session: DB, p: LoggedIn):
    """Dismiss (the dossier may then be recognised) or uphold (the dossier is not recognised)."""
    objection = notices.resolve_objection(session, p, objection_id, data.outcome, data.resolution)
    return ObjectionOut.model_validate(objection)


@router.post("/notices/{notice_id}/recognise/{application_id}", response_model=RecognitionOut)
def recognise(notice_id: PathId, application_id: PathId, session: DB, p: LoggedIn):
    """Recognise a dossier after the window has closed with no objection open or upheld (409 otherwise)."""
    center = recognition.recognise(session, p, application_id, notice_id=notice_id)
    return RecognitionOut(
        application_id=application_id, state="recognized", center_id=center.id, center_name=center.name
    )
