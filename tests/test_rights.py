"""Who holds a patent today and what an organisation may do with it (issue 12 points 1–3): the current
patentees with source and date, licences, pledges and suspensions; organisation names confirmed by the
bureau; written authorisations and co-owners' and pledgees' consents; contracts refused with the reason when
they conflict, and only checked contracts in the ledger, the self-evaluation pre-fill and the national list."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event as sa_event
from sqlalchemy import select

from ipoc.deals import service as svc
from ipoc.deals.models import Deal, DealPatent
from ipoc.deals.schemas import StepIn
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.licensing.models import OpenLicenceDeclaration
from ipoc.lifecycle import cycle, ranking
from ipoc.orgs import names
from ipoc.orgs.models import OrganisationName
from ipoc.patents import rights, rights_records
from ipoc.patents.models import Applicant, LegalEvent, Patent, RightsAuthorisation
from ipoc.patents.parsing import parse_row
from ipoc.patents.reading import field_for_header, load_synonyms
from ipoc.uploads import Upload
from tests.conftest import csrf_of, login, post_form
from tests.factories import number
from tests.worlds.deals import TODAY, World, make_world, new_deal, signed

WORLD = make_world  # the conftest's `world`: the deal tests' center, organisations, patents and accounts
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name: str = "同意书.pdf") -> Upload:
    return Upload.of_bytes(name, PDF)


def patent(w: World, serial: int) -> Patent:
    return w.session.scalar(select(Patent).where(Patent.application_no == number(serial)))


def event(w: World, serial: int, kind: str, on: date, source: str = "import", **detail: str) -> None:
    w.session.add(LegalEvent(patent_id=patent(w, serial).id, kind=kind, event_date=on, detail=detail, source=source))
    w.session.commit()
    w.session.expire_all()


def test_the_export_columns_name_the_current_patentees_beside_the_applicants():
    synonyms = load_synonyms()
    for header in ("当前权利人", "当前专利权人", "专利权人", "当前申请(专利权)人"):
        assert field_for_header(header, synonyms) == "patentees"
    assert field_for_header("申请人", synonyms) == "applicants"
    headers = {"application_no": "申请号", "title": "名称", "applicants": "申请人", "patentees": "当前权利人"}
    row = {
        "application_no": number(1),
        "title": "一种稀土永磁体",
        "applicants": "甲大学;乙研究院",
        "patentees": "丙公司",
    }
    record = parse_row(1, row, headers)
    assert (record.applicants, record.patentees) == (["甲大学", "乙研究院"], ["丙公司"])
    only = parse_row(1, {"application_no": number(1), "title": "t", "patentees": "丙公司"}, headers)
    assert (only.applicants, only.patentees) == (["丙公司"], ["丙公司"]), "no applicant column: the patentees are"


def test_the_holding_shows_each_fact_with_its_source_and_date_on_the_page_and_the_api(client, world: World):
    w = world
    event(w, 1, "transfer", date(2024, 5, 6), **{"from": "包头示例大学", "to": "包头示例新能源有限公司"})
    h = rights.holding(w.session, patent(w, 1), TODAY)
    assert [(x.name, x.source, x.since) for x in h.patentees] == [("包头示例大学", "导入", None)], (
        "the export's 当前权利人 column wins over an export's older transfer"
    )
    event(w, 1, "transfer", date(2026, 2, 1), source="manual", to="包头示例新能源有限公司")
    event(
        w, 1, "licence", date(2026, 3, 1), type="ordinary", licensee="某厂", term_end="2027-12-31", territory="包头市"
    )
    event(w, 1, "pledge", date(2026, 4, 1), pledgee="示例银行", amount="300万元")
    event(w, 1, "suspension", date(2026, 5, 1), reason="dispute")
    h = rights.holding(w.session, patent(w, 1), TODAY)
    assert [(x.name, x.organisation_id, x.source, x.since) for x in h.patentees] == [
        ("包头示例新能源有限公司", w.ent.id, "转让记录", date(2026, 2, 1))
    ], "a transfer recorded here is later than any export; the verified organisation's own name links it"
    assert rights.is_current_patentee(w.session, w.ent.id, patent(w, 1))
    assert not rights.is_current_patentee(w.session, w.univ.id, patent(w, 1))
    assert [(x.kind, x.licensee, x.territory) for x in h.licences] == [("ordinary", "某厂", "包头市")]
    assert [(x.pledgee, x.amount) for x in h.pledges] == [("示例银行", "300万元")]
    assert h.suspended and h.suspension.reason == "权属纠纷" and not h.lapsed
    assert rights.holding(w.session, patent(w, 1), date(2026, 4, 30)).suspension is None, "as of an earlier day"

    page = client.get(f"/patents/{number(1)}").text
    assert "包头示例新能源有限公司" in page and "转让记录" in page and "2026-02-01" in page
    assert "中止：权属纠纷" in page and "示例银行" in page and "原始申请人" in page
    api = client.get(f"/api/v1/patents/{number(1)}/rights").json()
    assert api["patentees"][0] == {
        "name": "包头示例新能源有限公司", "organisation_id": w.ent.id, "source": "转让记录", "since": "2026-02-01"
    }  # fmt: skip
    assert api["suspended"] and api["suspension"]["reason"] == "权属纠纷" and api["pledges"][0]["pledgee"] == "示例银行"


def test_co_owners_pledgees_and_authorisations_decide_who_may_act(world: World):
    w = world
    p1 = patent(w, 1)
    p1.patentees = ["包头示例大学", "包头示例研究院"]
    w.session.commit()
    assert rights.refusals(w.session, w.univ.id, p1, "ordinary_licence", TODAY) == [], "one co-owner alone (第十四条)"
    [reason] = rights.refusals(w.session, w.univ.id, p1, "exclusive_licence", TODAY)
    assert "共有专利权人「包头示例研究院」尚未登记同意独占许可" in reason
    rights_records.record_consent(w.session, w.staff, p1, act="exclusive_licence", role="co_owner",
                                  party="包头示例研究院", upload=pdf())  # fmt: skip
    assert rights.refusals(w.session, w.univ.id, p1, "exclusive_licence", TODAY) == []
    assert rights.refusals(w.session, w.univ.id, p1, "transfer", TODAY), "the consent was to one act only"

    # not a patentee: refused (403) until a patentee's written authorisation is confirmed by a center
    try:
        rights.require(w.session, w.ent.id, p1, "offer", TODAY)
        raise AssertionError("a non-patentee offered the patent")
    except Forbidden as exc:
        assert "「包头示例新能源有限公司」不是该专利的当前专利权人" in exc.message
    auth = rights_records.submit_authorisation(w.session, w.people["ent"], p1, organisation_id=w.ent.id,
                                               grantor="包头示例大学", acts=["offer"], valid_until=None,
                                               upload=pdf("授权书.pdf"))  # fmt: skip
    assert rights.refusals(w.session, w.ent.id, p1, "offer", TODAY), "pending: not yet counted"
    for who, error in ((w.people["ent"], Forbidden), (w.bureau, Forbidden)):
        try:
            rights_records.decide_authorisation(w.session, who, auth.id, approve=True)
            raise AssertionError("only a center's staff or the region bureau confirms")
        except error:
            pass
    rights_records.decide_authorisation(w.session, w.staff, auth.id, approve=True)
    assert rights.refusals(w.session, w.ent.id, p1, "offer", TODAY) == []
    assert w.session.get(RightsAuthorisation, auth.id).attachment_id is not None
    p1.patentees = ["包头示例研究院"]  # the grantor no longer holds the patent: its paper grants nothing
    w.session.commit()
    assert rights.refusals(w.session, w.ent.id, p1, "offer", TODAY), "an authorisation from a former patentee"
    p1.patentees = ["包头示例大学", "包头示例研究院"]
    w.session.commit()

    # pledged: a licence or transfer needs the pledgee's consent; lapsed or invalidated: nothing goes
    event(w, 2, "pledge", date(2026, 1, 5), pledgee="示例银行")
    assert any("须经质权人同意" in r for r in rights.refusals(w.session, w.univ.id, patent(w, 2), "transfer", TODAY))
    event(w, 2, "pledge_release", date(2026, 6, 1), pledgee="示例银行")
    assert rights.refusals(w.session, w.univ.id, patent(w, 2), "transfer", TODAY) == [], "released"
    w.session.add(OpenLicenceDeclaration(patent_id=patent(w, 2).id, patentee="包头示例大学", state="announced",
                                         fee_method="lump_sum", term_years=3, field="储能", products="电池",
                                         announced_on=date(2026, 6, 1)))  # fmt: skip
    w.session.commit()
    assert rights.refusals(w.session, w.univ.id, patent(w, 2), "exclusive_licence", TODAY) == [
        "专利处于开放许可实施期间，不能给予独占许可（专利法第五十一条）"
    ]
    assert rights.refusals(w.session, w.univ.id, patent(w, 2), "ordinary_licence", TODAY) == []
    event(w, 3, "invalidation", date(2026, 2, 1), decision="宣告专利权全部无效")
    assert rights.refusals(w.session, w.univ.id, patent(w, 3), "ordinary_licence", TODAY) == [
        "专利权已被宣告无效，不能给予普通许可"
    ]
    patent(w, 3).status_class = "lapsed"
    assert "专利权已失效，不能转让" in rights.refusals(w.session, w.univ.id, patent(w, 3), "transfer", TODAY)


@contextmanager
def statements(session) -> Iterator[list[str]]:
    """The SQL statements the session's database runs inside the block."""
    seen: list[str] = []
    engine = session.get_bind()

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


