"""Records of any office, nothing dropped, merge don't wipe (issue 14 points 2–4), through the real importer on
SQLite and PostgreSQL: one document however its number is written, family members linked, every column mapped or
kept, the most specific of two columns winning, names split on every separator, and a second source filling what
it carries without wiping what it lacks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.jobs.models import Job
from ipoc.patents import service as patents
from ipoc.patents.export import COLUMNS
from ipoc.patents.models import Patent
from ipoc.patents.numbers import check_char, priority_key, strip_kind
from ipoc.patents.parsing import split_names
from tests.graph_sets import numberless, write_graph, zipped


def number(serial: int, year: int = 2021, kind: int = 1) -> str:
    body = f"{year}{kind}{serial:07d}"
    return f"{body}.{check_char(body)}"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def imported(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["patents", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def patent(key: str) -> Patent:
    with session_scope() as session:
        found = patents.get_patent(session, key)
        found.applicants  # noqa: B018 - loaded while the session is open
        found.events  # noqa: B018
        session.expunge(found)
        return found


GOOGLE = ["id", "title", "assignee", "inventor/author", "priority date", "filing/creation date",
          "publication date", "grant date", "result link"]  # fmt: skip


def google_row(pid: str, title: str, assignee: str = "Acme Corp") -> list[str]:
    link = "https://patents.google.com/patent/" + pid.replace("-", "") + "/en"
    return [pid, title, assignee, "A. Inventor", "2015-11-09", "2015-11-09", "2018-01-19", "2018-01-19", link]


# ---- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("CN201710123456.0 2017.03.01", "CN201710123456.0"),
        ("ZL 201710123456.0", "CN201710123456.0"),
        ("20170301 CN2017101234560", "CN201710123456.0"),
        ("US 62/123,456 2015-01-02", "US62123456"),
        ("2015-01-02", None),
        ("", None),
    ],
)
def test_priority_numbers_agree_in_every_notation(text: str, key: str | None) -> None:
    assert priority_key(text) == key


def test_names_split_on_every_separator_the_tools_use() -> None:
    assert split_names("包头稀土研究院 | 内蒙古大学") == ["包头稀土研究院", "内蒙古大学"]
    assert split_names("甲；乙;丙、丁\n戊|己｜庚") == ["甲", "乙", "丙", "丁", "戊", "己", "庚"]
    assert split_names("Acme, Inc. | Beta GmbH") == ["Acme, Inc.", "Beta GmbH"]


# ---- any office ---------------------------------------------------------------------------------------


def test_records_of_any_office_are_known_by_publication_number(instance, tmp_path):
    rows = [
        google_row("US-8271025-B2", "Device network technology selection"),
        google_row("CN-105389980-B", "Traffic flow prediction", "上海交通大学"),
        google_row("TW-I521460-B", "Optical lens"),
        google_row("KR-20150012345-A", "Battery cell"),
    ]
    result = imported(write_csv(tmp_path / "gp.csv", GOOGLE, rows))
    assert (result["imported"], result["rejected"], result["tool"]) == (4, 0, "google")
    us = patent("US 8271025 B2")
    assert (us.application_no, us.office, us.number_label, us.has_application_no) == (
        "US8271025B2", "US", "公开号", False
    )  # fmt: skip
    cn = patent("CN105389980B")
    assert (cn.office, cn.kind, cn.publication_key) == ("CN", "invention", "CN105389980")
    assert patent("CN-105389980-A").id == cn.id  # another stage of the same number is the same document
    assert patent("TWI521460B").office == "TW"


def test_one_document_however_its_number_is_written(instance, tmp_path):
    """Google's CN-…-B, then the same patent from CNIPA with its application number: one record, keyed by the
    application number from then on, nothing the first source gave lost."""
    imported(write_csv(tmp_path / "gp.csv", GOOGLE, [google_row("CN-113000001-B", "Traffic flow", "上海交通大学")]))
    no = number(1)
    cnipa = ["申请号", "公开（公告）号", "发明名称", "申请（专利权）人", "摘要"]
    row = [no, "CN 113000001 B", "一种交通流预测方法", "上海交通大学", "本发明公开了一种交通流预测方法。"]
    result = imported(write_csv(tmp_path / "cnipa.csv", cnipa, [row]))
    assert (result["imported"], result["updated"]) == (0, 1)
    with session_scope() as session:
        assert session.scalar(select(Patent.id).where(Patent.publication_key == "CN113000001")) is not None
        assert len(session.scalars(select(Patent)).all()) == 1
    merged = patent(no)
    assert merged.application_no == no and merged.has_application_no
    assert merged.title == "一种交通流预测方法"
    assert merged.extra.get("原文标题") == "Traffic flow"  # the English title, kept beside the Chinese one
    assert merged.grant_date is not None  # only Google gave it
    assert patent("CN113000001B").id == merged.id


def test_a_foreign_application_number_does_not_key_the_record(instance, tmp_path):
    header = ["申请号", "公开号", "标题"]
    result = imported(write_csv(tmp_path / "f.csv", header, [["US14/514,255", "US 2015/0112182 A1", "Assessment"]]))
    assert result["imported"] == 1
    record = patent("US-2015112182-A1")
    assert record.application_no == "US20150112182A1"
    assert record.extra["申请号"] == "US14/514,255"


def test_a_row_without_any_number_is_rejected_with_the_reason(instance, tmp_path):
    rows = [["", "", "无号码的记录"], ["", "CN1", "号码不全"]]
    path = write_csv(tmp_path / "n.csv", ["申请号", "公开号", "标题"], rows)
    result = imported(path)
    assert (result["imported"], result["rejected"]) == (0, 2)
    refused = CliRunner().invoke(cli, ["patents", "import", str(write_csv(tmp_path / "m.csv", ["标题"], [["甲"]]))])
    assert refused.exit_code == 2 and "没有申请号列，也没有公开号列" in refused.output


def test_family_members_are_linked_by_family_id_or_priority(instance, tmp_path):
    no = number(7)
    header = ["申请号", "公开号", "标题", "优先权", "简单同族ID", "同族"]
    rows = [
        [no, "CN113000007A", "一种稀土永磁体", "", "", "US20220123456A1; EP4000007A1"],
        ["", "US20220123456A1", "Rare earth magnet", f"CN{no} 2021-01-05", "", ""],
        ["", "EP4000007A1", "Rare earth magnet", f"ZL {no}", "", ""],
        ["", "JP2022500001A", "Magnet", "", "F-12", ""],
        ["", "KR20220000001A", "Magnet", "", "F-12", ""],
    ]
    assert imported(write_csv(tmp_path / "fam.csv", header, rows))["imported"] == 5
    with session_scope() as session:
        keys = dict(session.execute(select(Patent.application_no, Patent.family_key)).all())
    assert keys[no] == keys["US20220123456A1"] == keys["EP4000007A1"] == f"CN{no}"
    assert keys["JP2022500001A"] == keys["KR20220000001A"] == "F-12"


# ---- nothing dropped ----------------------------------------------------------------------------------


INCOPAT = ["序号", "标题", "标题(英文)", "申请号", "申请人", "当前权利人", "简单法律状态", "法律状态", "代理机构",
           "代理人", "CPC", "合享价值度", "权利要求数量", "空列"]  # fmt: skip


def test_every_column_is_mapped_or_kept_and_the_most_specific_wins(instance, tmp_path):
    no = number(11)
    row = ["1", "一种风电叶片除冰装置", "De-icing device", no, "内蒙古某风电公司", "包头某能源公司", "有效",
           "授权；专利权转移", "北京某知识产权代理有限公司", "张三；李四", "F03D80/40", "9", "10", ""]  # fmt: skip
    result = imported(write_csv(tmp_path / "inco.xlsx.csv", INCOPAT, [row]))
    where = {c["header"]: c for c in result["columns"]}
    assert where["法律状态"]["status"] == "mapped" and where["法律状态"]["field"] == "legal_status"
    assert where["简单法律状态"]["status"] == "kept" and where["简单法律状态"]["instead"] == "法律状态"
    assert where["标题"]["field"] == "title" and where["标题(英文)"]["status"] == "kept"
    assert where["代理机构"]["status"] == "kept" and where["CPC"]["status"] == "kept"
    assert where["空列"]["status"] == "empty"
    assert {c["status"] for c in result["columns"]} <= {"mapped", "kept", "empty"}
    record = patent(no)
    assert record.legal_status == "授权；专利权转移"
    assert record.patentees == ["包头某能源公司"]
    assert record.extra["代理机构"] == "北京某知识产权代理有限公司"
    assert record.extra["简单法律状态"] == "有效"
    assert record.extra["合享价值度"] == "9" and record.extra["权利要求数量"] == "10"
    assert "空列" not in record.extra


@pytest.mark.parametrize(
    ("header", "winner"),
    [
        (["申请号", "标题", "专利权人", "当前权利人"], "当前权利人"),  # 当前 over original
        (["申请号", "标题", "法律状态", "简单法律状态"], "法律状态"),  # full over simple, whatever the order
        (["申请号", "标题", "简单法律状态", "法律状态"], "法律状态"),
        (["申请号", "标题", "摘要", "摘要(中文)"], "摘要(中文)"),  # 中文 over the original language
    ],
)
def test_the_stated_rule_picks_one_column_per_field(instance, tmp_path, header, winner):
    row = [number(12), "标题", "甲", "乙"]
    columns = {c["header"]: c for c in imported(write_csv(tmp_path / "r.csv", header, [row]))["columns"]}
    assert columns[winner]["status"] == "mapped"
    loser = next(h for h in header[2:] if h != winner)
    assert columns[loser]["status"] == "kept" and columns[loser]["instead"] == winner


def test_patsnap_names_are_split_on_the_bar(instance, tmp_path):
    no = number(13)
    header = ["公开(公告)号", "申请号", "标题", "申请(专利权)人", "当前申请(专利权)人"]
    row = ["CN113000013A", no, "稀土抛光粉", "包头稀土研究院 | 内蒙古大学", "包头稀土研究院 | 内蒙古大学 | 某公司"]
    result = imported(write_csv(tmp_path / "ps.csv", header, [row]))
    assert result["tool"] == "patsnap"
    record = patent(no)
    assert [a.name for a in record.applicants] == ["包头稀土研究院", "内蒙古大学"]
    assert record.patentees == ["包头稀土研究院", "内蒙古大学", "某公司"]


# ---- merge, don't wipe --------------------------------------------------------------------------------


def test_a_second_source_fills_what_it_carries_and_wipes_nothing(instance, tmp_path):
    no = number(21)
    first = [[no, "一种乳清蛋白", "5", "有效"]]
    imported(write_csv(tmp_path / "a.csv", ["申请号", "标题", "被引证次数", "法律状态"], first))
    second = write_csv(tmp_path / "b.csv", ["申请号", "标题", "代理机构"], [[no, "一种乳清蛋白制法", "某代理所"]])
    assert imported(second)["updated"] == 1
    record = patent(no)
    assert record.cited_count == 5 and record.legal_status == "有效"  # the second file has no such columns
    assert record.title == "一种乳清蛋白制法" and record.extra["代理机构"] == "某代理所"
    with session_scope() as session:
        jobs = {job.params.get("filename") or job.label: job.id for job in session.scalars(select(Job))}
    assert record.sources["cited_count"] != record.sources["title"]
    assert set(jobs.values()) >= {record.sources["cited_count"], record.sources["title"]}


def test_an_empty_cell_clears_only_what_the_same_tool_gave(instance, tmp_path):
    no = number(22)
    header = ["申请号", "标题", "被引证次数", "合享价值度"]  # an incoPat export
    imported(write_csv(tmp_path / "a.csv", header, [[no, "一种羊绒分梳机", "5", "8"]]))
    other = ["申请号", "标题", "被引证次数"]  # another tool with an empty count says nothing
    imported(write_csv(tmp_path / "b.csv", other, [[no, "一种羊绒分梳机", ""]]))
    assert patent(no).cited_count == 5
    imported(write_csv(tmp_path / "c.csv", header, [[no, "一种羊绒分梳机", "", "8"]]))  # incoPat's newer export
    assert patent(no).cited_count is None


def test_the_key_upgrades_but_never_changes_an_application_number(instance, tmp_path):
    a, b = number(31), number(32)
    header = ["申请号", "公开号", "标题"]
    imported(write_csv(tmp_path / "a.csv", header, [[a, "CN113000031A", "甲"]]))
    # a second application carrying the same publication number (a typo in one export) stays its own record
    assert imported(write_csv(tmp_path / "b.csv", header, [[b, "CN113000031A", "乙"]]))["imported"] == 1
    assert patent(a).title == "甲" and patent(b).title == "乙"
    assert strip_kind("CN113000031A") == patent(a).publication_key


def test_a_kept_column_is_searchable_by_its_header(instance, tmp_path):
    from ipoc.search import service as search
    from ipoc.search.schemas import SearchRequest

    header = ["申请号", "标题", "代理机构", "CPC"]
    rows = [[number(41), "一种稀土抛光粉", "北京三友知识产权代理有限公司", "C09K3/14"],
            [number(42), "一种稀土永磁体", "包头市知信专利代理事务所", "H01F1/057"]]  # fmt: skip
    imported(write_csv(tmp_path / "k.csv", header, rows))
    with session_scope() as session:
        found = search.search(session, SearchRequest(q="代理机构=(三友)", mode="lexical"))
        assert [hit.application_no for hit in found.hits] == [number(41)]
        both = search.search(session, SearchRequest(q="稀土 AND 代理机构=专利", mode="lexical"))
        assert [hit.application_no for hit in both.hits] == [number(42)]
        assert search.search(session, SearchRequest(q="代理机构=(北京) AND 代理机构=(知信)", mode="lexical")).total == 0


# ---- each tool's own layout ---------------------------------------------------------------------------

# Per tool: (tool detected, {header: the header that carries its field instead}, headers mapped to a field)
TOOL_RULES = {
    "cnipa_csv": ("cnipa", {}, {"申请(专利权)人": "applicants", "法律状态": "legal_status"}),
    "incopat_xlsx": (
        "incopat",
        {"标题 (英文)": "标题 (中文)", "摘要 (英文)": "摘要 (中文)"}
        | {"法律状态": "当前法律状态", "专利有效性": "当前法律状态"},
        {"当前权利人": "patentees", "申请人": "applicants", "当前法律状态": "legal_status"},
    ),
    "patsnap_xlsx": (
        "patsnap",
        {},
        {"申请(专利权)人": "applicants", "当前申请(专利权)人": "patentees", "简单法律状态": "legal_status"},
    ),
    "full60_xlsx": ("sixty", {}, {"当前权利人": "patentees", "申请人": "applicants"}),
}


@pytest.mark.parametrize("key", sorted(TOOL_RULES))
def test_each_tools_export_arrives_whole(instance, tmp_path, key):
    """The tool's own layout (title rows above the header included): the tool is recognised, every column is
    mapped, kept or empty throughout, the stated rule picks among synonyms, kept cells reach the record, and
    names are split on the tool's separator."""
    from tests.export_layouts import LAYOUTS, rows, write_export

    layout = LAYOUTS[key]
    data = list(rows(layout, 5))
    result = imported(write_export(tmp_path / f"{key}{layout.suffix}", layout, data))
    tool, instead, mapped = TOOL_RULES[key]
    assert (result["tool"], result["imported"], result["rejected"]) == (tool, 5, 0)
    columns = {c["header"]: c for c in result["columns"]}
    assert list(columns) == list(layout.headers)
    assert {c["status"] for c in columns.values()} <= {"mapped", "kept", "empty"}
    assert {h: c["instead"] for h, c in columns.items() if "instead" in c} == instead
    assert {h: columns[h]["field"] for h in mapped} == mapped
    kept = [h for h, c in columns.items() if c["status"] == "kept"]
    first = dict(zip(layout.headers, data[0], strict=True))
    number = first.get("申请号") or first.get("公开(公告)号")
    record = patent(str(number))
    for header in kept:
        if str(first[header]).strip():
            assert record.extra[header] == str(first[header]).strip(), header
    separator = " | " if key == "patsnap_xlsx" else ";"
    applicants_cell = next(str(first[h]) for h, field in mapped.items() if field == "applicants")
    assert [a.name for a in record.applicants] == [n.strip() for n in applicants_cell.split(separator)]


