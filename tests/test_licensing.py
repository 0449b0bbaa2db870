"""Open licensing (专利法 50–52, 细则 85–88): the bars, the declaration's path, licences by written notice,
withdrawal, the fee calculator, permissions and the public page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from ipoc.audit import service as audit
from ipoc.auth.roles import Role
from ipoc.auth.service import principal_for
from ipoc.errors import Conflict, Forbidden, NotFound
from ipoc.licensing import service as lic
from ipoc.licensing.models import OpenLicence, OpenLicenceDeclaration
from ipoc.licensing.schemas import AnnounceIn, DeclarationIn, FactIn, FeeQuery, NoticeIn, WithdrawIn
from ipoc.patents.models import Applicant, LegalEvent, Patent, PatentApplicant, RightsConsent
from ipoc.patents.numbers import check_char
from tests.conftest import csrf_of, login, make_user, post_form
from tests.factories import holds_name, make_org

TODAY = date(2026, 11, 30)
OWNER = "内蒙古稀土新材料(包头)有限公司"  # as the patent record spells it
OWNER_ORG = "内蒙古稀土新材料（包头） 有限公司"  # as the organisation registered


def _no(kind_digit: str, serial: int) -> str:
    body = f"2023{kind_digit}{serial:07d}"
    return f"{body}.{check_char(body)}"


def _patent(session, serial: int = 1, *, kind: str = "invention", granted: bool = True, paid=date(2027, 6, 30)):
    digit = {"invention": "1", "utility_model": "2", "design": "3"}[kind]
    patent = Patent(
        application_no=_no(digit, serial),
        kind=kind,
        title=f"一种稀土永磁材料的制备方法{serial}",
        ipc_main="C22B 59/00",
        grant_date=date(2025, 3, 1) if granted else None,
        status_class="valid" if granted else "pending",
        fee_paid_through=paid,
        content_hash="x",
        passage_hash="x",
        rev=serial,
    )
    applicant = session.scalar(select(Applicant).where(Applicant.name == OWNER)) or Applicant(name=OWNER)
    patent.applicant_links = [PatentApplicant(position=0, applicant=applicant)]
    session.add(patent)
    session.flush()
    return patent


def _event(session, patent, kind, day, **detail):
    session.add(LegalEvent(patent_id=patent.id, kind=kind, event_date=day, detail=detail, source="import"))
    session.flush()
    session.expire(patent, ["events"])


@pytest.fixture
def people(session):
    """The patentee's member (name matched with full-width brackets and spaces), another member, staff."""
    holds_name(session, make_org(session, OWNER_ORG), OWNER)  # the record's spelling, confirmed as its name
    holds_name(session, make_org(session, "鄂尔多斯装备制造有限公司"))
    session.commit()
    users = {
        "owner": make_user(session, "owner", Role.MEMBER, OWNER_ORG),
        "licensee": make_user(session, "licensee", Role.MEMBER, "鄂尔多斯装备制造有限公司"),
        "admin": make_user(session, "admin", Role.REGION_ADMIN, None),
    }
    return {k: principal_for(session, u) for k, u in users.items()}


def _data(patent, **over) -> DeclarationIn:
    base = {
        "application_no": patent.application_no,
        "fee_method": "royalty",
        "royalty_percent": "3.5",
        "minimum_yuan": 20000,
        "term_years": 3,
        "field": "稀土永磁材料",
        "products": "钕铁硼磁体、电机转子",
    }
    return DeclarationIn(**{**base, **over})


def _count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


def _with_bar(session, bar: str):
    patent = _patent(session, kind="utility_model" if bar == "no_report" else "invention", granted=bar != "not_granted")
    if bar == "exclusive":
        _event(session, patent, "licence", date(2025, 5, 1), type="exclusive", licensee="甲公司", term_end="2028-12-31")
    if bar == "fee":
        patent.fee_paid_through = date(2026, 6, 30)
    if bar == "fee_lapse":
        _event(session, patent, "lapse", date(2026, 10, 1), note="未缴年费专利权终止")
    if bar == "pledge":
        _event(session, patent, "pledge", date(2025, 9, 1), pledgee="包头银行")
    return patent


