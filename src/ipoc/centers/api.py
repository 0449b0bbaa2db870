"""JSON API of the centers domain (under /api/v1): the same rules as the pages, enforced in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from sqlalchemy.orm import Session

from ipoc.auth.roles import Principal
from ipoc.centers import service as centers
from ipoc.centers.models import Center, Revocation
from ipoc.centers.schemas import (
    AuditIn,
    CenterDetail,
    CenterOut,
    CenterRegistration,
    EvaluationIn,
    EvaluationOut,
    EvidenceOut,
    NationalRowOut,
    RectificationDecisionIn,
    RectificationOut,
    RectificationReportIn,
    RevocationOut,
    RevocationPublic,
    SelfEvaluationIn,
    SelfEvaluationOut,
    SelfEvaluationStart,
)
from ipoc.lifecycle import cycle, ranking
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.forms import as_upload

router = APIRouter(tags=["运营中心"])


def _public(session: Session, center: Center) -> dict:
    revocation = centers.revocation_of(session, center)
    return {
        "id": center.id,
        "name": center.name,
        "industry_id": center.industry_id,
        "industry": center.industry.name,
        "builder_org_id": center.builder_org_id,
        "builder": center.builder.name,
        "region_id": center.region_id,
        "region": center.region.name,
        "state": center.state,
        "state_label": center.state_label,
        "direct": center.direct,
        "recognised_on": center.recognised_on,
        "period_start": center.period_start,
        "period_end": center.period_end,
        "revocation": RevocationPublic.model_validate(revocation) if revocation else None,
    }


def _revocation(session: Session, revocation: Revocation) -> RevocationOut:
    out = RevocationOut.model_validate(revocation)
    out.evidence = [EvidenceOut.model_validate(a) for a in centers.evidence_of(session, revocation)]
    return out


def _detail(session: Session, p: Principal, center: Center) -> CenterDetail:
    out = CenterDetail(**_public(session, center))
    if centers.sees_self_evaluations(session, p, center):
        out.self_evaluations = [SelfEvaluationOut.model_validate(e) for e in centers.self_evaluations(session, center)]
    if centers.sees_internal(p, center):
        out.evaluations = [EvaluationOut.model_validate(e) for e in centers.evaluations(session, center)]
        out.rectifications = [RectificationOut.model_validate(r) for r in centers.rectifications(session, center)]
        revocation = centers.revocation_of(session, center)
        out.revocation_detail = _revocation(session, revocation) if revocation else None
    return out


@router.get("/centers", response_model=list[CenterOut])
def list_centers(
    session: DB,
    p: CurrentPrincipal,
    status: str | None = None,
    region_id: QueryId = None,
    industry_id: QueryId = None,
):
    found = centers.list_centers(session, p, state=status, region_id=region_id, industry_id=industry_id)
    return [CenterOut(**_public(session, c)) for c in found]


@router.post("/centers", status_code=status.HTTP_201_CREATED, response_model=CenterDetail)
def register_center(data: CenterRegistration, session: DB, p: LoggedIn):
    """Record a center the region bureau recognised before the platform (there are no sub-centers)."""
    return _detail(session, p, centers.register_existing(session, p, data))


@router.get("/centers/national", response_model=list[NationalRowOut])
def national(session: DB, p: LoggedIn):
    return [
        NationalRowOut(
            center_id=r.center.id,
            name=r.center.name,
            status=r.center.state,
            outcome=r.evaluation.outcome if r.evaluation else None,
            score=r.evaluation.score if r.evaluation else None,
            conversion_amount_yuan=r.conversion_amount_yuan,
            conversion_year=r.conversion_year,
            conversion_projects=r.conversion_projects,
            eligible=r.eligible,
            threshold_met=r.meets_threshold,
            reasons=r.reasons,
            source=r.source,
            reported_amount_yuan=r.reported_amount_yuan,
            reported_year=r.reported_year,
            reported_projects=r.reported_projects,
        )
        for r in ranking.national_ranking(session, p)
    ]


@router.get("/centers/{center_id}", response_model=CenterDetail)
def get_center(center_id: PathId, session: DB, p: CurrentPrincipal):
    return _detail(session, p, centers.get_center(session, p, center_id))


@router.post(
    "/centers/{center_id}/self-evaluations", status_code=status.HTTP_201_CREATED, response_model=SelfEvaluationOut
)
def start_self_evaluation(center_id: PathId, data: SelfEvaluationStart, session: DB, p: LoggedIn):
    return SelfEvaluationOut.model_validate(cycle.start_self_evaluation(session, p, center_id, data.year))


@router.post("/centers/{center_id}/evaluations", status_code=status.HTTP_201_CREATED, response_model=EvaluationOut)
def evaluate(center_id: PathId, data: EvaluationIn, session: DB, p: LoggedIn):
    return EvaluationOut.model_validate(cycle.evaluate(session, p, center_id, data))


@router.post("/centers/{center_id}/revoke", status_code=status.HTTP_201_CREATED, response_model=RevocationOut)
def revoke(
    center_id: PathId,
    session: DB,
    p: LoggedIn,
    reason: Annotated[str, Form(max_length=24)],
    detail: Annotated[str, Form(max_length=10_000)],
    evidence: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies defaults)
):
    """Multipart: ``reason`` (a key of REVOCATION_REASONS), ``detail``, one or more ``evidence`` files."""
    uploads = [as_upload(f) for f in evidence]
    revocation = centers.revoke(session, p, center_id, reason=reason, detail=detail, evidence=uploads)
    return _revocation(session, revocation)


@router.get("/self-evaluations/{ev_id}", response_model=SelfEvaluationOut)
def get_self_evaluation(ev_id: PathId, session: DB, p: LoggedIn):
    return SelfEvaluationOut.model_validate(centers.view_self_evaluation(session, p, ev_id))


@router.put("/self-evaluations/{ev_id}", response_model=SelfEvaluationOut)
def save_self_evaluation(ev_id: PathId, data: SelfEvaluationIn, session: DB, p: LoggedIn):
    return SelfEvaluationOut.model_validate(centers.save_self_evaluation(session, p, ev_id, data))


@router.post("/self-evaluations/{ev_id}/submit", response_model=SelfEvaluationOut)
def submit_self_evaluation(ev_id: PathId, session: DB, p: LoggedIn):
    return SelfEvaluationOut.model_validate(cycle.submit_self_evaluation(session, p, ev_id))


@router.post("/self-evaluations/{ev_id}/audit", response_model=SelfEvaluationOut)
def audit_self_evaluation(ev_id: PathId, data: AuditIn, session: DB, p: LoggedIn):
    ev = centers.audit_self_evaluation(session, p, ev_id, approve=data.approve, note=data.note)
    return SelfEvaluationOut.model_validate(ev)


@router.get("/rectifications/{rect_id}", response_model=RectificationOut)
def get_rectification(rect_id: PathId, session: DB, p: LoggedIn):
    return RectificationOut.model_validate(centers.get_rectification(session, p, rect_id))


@router.post("/rectifications/{rect_id}/report", response_model=RectificationOut)
def report_rectification(rect_id: PathId, data: RectificationReportIn, session: DB, p: LoggedIn):
    return RectificationOut.model_validate(centers.report_rectification(session, p, rect_id, data.report))


@router.post("/rectifications/{rect_id}/decide", response_model=RectificationOut)
def decide_rectification(rect_id: PathId, data: RectificationDecisionIn, session: DB, p: LoggedIn):
    rect = centers.decide_rectification(session, p, rect_id, passed=data.passed, note=data.note)
    return RectificationOut.model_validate(rect)