def test_a_list_reads_its_patents_holdings_together_with_the_same_answer_as_one_by_one(world: World):
    """Lists (offers, a stock intake) read every patent's holding at once: each the same as its own holding, and
    with as many queries for three patents as for one."""
    w = world
    signed(w, date(2026, 2, 10), mode="licence_ordinary")  # a signed licence contract on patent 1
    event(w, 1, "transfer", date(2026, 3, 1), source="manual", to="包头示例新能源有限公司")
    event(w, 1, "licence", date(2026, 3, 5), type="exclusive", licensee="某厂", term_end="2027-12-31")
    event(w, 2, "pledge", date(2026, 1, 5), pledgee="示例银行")
    event(w, 3, "suspension", date(2026, 5, 1), reason="dispute")
    w.session.add(OpenLicenceDeclaration(patent_id=patent(w, 2).id, patentee="包头示例大学", state="announced",
                                         fee_method="lump_sum", term_years=3, field="储能", products="电池",
                                         announced_on=date(2026, 6, 1)))  # fmt: skip
    w.session.commit()
    one_by_one = {pt.id: rights.holding(w.session, pt, TODAY) for pt in [patent(w, n) for n in (1, 2, 3)]}

    w.session.expire_all()
    patents = [patent(w, n) for n in (1, 2, 3)]
    with statements(w.session) as for_three:
        together = rights.holdings(w.session, patents, TODAY)
    assert together == one_by_one
    p1, p2, p3 = (together[pt.id] for pt in patents)
    assert [x.kind for x in p1.licences] == ["exclusive", "ordinary"] and p1.patentees[0].organisation_id == w.ent.id
    assert [x.pledgee for x in p2.pledges] == ["示例银行"] and p2.open_licence and p3.suspended

    w.session.expire_all()
    first = patent(w, 1)
    with statements(w.session) as for_one:
        alone = rights.holdings(w.session, [first], TODAY)
    assert alone == {first.id: one_by_one[first.id]}
    assert len(for_three) == len(for_one), "the queries do not grow with the number of patents"


