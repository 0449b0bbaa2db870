"""JSON API for calls and recognition dossiers (under /api/v1); every rule is in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from ipoc.applications import service as applications
from ipoc.applications.flows import STATE_LABELS
from ipoc.applications.models import CALL_STATUS, CONDITIONS, Application, Call
from ipoc.applications.schemas import (
    ActionIn,
    ActionOut,
    ApplicationIn,
    ApplicationOut,
    ApplicationPatch,
    ApplicationSummary,
    CallIn,
    CallOut,
    ConditionOut,
    EventOut,
)
from ipoc.applications.service import ACTION_LABELS
from ipoc.auth.roles import Principal
from ipoc.files.schemas import AttachmentOut
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.forms import as_upload

router = APIRouter(tags=["认定申报"])
StateFilter = Annotated[str | None, Query(max_length=24)]
ActionName = Annotated[str, Path(max_length=32)]


def _call_out(call: Call) -> CallOut:
    state = applications.call_status(call)
    return CallOut(
        id=call.id,
        year=call.year,
        title=call.title,
        opens_on=call.opens_on,
        closes_on=call.closes_on,
        note=call.note,
        status=state,
        status_label=CALL_STATUS[state],
    )


def _summary_fields(p: Principal, app: Application) -> dict:
    return {
        "id": app.id,
        "call_id": app.call_id,
        "call_title": app.call.title,
        "org_id": app.org_id,
        "org_name": app.org.name,
        "region_id": app.region_id,
        "region_name": app.region.name,
        "industry_id": app.industry_id,
        "industry_name": app.industry.name,
        "builder_type": app.builder_type,
        "route": app.route,
        "state": app.state,
        "state_label": app.state_label,
        "submitted_at": app.submitted_at,
        "expert_score": app.expert_score,
        "expert_rank": app.expert_rank,
        "filing_copy": applications.is_filing_copy(p, app),
    }


def _detail(session: Session, p: Principal, app: Application) -> ApplicationOut:
    files = applications.attachments(session, app)
    evidence = {f"condition:{n}" for n in CONDITIONS}
    return ApplicationOut(
        **_summary_fields(p, app),
        participants=app.participants,
        construction_plan=app.construction_plan,
        team=app.team,
        team_size=app.team_size,
        funds_yuan=app.funds_yuan,
        funds_note=app.funds_note,
        returned_from=app.returned_from,
        conditions=[
            ConditionOut(
                number=c.number,
                title=CONDITIONS[c.number],
                statement=c.statement,
                evidence=[AttachmentOut.model_validate(a) for a in files[f"condition:{c.number}"]],
            )
            for c in app.conditions
        ],
        other_attachments=[
            AttachmentOut.model_validate(a)
            for purpose, items in files.items()
            if purpose not in evidence
            for a in items
        ],
        timeline=[
            EventOut(
                action=e.action,
                label=ACTION_LABELS.get(e.action, e.action),
                from_state=e.from_state,
                to_state=e.to_state,
                to_state_label=STATE_LABELS.get(e.to_state, e.to_state),
                reason=e.reason,
                actor_label=e.actor_label,
                at=e.at,
            )
            for e in applications.timeline(session, app)
        ],
        actions=[
            ActionOut(action=t.action, label=t.label, reason_required=t.needs_reason)
            for t in applications.decision_actions(p, app)
        ],
    )


@router.get("/calls", response_model=list[CallOut])
def list_calls(session: DB, p: LoggedIn, open_only: bool = False):
    """The region bureau sees every call; others the calls whose window has opened."""
    return [_call_out(c) for c in applications.list_calls(session, p, open_only=open_only)]


@router.post("/calls", response_model=CallOut, status_code=status.HTTP_201_CREATED)
def create_call(data: CallIn, session: DB, p: LoggedIn):
    return _call_out(applications.save_call(session, p, data))


@router.put("/calls/{call_id}", response_model=CallOut)
def edit_call(call_id: PathId, data: CallIn, session: DB, p: LoggedIn):
    return _call_out(applications.save_call(session, p, data, call_id))


@router.get("/applications", response_model=list[ApplicationSummary])
def list_applications(
    session: DB,
    p: LoggedIn,
    call_id: QueryId = None,
    state: StateFilter = None,
    region_id: QueryId = None,
    waiting: bool = False,
):
    """The dossiers the caller may read (``waiting=true``: only those whose next step is the caller's)."""
    if waiting:
        found = applications.waiting_on(session, p)
    else:
        found = applications.list_applications(session, p, call_id=call_id, state=state, region_id=region_id)
    return [ApplicationSummary(**_summary_fields(p, a)) for a in found]


@router.post("/applications", response_model=ApplicationOut, status_code=status.HTTP_201_CREATED)
def create_application(data: ApplicationIn, session: DB, p: LoggedIn):
    return _detail(session, p, applications.create_application(session, p, data))


@router.get("/applications/{app_id}", response_model=ApplicationOut)
def get_application(app_id: PathId, session: DB, p: LoggedIn):
    """The dossier with its evidence, its timeline and the steps the caller may take now."""
    return _detail(session, p, applications.read_application(session, p, app_id))


@router.patch("/applications/{app_id}", response_model=ApplicationOut)
def patch_application(app_id: PathId, data: ApplicationPatch, session: DB, p: LoggedIn):
    return _detail(session, p, applications.update_application(session, p, app_id, data))


@router.post("/applications/{app_id}/attachments", response_model=AttachmentOut, status_code=status.HTTP_201_CREATED)
def upload_attachment(
    app_id: PathId,
    session: DB,
    p: LoggedIn,
    file: UploadFile,
    purpose: Annotated[str, Form(max_length=40, description="condition:1 … condition:5、route 或 other")],
):
    att = applications.add_attachment(session, p, app_id, as_upload(file), purpose)
    return AttachmentOut.model_validate(att)


@router.delete("/applications/{app_id}/attachments/{att_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_attachment(app_id: PathId, att_id: PathId, session: DB, p: LoggedIn):
    applications.remove_attachment(session, p, app_id, att_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/applications/{app_id}/actions/{action}", response_model=ApplicationOut)
def take_action(app_id: PathId, action: ActionName, session: DB, p: LoggedIn, data: ActionIn | None = None):
    """One workflow step (submit, accept, recommend, return …); publishing, objections, shortlisting and
    recognition are taken on their own endpoints."""
    app = applications.take_action(session, p, app_id, action, data.reason if data else "")
    return _detail(session, p, app)