def test_a_legacy_xls_uploaded_through_the_page_is_imported(client, session, tmp_path):
    """Through the real upload: the page accepts .xls, and its title row is skipped."""
    import xlwt

    from ipoc.auth.roles import Role
    from tests.conftest import login, make_user
    from tests.web_import import count_of, upload, wait_for_job

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("检索结果")
    table = [["专利检索结果"], ["申请号", "发明名称", "申请人"], [number(51), "一种奶酪的发酵方法", "某乳业公司"]]
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(tmp_path / "old.xls"))
    make_user(session, "regionadmin", Role.REGION_ADMIN)
    login(client, "regionadmin")
    response = upload(client, "old.xls", (tmp_path / "old.xls").read_bytes())
    assert response.status_code == 303, response.text
    done = wait_for_job(client, response.headers["location"])
    assert count_of(done, "imported") == 1 and count_of(done, "rejected") == 0
    assert patent(number(51)).title == "一种奶酪的发酵方法"


def test_another_offices_number_is_found_in_any_notation(instance, tmp_path):
    from ipoc.search import service as search
    from ipoc.search.schemas import SearchRequest

    imported(write_csv(tmp_path / "gp.csv", GOOGLE, [google_row("US-2015112182-A1", "Fractional flow reserve")]))
    with session_scope() as session:
        for typed in ("US20150112182A1", "US 2015/0112182 A1", "PN=US20150112182", "US-2015112182-A1"):
            hits = search.search(session, SearchRequest(q=typed, mode="lexical")).hits
            assert [hit.application_no for hit in hits] == ["US20150112182A1"], typed
        # a standard's number in free text is text, not a foreign patent number
        assert search.search(session, SearchRequest(q="GB50016", mode="lexical")).total == 0