def test_a_suspension_recorded_through_the_api_bars_the_contract_with_its_reason(client, world: World):
    w = world
    login(client, "bureau")
    body = {"kind": "suspension", "event_date": "2026-06-01", "reason": "preservation"}
    headers = {"x-csrf-token": csrf_of(client)}
    assert client.post(f"/api/v1/patents/{number(2)}/rights/events", json=body, headers=headers).status_code == 403
    login(client, "staff")
    headers = {"x-csrf-token": csrf_of(client)}
    answer = client.post(f"/api/v1/patents/{number(2)}/rights/events", json=body, headers=headers)
    assert answer.status_code == 201 and answer.json()["suspension"]["reason"] == "财产保全"
    page = client.get(f"/patents/{number(2)}").text
    assert 'data-testid="rights-event-form"' in page and "中止：财产保全（自 2026-06-01，登记）" in page
    deal = new_deal(w, mode="transfer", application_nos=number(2), contract_no="HT-Z-1")
    step = {"action": "sign", "signed_on": "2026-07-01", "amount_wan": "50"}
    refused = client.post(f"/api/v1/deals/{deal.id}/transition", json=step, headers=headers)
    assert refused.status_code == 409 and "专利处于中止程序（财产保全" in refused.json()["detail"]
    body = {"kind": "suspension_end", "event_date": "2026-07-10"}
    assert client.post(f"/api/v1/patents/{number(2)}/rights/events", json=body, headers=headers).status_code == 201
    assert client.post(f"/api/v1/deals/{deal.id}/transition", json=step, headers=headers).status_code == 409
    after = client.post(f"/api/v1/deals/{deal.id}/transition", json=step | {"signed_on": "2026-07-15"}, headers=headers)
    assert after.status_code == 200 and after.json()["rights_state"] == "passed"


