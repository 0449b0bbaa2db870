"""The demo's lifecycle data is made through the services, so it obeys the rules the pages enforce."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ipoc.applications.models import Application, Call
from ipoc.applications.service import waiting_on
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.catalogue.models import FundingProject, ServiceItem, WorkPlan
from ipoc.centers.models import Center, SelfEvaluation
from ipoc.ops import demo
from ipoc.ops.demo_lifecycle import load_lifecycle
from ipoc.reviews.models import ScoreSheet


def test_the_demo_lifecycle_loads_once_and_follows_the_rules(session):
    today = date(2026, 11, 24)
    demo.load(session, today)
    assert load_lifecycle(session, today) is True
    assert load_lifecycle(session, today) is False
    call = session.scalars(select(Call)).one()
    assert call.opens_on < today < call.closes_on
    states = dict(session.execute(select(Application.org_id, Application.state)).all())
    assert sorted(states.values()) == ["draft", "submitted"]
    chifeng = accounts.principal_for(session, session.scalar(select(User).where(User.username == "chifeng")))
    assert [a.industry.naming_term for a in waiting_on(session, chifeng)] == ["乳业"]
    center = session.scalars(select(Center)).one()
    assert center.period_start is not None and center.name == "内蒙古自治区稀土新材料知识产权运营中心"
    assert session.scalar(select(func.count(ServiceItem.id)).where(ServiceItem.published)) == 3
    assert session.scalars(select(WorkPlan)).one().published
    assert session.scalar(select(func.sum(FundingProject.amount_yuan))) == 3_500_000
    assert session.scalars(select(SelfEvaluation)).one().state == "draft"
    assert session.scalar(select(func.count(ScoreSheet.id))) == 2