def test_every_field_a_column_can_map_to_has_a_chinese_name():
    """The import result and the job page name each destination in Chinese, never by its identifier."""
    from ipoc.patents.reading import load_synonyms
    from ipoc.patents.service import field_label

    fields = set(load_synonyms().values())
    assert {f for f in fields if not any("\u4e00" <= ch <= "\u9fff" for ch in field_label(f))} == set()


# ---- records known by no patent number (无号文献) ---------------------------------------------------------


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


HASHED = [
    {
        "id": "538f267d2e6fba48b1286fb7f1499fe7",
        "title": "一种信号的发送方法",
        "assignee": "某通信公司",
        "label_id": "3",
    },
    {
        "id": "635a7d4b6358b6ff24a324bb871505db",
        "title": "一种电缆故障监控系统",
        "assignee": "某电气公司",
        "label_id": "7",
    },
    {"id": "aaf98d6bfe1932cf1a262812ca59d1ba", "title": "一种测试方法", "assignee": "某科技公司", "label_id": "1"},
]


def test_records_without_any_number_are_known_by_their_own_id(instance, tmp_path):
    first = imported(write_jsonl(tmp_path / "ids.jsonl", HASHED))
    assert (first["imported"], first["rejected"]) == (3, 0)
    record = numberless("一种信号的发送方法")
    assert record.application_no.startswith("SRC-") and len(record.application_no) <= 32
    assert not record.has_number and not record.has_application_no and record.number_label == "无专利号"
    assert record.source_id == "538f267d2e6fba48b1286fb7f1499fe7" and record.extra["label_id"] == "3"
    assert (record.office, record.publication_no, record.publication_key, record.family_key) == ("CN", None, None, None)
    assert patent(record.application_no.lower()).id == record.id  # the page's address finds it
    exported = {name: value(record) for name, value in COLUMNS if name in ("申请号", "公开（公告）号", "来源编号")}
    assert exported == {"申请号": None, "公开（公告）号": None, "来源编号": "538f267d2e6fba48b1286fb7f1499fe7"}
    again = imported(tmp_path / "ids.jsonl")
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 3)
    changed = [HASHED[0] | {"label_id": "4"}, *HASHED[1:]]
    later = imported(write_jsonl(tmp_path / "ids-2.jsonl", changed))  # another file, the same ids: the same records
    assert (later["imported"], later["updated"], later["unchanged"]) == (0, 1, 2)
    assert numberless("一种信号的发送方法").id == record.id
    assert numberless("一种信号的发送方法").extra["label_id"] == "4"