def test_a_second_overlapping_exclusive_licence_is_refused_and_counted_nowhere(client, world: World):
    w = world
    first = new_deal(w, contract_no="HT-A")
    svc.transition(w.session, w.staff, first.id, StepIn(action="sign", signed_on=date(2026, 3, 1),
                   licence_end=date(2028, 2, 29), territory="内蒙古自治区"), today=TODAY)  # fmt: skip
    w.session.commit()
    second = new_deal(w, contract_no="HT-B", seeker_org_id=None, seeker_name="鄂尔多斯另一家公司")
    login(client, "staff")
    step = {"action": "sign", "signed_on": "2026-06-01", "territory": "内蒙古自治区包头市", "licence_end": "2027-05-31"}
    refused = client.post(f"/api/v1/deals/{second.id}/transition", json=step, headers={"x-csrf-token": csrf_of(client)})
    assert refused.status_code == 409
    assert (
        "与「包头示例新能源有限公司」的独占许可（2026-03-01 至 2028-02-29，内蒙古自治区）在期限和地域上重叠"
        in (refused.json()["detail"])
    )
    w.session.expire_all()
    assert w.session.get(Deal, second.id).state == "intention", "nothing written"
    elsewhere = client.post(f"/api/v1/deals/{second.id}/transition", headers={"x-csrf-token": csrf_of(client)},
                            json=step | {"territory": "北京市"})  # fmt: skip
    assert elsewhere.status_code == 200, "another territory does not overlap"

    # the same contract recorded twice is refused; a legacy row (never checked) is not counted until rechecked
    twin = new_deal(w, contract_no="HT-A")
    try:
        svc.transition(w.session, w.staff, twin.id, StepIn(action="sign", signed_on=date(2026, 3, 1)), today=TODAY)
        raise AssertionError("the same contract was signed twice")
    except Conflict as exc:
        assert f"与交易 #{first.id}（合同编号 HT-A）是同一份合同" in exc.message
    w.session.rollback()
    day = date(2026, 4, 1)
    legacy = Deal(center_id=w.center.id, title="历史合同", mode="licence_exclusive", state="signed",
                  amount_yuan=9_000_000, signed_on=day, intention_on=day, last_step_on=day,
                  provider_org_id=w.univ.id, seeker_name="历史被许可人",
                  patent_links=[DealPatent(patent_id=patent(w, 1).id)])  # fmt: skip
    w.session.add(legacy)
    w.session.commit()
    counted = svc.conversion_by_year(w.session, w.center.id)[2026]
    assert (counted.amount_yuan, counted.deals) == (2_400_000, 2), "the legacy row and the refused one are left out"
    assert "1 份合同签订于权利核验上线之前" in client.get("/deals").text
    assert post_form(client, "/deals/recheck", {}).status_code == 303
    w.session.expire_all()
    assert legacy.rights_state == "refused" and "在期限和地域上重叠" in legacy.rights_note
    assert svc.conversion_by_year(w.session, w.center.id)[2026].amount_yuan == 2_400_000
    ev = cycle.start_self_evaluation(w.session, w.staff, w.center.id, 2026, TODAY)
    assert (ev.conversion_amount_yuan, ev.conversion_projects) == (2_400_000, 2)
    assert ev.figures["ledger_excluded_deals"] == 1
    [row] = [r for r in ranking.national_ranking(w.session, w.admin, today=TODAY) if r.center.id == w.center.id]
    assert (row.conversion_amount_yuan, row.conversion_projects) == (2_400_000, 2)
    page = client.get("/deals").text
    assert "核验未通过，不计入台账" in page