BARS = {
    "not_granted": ("细则第八十五条", "尚未公告授权"),
    "exclusive": ("细则第八十六条", "独占许可在有效期内"),
    "fee": ("细则第八十六条", "未按规定缴纳年费"),
    "fee_lapse": ("细则第八十六条", "未按规定缴纳年费"),
    "pledge": ("细则第八十六条", "质权人（包头银行）未同意"),
    "no_report": ("专利法第五十条", "专利权评价报告"),
    "wording": ("细则第八十五条", "「全国第一」"),
}


@pytest.mark.parametrize("bar", list(BARS))
def test_each_bar_refuses_the_declaration_with_its_article(session, people, bar):
    patent = _with_bar(session, bar)
    session.commit()
    over = {"other_terms": "全国第一的稀土技术"} if bar == "wording" else {}
    with pytest.raises(lic.Barred) as exc:
        lic.create_declaration(session, people["owner"], _data(patent, **over), today=TODAY)
    article, words = BARS[bar]
    assert len(exc.value.bars) == 1 and article in exc.value.message and words in exc.value.message
    session.rollback()
    assert _count(session, OpenLicenceDeclaration) == 0


def test_all_bars_are_listed_together(session, people):
    patent = _patent(session, kind="design", granted=False, paid=date(2026, 1, 1))
    _event(session, patent, "licence", date(2025, 5, 1), type="sole", licensee="乙公司")
    _event(session, patent, "pledge", date(2025, 9, 1), pledgee="包头银行")
    session.commit()
    with pytest.raises(lic.Barred) as exc:
        lic.create_declaration(session, people["admin"], _data(patent, products="最佳产品 100%可靠"), today=TODAY)
    assert len(exc.value.bars) == 6
    assert "「最佳」" in exc.value.message and "「100%」" in exc.value.message and "排他许可" in exc.value.message


def test_released_or_consented_pledge_and_ordinary_licence_do_not_bar(session, people):
    patent = _patent(session)
    _event(session, patent, "licence", date(2025, 5, 1), type="ordinary", licensee="丙公司")
    _event(session, patent, "licence", date(2020, 5, 1), type="exclusive", licensee="丁公司", term_end="2024-12-31")
    _event(session, patent, "pledge", date(2025, 9, 1), pledgee="包头银行")
    _event(session, patent, "pledge_release", date(2026, 2, 1), pledgee="包头银行")
    assert lic.bars(session, patent, today=TODAY) == []
    lic.record_fact(
        session,
        people["owner"],
        patent.application_no,
        FactIn(kind="pledge", event_date=date(2026, 3, 1), counterparty="农商银行", pledgee_consent=True),
        today=TODAY,
    )
    session.expire(patent, ["events"])
    assert lic.bars(session, patent, today=TODAY) == []


def test_utility_model_with_an_evaluation_report_is_accepted(session, people):
    patent = _patent(session, kind="utility_model")
    session.commit()
    fact = FactIn(kind="evaluation_report", event_date=date(2026, 5, 8), report_no="2026200012345")
    lic.record_fact(session, people["owner"], patent.application_no, fact, today=TODAY)
    declaration = lic.create_declaration(session, people["owner"], _data(patent), today=TODAY)
    assert declaration.state == "draft" and declaration.patentee == OWNER


def test_a_member_of_another_organisation_cannot_declare_or_record(session, people):
    patent = _patent(session)
    session.commit()
    with pytest.raises(Forbidden):
        lic.create_declaration(session, people["licensee"], _data(patent), today=TODAY)
    with pytest.raises(Forbidden):
        fact = FactIn(kind="fee", event_date=date(2026, 1, 1), paid_through=date(2027, 1, 1))
        lic.record_fact(session, people["licensee"], patent.application_no, fact, today=TODAY)