def test_an_id_that_is_a_row_counter_or_beside_a_bad_number_keys_nothing(instance, tmp_path):
    short = imported(write_jsonl(tmp_path / "short.jsonl", [{"id": "17", "title": "序号不是来源编号"}]))
    assert (short["imported"], short["rejected"]) == (0, 1)
    rows = [["1234abcd5678", "CN1", "公开号写错的记录"]]
    typo = imported(write_csv(tmp_path / "typo.csv", ["记录号", "公开号", "标题"], rows))
    assert (typo["imported"], typo["rejected"]) == (0, 1)  # a number given but unreadable is an error to fix
    with session_scope() as session:
        assert session.scalar(select(Patent.id)) is None


def test_a_google_id_is_still_the_publication_number(instance, tmp_path):
    result = imported(write_csv(tmp_path / "g.csv", GOOGLE, [google_row("US-8271025-B2", "Device network")]))
    assert result["imported"] == 1
    record = patent("US8271025B2")
    assert record.has_number and record.source_id is None and "id" not in record.extra


def test_rights_refuse_a_record_without_a_number(instance, tmp_path):
    """Offers, licences, transfers, pledges and open licensing all ask rights.check; recording asks require_number."""
    from datetime import date

    from ipoc.auth.roles import Role
    from ipoc.errors import Conflict
    from ipoc.patents import rights, rights_records
    from tests.factories import who

    imported(write_jsonl(tmp_path / "ids.jsonl", HASHED[:1]))
    with session_scope() as session:
        record = session.scalars(select(Patent)).one()
        for act in rights.ACTS:
            found = rights.check(session, record, act, name="某通信公司")
            reason = f"该文献没有专利号（仅有来源编号），无法核实专利权，不能{rights.DOING[act]}"
            assert [r.reason for r in found] == [reason] and found[0].standing
        staff = who(session, "regionadmin", Role.REGION_ADMIN)
        with pytest.raises(Conflict, match="没有专利号"):
            rights_records.record_event(session, staff, record, "transfer", date(2024, 1, 2), {"to": "某公司"})