def test_names_are_proposed_and_count_only_once_the_bureau_confirms(client, world: World):
    w = world
    p1 = patent(w, 1)
    p1.patentees = ["包头示例大学（科技园分部）"]
    branch = Applicant(name="包头示例大学（科技园分部）")
    w.session.add(branch)
    w.session.commit()
    assert not rights.is_current_patentee(w.session, w.univ.id, p1)
    assert names.suggestions(w.session, w.univ) == ["包头示例大学（科技园分部）"], "name matching proposes it"
    login(client, "univ")
    headers = {"x-csrf-token": csrf_of(client)}
    answer = client.post(f"/api/v1/orgs/{w.univ.id}/names", json={"name": "包头示例大学(科技园分部)"}, headers=headers)
    assert answer.status_code == 201 and answer.json()["state"] == "proposed"
    link_id = answer.json()["id"]
    assert not rights.is_current_patentee(w.session, w.univ.id, p1), "proposed only"
    refused = client.post(f"/api/v1/organisation-names/{link_id}/decision", json={"approve": True}, headers=headers)
    assert refused.status_code == 403, "the organisation does not confirm its own names"
    try:
        names.decide(w.session, w.other_bureau, link_id, approve=True)
        raise AssertionError("another league's bureau confirmed")
    except NotFound:
        w.session.rollback()
    login(client, "bureau")
    answer = client.post(f"/api/v1/organisation-names/{link_id}/decision", json={"approve": True},
                         headers={"x-csrf-token": csrf_of(client)})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["state"] == "confirmed"
    w.session.expire_all()
    assert rights.is_current_patentee(w.session, w.univ.id, patent(w, 1)), "full-width brackets or not, same name"
    assert w.session.scalar(select(OrganisationName.decided_by_id).where(OrganisationName.id == link_id))
    assert w.session.get(Applicant, branch.id).organisation_id == w.univ.id
    try:
        names.propose(w.session, w.people["univ"], w.univ.id, "包头示例大学（科技园分部）")
        raise AssertionError("proposed twice")
    except Conflict:
        w.session.rollback()
    try:
        names.propose(w.session, w.people["ent"], w.univ.id, "某名称")
        raise AssertionError("another member proposed a name for the university")
    except NotFound:
        w.session.rollback()
    try:
        rights_records.record_event(w.session, w.staff, patent(w, 1), "licence", TODAY, {"licensee": "某厂"})
        raise AssertionError("a licence without its type")
    except InvalidInput as exc:
        assert exc.field == "type"
