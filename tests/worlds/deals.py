"""The deal tests' world: two centers recognised from dossiers (新能源 in 包头, 乳业 in 赤峰), a university holding
three patents, an enterprise, a stranger elsewhere and an account for every role; and the builders of a deal in it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.centers.models import Center
from ipoc.deals import service as svc
from ipoc.deals.models import Deal
from ipoc.deals.schemas import DealIn, StepIn
from ipoc.orgs.models import Organisation
from ipoc.patents.models import Patent
from tests.factories import make_org, number, principals, recognised_center

TODAY = date(2026, 11, 30)


@dataclass
class World:
    session: object
    center: Center
    other_center: Center
    univ: Organisation
    ent: Organisation
    people: dict[str, Principal]

    def __getattr__(self, name: str) -> Principal:
        return self.people[name]


def make_world(session) -> World:
    center = recognised_center(session, date(2025, 3, 1), term="新能源", region="包头市")
    other_center = recognised_center(session, date(2025, 3, 1), term="乳业", region="赤峰市")
    univ = make_org(session, "包头示例大学", type_code="university")
    ent = make_org(session, "包头示例新能源有限公司")
    make_org(session, "呼和浩特无关有限公司", city="呼和浩特市")
    for serial in (1, 2, 3):
        session.add(
            Patent(application_no=number(serial), kind="invention", title=f"专利{serial}", content_hash="x",
                   passage_hash="x", rev=serial, patentees=["包头示例大学"])
        )  # fmt: skip
    session.commit()
    scopes = {
        "staff": (Role.CENTER_STAFF, str(center.id)),
        "other_staff": (Role.CENTER_STAFF, str(other_center.id)),
        "admin": (Role.REGION_ADMIN, None),
        "bureau": (Role.BUREAU_OFFICER, "包头市"),
        "other_bureau": (Role.BUREAU_OFFICER, "赤峰市"),
        "univ": (Role.MEMBER, "包头示例大学"),
        "ent": (Role.MEMBER, "包头示例新能源有限公司"),
        "stranger": (Role.MEMBER, "呼和浩特无关有限公司"),
        "expert": (Role.EXPERT, None),
    }
    people = principals(session, scopes)
    people["anonymous"] = ANONYMOUS
    return World(session, center, other_center, univ, ent, people)


def deal_in(w: World, **over) -> DealIn:
    base = {
        "title": "储能电池专利独占许可",
        "mode": "licence_exclusive",
        "provider_org_id": w.univ.id,
        "seeker_org_id": w.ent.id,
        "intention_on": date(2026, 3, 1),
        "amount_wan": "120",
        "application_nos": number(1),
        "contract_no": "HT-2026-001",
    }
    return DealIn.model_validate(base | over)


def new_deal(w: World, **over) -> Deal:
    deal = svc.create_deal(w.session, w.staff, deal_in(w, **over), today=TODAY)
    w.session.commit()
    return deal


CONTRACTS = itertools.count(1)


def signed(w: World, on: date, amount: str | None = "100", *, mode: str = "transfer", record: bool = False) -> Deal:
    """A contract of its own: its own number, and (for a licence) its own territory, so none conflicts."""
    n = next(CONTRACTS)
    deal = new_deal(w, mode=mode, intention_on=min(on, date(on.year, 1, 1)), amount_wan=amount, contract_no=f"HT-{n}")
    step = StepIn(action="sign", signed_on=on, territory=f"第{n}区")
    svc.transition(w.session, w.staff, deal.id, step, today=TODAY)
    if record:
        svc.transition(w.session, w.staff, deal.id, StepIn(action="record", recorded_on=on, record_no="R1"), TODAY)
    w.session.commit()
    return deal
