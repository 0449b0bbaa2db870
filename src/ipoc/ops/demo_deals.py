"""Demo contacts and deals of the demo center, made through the services the pages use: an exclusive licence
signed this year (out of a walk-in contact), a transfer signed and recorded last year, a pledge financing in
negotiation and an abandoned ordinary licence. Runs after the demo patents are imported, since a signed deal
names the patents it covers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.auth.models import User
from ipoc.deals import service as deals
from ipoc.deals.models import Deal
from ipoc.deals.schemas import ContactIn, DealIn, StepIn
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.orgs.models import Organisation
from ipoc.patents import rights, rights_records
from ipoc.patents.models import Patent
from ipoc.uploads import Upload

UNIVERSITY = "内蒙古示例大学"
RARE_EARTH = "包头示例稀土新材料有限公司"
INSTITUTE = "鄂尔多斯示例煤化工研究院"
PATENTS = ("202111321720.4", "201810625194.2", "201910209849.2", "202010841794.X")


def _org(session: Session, name: str) -> int | None:
    return session.scalar(select(Organisation.id).where(Organisation.name == name))


def _this_year(today: date, days_back: int) -> date:
    """``days_back`` days ago, but not before this year's 1 January (so the deal stays this year's)."""
    return max(date(today.year, 1, 1), today - timedelta(days=days_back))


def _specs(session: Session, today: date) -> list[dict[str, Any]]:
    last = today.year - 1
    return [
        {
            "deal": DealIn(
                title="低成本铈镧共掺稀土永磁材料制备技术独占许可",
                mode="licence_exclusive",
                provider_org_id=_org(session, UNIVERSITY),
                seeker_org_id=_org(session, RARE_EARTH),
                intention_on=_this_year(today, 120),
                amount_wan=Decimal("180"),
            ),
            "contact": True,
            "steps": [
                StepIn(action="negotiate", negotiation_on=_this_year(today, 60)),
                StepIn(
                    action="sign",
                    signed_on=_this_year(today, 20),
                    contract_no=f"NMG-XK-{today.year}-0012",
                    application_nos=[PATENTS[0]],
                ),
            ],
        },
        {
            "deal": DealIn(
                title="稀土抛光粉回收工艺专利转让",
                mode="transfer",
                provider_name="包头示例稀土研究院",
                seeker_org_id=_org(session, RARE_EARTH),
                intention_on=date(last, 3, 10),
            ),
            "steps": [
                StepIn(action="negotiate", negotiation_on=date(last, 5, 20)),
                StepIn(
                    action="sign",
                    signed_on=date(last, 7, 8),
                    amount_wan=Decimal("520"),
                    contract_no=f"NMG-ZR-{last}-0003",
                    application_nos=[PATENTS[1]],
                ),
                StepIn(action="record", recorded_on=date(last, 9, 1), record_no=f"{last}150200000321"),
            ],
        },
        {
            "deal": DealIn(
                title="烧结钕铁硼专利组合质押融资",
                mode="pledge",
                provider_org_id=_org(session, RARE_EARTH),
                seeker_name="示例银行包头分行",
                intention_on=_this_year(today, 45),
                amount_wan=Decimal("1000"),
                application_nos=[PATENTS[2]],
            ),
            "steps": [StepIn(action="negotiate", negotiation_on=_this_year(today, 10))],
        },
        {
            "deal": DealIn(
                title="稀土储氢合金制备方法普通许可",
                mode="licence_ordinary",
                provider_name="包头示例储氢材料有限公司",
                seeker_org_id=_org(session, INSTITUTE),
                intention_on=_this_year(today, 90),
                amount_wan=Decimal("35"),
                application_nos=[PATENTS[3]],
            ),
            "steps": [
                StepIn(action="abandon", abandoned_on=_this_year(today, 30), reason="被许可方调整技术路线，终止洽谈")
            ],
        },
    ]


def _contact(session: Session, staff, spec: DealIn) -> int:
    """The contact a demo deal grew from, made on the deal's intention date."""
    contacted_on = spec.intention_on
    assert contacted_on is not None, "a demo deal that starts from a contact names its intention date"
    data = ContactIn(
        subject=spec.title,
        provider_org_id=spec.provider_org_id,
        seeker_org_id=spec.seeker_org_id,
        contacted_on=contacted_on,
        channel="visit",
        notes="企业来访提出降本需求，中心推荐示例大学的铈镧共掺技术，双方同意进一步洽谈。",
    )
    return deals.create_contact(session, staff, data, contacted_on).id


# The first demo patent is co-owned by the university and the institute: the university's exclusive licence
# needs the institute's written consent (专利法 第十四条), recorded by the center before the contract is signed.
CO_OWNER = "包头示例稀土研究院"
CONSENT_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _co_owner_consent(session: Session, staff) -> None:
    patent = session.scalar(select(Patent).where(Patent.application_no == PATENTS[0]))
    if patent is None or CO_OWNER not in {h.name for h in rights.holding(session, patent).patentees}:
        return
    upload = Upload.of_bytes("共有专利权人同意书.pdf", CONSENT_PDF)
    rights_records.record_consent(session, staff, patent, act="exclusive_licence", role="co_owner", party=CO_OWNER,
                                  upload=upload, note="同意内蒙古示例大学以独占许可方式许可本专利")  # fmt: skip


def load(session: Session, today: date | None = None) -> bool:
    """The demo deals once; False when deals exist already, or without the demo center or patents."""
    today = today or clock.today()
    if session.scalar(select(User.id).where(User.username == "center")) is None:
        return False
    staff = demo_principal(session, "center")
    found = session.scalars(select(Patent.application_no).where(Patent.application_no.in_(PATENTS))).all()
    if staff.center_id is None or len(found) < len(PATENTS) or session.scalar(select(Deal.id).limit(1)) is not None:
        return False
    _co_owner_consent(session, staff)
    for spec in _specs(session, today):
        data: DealIn = spec["deal"]
        if spec.get("contact"):
            data = data.model_copy(update={"contact_id": _contact(session, staff, data)})
        deal = deals.create_deal(session, staff, data, today)
        for step in spec["steps"]:
            deals.transition(session, staff, deal.id, step, today)
    session.flush()
    return True
