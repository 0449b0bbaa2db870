"""JSON API of expert review (under /api/v1): sheets, panels, assignments, own scores, results after close."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from ipoc.auth.roles import Principal, Role
from ipoc.lifecycle import recognition
from ipoc.reviews import service as reviews
from ipoc.reviews.models import Panel
from ipoc.reviews.schemas import (
    AssignmentOut,
    ConflictIn,
    ConflictLift,
    ConflictOut,
    DecisionIn,
    ExpertTotalOut,
    MemberIn,
    MemberProgressOut,
    PanelIn,
    PanelKind,
    PanelOut,
    ResultOut,
    ScoreIn,
    ScoreOut,
    SheetIn,
    SheetOut,
    SheetRevision,
    SubjectOut,
)
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn

router = APIRouter(tags=["专家评审"])


def _panel_out(session: Session, p: Principal, panel: Panel) -> PanelOut:
    """Members and progress for the region admin; an expert sees only their own declaration."""
    out = PanelOut(
        id=panel.id,
        kind=cast(PanelKind, panel.kind),  # set only from PanelIn.kind, a PanelKind
        name=panel.name,
        call_id=panel.call_id,
        year=panel.year,
        status=panel.status,
        closed_at=panel.closed_at,
        min_scores=panel.min_scores,
        sheet=SheetOut.model_validate(panel.sheet),
    )
    if p.role is Role.REGION_ADMIN:
        out.members = [
            MemberProgressOut(
                expert_id=g.member.expert_id,
                expert_name=g.member.expert.display_name,
                declared_at=g.member.declared_at,
                conflict_org_ids=[c.org_id for c in g.member.conflicts],
                assigned=g.assigned,
                submitted=g.submitted,
            )
            for g in reviews.progress(session, p, panel.id)
        ]
    else:
        _, member = reviews.own_member(session, p, panel.id)
        out.my_conflicts = ConflictOut(
            org_ids=[c.org_id for c in member.conflicts], note=member.conflict_note, declared_at=member.declared_at
        )
    return out


def _result_out(result: reviews.Result) -> ResultOut:
    totals = [
        ExpertTotalOut(label=t.label, total=t.total, items=t.items, comment=t.comment, outlier=t.outlier)
        for t in result.totals
    ]
    return ResultOut(
        subject_id=result.subject_id,
        label=result.label,
        n=result.n,
        mean=result.mean,
        stdev=result.stdev,
        min=result.min,
        max=result.max,
        spread=result.spread,
        rank=result.rank,
        wide_spread=result.wide_spread,
        outliers=result.outliers,
        totals=totals,
    )


# --- sheets -------------------------------------------------------------------------------------------


@router.get("/reviews/sheets", response_model=list[SheetOut])
def list_sheets(session: DB, p: LoggedIn):
    return [SheetOut.model_validate(s) for s in reviews.list_sheets(session, p)]


@router.post("/reviews/sheets", status_code=status.HTTP_201_CREATED, response_model=SheetOut)
def create_sheet(data: SheetIn, session: DB, p: LoggedIn):
    return SheetOut.model_validate(reviews.create_sheet(session, p, data))


@router.get("/reviews/sheets/{sheet_id}", response_model=SheetOut)
def get_sheet(sheet_id: PathId, session: DB, p: LoggedIn):
    return SheetOut.model_validate(reviews.get_sheet(session, p, sheet_id))


@router.post("/reviews/sheets/{sheet_id}/versions", status_code=status.HTTP_201_CREATED, response_model=SheetOut)
def revise_sheet(sheet_id: PathId, data: SheetRevision, session: DB, p: LoggedIn):
    """Saves the edited indicators as the sheet's next version; earlier versions stay as they were."""
    return SheetOut.model_validate(reviews.revise_sheet(session, p, sheet_id, data))


# --- panels -------------------------------------------------------------------------------------------


@router.get("/reviews/panels", response_model=list[PanelOut])
def list_panels(session: DB, p: LoggedIn):
    return [_panel_out(session, p, panel) for panel in reviews.list_panels(session, p)]


@router.post("/reviews/panels", status_code=status.HTTP_201_CREATED, response_model=PanelOut)
def create_panel(data: PanelIn, session: DB, p: LoggedIn):
    return _panel_out(session, p, reviews.create_panel(session, p, data))


@router.get("/reviews/panels/{panel_id}", response_model=PanelOut)
def get_panel(panel_id: PathId, session: DB, p: LoggedIn):
    return _panel_out(session, p, reviews.get_panel(session, p, panel_id))


