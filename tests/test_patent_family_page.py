"""A patent's page, API and export for records of any office (issue 14 points 2–4), over real HTTP on SQLite and
PostgreSQL after a real import: the simple family with each member's office, kind and status (未收录 where only
the 同族 cell names it), the columns kept verbatim under 其他字段, each field's source on hover, where each column
of the file went on the import's job page, and an export that never puts a publication number under 申请号."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ipoc.auth.roles import Role
from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.jobs.models import Job
from ipoc.patents.export import HEADERS, write_export
from ipoc.patents.models import Patent
from ipoc.patents.numbers import check_char
from tests.conftest import login, make_user
from tests.vectors_held import leave_embedding_undone

BODY = "202110000007"
CN = f"{BODY}.{check_char(BODY)}"
US, EP = "US20220123456A1", "EP4000007A1"
HEADER = ["申请号", "公开号", "标题", "优先权", "同族", "简单法律状态", "法律状态", "代理机构", "合享价值度", "空列"]
ROWS = [
    [CN, "CN113000007A", "一种稀土永磁体", "", f"{US}; {EP}; JP 2022-512345 A", "有效", "授权", "某代理所", "9", ""],
    ["", US, "Rare earth magnet", f"CN{CN} 2021-01-05", "", "", "", "", "7", ""],
    ["", EP, "Rare earth magnet", f"ZL {CN}", "", "", "", "", "6", ""],
]
FILE = "稀土同族.csv"


@pytest.fixture
def family(instance, tmp_path, monkeypatch) -> dict:
    """The three members imported from one incoPat-like file (its 合享价值度 column says which tool)."""
    leave_embedding_undone(monkeypatch)
    path = tmp_path / FILE
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream).writerows([HEADER, *ROWS])
    result = CliRunner().invoke(cli, ["patents", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["imported"], summary["tool"]) == (3, "incopat"), summary
    with session_scope() as session:
        summary["job_id"] = session.scalar(select(Job.id).where(Job.kind == "import"))
    return summary


def section(page: str, testid: str) -> str:
    """The element carrying ``data-testid`` up to the end of its table."""
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</table>", start)]


def family_rows(page: str) -> dict[str, str]:
    """Each listed member's row by its office code."""
    rows = re.findall(r'<tr data-office="(\w+)">(.*?)</tr>', section(page, "family"), re.S)
    return {office: re.sub(r"\s+", " ", cells) for office, cells in rows}


SOURCE = re.compile(r'title="来源：稀土同族\.csv（incoPat），\d{4}-\d\d-\d\d \d\d:\d\d 导入（任务 #(\d+)）"')


def test_a_cn_patent_lists_its_foreign_family_and_what_is_not_stored(family, client):
    page = client.get(f"/patents/{CN}").text
    members = family_rows(page)
    assert set(members) == {"US", "EP", "JP"}
    assert f'<a href="/patents/{US}">{US}</a>' in members["US"] and "美国（US）" in members["US"]
    assert "<td>A1</td>" in members["US"] and f'<a href="/patents/{EP}">' in members["EP"]
    assert "JP2022512345A" in members["JP"] and "未收录" in members["JP"] and "<a " not in members["JP"]
    assert list(members) == ["EP", "JP", "US"], "foreign offices in order after any CN member"


def test_a_foreign_member_is_known_by_its_publication_number_and_lists_the_cn_one_first(family, client):
    page = client.get(f"/patents/{US}").text
    assert f'公开号 <span data-testid="application-no">{US}</span>' in page
    assert 'data-testid="office">美国<' in page
    assert re.search(r"<dt[^>]*>申请号</dt><dd[^>]*><span class=\"text-muted\">—</span>", page)
    members = family_rows(page)
    assert list(members) == ["CN", "EP"]
    assert f'<a href="/patents/{CN}">CN113000007A</a>' in members["CN"]
    assert "<td>A</td><td>发明</td>" in members["CN"] and "有效" in members["CN"]
    assert "未收录" not in page  # the US record's own 同族 cell is empty


