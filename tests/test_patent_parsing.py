"""Row → PatentRecord: rejection rules, IPC codes, dates, applicants, places, status, claims, legal events."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from ipoc.patents.ipc import ipc_subclass, normalise_ipc, split_ipc_list
from ipoc.patents.parsing import (
    applicant_type,
    first_independent_claim,
    inner_mongolia_region,
    parse_date,
    parse_row,
    province_of,
    split_names,
    status_class,
)
from ipoc.patents.reading import open_rows
from ipoc.patents.records import LegalEventRecord, PatentRecord, RowIssue

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NO = "201010110545.X"
HEADERS = {"application_no": "申请号", "title": "名称", "application_date": "申请日", "ipc_codes": "分类号",
           "ipc_main": "主分类号", "grant_date": "授权日", "transfer_date": "转让日期"}  # fmt: skip


def parse(**fields: str) -> PatentRecord | list[RowIssue]:
    raw = {"application_no": NO, "title": "一种稀土永磁材料", **fields}
    return parse_row(7, raw, HEADERS)


def record(**fields: str) -> PatentRecord:
    result = parse(**fields)
    assert isinstance(result, PatentRecord), result
    return result


def rejected(**fields: str) -> list[RowIssue]:
    result = parse(**fields)
    assert isinstance(result, list), result
    return result


# ---- IPC -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("H01F 1/057", "H01F 1/057"),
        ("H01F1/057", "H01F 1/057"),
        ("h01f1/057", "H01F 1/057"),
        ("Ｈ０１Ｆ　１／０５７", "H01F 1/057"),
        ("  H01F   1 / 057  ", "H01F 1/057"),
        ("H01F 1/057(2006.01)", "H01F 1/057"),
        ("H01F1/057 （2006.01） I", "H01F 1/057"),
        ("C22C38/00", "C22C 38/00"),
        ("H01F0001/0577", "H01F 1/0577"),
        ("B64U101/30", "B64U 101/30"),
    ],
)
def test_ipc_normalised(raw: str, canonical: str) -> None:
    assert normalise_ipc(raw) == canonical


@pytest.mark.parametrize("raw", ["", None, "H01F", "H01F 1", "X01F 1/057", "H1F 1/057", "H01F 1/5", "H01F 0/05",
                                 "H01F 12345/00", "稀土", "H01F 1/057 extra"])  # fmt: skip
def test_malformed_ipc(raw: str | None) -> None:
    assert normalise_ipc(raw) is None


def test_split_ipc_list() -> None:
    raw = "H01F1/057;C22C38/00；H01F 1/057,bad code\nC22C 33/02、C22C38/00 | ZZ"
    assert split_ipc_list(raw) == (["H01F 1/057", "C22C 38/00", "C22C 33/02"], ["bad code", "ZZ"])
    assert split_ipc_list(None) == ([], [])


@pytest.mark.parametrize(("raw", "subclass"), [("H01F1/057", "H01F"), ("h01f", "H01F"), ("bad", None), (None, None)])
def test_ipc_subclass(raw: str | None, subclass: str | None) -> None:
    assert ipc_subclass(raw) == subclass


# ---- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["2023-01-05", "2023.01.05", "2023/1/5", "20230105", "2023年1月5日", "2023 年 01 月 05 日", "２０２３－０１－０５",
     "2023-01-05 00:00:00", "2023-01-05T08:30:00Z"],
)  # fmt: skip
def test_date_notations(raw: str) -> None:
    assert parse_date(raw) == date(2023, 1, 5)


@pytest.mark.parametrize("raw", ["", None, "0", "00000000", " "])
def test_empty_dates(raw: str | None) -> None:
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("2023-02-30", "日期不存在"), ("2023-13-01", "日期不存在"), ("20230230", "日期不存在"),
     ("2023年2月29日", "日期不存在"),
     ("2023-00-10", "日期不存在"), ("44927", "无法识别"), ("5/1/2023", "无法识别"), ("昨天", "无法识别"),
     ("0023-01-05", "年份")],
)  # fmt: skip
def test_impossible_dates_are_never_guessed(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(raw)


def test_leap_day_is_a_date() -> None:
    assert parse_date("2024-02-29") == date(2024, 2, 29)


# ---- rejection rules -----------------------------------------------------------------------------------


def test_minimal_row_becomes_a_record() -> None:
    result = record(application_no="zl２０１０１０１１０５４５x", title="  一种\n稀土  永磁材料 ")
    assert (result.application_no, result.title, result.kind) == (NO, "一种 稀土 永磁材料", "invention")
    assert result.warnings == [] and result.ipc_codes == [] and result.legal_events == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"application_no": ""}, [("申请号", "申请号为空，也没有可识别的公开号或授权公告号", "")]),
        ({"application_no": "201010110545.1"}, [("申请号", "申请号校验位错误", "201010110545.1")]),
        ({"title": "  "}, [("名称", "标题为空", "  ")]),
        ({"application_date": "2023-02-30"}, [("申请日", "日期不存在：2023-02-30", "2023-02-30")]),
        ({"application_date": "2023-13-01"}, [("申请日", "日期不存在：2023-13-01", "2023-13-01")]),
        ({"transfer_date": "2020-01-01;2021-02-31"}, [("转让日期", "日期不存在：2021-02-31", "2020-01-01;2021-02-31")]),
        ({"publication_date": "44927"}, [("publication_date", "日期格式无法识别：44927", "44927")]),
    ],
)  # fmt: skip
def test_rejected_rows_name_header_reason_and_value(fields: dict[str, str], expected: list[tuple]) -> None:
    assert [(i.field, i.reason, i.value) for i in rejected(**fields)] == expected
    assert all(i.row == 7 for i in rejected(**fields))


def test_every_reason_is_listed() -> None:
    issues = rejected(application_no="123", title="", grant_date="2023-04-31")
    assert [i.field for i in issues] == ["申请号", "名称", "授权日"]


def test_malformed_ipc_keeps_the_row_with_warnings() -> None:
    result = record(ipc_main="H01F1/057", ipc_codes="C22C38/00;H01F 1/057;稀土;H01F-1")
    assert result.ipc_main == "H01F 1/057"
    assert result.ipc_codes == ["H01F 1/057", "C22C 38/00"]
    assert result.ipc_invalid == ["稀土", "H01F-1"]
    assert [(w.row, w.field, w.value) for w in result.warnings] == [
        (7, "分类号", "C22C38/00;H01F 1/057;稀土;H01F-1")
    ] * 2
    assert "稀土" in result.warnings[0].reason


def test_malformed_main_ipc_is_flagged_and_first_valid_code_leads() -> None:
    result = record(ipc_main="H01F", ipc_codes="C22C38/00")
    assert (result.ipc_main, result.ipc_codes, result.ipc_invalid) == ("C22C 38/00", ["C22C 38/00"], ["H01F"])
    assert result.warnings[0].field == "主分类号"


def test_malformed_publication_number_and_count_are_warnings() -> None:
    result = record(publication_no="公开号待定", family_size="三", cited_count="4", citing_count="2.0")
    assert result.publication_no == "公开号待定"
    assert (result.family_size, result.cited_count, result.citing_count) == (None, 4, 2)
    assert sorted(w.field for w in result.warnings) == ["family_size", "publication_no"]


# ---- fields --------------------------------------------------------------------------------------------


def test_numbers_kind_and_links() -> None:
    result = record(application_no="ZL 202121635235.X", kind="发明专利", publication_no="cn 217546176 u",
                    grant_no="CN217546176U")  # fmt: skip
    assert (result.kind, result.publication_no, result.grant_no) == ("utility_model", "CN217546176U", "CN217546176U")
    cnki = record(link="https://kns.cnki.net/kcms/detail/detail.aspx?dbcode=SCPD&filename=CN108982325A")
    assert cnki.publication_no == "CN108982325A"
    google = record(link="https://patents.google.com/patent/CN105389980B/en", publication_no="CN-105389980-B")
    assert google.publication_no == "CN105389980B"


def test_names_split_on_every_separator() -> None:
    assert split_names("甲公司;乙大学；丙、丁,戊\n己 ，甲公司") == ["甲公司", "乙大学", "丙", "丁", "戊", "己"]
    assert split_names("Google, Inc.; Acme Co., Ltd.") == ["Google, Inc.", "Acme Co., Ltd."]
    assert split_names("") == []
    result = record(applicants="包头稀土研究院;内蒙古科技大学、张三", inventors="潘理, 田永学")
    assert result.applicants == ["包头稀土研究院", "内蒙古科技大学", "张三"]
    assert result.applicant_types == ["institute", "university", "individual"]
    assert result.inventors == ["潘理", "田永学"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("内蒙古大学", "university"), ("包头职业技术学院", "university"), ("中国科学院大学", "university"),
     ("中国科学院长春应用化学研究所", "institute"), ("中科大数据研究院", "institute"),
     ("国家稀土功能材料创新研究中心", "institute"), ("内蒙古包钢稀土(集团)高科技股份有限公司", "enterprise"),
     ("鄂尔多斯市某某农牧业专业合作社", "enterprise"), ("呼和浩特第二机械厂", "enterprise"),
     ("巴彦淖尔市技术转移中心", "enterprise"), ("王小明", "individual"), ("欧阳荣波", "individual"),
     ("阿力木·买买提", "individual"), ("Siemens Aktiengesellschaft", "enterprise"), ("Google LLC", "enterprise"),
     ("Stanford University", "university"), ("某某市人民政府办公厅", "other"), ("John Smith", "other")],
)  # fmt: skip
def test_applicant_type_heuristic(name: str, kind: str) -> None:
    assert applicant_type(name) == kind


def test_explicit_applicant_type_column_wins() -> None:
    one = record(applicants="中科大数据研究院;王五", applicant_type="大专院校")
    assert one.applicant_types == ["university", "individual"]
    each = record(applicants="甲公司;乙", applicant_type="科研机构;企业")
    assert each.applicant_types == ["institute", "enterprise"]
    unknown = record(applicants="内蒙古大学", applicant_type="机关团体")
    assert unknown.applicant_types == ["university"]


@pytest.mark.parametrize(
    ("address", "hint", "province", "region"),
    [("014010内蒙古自治区包头市昆都仑区钢铁大街", None, "内蒙古自治区", "包头市"),
     ("内蒙古包头稀土高新区黄河大街", None, "内蒙古自治区", "包头市"),
     ("内蒙古呼市赛罕区大学西街235号", None, "内蒙古自治区", "呼和浩特市"),
     ("内蒙古自治区鄂尔多斯康巴什区", None, "内蒙古自治区", "鄂尔多斯市"),
     ("鄂尔多斯市东胜区天骄路", None, "内蒙古自治区", "鄂尔多斯市"),
     ("内蒙古自治区呼伦贝尔市满洲里市扎赉诺尔区", None, "内蒙古自治区", "满洲里市"),
     ("内蒙古自治区锡林郭勒盟二连浩特市", None, "内蒙古自治区", "二连浩特市"),
     ("内蒙古自治区达拉特旗树林召镇", None, "内蒙古自治区", "鄂尔多斯市"),
     ("内蒙古自治区兴安盟乌兰浩特市", None, "内蒙古自治区", "兴安盟"),
     ("中国内蒙古自治区阿拉善左旗", None, "内蒙古自治区", "阿拉善盟"),
     ("450000河南省郑州市郑东新区中道东路6号", None, "河南省", None),
     ("北京市海淀区中关村", None, "北京市", None),
     ("广西南宁市", None, "广西壮族自治区", None),
     ("郑州市郑东新区", "河南(41)", "河南省", None),
     ("", "15", "内蒙古自治区", None),
     ("某地某街", None, None, None)],
)  # fmt: skip
def test_province_and_region(address: str, hint: str | None, province: str | None, region: str | None) -> None:
    assert province_of(address, hint) == province
    result = record(address=address, province=hint or "")
    assert (result.province, result.region_name) == (province, region)


def test_region_names_are_the_seed_names() -> None:
    from ipoc.reference.seed import REGIONS

    names = {name for _, name, _, _ in REGIONS}
    for place in ("呼市", "包头", "乌海", "赤峰", "通辽", "鄂尔多斯", "呼伦贝尔", "巴彦淖尔", "乌兰察布", "兴安盟",
                  "锡林郭勒", "阿拉善", "满洲里", "二连浩特", "准格尔旗", "集宁区", "霍林郭勒市"):  # fmt: skip
        assert inner_mongolia_region(f"内蒙古自治区{place}某路") in names, place


@pytest.mark.parametrize(
    ("status", "cls"),
    [("有效", "valid"), ("有权-审定授权", "valid"), ("授权", "valid"), ("专利权维持", "valid"), ("部分无效", "valid"),
     ("审中", "pending"), ("公开", "pending"), ("实质审查", "pending"), ("审中-实审", "pending"), ("申请", "pending"),
     ("失效", "lapsed"), ("驳回", "lapsed"), ("无权-视为撤回", "lapsed"), ("放弃", "lapsed"), ("期限届满", "lapsed"),
     ("未缴年费", "lapsed"), ("全部无效", "lapsed"), ("", None), (None, None), ("其他", None)],
)  # fmt: skip
def test_status_class(status: str | None, cls: str | None) -> None:
    assert status_class(status) == cls


CLAIMS = (
    "1.根据权利要求2所述的方法，其特征在于温度为3.5℃。"
    "2.一种稀土永磁材料的制备方法，其特征在于，包括：步骤1、熔炼；含量为0.5%。"
    "3.根据权利要求2所述的方法。"
    "4.一种稀土永磁材料，由权利要求2制得。"
)


def test_first_independent_claim() -> None:
    assert (
        first_independent_claim(CLAIMS) == "2.一种稀土永磁材料的制备方法，其特征在于，包括：步骤1、熔炼；含量为0.5%。"
    )
    assert first_independent_claim("1. A device. 2. The device according to claim 1.") == "1. A device."
    assert first_independent_claim("一种装置，包括底座。") == "一种装置，包括底座。"
    assert first_independent_claim("１．一种装置。２．如权利要求１所述的装置。") == "１．一种装置。"
    assert first_independent_claim("") is None
    assert record(claims=CLAIMS).first_claim.startswith("2.一种")
    assert record(claims=CLAIMS, first_claim="1.主权项").first_claim == "1.主权项"


# ---- legal events --------------------------------------------------------------------------------------


def test_counts_only_give_no_events() -> None:
    assert record(transfer_count="2", licence_count="1", pledge_count="1").legal_events == []


def test_events_from_dated_columns() -> None:
    result = record(
        grant_no="CN217546176U", grant_date="2022-10-04", legal_status="无权-未缴年费", lapse_date="20240101",
        transfer_date="2021-01-05;2022-03-04", transfer_from="甲公司", transfer_to="乙公司",
        licence_date="2021年6月1日", licence_type="独占许可", licensee="丙公司", licence_term_start="2021-06-01",
        licence_term_end="2026-05-31", pledge_date="2022/8/8", pledgee="包商银行", pledge_release_date="2023-08-08",
        invalidation_date="2023.03.03", invalidation_decision="宣告专利权部分无效", fee_paid_through="2023-12-02",
    )  # fmt: skip
    assert result.fee_paid_through == date(2023, 12, 2)
    assert result.status_class == "lapsed"
    assert result.legal_events == [
        LegalEventRecord("grant", date(2022, 10, 4), {"grant_no": "CN217546176U"}),
        LegalEventRecord("lapse", date(2024, 1, 1), {"status": "无权-未缴年费"}),
        LegalEventRecord("transfer", date(2021, 1, 5), {"from": "甲公司", "to": "乙公司"}),
        LegalEventRecord("transfer", date(2022, 3, 4), {"from": "甲公司", "to": "乙公司"}),
        LegalEventRecord("licence", date(2021, 6, 1),
                         {"licensee": "丙公司", "type": "exclusive", "term_start": "2021-06-01",
                          "term_end": "2026-05-31"}),
        LegalEventRecord("pledge", date(2022, 8, 8), {"pledgee": "包商银行"}),
        LegalEventRecord("pledge_release", date(2023, 8, 8), {}),
        LegalEventRecord("invalidation", date(2023, 3, 3), {"decision": "宣告专利权部分无效"}),
    ]  # fmt: skip


def test_events_from_dated_text() -> None:
    text = (
        "2019-05-10 授权；2020-01-02 专利权的转移\n2021-03-04 专利权质押合同登记的生效\n"
        "2022-03-04 专利权质押合同登记的注销; 未缴年费"
    )
    result = record(legal_events=text, grant_date="2019-05-10", licence_info="2021.7.1 普通许可 备案号X")
    assert [(e.kind, e.date) for e in result.legal_events] == [
        ("grant", date(2019, 5, 10)),
        ("licence", date(2021, 7, 1)),
        ("transfer", date(2020, 1, 2)),
        ("pledge", date(2021, 3, 4)),
        ("pledge_release", date(2022, 3, 4)),
    ]
    assert result.legal_events[2].detail == {"text": "2020-01-02 专利权的转移"}


def test_priority_family_and_counts() -> None:
    result = record(priority="CN201910000001.2", priority_date="2019-01-01", family="CN1;US2", family_size="2",
                    cited_count="5", citing_count="0")  # fmt: skip
    assert result.priority == "CN201910000001.2; 2019-01-01"
    assert (result.family, result.family_size, result.cited_count, result.citing_count) == ("CN1;US2", 2, 5, 0)


# ---- hashing -------------------------------------------------------------------------------------------


def test_content_hash_is_stable_and_ignores_warnings() -> None:
    first = record(ipc_codes="bad", grant_date="2022-10-04")
    second = record(ipc_codes="bad", grant_date="2022-10-04")
    assert re.fullmatch(r"[0-9a-f]{64}", first.content_hash())
    assert first.content_hash() == second.content_hash()
    second.warnings.clear()
    assert first.content_hash() == second.content_hash()
    second.legal_events[0].detail["x"] = "y"
    assert first.content_hash() != second.content_hash()
    assert record(abstract="a").content_hash() != record(abstract="b").content_hash()


# ---- the real 60-column sample -------------------------------------------------------------------------


def test_real_sixty_column_sample(tmp_path: Path) -> None:
    sql = SHARED / "cn-patents-full-fields" / "patents-60-columns.sql"
    if not sql.exists():
        pytest.skip(f"real sample data absent ({sql}); it lives outside the repository")
    text = sql.read_text(encoding="utf-8")
    columns = re.findall(r"^  `([^`]+)`", text.split("CREATE TABLE")[1].split(") ENGINE")[0], re.MULTILINE)
    rows = [next(csv.reader([line[line.index("VALUES (") + 8 : -2]], quotechar="'", skipinitialspace=True))
            for line in text.splitlines() if line.startswith("INSERT")]  # fmt: skip
    path = tmp_path / "sixty.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([columns, *rows])
    with open_rows(path) as source:
        records = [parse_row(n, raw, source.headers_by_field) for n, raw in source]
    assert len(records) == 10 and all(isinstance(r, PatentRecord) for r in records)
    first = records[0]
    assert (first.application_no, first.kind, first.ipc_codes) == ("202223220665.2", "utility_model",
                                                                   ["B64U 20/80", "B64U 101/30"])  # fmt: skip
    assert (first.province, first.applicant_types, first.status_class) == ("河南省", ["institute"], "valid")
    assert first.first_claim.startswith("1.一种无人机机载多功能盒")


def test_month_first_dates_only_where_the_file_writes_them() -> None:
    """Google Patents writes 9/18/2012 (a US locale): read month first there, and only there."""
    assert parse_date("5/1/2023", month_first=True) == date(2023, 5, 1)
    assert parse_date("9/18/2012", month_first=True) == date(2012, 9, 18)
    with pytest.raises(ValueError, match="日期不存在"):
        parse_date("18/9/2012", month_first=True)
