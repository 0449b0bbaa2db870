"""Forms say what is wrong: the password rules before typing and each failed one by its field, every field's
error at once, organisations chosen by name (type-ahead) and resolved by the server, never by number."""

from __future__ import annotations

import re

from ipoc.auth import service as accounts
from ipoc.auth.roles import Role
from ipoc.deals.models import Contact, Deal
from tests.conftest import PASSWORD, login, post_form
from tests.factories import make_org
from tests.worlds.transfer import transfer_world


def _field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field="(\w+)">([^<]*)<', html))


def test_the_first_login_password_change_names_each_failed_rule_by_its_field(session, client):
    accounts.create_user(
        session, username="alice", display_name="Alice", role=Role.EXPERT, password=PASSWORD, must_change_password=True
    )
    session.commit()
    assert login(client, "alice").headers["location"] == "/account/password"
    page = client.get("/account/password").text
    assert "新密码须：至少 10 个字符；同时包含字母和数字；不能包含用户名；不能是常见或已泄露的密码" in page
    form = {"old_password": "wrong-old-1", "new_password": "xalice", "confirm_password": "xalic"}
    weak = post_form(client, "/account/password", form)
    assert weak.status_code == 422 and 'id="h-new_password">新密码须：' in weak.text  # the rules stay in view
    assert _field_errors(weak.text) == {
        "old_password": "原密码不正确",
        "new_password": "密码至少 10 个字符；密码须同时包含字母和数字；密码不能包含用户名",
        "confirm_password": "两次输入的新密码不一致",
    }
    common = post_form(client, "/account/password", {**form, "old_password": PASSWORD, "new_password": "password12"})
    assert _field_errors(common.text)["new_password"] == "该密码属于常见或已泄露的密码，容易被猜中，请换一个"
    good = {"old_password": PASSWORD, "new_password": "Steppe-Horse-2026", "confirm_password": "Steppe-Horse-2026"}
    assert post_form(client, "/account/password", good).headers["location"] == "/dashboard?changed=1"


def test_deal_and_contact_forms_name_organisations_and_report_every_error_at_once(session, client):
    owner, _center, _people = transfer_world(session)
    univ = make_org(session, "内蒙古科技大学（包头）", type_code="university")
    make_org(session, "包头稀土永磁材料研究院")
    session.commit()
    login(client, "staff")
    options = client.get("/orgs/options", params={"q": "稀土永磁"}).text
    assert '<option value="包头稀土永磁有限公司">' in options and "包头稀土永磁材料研究院" in options
    assert "未核验科技有限公司" not in client.get("/orgs/options", params={"q": "科技"}).text  # not in the directory
    page = client.get("/deals/new").text
    assert 'list="orgs-provider_org_id" data-org-search="/orgs/options"' in page and "单位编号" not in page

    bad = {"title": "x", "mode": "gift", "provider_org_id": "稀土永磁", "seeker_org_id": "不存在的公司"}
    refused = post_form(client, "/deals/new", bad | {"intention_on": "2026-13-01"})
    errors = _field_errors(refused.text)
    assert refused.status_code == 422 and set(errors) == {
        "title",
        "mode",
        "provider_org_id",
        "seeker_org_id",
        "intention_on",
    }
    assert errors["provider_org_id"].startswith(
        "“稀土永磁”对应多个单位（包头稀土永磁有限公司、包头稀土永磁材料研究院）"
    )
    assert errors["seeker_org_id"] == "单位名录中没有“不存在的公司”，未注册的单位请填写在名称栏"
    assert 'value="稀土永磁"' in refused.text, "what was typed is shown again"

    # Typed without the type-ahead: half-width brackets and stray spaces still name the organisation.
    good = {"title": "稀土永磁专利许可", "mode": "licence_ordinary", "intention_on": "2026-03-01"}
    made = post_form(
        client,
        "/deals/new",
        good | {"provider_org_id": "内蒙古科技大学(包头)", "seeker_org_id": " 包头稀土永磁有限公司"},
    )
    assert made.status_code == 303, _field_errors(made.text)
    deal = session.get(Deal, int(made.headers["location"].rsplit("/", 1)[1]))
    assert (deal.provider_org_id, deal.seeker_org_id) == (univ.id, owner.id)
    assert 'value="内蒙古科技大学（包头）"' in client.get(f"/deals/{deal.id}/edit").text

    contact = {"subject": "上门洽谈", "contacted_on": "2026-03-01", "channel": "visit"}
    done = post_form(
        client, "/contacts/new", contact | {"seeker_org_id": "包头稀土永磁有限公司", "provider_name": "某研究所"}
    )
    assert done.status_code == 303, _field_errors(done.text)
    saved = session.get(Contact, int(done.headers["location"].rsplit("/", 1)[1]))
    assert (saved.seeker_org_id, saved.provider_name) == (owner.id, "某研究所")