# ---- a node/relationship graph set ---------------------------------------------------------------------


def test_a_graph_set_imports_as_one_record_per_patent_node(instance, tmp_path):
    folder = write_graph(tmp_path / "tw-graph")
    result = imported(folder)
    assert (result["imported"], result["rejected"], result["warnings"]) == (2, 0, 0)
    where = {c["header"]: (c["status"], c["field"]) for c in result["columns"]}
    assert where == {
        "title": ("mapped", "title"), "uuid": ("mapped", "record_id"), "申请年": ("kept", None),
        "公开年": ("kept", None), "申请人": ("mapped", "applicants"), "发明人": ("mapped", "inventors"),
        "IPC小类": ("kept", None),
    }  # fmt: skip
    record = numberless("新型酶以及系統")
    assert record.office == "TW" and record.source_id == "21db563b-5b9f-42a6-a167-f64ba356a4f8"
    assert [a.name for a in patent(record.application_no).applicants] == ["麻省理工學院", "哈佛大學"]
    assert record.inventors == ["任恩方"] and record.application_date is None  # a year is no date: kept, not invented
    assert (record.extra["申请年"], record.extra["公开年"], record.extra["IPC小类"]) == ("2016", "2017", "C12N")
    again = imported(zipped(folder, tmp_path / "tw-graph.zip"))  # the same set zipped: the same records
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_a_folder_or_zip_without_patent_nodes_is_refused(instance, tmp_path):
    (tmp_path / "empty" / "node").mkdir(parents=True)
    for target in (tmp_path / "empty", zipped(write_graph(tmp_path / "g") / "relationship", tmp_path / "r.zip")):
        refused = CliRunner().invoke(cli, ["patents", "import", str(target)])
        assert refused.exit_code == 2 and "没有 node/patent.csv" in refused.output
