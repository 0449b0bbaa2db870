"""The review tests' world: a call with dossiers of 包头 organisations at expert review, experts, a bureau officer,
the region admin and a one-indicator score sheet; and the builders of a panel and a score in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ipoc.applications.models import Application, Call
from ipoc.auth.roles import Principal, Role
from ipoc.orgs.models import Organisation
from ipoc.reviews import service as reviews
from ipoc.reviews.models import ScoreSheet
from ipoc.reviews.schemas import ConflictIn, IndicatorIn, PanelIn, ScoreIn, SheetIn
from tests.factories import make_org, who

ONE_INDICATOR = [IndicatorIn(code="T", label="综合评价", weight=100, max=100)]


@dataclass
class World:
    admin: Principal
    officer: Principal
    experts: list[Principal]
    call: Call
    orgs: list[Organisation]
    dossiers: list[Application]
    sheet: ScoreSheet


def _dossier(session, call: Call, org: Organisation, state: str = "expert_review") -> Application:
    app = Application(
        call_id=call.id,
        org_id=org.id,
        region_id=org.region_id,
        industry_id=1,
        builder_type="leading_enterprise",
        route="via_bureau",
        state=state,
    )
    session.add(app)
    session.flush()
    return app


def make_world(session, n_experts: int = 2, n_dossiers: int = 2) -> World:
    admin = who(session, "region", Role.REGION_ADMIN)
    officer = who(session, "officer", Role.BUREAU_OFFICER, "包头市")
    call = Call(year=2026, title="2026年度认定", opens_on=date(2026, 3, 1), closes_on=date(2026, 4, 30))
    session.add(call)
    session.flush()
    orgs = [make_org(session, f"包头申报单位{i}") for i in range(1, n_dossiers + 1)]
    dossiers = [_dossier(session, call, org) for org in orgs]
    experts = [who(session, f"expert{i}", Role.EXPERT) for i in range(1, n_experts + 1)]
    sheet = reviews.create_sheet(
        session, admin, SheetIn(name="综合评分表", kind="recognition", indicators=ONE_INDICATOR)
    )
    session.commit()
    return World(admin, officer, experts, call, orgs, dossiers, sheet)


def _panel(session, w: World, sheet: ScoreSheet | None = None, declare: bool = True, min_scores: int = 1):
    data = PanelIn(
        kind="recognition",
        name="2026年度认定评审组",
        call_id=w.call.id,
        sheet_id=(sheet or w.sheet).id,
        min_scores=min_scores,
        expert_ids=[e.user_id for e in w.experts],
    )
    panel = reviews.create_panel(session, w.admin, data)
    if declare:
        for expert in w.experts:
            reviews.declare_conflicts(session, expert, panel.id, ConflictIn())
    session.commit()
    return panel


def _score(session, expert: Principal, panel, subject_id: int, points: float, submit: bool = True):
    data = ScoreIn(items={"T": points}, comment="意见", submit=submit)
    score = reviews.save_score(session, expert, panel.id, subject_id, data)
    session.commit()
    return score