def test_the_whole_path_from_draft_to_withdrawal(session, people):
    owner, admin, licensee = people["owner"], people["admin"], people["licensee"]
    patent = _patent(session)
    session.commit()
    d = lic.create_declaration(session, owner, _data(patent), today=TODAY)
    with pytest.raises(Forbidden):
        lic.announce(session, owner, d.id, AnnounceIn(announced_on=TODAY), today=TODAY)
    lic.submit(session, owner, d.id, today=TODAY)
    with pytest.raises(NotFound):  # not yet announced: not public
        lic.take_licence(session, licensee, d.id, _notice(), today=TODAY)
    lic.announce(session, admin, d.id, AnnounceIn(announced_on=date(2026, 11, 20), announcement_no="G2026-1"), TODAY)
    assert d.state == "announced"

    licence = lic.take_licence(session, licensee, d.id, _notice(), today=TODAY)
    assert (licence.notice_date, licence.recordal_due) == (TODAY, date(2027, 2, 28))
    assert licence.ends_on == date(2029, 11, 30) and licence.licensee == "鄂尔多斯装备制造有限公司"
    session.commit()

    exclusive = FactIn(kind="licence", event_date=TODAY, licence_type="exclusive", counterparty="戊公司")
    with pytest.raises(Conflict, match="第五十一条"):
        lic.record_fact(session, owner, patent.application_no, exclusive, today=TODAY)
    session.rollback()
    assert session.scalar(select(func.count(LegalEvent.id))) == 0
    ordinary = FactIn(kind="licence", event_date=TODAY, licence_type="ordinary", counterparty="戊公司")
    lic.record_fact(session, owner, patent.application_no, ordinary, today=TODAY)

    lic.withdraw(session, owner, d.id, WithdrawIn(reason="专利权人调整许可策略"), today=date(2027, 1, 5))
    session.commit()
    assert d.state == "withdrawn" and d.withdrawn_on == date(2027, 1, 5)
    assert session.get(OpenLicence, licence.id).state == "effective"  # earlier licence stays valid (法50)
    with pytest.raises(Conflict, match="已公告撤回"):
        lic.take_licence(session, licensee, d.id, _notice(date(2027, 1, 6)), today=date(2027, 1, 6))
    actions = [r.action for r in audit.history(session, "open_licence_declarations", d.id)]
    assert {"transition:draft->submitted", "transition:submitted->announced", "transition:announced->withdrawn"} <= set(
        actions
    )
    reasons = [r.meta_json or "" for r in audit.history(session, "open_licence_declarations", d.id)]
    assert any("专利权人调整许可策略" in m for m in reasons)


def _notice(start: date = TODAY) -> NoticeIn:
    return NoticeIn(contact="王五 13800000000", start_date=start, acknowledged=True)


def test_withdrawal_needs_a_reason():
    with pytest.raises(ValueError):
        WithdrawIn(reason=" ")


def _announced(session, people, **over) -> OpenLicenceDeclaration:
    d = lic.create_declaration(session, people["owner"], _data(_patent(session), **over), today=TODAY)
    lic.submit(session, people["owner"], d.id, today=TODAY)
    lic.announce(session, people["admin"], d.id, AnnounceIn(announced_on=TODAY), today=TODAY)
    session.commit()
    return d


def test_fee_calculator_by_hand(session, people):
    d = _announced(session, people)  # 3.5 % of sales, at least 20 000 yuan a year, 3 years
    big = lic.fee_quote(d, FeeQuery(annual_sales_wan="100", years=3, annual_fee_yuan=1200))
    assert big.licence_fee_yuan == 105_000 and big.licence_fee_wan == "10.50"  # 1 000 000 × 3.5 % × 3
    assert big.annual_fee_payable_yuan == 1020 and "择优" in big.reduction_note  # 1200 × (1 − 15 %)
    small = lic.fee_quote(d, FeeQuery(annual_sales_wan="10", years=2, annual_fee_yuan=1200, other_reduction_percent=85))
    assert small.licence_fee_yuan == 40_000  # 3 500 a year is below the 20 000 minimum
    assert small.annual_fee_payable_yuan == 180  # the larger 85 % reduction applies, not 15 % on top
    d.fee_method, d.fee_amount_yuan = "yearly", 50_000
    assert lic.fee_quote(d, FeeQuery(years=2)).licence_fee_wan == "10.00"


