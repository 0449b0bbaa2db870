"""Change histories and the audit log read in Chinese: actions, actors, field names and values; no stored code,
English key or JSON reaches a page; members read only their own records' history."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select

from ipoc import labels
from ipoc.audit.context import Actor, acting_as
from ipoc.audit.rows import audited_mappers
from ipoc.auth.models import User
from ipoc.centers.models import Center
from ipoc.licensing.models import OpenLicenceDeclaration
from ipoc.orgs.models import Organisation
from ipoc.patents.models import LegalEvent, Patent
from ipoc.patents.numbers import check_char
from ipoc.transfer.models import Demand
from tests.conftest import act_as, login

RAW_WORDS = re.compile(r"\b(create|update|delete|transition|anonymous|system|cli:\w+|None|True|False)\b")
JSON = re.compile(r'[{\[]\s*"|"\s*:')


def test_every_audited_column_has_a_chinese_name():
    missing = [
        f"{m.class_.__name__}.{attr.key}"
        for m in audited_mappers()
        for attr in m.column_attrs
        if not labels.field_label(m.class_, attr.key)
    ]
    assert not missing, f"add these to the model's __labels__ (ipoc.labels): {missing}"
    unnamed = [m.class_.__name__ for m in audited_mappers() if labels.entity_label(m.class_, "") == ""]
    assert not unnamed, f"add __label__ to: {unnamed}"


def _history(page: str) -> str:
    """The history table of a page, as text."""
    found = re.search(r'<table[^>]*data-testid="history".*?</table>', page, re.S)
    assert found, "the page shows a history"
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))))
    return text.replace(" ：", "：")


# Every audited column named with an underscore: none may show on a history (``fee_method``, ``announced_on``).
KEYS = {attr.key for m in audited_mappers() for attr in m.column_attrs if "_" in attr.key}


def _assert_chinese(text: str) -> None:
    assert not JSON.search(text), text
    assert not RAW_WORDS.search(text), RAW_WORDS.search(text)
    raw_keys = {k for k in KEYS if re.search(rf"\b{k}\b", text)}
    assert not raw_keys, raw_keys


def _declaration(session, org: Organisation) -> OpenLicenceDeclaration:
    patent = Patent(
        application_no=f"202310000001.{check_char('202310000001')}", kind="invention", title="一种稀土抛光粉的制备方法"
    )
    patent.content_hash, patent.passage_hash, patent.rev = "x", "x", 1
    session.add(patent)
    session.flush()
    detail = {"type": "exclusive", "licensee": "戊公司", "term_start": "2026-11-01"}
    session.add(LegalEvent(patent_id=patent.id, kind="licence", event_date=date(2026, 11, 1), detail=detail))
    d = OpenLicenceDeclaration(
        patent_id=patent.id, org_id=org.id, patentee=org.name, fee_method="lump_sum", fee_amount_yuan=150_000
    )
    d.term_years, d.field, d.products = 3, "稀土抛光", "抛光粉"
    session.add(d)
    session.commit()
    d.fee_method, d.royalty_bp, d.minimum_yuan = "royalty", 350, 20_000
    d.state, d.announced_on, d.announcement_no = "submitted", date(2026, 12, 1), "G2026-7"
    session.commit()
    return d


def test_histories_read_in_chinese_and_members_read_only_their_own(demo, client):
    session = demo
    university = session.scalar(select(Organisation).where(Organisation.name == "内蒙古示例大学"))
    dairy = session.scalar(select(Organisation).where(Organisation.name == "赤峰示例乳业有限公司"))
    with acting_as(Actor(id=None, label="cli:root")):
        d = _declaration(session, university)
        demand = Demand(
            org_id=dairy.id, title="乳清蛋白提纯", problem="收率低", desired_effect="收率提高", public_summary=""
        )
        session.add(demand)
        session.commit()
        demand.budget_max_yuan, demand.modes, demand.state = 3_000_000, ["licence", "joint_rd"], "published"
        session.commit()
    login(client, "nobody-here", "wrong-password")  # an anonymous login attempt
    center = session.scalar(select(Center))
    member = session.scalar(select(User).where(User.username == "member"))

    act_as(client, "admin")
    log = client.get("/admin/audit").text
    text = _history(log)
    _assert_chinese(text)
    assert "匿名（登录尝试：nobody-here）" in text and "登录失败" in text
    assert "命令行（root）" in text and "开放许可声明" in text
    for path in (f"/orgs/{university.id}", f"/centers/{center.id}", f"/admin/users/{member.id}"):
        _assert_chinese(_history(client.get(path).text))
    api = client.get(f"/api/v1/audit/open_licence_declarations/{d.id}").json()
    assert api[-1]["action_label"] == "状态变更：草稿 → 已提交" and api[-1]["actor_name"] == "命令行（root）"
    assert {"label": "许可使用费支付方式", "before": "一次性支付", "after": "按销售额提成（设年度最低额）"} in api[-1][
        "changes"
    ]

    act_as(client, "member")
    mine = _history(client.get(f"/open-licences/{d.id}").text)
    _assert_chinese(mine)
    assert "许可使用费支付方式" in mine and "一次性支付 → 按销售额提成（设年度最低额）" in mine
    assert "国家知识产权局公告日" in mine and "2026-12-01" in mine
    assert "提成比例" in mine and "3.5%" in mine and "年度最低费用" in mine and "2 万元" in mine
    assert "状态变更：草稿 → 已提交" in mine
    assert "内蒙古示例大学" in _history(client.get(f"/orgs/{university.id}").text)
    facts = client.get(f"/open-licences/facts/{d.patent.application_no}").text
    events = html.unescape(re.search(r'data-testid="ol-events".*?</table>', facts, re.S).group(0))
    assert "许可类型：独占许可；被许可人：戊公司；期限起：2026-11-01" in events and "licensee" not in events
    # Another organisation's record: its page shows no history, the audit trail answers 403.
    assert 'data-testid="history"' not in client.get(f"/orgs/{dairy.id}").text
    assert client.get(f"/api/v1/audit/organisations/{dairy.id}").status_code == 403
    assert client.get("/admin/audit").status_code in (403, 404)
    assert 'data-testid="history"' not in client.get(f"/demands/{demand.id}").text

    act_as(client, "dairy")
    assert client.get(f"/open-licences/{d.id}").status_code == 404  # a draft of another organisation
    own = _history(client.get(f"/demands/{demand.id}").text)
    _assert_chinese(own)
    assert "预算上限：（空） → 300 万元" in own and "合作方式：（空） → 许可、合作研发" in own
    assert "状态变更：草稿 → 已发布" in own
