"""Matching: ranking with reasons (matched words, passage, IPC, legal status and term, budget and mode), the
staff's decisions with their audit records, rejection feedback, who sees what (404 for everyone outside), a
demand's confidential detail kept out of every match, bad input, the XLSX export, the CLI and the demo loader."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.cli import app as cli
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.matching import scoring
from ipoc.matching import service as svc
from ipoc.matching.models import Match
from ipoc.orgs.models import Organisation
from ipoc.patents.models import IndustryDatabase, Patent
from ipoc.reference.models import Industry
from ipoc.transfer import service as transfer
from ipoc.transfer.models import Demand, Offer
from ipoc.transfer.schemas import DemandIn, OfferIn
from tests.conftest import act_as, csrf_of, login, post_form
from tests.factories import authorise, make_center, make_org, number, principals
from tests.import_files import run_import

TODAY = date(2026, 11, 30)
SECRET = "保密：羊绒分梳机的梳针排布参数"
OWNER = "包头稀土永磁有限公司"
MAKER = "鄂尔多斯电机制造有限公司"

# serial → (title, abstract, IPC main, legal status, applicant)
CORPUS = {
    1: ("一种稀土永磁材料的制备方法", "本发明公开了一种钕铁硼永磁材料的烧结工艺，提高高温下的矫顽力和剩磁。",
        "H01F 1/057", "有效", "包头稀土研究院"),
    2: ("一种高矫顽力钕铁硼磁体", "本发明公开了一种钕铁硼永磁磁体，通过晶界扩散提高高温下的矫顽力和剩磁。",
        "H01F 1/08", "失效", "包头稀土研究院"),
    3: ("风力发电机组叶片除冰装置", "利用电加热膜对风电叶片表面进行加热，防止叶片结冰，提高发电效率。",
        "F03D 80/40", "有效", "内蒙古风电设备有限公司"),
    4: ("一种高蛋白奶酪及其生产工艺", "以牛乳为原料，经发酵、凝乳和成熟制得高蛋白奶酪，口感细腻。",
        "A23C 19/00", "有效", "赤峰乳业有限公司"),
    5: ("永磁同步电机转子结构", "一种永磁同步电机的转子，采用钕铁硼永磁体分段布置，降低高温退磁风险。",
        "H02K 1/27", "有效", MAKER),
    6: ("羊绒纤维的分梳方法", "对山羊绒原料进行开松和分梳，去除粗毛，提高羊绒纤维的长度和洁净度，梳针排布均匀。",
        "D01G 15/00", "有效", "鄂尔多斯羊绒集团"),
}  # fmt: skip
NEED = "高温下钕铁硼永磁体矫顽力下降"


def _write_corpus(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["申请号", "发明名称", "申请人", "摘要", "申请日", "主分类号", "法律状态"])
        for serial, (title, abstract, ipc, status, applicant) in CORPUS.items():
            writer.writerow([number(serial), title, applicant, abstract, "2021-03-05", ipc, status])
    return path


@dataclass
class World:
    center: Center
    owner: Organisation
    people: dict[str, Principal]


def make_world(session, tmp_path) -> World:
    result = run_import(_write_corpus(tmp_path / "corpus.csv"))
    assert result.exit_code == 0, result.output
    owner = make_org(session, OWNER)
    make_org(session, MAKER)
    univ = make_org(session, "内蒙古科技大学", type_code="university")
    for serial in (1, 5):  # the university offers these under the patentees' confirmed written authorisation
        patent = session.scalar(select(Patent).where(Patent.application_no == number(serial)))
        authorise(session, univ, patent, CORPUS[serial][4])
    center = make_center(session, "稀土产业知识产权运营中心", builder=owner)
    make_center(session, "乳业知识产权运营中心", builder=owner).industry_id = (
        session.scalars(select(Industry).where(Industry.id != center.industry_id)).first().id
    )
    session.commit()
    scopes = {
        "owner": (Role.MEMBER, OWNER),
        "maker": (Role.MEMBER, MAKER),
        "univ": (Role.MEMBER, "内蒙古科技大学"),
        "staff": (Role.CENTER_STAFF, "稀土产业知识产权运营中心"),
        "other_staff": (Role.CENTER_STAFF, "乳业知识产权运营中心"),
        "bureau": (Role.BUREAU_OFFICER, "包头市"),
        "expert": (Role.EXPERT, None),
        "admin": (Role.REGION_ADMIN, None),
    }
    people = principals(session, scopes)
    return World(center, owner, people)


WORLD = make_world  # the conftest's `world`


def _demand(session, world: World, **over) -> int:
    base = {
        "center_id": world.center.id,
        "title": "高温稳定的钕铁硼永磁体",
        "problem": "电机工作温度高，钕铁硼永磁体矫顽力下降导致退磁",
        "desired_effect": "180 度下矫顽力不低于 20 kOe",
        "public_summary": "寻求提高高温矫顽力的永磁材料工艺",
        "confidential_detail": SECRET,
        "modes": "transfer",
        "budget_min_wan": "10",
        "budget_max_wan": "50",
        "ipc_hints": "H01F",
    }
    p = world.people["owner"]
    demand = transfer.create_demand(session, p, DemandIn.model_validate(base | over), today=TODAY)
    transfer.publish_demand(session, p, demand.id, today=TODAY)
    session.commit()
    return demand.id


def _offer(session, world: World, who: str = "univ", **over) -> int:
    base = {
        "title": "钕铁硼永磁体晶界扩散技术",
        "problem_solved": "钕铁硼永磁体高温矫顽力不足",
        "advantage": "重稀土用量少，矫顽力高",
        "trl": 6,
        "field": "稀土永磁材料",
        "products": "电机用高矫顽力磁体",
        "industry_id": world.center.industry_id,
        "modes": "transfer",
        "price_min_wan": "20",
        "price_max_wan": "30",
        "application_nos": number(1),
    }
    p = world.people[who]
    offer = transfer.create_offer(session, p, OfferIn.model_validate(base | over))
    transfer.publish_offer(session, p, offer.id)
    session.commit()
    return offer.id


def _patent_matches(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.target_kind == "patent"]


# --- ranking and reasons ------------------------------------------------------------------------------------


def test_ranking_explains_itself_lexically(world, session):
    found = svc.rank_patents_for_text(session, NEED, ipc_hints=["H01F"], today=TODAY)
    numbers = [c.application_no for c in found]
    assert numbers[0] == number(1)
    assert number(4) not in numbers and number(6) not in numbers  # nothing in common with the need
    best = found[0]
    assert any(r.startswith("命中关键词：") and "钕铁硼" in r and "矫顽力" in r for r in best.reasons)
    assert any(r.startswith("相关段落：") and "矫顽力" in r for r in best.reasons)
    assert "同属 IPC 小类 H01F" in best.reasons
    assert "专利有效" in best.reasons
    assert "剩余保护期约14年" in best.reasons  # filed 2021-03-05, invention: 20 years
    assert all(0 <= c.confidence <= 1 and c.confidence_label in "高中低" for c in found)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_lapsed_patent_ranks_lower_and_says_so(world, session):
    found = {c.application_no: c for c in svc.rank_patents_for_text(session, NEED, today=TODAY)}
    valid, lapsed = found[number(1)], found[number(2)]
    assert "专利已失效，排序靠后" in lapsed.reasons
    assert lapsed.relevance >= valid.relevance * 0.8  # as relevant as the valid one by its text …
    assert lapsed.score < valid.score  # … and still below it


def test_ipc_hint_raises_the_patents_of_that_field(world, session):
    plain = {c.application_no: c for c in svc.rank_patents_for_text(session, NEED, today=TODAY)}
    hinted = {c.application_no: c for c in svc.rank_patents_for_text(session, NEED, ipc_hints=["H02K 1"], today=TODAY)}
    motor = number(5)
    assert hinted[motor].score == pytest.approx(plain[motor].score * (1 + scoring.IPC_WEIGHT["group"]), abs=1e-3)
    assert "同属 IPC 主组 H02K 1" in hinted[motor].reasons
    assert not any("IPC" in r for r in hinted[number(1)].reasons)


def test_scoring_pieces():
    assert scoring.ipc_hints("H01F 1/057；c22c, H02K1") == ["H01F 1/057", "C22C", "H02K 1/00"]
    assert scoring.ipc_overlap(["H02K 1/00"], ["H02K 1/27"]) == ("group", "H02K 1")
    design = scoring.legal_view("valid", "design", date(2021, 6, 1), TODAY)  # 15 years from this day on
    assert "剩余保护期约10年" in design.reasons and design.factor == scoring.STATUS_FACTOR["valid"]
    short = scoring.legal_view("pending", "utility_model", date(2016, 12, 1), TODAY)
    assert short.reasons == ["专利审查中，尚未授权", "剩余保护期不足1年"]
    expired = scoring.legal_view("valid", "invention", date(2000, 1, 1), TODAY)
    assert expired.factor == scoring.EXPIRED_FACTOR and "保护期已届满，排序靠后" in expired.reasons
    over = (-scoring.BUDGET_MALUS, "超出预算（报价不低于80万元）")
    assert scoring.budget_fit(800_000, 1_000_000, 100_000, 500_000) == over
    assert scoring.budget_fit(200_000, 300_000, 100_000, 500_000)[1] == "报价在预算内"
    assert scoring.mode_fit(["licence"], ["transfer"])[1] == "合作方式不一致"
    assert scoring.confidence_label(0.7) == "高" and scoring.confidence_label(0.4) == "中"


# --- the workflow -------------------------------------------------------------------------------------------


def test_demand_matches_offers_with_budget_and_mode_reasons(world, session):
    demand_id = _demand(session, world)
    cheap = _offer(session, world)
    dear = _offer(
        session, world, title="钕铁硼磁体高温矫顽力提升方案", modes="licence", price_min_wan="80", price_max_wan="100"
    )
    matches = svc.propose_for_demand(session, world.people["staff"], demand_id, today=TODAY)
    session.commit()
    offers = {m.target_offer_id: m for m in matches if m.target_kind == "offer"}
    assert "报价在预算内" in offers[cheap].reasons and "合作方式一致：转让" in offers[cheap].reasons
    assert "超出预算（报价不低于80万元）" in offers[dear].reasons and "合作方式不一致" in offers[dear].reasons
    assert any(r.startswith("所含专利与需求相近：") for r in offers[cheap].reasons)
    assert offers[cheap].rank < offers[dear].rank
    patents = _patent_matches(matches)
    assert patents[0].patent_id == session.scalar(select(Patent.id).where(Patent.application_no == number(1)))
    assert all(m.center_id == world.center.id and m.state == "proposed" for m in matches)
    assert [m.id for m in svc.inbox_matches(session, world.people["staff"])]
    assert svc.inbox_matches(session, world.people["other_staff"]) == []


def test_rejection_feeds_back_and_decisions_are_audited(world, session):
    staff = world.people["staff"]
    demand_id = _demand(session, world, ipc_hints="")
    first = svc.propose_for_demand(session, staff, demand_id, today=TODAY)
    session.commit()
    by_no = {session.get(Patent, m.patent_id).application_no: m for m in _patent_matches(first)}
    sibling_before = by_no[number(2)].score  # H01F 1/08: same main group H01F 1 as the rejected one
    rejected = by_no[number(1)]
    svc.decide(session, staff, rejected.id, "reject", "领域不符")
    session.commit()
    second = svc.propose_for_demand(session, staff, demand_id, today=TODAY)
    session.commit()
    again = {session.get(Patent, m.patent_id).application_no: m for m in _patent_matches(second)}
    assert again[number(1)].id == rejected.id and again[number(1)].state == "rejected"  # kept, not re-proposed
    assert [m for m in second if m.patent_id == rejected.patent_id] == [again[number(1)]]
    sibling = again[number(2)]
    assert sibling.score == pytest.approx(sibling_before * (1 - scoring.FIELD_PENALTY), abs=1e-3)
    assert "同一 IPC 主组 H01F 1 的专利曾因领域不符被否决，已降权" in sibling.reasons
    assert sibling.id == by_no[number(2)].id  # an open proposal is updated in place, its page stays
    motor = again[number(5)]
    assert not any("降权" in r for r in motor.reasons)  # another main group: untouched

    history = audit.history(session, "tech_matches", rejected.id)
    assert any(r.action == "transition:proposed->rejected" and "否决：领域不符" in (r.meta_json or "") for r in history)
    svc.decide(session, staff, motor.id, "accept")
    session.commit()
    accepted = audit.history(session, "tech_matches", motor.id)
    assert any(r.action == "transition:proposed->accepted" and "采纳" in (r.meta_json or "") for r in accepted)
    with pytest.raises(Conflict):
        svc.decide(session, staff, motor.id, "reject", "其他：重复")


def test_decision_refusals(world, session):
    staff = world.people["staff"]
    demand_id = _demand(session, world)
    match = _patent_matches(svc.propose_for_demand(session, staff, demand_id, today=TODAY))[0]
    session.commit()
    with pytest.raises(InvalidInput, match="理由"):
        svc.decide(session, staff, match.id, "reject", "")
    with pytest.raises(InvalidInput, match="理由"):
        svc.decide(session, staff, match.id, "reject", "other")  # 其他 needs a word of explanation
    with pytest.raises(InvalidInput, match="未知的操作"):
        svc.decide(session, staff, match.id, "approve")
    with pytest.raises(InvalidInput, match="发布单位"):
        svc.decide(session, staff, match.id, "forward", forward_to_org_id=world.owner.id + 1)
    with pytest.raises(Forbidden):
        svc.decide(session, world.people["admin"], match.id, "accept")
    for name in ("other_staff", "bureau", "expert", "maker", "owner"):
        with pytest.raises(NotFound):
            svc.decide(session, world.people[name], match.id, "accept")
    with pytest.raises(Forbidden):
        svc.propose_for_demand(session, world.people["admin"], demand_id)
    with pytest.raises(NotFound):
        svc.propose_for_demand(session, world.people["other_staff"], demand_id)
    session.refresh(match)
    assert match.state == "proposed" and match.decision_reason == ""


def test_offer_matches_demands_and_enterprises(world, session):
    demand_id = _demand(session, world)
    offer_id = _offer(session, world, application_nos=number(5))
    staff = world.people["staff"]
    matches = svc.propose_for_offer(session, staff, offer_id, today=TODAY)
    session.commit()
    demands = [m for m in matches if m.target_kind == "demand"]
    assert [m.target_demand_id for m in demands] == [demand_id]
    assert any(r.startswith("共同关键词：") for r in demands[0].reasons)
    assert "同属 IPC 小类 H01F" not in demands[0].reasons  # the offer's patent is H02K; the hint says H01F
    orgs = {m.target_org_id: m for m in matches if m.target_kind == "org"}
    maker = session.scalar(select(Organisation.id).where(Organisation.name == MAKER))
    assert maker in orgs and any(number(5) in r for r in orgs[maker].reasons)
    assert all(m.center_id == world.center.id for m in matches)
    with pytest.raises(NotFound):  # a center of another industry may not match this offer
        svc.propose_for_offer(session, world.people["other_staff"], offer_id)
    with pytest.raises(NotFound):
        svc.offer_matches(session, world.people["other_staff"], offer_id)
    with pytest.raises(Forbidden):
        svc.propose_for_offer(session, world.people["admin"], offer_id)
    assert len(svc.offer_matches(session, world.people["admin"], offer_id)[1]) == len(matches)


def test_who_sees_an_offers_matches(world, session, client):
    offer_id = _offer(session, world, application_nos=number(5))
    _demand(session, world)
    login(client, "staff")
    assert post_form(client, f"/offers/{offer_id}/matches/refresh", {}).status_code == 303
    page = client.get(f"/offers/{offer_id}/matches")
    assert page.status_code == 200 and "共同关键词" in page.text and MAKER in page.text
    for who in ("other_staff", "bureau", "expert", "maker", "owner", None):
        assert _get(client, who, f"/offers/{offer_id}/matches").status_code == 404, who
        assert _get(client, who, f"/api/v1/offers/{offer_id}/matches").status_code == 404, who
    offer = session.get(Offer, offer_id)
    linked = {name for name, p in world.people.items() if svc.may_view_offer_matches(session, p, offer)}
    assert linked == {"staff", "admin", "univ"}
    mine = _get(client, "univ", f"/api/v1/offers/{offer_id}/matches")
    assert mine.status_code == 200 and mine.json() == []  # the offering university sees only what is forwarded to it
    login(client, "other_staff")
    refused = client.post(f"/api/v1/offers/{offer_id}/matches/refresh", headers={"X-CSRF-Token": csrf_of(client)})
    assert refused.status_code == 404
    assert session.scalars(select(Match).where(Match.center_id != world.center.id)).all() == []


# --- pages, API, permissions, confidentiality ---------------------------------------------------------------


def _get(client, who: str | None, path: str):
    act_as(client, who)
    return client.get(path)


def test_who_sees_a_demands_matches(world, session, client):
    demand_id = _demand(session, world)
    matches = svc.propose_for_demand(session, world.people["staff"], demand_id, today=TODAY)
    session.commit()
    match_id = matches[0].id
    demand = session.get(Demand, demand_id)
    linked = {name for name, p in world.people.items() if svc.may_view_demand_matches(p, demand)}
    assert linked == {"staff", "admin", "owner"}  # the link the demand page shows
    for who in ("staff", "admin"):
        page = _get(client, who, f"/demands/{demand_id}/matches")
        assert page.status_code == 200 and f"/matches/{match_id}" in page.text
        assert _get(client, who, f"/api/v1/demands/{demand_id}/matches").json()[0]["id"] == match_id
        assert _get(client, who, f"/matches/{match_id}").status_code == 200
    for who in ("other_staff", "bureau", "expert", "maker", "univ", None):
        assert _get(client, who, f"/demands/{demand_id}/matches").status_code == 404, who
        assert _get(client, who, f"/api/v1/demands/{demand_id}/matches").status_code == 404, who
        assert _get(client, who, f"/matches/{match_id}").status_code == 404, who
        assert _get(client, who, f"/api/v1/matches/{match_id}").status_code == 404, who
    owner = _get(client, "owner", f"/api/v1/demands/{demand_id}/matches")
    assert owner.status_code == 200 and owner.json() == []  # nothing forwarded yet
    assert _get(client, "owner", f"/matches/{match_id}").status_code == 404

    login(client, "staff")
    done = post_form(client, f"/matches/{match_id}/decision", {"action": "forward"})
    assert done.status_code == 303
    forwarded = audit.history(session, "tech_matches", match_id)
    assert any(r.action == "transition:proposed->forwarded" and "转交" in (r.meta_json or "") for r in forwarded)
    seen = _get(client, "owner", f"/api/v1/demands/{demand_id}/matches").json()
    assert [m["id"] for m in seen] == [match_id] and seen[0]["status"] == "forwarded"
    assert _get(client, "owner", f"/matches/{match_id}").status_code == 200
    assert _get(client, "maker", f"/matches/{match_id}").status_code == 404


def test_confidential_detail_never_reaches_a_match(world, session, client):
    demand_id = _demand(session, world)
    svc.propose_for_demand(session, world.people["staff"], demand_id, today=TODAY)
    session.commit()
    matches = session.scalars(select(Match).where(Match.demand_id == demand_id)).all()
    wool = session.scalar(select(Patent.id).where(Patent.application_no == number(6)))
    assert wool not in {m.patent_id for m in matches}  # the secret's words (羊绒, 梳针) were never searched
    assert all("羊绒" not in r and "梳针" not in r for m in matches for r in m.reasons)
    login(client, "staff")
    texts = [
        client.get(f"/demands/{demand_id}/matches").text,
        client.get(f"/api/v1/demands/{demand_id}/matches").text,
        client.get(f"/matches/{matches[0].id}").text,
    ]
    sheet = load_workbook(io.BytesIO(client.get(f"/demands/{demand_id}/matches/export").content)).active
    texts.append(json.dumps([[c.value for c in row] for row in sheet.iter_rows()], ensure_ascii=False))
    assert all(SECRET not in t and "梳针" not in t for t in texts)
    assert sheet.cell(2, 1).value == "排名" and sheet.max_row == len(matches) + 2  # under the title row


def test_refresh_and_decisions_through_pages_and_api(world, session, client):
    demand_id = _demand(session, world)
    login(client, "admin")
    assert post_form(client, f"/demands/{demand_id}/matches/refresh", {}).status_code == 403
    client.cookies.clear()
    login(client, "staff")
    refreshed = post_form(client, f"/demands/{demand_id}/matches/refresh", {})
    assert refreshed.status_code == 303 and refreshed.headers["location"] == f"/demands/{demand_id}/matches"
    page = client.get(f"/demands/{demand_id}/matches").text
    assert "命中关键词" in page and "否决理由" in page and "领域不符" in page
    match_id = session.scalars(select(Match.id).where(Match.demand_id == demand_id).order_by(Match.id)).first()

    missing = post_form(client, f"/matches/{match_id}/decision", {"action": "reject"})
    assert missing.status_code == 422 and "必须说明理由" in missing.text
    unknown = post_form(client, f"/matches/{match_id}/decision", {"action": "approve"})
    assert unknown.status_code == 422 and "未知的操作" in unknown.text
    assert session.get(Match, match_id).state == "proposed"  # nothing written

    headers = {"X-CSRF-Token": csrf_of(client)}  # the API with the cookie session carries its CSRF token
    bad = client.post(f"/api/v1/matches/{match_id}/decision", json={"action": "reject"}, headers=headers)
    assert bad.status_code == 422 and "理由" in bad.json()["detail"]
    assert client.post("/api/v1/matches/0/decision", json={"action": "accept"}, headers=headers).status_code == 422
    gone = client.post("/api/v1/matches/99999/decision", json={"action": "accept"}, headers=headers)
    assert gone.status_code == 404 and "匹配记录不存在" in gone.json()["detail"]
    ok = client.post(f"/api/v1/matches/{match_id}/decision", json={"action": "accept"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["contact_path"] == f"/contacts/new?match_id={match_id}"
    assert f'href="/contacts/new?match_id={match_id}"' in client.get(f"/matches/{match_id}").text
    again = client.post(f"/api/v1/matches/{match_id}/decision", json={"action": "accept"}, headers=headers)
    assert again.status_code == 409
    api_refresh = client.post(f"/api/v1/demands/{demand_id}/matches/refresh", headers=headers)
    assert api_refresh.status_code == 200 and match_id in [m["id"] for m in api_refresh.json()]


# --- CLI ----------------------------------------------------------------------------------------------------


def test_cli_match_prints_json_lines_best_first(world):
    result = CliRunner().invoke(cli, ["match", NEED, "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["application_no"] in (number(1), number(5))  # the magnet patents, in canonical form
    assert 1 <= len(lines) <= 3 and number(4) not in {x["application_no"] for x in lines}
    assert [x["score"] for x in lines] == sorted((x["score"] for x in lines), reverse=True)
    assert all(isinstance(r, str) and r for x in lines for r in x["reasons"])
    assert "仅按关键词" in result.stderr
    table = CliRunner().invoke(cli, ["match", NEED])
    assert table.exit_code == 0 and number(1) in table.stdout


def test_cli_match_refuses_a_blank_need(world):
    result = CliRunner().invoke(cli, ["match", "  ", "--json"])
    assert result.exit_code == 2
    assert "不能为空" in result.stderr and result.stdout == ""


def test_fused_ranking_once_vectors_exist(world, session):
    embedded = CliRunner().invoke(cli, ["embed", "run"])
    assert embedded.exit_code == 0, embedded.output
    session.expire_all()
    assert svc.semantic_ready(session)
    found = svc.rank_patents_for_text(session, "风机桨叶冬天结冰怎么办", today=TODAY)
    assert found[0].application_no == number(3)
    assert any(r.startswith("语义相近") for r in found[0].reasons)
    lexical_only = svc.rank_patents_for_text(
        session, "风机桨叶冬天结冰怎么办", ranking=svc.text_ranking(session, "风机桨叶冬天结冰怎么办", semantic=False)
    )
    assert found[0].confidence > (lexical_only[0].confidence if lexical_only else 0)
    result = CliRunner().invoke(cli, ["match", "风机桨叶冬天结冰怎么办", "--json"])
    assert result.exit_code == 0 and "仅按关键词" not in result.stderr


def test_an_offers_demands_are_ranked_by_words_and_meaning_once_vectors_exist(world, session):
    demand_id = _demand(session, world)
    offer_id = _offer(session, world, application_nos=number(5))
    staff = world.people["staff"]

    def demand_match():
        matches = svc.propose_for_offer(session, staff, offer_id, today=TODAY)
        session.commit()
        return next(m for m in matches if m.target_kind == "demand" and m.target_demand_id == demand_id)

    words_only = demand_match()
    assert not any(r.startswith("语义相近") for r in words_only.reasons)
    words_confidence = words_only.confidence
    assert CliRunner().invoke(cli, ["embed", "run"]).exit_code == 0
    session.expire_all()
    fused = demand_match()
    assert "语义相近（语义排名第1）" in fused.reasons
    assert fused.confidence > words_confidence  # first on both sides: the meaning agrees with the words


# --- demo ---------------------------------------------------------------------------------------------------


def test_demo_matches_load_once(demo):
    from ipoc.ops import demo as demo_data
    from ipoc.ops import demo_matching, demo_transfer

    assert demo_matching.load(demo) is False  # no demands yet: nothing to match
    demo_data.load_patents()
    assert demo_transfer.load(demo) is True
    demo.commit()
    assert demo_matching.load(demo) is True
    demo.commit()
    assert demo_matching.load(demo) is False
    matches = list(demo.scalars(select(Match)))
    assert {m.target_kind for m in matches} >= {"patent", "offer", "demand"}
    assert [m.state for m in matches].count("accepted") == 1 and [m.state for m in matches].count("forwarded") == 1
    secrets = [d.confidential_detail for d in demo.scalars(select(Demand)) if d.confidential_detail]
    assert secrets and all(s not in r for s in secrets for m in matches for r in m.reasons)
    accepted = next(m for m in matches if m.state == "accepted")
    assert "晶界扩散" in " ".join(accepted.reasons) or "钕铁硼" in " ".join(accepted.reasons)


def test_a_demand_whose_best_patent_far_outscores_the_rest_keeps_its_neighbours(demo):
    """The demo's magnet demand matches one patent on almost every word and three NdFeB patents on a few: a
    shortlist for a person keeps all four (search would drop the three, under 0.3 of the best word score)."""
    from ipoc.ops import demo as demo_data
    from ipoc.ops import demo_matching, demo_transfer
    from ipoc.ops.demo_lifecycle import demo_principal

    demo_data.load_patents()
    demo_transfer.load(demo)
    demo_matching.load(demo)
    demand = demo.scalars(select(Demand).order_by(Demand.id)).first()
    patents = demo.scalars(select(Match.patent_id).where(Match.demand_id == demand.id, Match.target_kind == "patent"))
    numbers = {demo.get(Patent, pid).application_no for pid in patents}
    neighbours = {"202221534749.0", "202111321720.4", "201710412165.3"}  # mould, Ce-La magnet, bonded NdFeB
    assert numbers >= {"201910209849.2"} | neighbours
    for match in demo.scalars(select(Match).where(Match.demand_id == demand.id, Match.target_kind == "patent")):
        if demo.get(Patent, match.patent_id).application_no == "201710412165.3":
            assert "专利已失效，排序靠后" in match.reasons
    svc.propose_for_demand(demo, demo_principal(demo, "center"), demand.id)  # a refresh after the acceptance
    ranks = demo.scalars(select(Match.rank).where(Match.demand_id == demand.id, Match.target_kind == "patent"))
    assert sorted(ranks) == list(range(1, 5)), "the accepted best keeps rank 1, the proposals rank after it"


@pytest.mark.parametrize(("prefix", "proposed"), [(None, True), ("H02K", True), ("H01F", False)])
def test_enterprises_for_an_offer_are_those_of_its_industry(world, session, prefix, proposed):
    """With no core-domain database for the offer's industry every close enterprise counts; with one, only the
    enterprises whose close patents lie in it (the motor maker's patent is H02K)."""
    if prefix:
        session.add(IndustryDatabase(name="本产业专题库", industry_id=world.center.industry_id, ipc_prefixes=[prefix]))
        session.commit()
    offer_id = _offer(session, world, application_nos=number(5))
    matches = svc.propose_for_offer(session, world.people["staff"], offer_id, today=TODAY)
    maker = session.scalar(select(Organisation.id).where(Organisation.name == MAKER))
    orgs = {m.target_org_id: m for m in matches if m.target_kind == "org"}
    assert (maker in orgs) is proposed
    if prefix and proposed:
        assert "相近专利属于本产业专题库（本产业专题库）" in orgs[maker].reasons