def test_http_permissions_listing_notice_and_fee(client, session, people):
    d = _announced(session, people)
    draft = lic.create_declaration(session, people["owner"], _data(_patent(session, 2)), today=TODAY)
    session.commit()
    page = client.get("/open-licences")
    assert page.status_code == 200 and "稀土永磁材料" in page.text and "钕铁硼磁体、电机转子" in page.text
    assert "一种稀土永磁材料的制备方法2" not in page.text
    assert client.get(f"/open-licences/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/open-licences/{draft.id}").status_code == 404
    assert [x["id"] for x in client.get("/api/v1/open-licences").json()] == [d.id]
    fee = client.get(f"/api/v1/open-licences/{d.id}/fee?annual_sales_wan=100&years=3").json()
    assert fee["licence_fee_yuan"] == 105000 and fee["reduction_percent"] == "15"
    assert "10.50 万元" in client.get(f"/open-licences/{d.id}?annual_sales_wan=100&years=3").text

    login(client, "licensee")
    other = _patent(session, 3)
    session.commit()
    body = {"application_no": other.application_no, "fee_method": "lump_sum", "fee_amount_yuan": 1, "term_years": 1}
    refused = client.post(
        "/api/v1/open-licences", json={**body, "field": "稀土", "products": "磁体"}, headers=_csrf(client)
    )
    assert (
        refused.status_code == 403
        and "专利权人" in refused.json()["detail"]
        and _count(session, OpenLicenceDeclaration) == 2
    )
    no_ack = post_form(client, f"/open-licences/{d.id}/licences", {"contact": "王五", "start_date": "2099-01-01"})
    assert no_ack.status_code == 422 and "须确认" in no_ack.text
    taken = post_form(
        client,
        f"/open-licences/{d.id}/licences",
        {"contact": "王五", "start_date": "2099-01-01", "acknowledged": "true"},
    )
    assert taken.status_code == 303
    session.expire_all()
    assert _count(session, OpenLicence) == 1


def test_patentee_declares_through_the_form(client, session, people):
    patent = _patent(session)
    session.commit()
    login(client, "owner")
    facts = client.get(f"/open-licences/facts/{patent.application_no}")
    assert facts.status_code == 200 and "未发现妨碍开放许可的情形" in facts.text and "手工登记" in facts.text
    data = {"application_no": patent.application_no, "fee_method": "lump_sum", "term_years": "2"}
    refused = post_form(client, "/open-licences/new", {**data, "field": "稀土", "products": "国家级磁体"})
    assert refused.status_code == 422 and "费用金额" in refused.text
    barred = post_form(
        client, "/open-licences/new", {**data, "fee_amount_yuan": "80000", "field": "稀土", "products": "国家级磁体"}
    )
    assert barred.status_code == 409 and "「国家级」" in barred.text and _count(session, OpenLicenceDeclaration) == 0
    ok = post_form(
        client, "/open-licences/new", {**data, "fee_amount_yuan": "80000", "field": "稀土", "products": "磁体"}
    )
    assert ok.status_code == 303
    page = client.get(ok.headers["location"])
    assert "一次性支付 8.00 万元" in page.text and "提交声明" in page.text


# --- issue 12: suspension, co-owners, the current patentee, the phrase list ------------------------------

CO_OWNER = "包头示例稀土研究院"


def _csrf(client) -> dict[str, str]:
    return {"x-csrf-token": csrf_of(client)}