def test_kept_columns_show_under_other_fields_and_each_field_names_its_source(family, client):
    page = client.get(f"/patents/{CN}").text
    extra = html.unescape(section(page, "extra-fields"))
    assert "代理机构" in extra and "某代理所" in extra and "简单法律状态" in extra
    assert "空列" not in extra
    kept = re.search(r"<th scope=\"row\"([^>]*)>代理机构</th>", section(page, "extra-fields")).group(1)
    assert SOURCE.search(kept) and "sourced" in kept
    legal = re.search(r"<dt([^>]*)>法律状态</dt>", page).group(1)
    assert SOURCE.search(legal).group(1) == str(family["job_id"])
    assert ".sourced" in page, "the hoverable labels are marked"


def test_the_import_job_page_lists_where_each_column_went(family, client, session):
    make_user(session, "regionadmin", Role.REGION_ADMIN)
    login(client, "regionadmin")
    page = client.get(f"/jobs/{family['job_id']}").text
    assert 'data-testid="import-tool">incoPat<' in page
    columns = section(page, "import-columns")
    rows = dict(re.findall(r"<td>\d+</td><td>([^<]+)</td>\s*<td>(.*?)</td>", columns, re.S))
    assert rows["标题"] == "已映射到名称" and rows["同族"] == "已映射到同族"
    assert rows["代理机构"] == "原样保留在其他字段" and rows["空列"] == "全空"
    assert rows["简单法律状态"].startswith("原样保留在其他字段") and "同义列 法律状态 优先" in rows["简单法律状态"]
    counts = dict(re.findall(r'data-column-count="(\w+)">(\d+)<', columns))
    assert counts == {"mapped": "6", "kept": "3", "empty": "1"}

    api = client.get(f"/api/v1/jobs/{family['job_id']}").json()
    assert api["result"]["tool"] == "incopat"
    assert {c["header"]: c["status"] for c in api["result"]["columns"]}["代理机构"] == "kept"


def test_the_api_gives_office_family_kept_columns_and_sources(family, client):
    body = client.get(f"/api/v1/patents/{US.replace('A1', ' A1')}").json()
    assert (body["application_no"], body["office"], body["number_label"]) == (US, "US", "公开号")
    assert body["family_key"] == f"CN{CN}" and body["extra"]["合享价值度"] == "7"
    members = {m["number"]: m for m in body["family_members"]}
    assert members["CN113000007A"]["link"] == f"/patents/{CN}" and members["CN113000007A"]["office_name"] == "中国"
    assert members[EP]["kind_code"] == "A1"
    title = body["sources"]["title"]
    assert (title["job_id"], title["file"], title["tool"], title["tool_label"]) == (
        family["job_id"], FILE, "incopat", "incoPat"
    )  # fmt: skip
    assert title["imported_at"].endswith("+08:00")
    assert body["sources"]["extra:合享价值度"]["job_id"] == family["job_id"]
    cn = client.get(f"/api/v1/patents/{CN}").json()
    assert {m["number"]: m["status_label"] for m in cn["family_members"]}["JP2022512345A"] == "未收录"


def test_an_export_leaves_the_application_number_of_a_us_record_empty(family, tmp_path):
    with session_scope() as session:
        ids = list(session.scalars(select(Patent.id).where(Patent.application_no.in_([US, CN])).order_by(Patent.id)))
    target = tmp_path / "out.csv"
    assert write_export(ids, target, "csv") == 2
    with target.open(encoding="utf-8-sig", newline="") as stream:
        lines = [dict(zip(HEADERS, line, strict=True)) for line in list(csv.reader(stream))[1:]]
    by_publication = {line["公开（公告）号"]: line for line in lines}
    assert by_publication[US]["申请号"] == "" and by_publication[US]["受理局"] == "美国"
    assert by_publication["CN113000007A"]["申请号"] == CN and by_publication["CN113000007A"]["受理局"] == "中国"