@router.post("/reviews/panels/{panel_id}/members", status_code=status.HTTP_201_CREATED, response_model=PanelOut)
def add_member(panel_id: PathId, data: MemberIn, session: DB, p: LoggedIn):
    reviews.add_member(session, p, panel_id, data.expert_id)
    return _panel_out(session, p, reviews.get_panel(session, p, panel_id))


@router.delete("/reviews/panels/{panel_id}/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(panel_id: PathId, member_id: PathId, session: DB, p: LoggedIn):
    reviews.remove_member(session, p, panel_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/reviews/panels/{panel_id}/conflicts", response_model=ConflictOut)
def declare_conflicts(panel_id: PathId, data: ConflictIn, session: DB, p: LoggedIn):
    member = reviews.declare_conflicts(session, p, panel_id, data)
    return ConflictOut(
        org_ids=[c.org_id for c in member.conflicts], note=member.conflict_note, declared_at=member.declared_at
    )


@router.post("/reviews/panels/{panel_id}/experts/{expert_id}/conflicts/{org_id}/lift", response_model=PanelOut)
def lift_conflict(panel_id: PathId, expert_id: PathId, org_id: PathId, data: ConflictLift, session: DB, p: LoggedIn):
    """Region bureau only (403 for anyone else, the expert included): the reason goes to the audit trail."""
    reviews.lift_conflict(session, p, panel_id, expert_id, org_id, data)
    return _panel_out(session, p, reviews.get_panel(session, p, panel_id))


@router.post("/reviews/panels/{panel_id}/close", response_model=list[ResultOut])
def close_panel(panel_id: PathId, session: DB, p: LoggedIn):
    """409 naming the subjects short of the panel's minimum of valid scores; otherwise the ranked results."""
    return [_result_out(r) for r in reviews.close_panel(session, p, panel_id)]


# --- the expert's work --------------------------------------------------------------------------------


@router.get("/reviews/assignments", response_model=list[AssignmentOut])
def my_assignments(session: DB, p: LoggedIn):
    """The calling expert's panels with their assigned dossiers or centers and their own score state."""
    return [
        AssignmentOut(
            panel_id=a.panel.id,
            panel_name=a.panel.name,
            kind=cast(PanelKind, a.panel.kind),  # set only from PanelIn.kind, a PanelKind
            status=a.panel.status,
            declared=a.member.declared_at is not None,
            subjects=[
                SubjectOut(
                    subject_id=subject.id,
                    label=reviews.subject_label(subject),
                    score_id=score.id if score else None,
                    submitted=bool(score and score.submitted_at),
                )
                for subject, score in a.subjects
            ],
        )
        for a in reviews.assignments(session, p)
    ]


@router.get("/reviews/panels/{panel_id}/scores", response_model=list[ScoreOut])
def my_scores(panel_id: PathId, session: DB, p: LoggedIn):
    """The caller's own scores only, whatever the panel's state."""
    return [ScoreOut.model_validate(s) for s in reviews.my_scores(session, p, panel_id)]


@router.put("/reviews/panels/{panel_id}/scores/{subject_id}", response_model=ScoreOut)
def save_score(panel_id: PathId, subject_id: PathId, data: ScoreIn, session: DB, p: LoggedIn):
    """Save a draft, or submit (``submit: true``): a submitted score is final."""
    return ScoreOut.model_validate(reviews.save_score(session, p, panel_id, subject_id, data))


@router.get("/reviews/panels/{panel_id}/results", response_model=list[ResultOut])
def results(panel_id: PathId, session: DB, p: LoggedIn):
    """After close only: experts named for the region admin, anonymised for the panel's experts."""
    _, found = reviews.panel_results(session, p, panel_id)
    return [_result_out(r) for r in found]


# --- decisions ----------------------------------------------------------------------------------------


@router.post("/reviews/applications/{application_id}/shortlist")
def shortlist(application_id: PathId, data: DecisionIn, session: DB, p: LoggedIn) -> dict[str, object]:
    app = recognition.shortlist(session, p, application_id, data.reason)
    return {"id": app.id, "state": app.state}


@router.post("/reviews/applications/{application_id}/reject")
def reject(application_id: PathId, data: DecisionIn, session: DB, p: LoggedIn) -> dict[str, object]:
    app = recognition.reject_after_review(session, p, application_id, data.reason)
    return {"id": app.id, "state": app.state}