def test_suspension_co_owners_and_the_current_patentee_bar_or_allow_the_declaration(client, session, people):
    owner, licensee = people["owner"], people["licensee"]
    shared = _patent(session, 4)  # co-owned (专利法 第十四条): the other co-owner's consent is needed
    shared.applicant_links.append(PatentApplicant(position=1, applicant=Applicant(name=CO_OWNER)))
    session.commit()
    login(client, "owner")
    form = {"application_no": shared.application_no, "fee_method": "lump_sum", "fee_amount_yuan": "80000",
            "term_years": "2", "field": "稀土", "products": "磁体"}  # fmt: skip
    page = post_form(client, "/open-licences/new", form)
    assert page.status_code == 409 and f"共有专利权人「{CO_OWNER}」尚未登记同意" in page.text
    api = client.post("/api/v1/open-licences", json={**form, "fee_amount_yuan": 80000, "term_years": 2},
                      headers=_csrf(client))  # fmt: skip
    assert api.status_code == 409 and "专利法第十四条" in api.json()["detail"]
    session.add(RightsConsent(patent_id=shared.id, act="open_licence", role="co_owner", party=CO_OWNER))
    session.flush()
    assert lic.bars(session, shared, today=TODAY) == []

    suspend = FactIn(kind="suspension", event_date=date(2026, 10, 8), suspension_reason="dispute", note="权属纠纷")
    lic.record_fact(session, owner, shared.application_no, suspend, today=TODAY)
    session.expire(shared, ["events"])
    found = lic.bars(session, shared, today=TODAY)
    assert len(found) == 1 and "权属纠纷被中止" in found[0] and "细则第八十六条" in found[0]
    with pytest.raises(lic.Barred, match="中止"):
        lic.create_declaration(session, owner, _data(shared), today=TODAY)
    lic.record_fact(session, owner, shared.application_no, FactIn(kind="suspension_end", event_date=TODAY), TODAY)
    session.expire(shared, ["events"])
    assert lic.create_declaration(session, owner, _data(shared), today=TODAY).patentee == f"{OWNER}、{CO_OWNER}"

    sold = _patent(session, 5)  # the applicant sold it; the transfer is recorded: the assignee is the patentee
    session.add(LegalEvent(patent_id=sold.id, kind="transfer", event_date=date(2026, 3, 1), source="manual",
                           detail={"from": OWNER, "to": "鄂尔多斯装备制造有限公司"}))  # fmt: skip
    session.commit()
    assert not lic.is_patentee(session, owner, sold) and lic.is_patentee(session, licensee, sold)
    with pytest.raises(Forbidden):
        lic.create_declaration(session, owner, _data(sold), today=TODAY)
    declaration = lic.create_declaration(session, licensee, _data(sold), today=TODAY)
    assert declaration.patentee == "鄂尔多斯装备制造有限公司" and declaration.org_id == licensee.org_id
    assert "「全国领先」" in lic.bars(session, sold, "全国领先的烧结工艺", today=TODAY)[-1]


def test_the_region_admin_keeps_the_phrase_list_through_page_and_api(client, session, people):
    assert len(lic.advertising_phrases(session)) >= 40
    assert {"国家级", "最高级", "全国领先", "第一", "顶级", "独家", "国际领先"} <= {
        x.phrase for x in lic.advertising_phrases(session)
    }
    patent = _patent(session)
    session.commit()
    login(client, "owner")
    assert client.get("/advertising-phrases").status_code == 403
    refused = client.post("/api/v1/advertising-phrases", json={"phrase": "行业标杆"}, headers=_csrf(client))
    assert refused.status_code == 403 and "自治区局管理员" in refused.json()["detail"]
    login(client, "admin")
    page = client.get("/advertising-phrases")
    assert page.status_code == 200 and 'data-phrase="全国领先"' in page.text
    assert post_form(client, "/advertising-phrases", {"phrase": "行业标杆"}).status_code == 303
    again = post_form(client, "/advertising-phrases", {"phrase": "行业标杆"})
    assert again.status_code == 409 and "已在禁用用语清单中" in again.text
    assert client.post("/api/v1/advertising-phrases", json={"phrase": ""}, headers=_csrf(client)).status_code == 422
    assert "「行业标杆」" in lic.bars(session, patent, "行业标杆产品", today=TODAY)[0]
    added = next(x for x in client.get("/api/v1/advertising-phrases").json() if x["phrase"] == "行业标杆")
    assert client.delete(f"/api/v1/advertising-phrases/{added['id']}", headers=_csrf(client)).status_code == 204
    assert lic.bars(session, patent, "行业标杆产品", today=TODAY) == []
    reasons = [(r.meta_json or "") for r in audit.history(session, "advertising_phrases", added["id"])]
    assert any("新增开放许可声明禁用用语「行业标杆」" in m for m in reasons)
    assert any("删除开放许可声明禁用用语「行业标杆」" in m for m in reasons)
