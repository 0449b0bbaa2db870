"""Streaming export readers: header mapping of each export style, encodings, and every malformed file kind."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from ipoc.errors import InvalidInput
from ipoc.patents.reading import FileRefused, RowSource, load_synonyms, open_rows
from ipoc.patents.records import RowIssue

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NO = "201010110545.X"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + bytes(200)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_all(source: RowSource) -> list[tuple[int, dict[str, str]] | RowIssue]:
    with source:
        return list(source)


def rows_of(items: list) -> list[tuple[int, dict[str, str]]]:
    return [item for item in items if not isinstance(item, RowIssue)]


def issues_of(items: list) -> list[RowIssue]:
    return [item for item in items if isinstance(item, RowIssue)]


STYLES = {
    "CNIPA": (
        ["申请号", "申请日", "公开（公告）号", "公开（公告）日", "发明名称", "IPC分类号", "申请（专利权）人",
         "发明人", "申请人地址", "摘要", "主分类号", "优先权", "法律状态"],
        {"申请号": "application_no", "申请日": "application_date", "公开（公告）号": "publication_no",
         "公开（公告）日": "publication_date", "发明名称": "title", "IPC分类号": "ipc_codes",
         "申请（专利权）人": "applicants", "发明人": "inventors", "申请人地址": "address", "摘要": "abstract",
         "主分类号": "ipc_main", "优先权": "priority", "法律状态": "legal_status"},
    ),
    "incoPat": (
        ["序号", "标题", "申请号", "申请日", "公开（公告）号", "公开（公告）日", "申请人", "发明人", "IPC主分类",
         "IPC", "首项权利要求", "权利要求", "被引证次数", "引证次数", "简单同族个数", "转让人", "受让人",
         "许可类型", "被许可人", "质权人", "年费缴至", "无效宣告日"],
        {"标题": "title", "申请号": "application_no", "IPC主分类": "ipc_main", "IPC": "ipc_codes",
         "首项权利要求": "first_claim", "权利要求": "claims", "被引证次数": "cited_count",
         "引证次数": "citing_count", "简单同族个数": "family_size", "转让人": "transfer_from",
         "受让人": "transfer_to", "许可类型": "licence_type", "被许可人": "licensee", "质权人": "pledgee",
         "年费缴至": "fee_paid_through", "无效宣告日": "invalidation_date"},
    ),
    "PatSnap": (
        ["公开(公告)号", "申请号", "标题", "摘要", "申请(专利权)人", "发明人", "申请日", "公开(公告)日",
         "IPC主分类号", "IPC分类号", "简单法律状态", "法律状态/事件", "简单同族数量", "被引用次数", "授权日"],
        {"公开(公告)号": "publication_no", "标题": "title", "申请(专利权)人": "applicants",
         "IPC主分类号": "ipc_main", "IPC分类号": "ipc_codes", "简单法律状态": "legal_status",
         "法律状态/事件": "legal_events", "简单同族数量": "family_size", "被引用次数": "cited_count",
         "授权日": "grant_date"},
    ),
    "60-column": (
        ["序号", "申请日", "公开日", "授权公告日", "申请人", "申请号", "授权公告号", "专利类型", "专利名称",
         "申请摘要", "主权项", "国省代码", "申请人类型", "引证数", "同族专利", "转让日期", "失效日期",
         "质押日期", "许可日期", "无效宣告日期", "专利转移次数"],
        {"授权公告日": "grant_date", "授权公告号": "grant_no", "专利类型": "kind", "专利名称": "title",
         "申请摘要": "abstract", "主权项": "first_claim", "国省代码": "province", "申请人类型": "applicant_type",
         "引证数": "citing_count", "同族专利": "family", "转让日期": "transfer_date", "失效日期": "lapse_date",
         "质押日期": "pledge_date", "许可日期": "licence_date", "无效宣告日期": "invalidation_date"},
    ),
    "CNKI": (
        ["SrcDatabase-来源库", "Title-题名", "Author-发明人", "Organ-申请人", "申请号", "申请日", "公开号",
         "公开日", "主分类号", "分类号", "Summary-摘要"],
        {"Title-题名": "title", "Author-发明人": "inventors", "Organ-申请人": "applicants",
         "申请号": "application_no", "公开号": "publication_no", "Summary-摘要": "abstract"},
    ),
    "Google Patents": (
        ["application number", "id", "title", "assignee", "inventor/author", "priority date",
         "filing/creation date", "publication date", "grant date", "result link", "representative figure link"],
        {"id": "publication_no", "title": "title", "assignee": "applicants", "inventor/author": "inventors",
         "priority date": "priority_date", "filing/creation date": "application_date",
         "publication date": "publication_date", "grant date": "grant_date", "result link": "link"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("style", sorted(STYLES))
def test_header_mapping_of_each_export_style(tmp_path: Path, style: str) -> None:
    headers, expected = STYLES[style]
    path = write(tmp_path, "export.csv", ",".join(headers) + "\n" + ",".join("x" for _ in headers) + "\n")
    with open_rows(path) as source:
        assert source.headers == headers
        for header, field in expected.items():
            assert source.mapping[header] == field, header
            assert source.headers_by_field[field] == header
        assert "序号" not in source.mapping
        assert "专利转移次数" not in source.mapping  # counts only: no field, no events


@pytest.mark.parametrize(
    "header",
    ["申请号", "申请号(CN)", "申请号 （CN）", " 申 请 号 ", "ＡＰＰＬＩＣＡＴＩＯＮ ＮＯ", "Application Number"],
)
def test_header_matching_ignores_case_width_spaces_and_units(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, "a.csv", f"{header},名称\n{NO},t\n")
    with open_rows(path) as source:
        assert source.mapping[header.strip()] == "application_no"


def test_google_export_skips_search_url_line(tmp_path: Path) -> None:
    text = (
        "search URL:,https://patents.google.com/?q=x\n"
        "id,title,assignee,inventor/author,priority date,filing/creation date,publication date,grant date,result link\n"
        'CN-105389980-B,Traffic flow,上海交通大学,"潘理, 田永学",2015-11-09,2015-11-09,2018-01-19,2018-01-19,'
        "https://patents.google.com/patent/CN105389980B/en\n"
    )
    path = write(tmp_path, "gp.csv", text)
    items = read_all(open_rows(path))  # known by its publication number (id), no application-number column needed
    assert items == [
        (
            3,  # the spreadsheet's row: the search URL line and the header come first
            {"publication_no": "CN-105389980-B", "title": "Traffic flow", "applicants": "上海交通大学",
             "inventors": "潘理, 田永学", "priority_date": "2015-11-09", "application_date": "2015-11-09",
             "publication_date": "2018-01-19", "grant_date": "2018-01-19",
             "link": "https://patents.google.com/patent/CN105389980B/en"},
        )
    ]  # fmt: skip


def test_extra_synonyms_extend_the_table(tmp_path: Path) -> None:
    extra = write(tmp_path, "header-synonyms.toml", 'application_no = ["案卷号"]\ntitle = ["专利名称"]\n')
    path = write(tmp_path, "a.csv", f"案卷号,专利名称\n{NO},t\n")
    with pytest.raises(FileRefused):
        open_rows(path)
    with open_rows(path, synonyms=load_synonyms(extra)) as source:
        assert list(source) == [(2, {"application_no": NO, "title": "t"})]
    assert load_synonyms(tmp_path / "missing.toml") == load_synonyms(None)


@pytest.mark.parametrize(
    ("text", "reason"), [('nonsense = ["x"]\n', "未知字段"), ("title = 3\n", "表头列表"), ("title = [\n", "无法解析")]
)
def test_bad_extra_synonyms_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        load_synonyms(write(tmp_path, "s.toml", text))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    name = "内蒙古稀土研究院" if encoding == "gbk" else "内蒙古稀土研究院𠀀"
    path = write(tmp_path, "a.csv", f"申请号,名称,申请人\n{NO},一种稀土永磁材料,{name}\n", encoding)
    with open_rows(path) as source:
        assert source.headers == ["申请号", "名称", "申请人"]
        assert list(source) == [(2, {"application_no": NO, "title": "一种稀土永磁材料", "applicants": name})]


def test_gbk_detected_when_first_chunk_is_not_utf8(tmp_path: Path) -> None:
    body = "".join(f"{NO},包头稀土高新区第{i}号\n" for i in range(5000))
    path = write(tmp_path, "big.csv", "申请号,名称\n" + body, "gbk")
    assert path.stat().st_size > 64 * 1024
    with open_rows(path) as source:
        rows = list(source)
    assert len(rows) == 5000
    assert rows[-1] == (5001, {"application_no": NO, "title": "包头稀土高新区第4999号"})  # after the header row


def test_tab_separated_multiline_cells_blank_lines_and_nul_bytes(tmp_path: Path) -> None:
    text = f'申请号\t名称\t申请人\n{NO}\t"一种\n方法"\t甲\x00公司\n\n{NO}\t第二\t乙\n'
    items = read_all(open_rows(write(tmp_path, "a.txt", text)))
    assert items == [
        (2, {"application_no": NO, "title": "一种\n方法", "applicants": "甲公司"}),  # one record, one sheet row
        (4, {"application_no": NO, "title": "第二", "applicants": "乙"}),
    ]


def test_progress_counts_bytes_without_reading_ahead(tmp_path: Path) -> None:
    body = "".join(f"{NO},名称{i},{'摘要' * 50}\n" for i in range(20000))
    path = write(tmp_path, "a.csv", "申请号,名称,摘要\n" + body)
    with open_rows(path) as source:
        assert source.total_bytes == path.stat().st_size
        iterator = iter(source)
        next(iterator)
        assert 0 < source.bytes_read < source.total_bytes / 10
        for _ in iterator:
            pass
        assert source.bytes_read == source.total_bytes


# ---- refused files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [("a.csv", b""), ("a.csv", b"\n\r\n  \n"), ("a.csv", b"\xef\xbb\xbf"),
                                               ("a.jsonl", b""), ("a.jsonl", b"\n\n"), ("a.xlsx", b"")])  # fmt: skip
def test_empty_files_are_refused(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRefused, match="文件为空"):
        open_rows(path)


def test_file_without_application_number_column_names_its_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "名称,申请人,摘要\nt,a,b\n")
    with pytest.raises(FileRefused) as caught:
        open_rows(path)
    assert caught.value.message == "文件中没有申请号列，也没有公开号列。找到的表头：名称、申请人、摘要"


def test_headerless_file_is_told_it_needs_a_header(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "20100209,ZL 201010110545.X,北京理工大学,一种方法\n")
    with pytest.raises(FileRefused, match="第一行看起来是数据"):
        open_rows(path)


@pytest.mark.parametrize(("name", "message"), [("a.xlsx", "不是有效的 XLSX"), ("a.jsonl", "不是有效的 JSONL"),
                                               ("a.csv", "二进制"), ("a.xls", ".xls")])  # fmt: skip
def test_binary_files_are_refused(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(PNG)
    with pytest.raises(FileRefused, match=message):
        open_rows(path)


def test_csv_named_xlsx_or_jsonl_is_read_as_csv(tmp_path: Path) -> None:
    for name in ("a.xlsx", "a.jsonl"):
        path = write(tmp_path, name, f"申请号,名称\n{NO},t\n")
        with open_rows(path) as source:
            assert list(source) == [(2, {"application_no": NO, "title": "t"})]


def test_suffix_argument_overrides_the_name(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(json.dumps({"申请号": NO, "名称": "t"}).encode() + b"\n")
    with open_rows(path, suffix=".jsonl") as source:
        assert list(source) == [(1, {"application_no": NO, "title": "t"})]


# ---- broken rows ---------------------------------------------------------------------------------------


def test_ragged_rows_are_issues_and_reading_goes_on(tmp_path: Path) -> None:
    text = f"申请号,名称,申请人\n{NO},a,b\n{NO},a\n{NO},a,b,c\n{NO},a,b,,\n{NO},ok,c\n"
    items = read_all(open_rows(write(tmp_path, "a.csv", text)))
    assert [i.row for i in issues_of(items)] == [3, 4]  # rows as the spreadsheet numbers them
    assert all(i.field == "" and "表头 3 列" in i.reason for i in issues_of(items))
    assert issues_of(items)[0].value == f"{NO},a"
    assert [row for row, _ in rows_of(items)] == [2, 5, 6]


def test_huge_cells_are_row_issues(tmp_path: Path) -> None:
    big = "长" * 400_000  # 1.2 MB in UTF-8
    text = f"申请号,名称,摘要\n{NO},a,{big}\n{NO},b,{'x' * 900_000}\n{NO},c,short\n"
    items = read_all(open_rows(write(tmp_path, "a.csv", text)))
    issue = issues_of(items)[0]
    assert (issue.row, issue.field, issue.reason, len(issue.value)) == (2, "摘要", "单元格超过 1 MB", 200)
    assert [row for row, _ in rows_of(items)] == [3, 4]


def test_cell_beyond_the_csv_field_limit_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    text = f"申请号,名称,摘要\n{NO},a,{'x' * (17 * 1024 * 1024)}\n{NO},b,c\n"
    items = read_all(open_rows(write(tmp_path, "a.csv", text)))
    assert [(i.row, i.reason) for i in issues_of(items)] == [(2, "单元格超过 1 MB")]
    assert rows_of(items)[-1][1]["title"] == "b"


# ---- XLSX and JSONL ------------------------------------------------------------------------------------


def make_xlsx(tmp_path: Path, rows: list[list[object]], name: str = "a.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("second").append(["ignored"])
    path = tmp_path / name
    workbook.save(path)
    return path


def test_xlsx_values_become_strings_and_dates_iso(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path,
        [
            [None],
            ["申请号", "名称", "申请日", "同族数量", "公开日", None],
            [NO, "一种材料", datetime(2023, 1, 5), 3, date(2023, 7, 1)],
            [NO, "短行"],
            [NO, "多一格", None, None, None, None, "溢出"],
            [None, None],
            [NO, "时间", datetime(2023, 1, 5, 10, 30), 2.0, None],
        ],
    )
    with open_rows(path) as source:
        assert source.headers == ["申请号", "名称", "申请日", "同族数量", "公开日"]
        items = list(source)
        assert source.bytes_read == source.total_bytes
    assert items[0] == (
        3,  # the sheet's row: a blank row and the header come first
        {"application_no": NO, "title": "一种材料", "application_date": "2023-01-05", "family_size": "3",
         "publication_date": "2023-07-01"},
    )  # fmt: skip
    assert items[1] == (4, {"application_no": NO, "title": "短行", "application_date": "", "family_size": "",
                            "publication_date": ""})  # fmt: skip
    assert isinstance(items[2], RowIssue) and items[2].row == 5
    assert items[3][0] == 7
    assert items[3][1]["application_date"] == "2023-01-05 10:30:00"
    assert items[3][1]["family_size"] == "2"


def test_empty_xlsx_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="文件为空"):
        open_rows(make_xlsx(tmp_path, []))


def test_jsonl_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"application_no": NO, "title": "一", "applicants": ["甲", "乙"], "family_size": 2}),
        "",
        "{broken",
        "[1, 2]",
        json.dumps({"application_no": NO, "title": "二\u0000", "extra": {"a": 1}, "cited_count": None}),
    ]
    path = write(tmp_path, "a.jsonl", "\ufeff" + "\n".join(lines) + "\n")
    items = read_all(open_rows(path))
    assert items[0] == (1, {"application_no": NO, "title": "一", "applicants": "甲;乙", "family_size": "2"})
    assert [(i.row, i.reason) for i in issues_of(items)] == [(3, "此行不是有效的 JSON"), (4, "此行不是 JSON 对象")]
    assert items[-1] == (5, {"application_no": NO, "title": "二", "applicants": "", "family_size": ""})


# ---- the real samples ----------------------------------------------------------------------------------


def test_real_exports_when_present() -> None:
    if not SHARED.exists():
        pytest.skip(f"real sample data absent ({SHARED}); it lives outside the repository")
    google = SHARED / "google-patents-exports" / "gp-search-deep-learning.csv"
    with open_rows(google, require_application_no=False) as source:
        assert source.mapping["inventor/author"] == "inventors"
        assert sum(1 for item in source if not isinstance(item, RowIssue)) > 500
    cnki = SHARED / "cn-cnki-export" / "cnki-material-chemistry.xlsx"
    with open_rows(cnki) as source:  # the link carries the publication number
        rows = rows_of(list(source))
    assert len(rows) == 33
    assert {"title", "inventors", "applicants", "application_date", "abstract", "claims", "link"} <= set(rows[0][1])
