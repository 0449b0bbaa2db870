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
        {"id": "record_id", "title": "title", "assignee": "applicants", "inventor/author": "inventors",
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
    items = read_all(open_rows(path))  # the id is the record's own id (its publication number, see parsing)
    assert items == [
        (
            3,  # the spreadsheet's row: the search URL line and the header come first
            {"record_id": "CN-105389980-B", "title": "Traffic flow", "applicants": "上海交通大学",
             "inventors": "潘理, 田永学", "priority_date": "2015-11-09", "application_date": "2015-11-09",
             "publication_date": "2018-01-19", "grant_date": "2018-01-19",
             "link": "https://patents.google.com/patent/CN105389980B/en"},
        )
    ]  # fmt: skip


# ---- title rows above the header -----------------------------------------------------------------------

CNIPA_HEADER = "申请号,申请日,公开（公告）号,发明名称,申请（专利权）人,发明人,法律状态"
CNIPA_ROW = f"{NO},2010-02-09,CN101776111A,一种软件漏洞检测方法,北京理工大学,胡昌振、马锐,授权"
CNIPA_FIELDS = {"application_no": NO, "application_date": "2010-02-09", "publication_no": "CN101776111A",
                "title": "一种软件漏洞检测方法", "applicants": "北京理工大学", "inventors": "胡昌振、马锐",
                "legal_status": "授权"}  # fmt: skip
TITLE_BLOCKS = {
    "CNIPA": "专利检索结果\n检索式：申请人=(北京理工大学) AND 公开日>=2010\n导出时间：2024-05-06 10:12:00\n\n",
    "incoPat": "incoPat 专利数据导出,,,,,,\n,,,,,,\n",
    "PatSnap": '"智慧芽 PatSnap 导出，共 1 条"\n"检索式：TA:(软件 AND 漏洞)"\n',
    "filter row naming one field": "申请人,北京理工大学\n",  # a title row that happens to map one header
    "title row naming two fields": "导出字段：,发明名称,申请人\n",  # fewer than the header: the header wins
}


@pytest.mark.parametrize("style", sorted(TITLE_BLOCKS))
def test_title_rows_above_the_header_are_skipped(tmp_path: Path, style: str) -> None:
    title = TITLE_BLOCKS[style]
    path = write(tmp_path, "export.csv", f"{title}{CNIPA_HEADER}\n{CNIPA_ROW}\n\n{CNIPA_ROW}\n")
    header_row = title.count("\n") + 1
    with open_rows(path) as source:
        assert (source.header_row, source.inferred_header) == (header_row, False)
        assert source.headers == CNIPA_HEADER.split(",")
        assert list(source) == [(header_row + 1, CNIPA_FIELDS), (header_row + 3, CNIPA_FIELDS)]  # the sheet's rows


def test_the_header_is_searched_in_the_first_thirty_rows_only(tmp_path: Path) -> None:
    titles = "".join(f"导出说明第{i}行\n" for i in range(30))
    path = write(tmp_path, "a.csv", f"{titles}{CNIPA_HEADER}\n{CNIPA_ROW}\n")
    with pytest.raises(FileRefused, match="没有申请号列，也没有公开号列。找到的表头：导出说明第0行"):
        open_rows(path)
    path = write(tmp_path, "b.csv", f"{titles[titles.index('导出说明第1行') :]}{CNIPA_HEADER}\n{CNIPA_ROW}\n")
    with open_rows(path) as source:
        assert source.header_row == 30
        assert list(source) == [(31, CNIPA_FIELDS)]


def test_tab_separated_header_below_a_title_with_commas(tmp_path: Path) -> None:
    text = f"检索式：TI=(稀土,永磁,电机)\n\n{CNIPA_HEADER.replace(',', chr(9))}\n{CNIPA_ROW.replace(',', chr(9))}\n"
    with open_rows(write(tmp_path, "a.txt", text)) as source:
        assert source.header_row == 3
        assert list(source) == [(4, CNIPA_FIELDS)]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_encodings_with_a_title_row(tmp_path: Path, encoding: str) -> None:
    # utf-16 writes a BOM; utf-16-le and -be do not and are recognised by where their NUL bytes fall.
    applicant = "内蒙古稀土研究院𠀀"  # 𠀀 takes four bytes in GB18030 and a surrogate pair in UTF-16
    text = f"专利检索结果（{encoding}）\n{CNIPA_HEADER}\n{CNIPA_ROW.replace('北京理工大学', applicant)}\n"
    path = write(tmp_path, "a.csv", text, encoding)
    with open_rows(path) as source:
        assert (source.header_row, source.headers) == (2, CNIPA_HEADER.split(","))
        assert list(source) == [(3, {**CNIPA_FIELDS, "applicants": applicant})]


def test_utf8_with_a_few_nul_bytes_is_not_taken_for_utf16(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"{CNIPA_HEADER}\n" + f"{CNIPA_ROW}\x00\n" * 3)
    with open_rows(path) as source:
        assert [fields["legal_status"] for _, fields in source] == ["授权"] * 3


def test_xlsx_title_rows_and_merged_cells_above_the_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["专利检索结果"])
    sheet.merge_cells("A1:G1")
    sheet.append(["检索式：申请人=(北京理工大学)", None, "导出时间：2024-05-06"])
    sheet.append([])
    sheet.append(CNIPA_HEADER.split(","))
    for _ in range(3):
        sheet.append([NO, datetime(2010, 2, 9), "CN101776111A", "一种软件漏洞检测方法", "北京理工大学",
                      "胡昌振、马锐", "授权"])  # fmt: skip
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    with open_rows(path) as source:
        assert source.header_row == 4
        iterator = iter(source)
        assert next(iterator) == (5, CNIPA_FIELDS)
        assert [row for row, _ in iterator] == [6, 7]
        assert source.bytes_read == source.total_bytes


# ---- legacy .xls ---------------------------------------------------------------------------------------


def make_xls(tmp_path: Path, rows: list[list[object]], name: str = "a.xls") -> Path:
    """A BIFF8 workbook as Excel 97-2003 writes it: the first row, when alone, merged across like a title."""
    import xlwt

    styles = {date: xlwt.easyxf(num_format_str="YYYY-MM-DD"), datetime: xlwt.easyxf(num_format_str="YYYY-MM-DD hh:mm")}
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("检索结果")
    for r, row in enumerate(rows):
        if r == 0 and len(row) == 1:
            sheet.write_merge(0, 0, 0, 6, row[0])
            continue
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value, styles.get(type(value), xlwt.Style.default_style))
    book.add_sheet("第二页").write(0, 0, 1)  # a number: the last string cell stays in the first sheet
    path = tmp_path / name
    book.save(str(path))
    return path


def test_xls_with_title_rows_dates_and_numbers(tmp_path: Path) -> None:
    path = make_xls(
        tmp_path,
        [
            ["专利检索结果"],
            ["检索式：申请人=(北京理工大学)"],
            [],
            ["申请号", "申请日", "公开日", "同族数量", "名称", "申请号(数字)"],
            [NO, date(2010, 2, 9), datetime(2011, 7, 20, 9, 30), 3.0, "一种方法", 201010110545.0],
            [NO, None, None, 2.5, "短行"],
            [None],
            [NO, date(2010, 2, 9)],
        ],
    )
    with open_rows(path) as source:
        assert (source.header_row, source.headers[0], source.inferred_header) == (4, "申请号", False)
        items = list(source)
        assert source.bytes_read == source.total_bytes
    assert items[0] == (
        5,
        {"application_no": NO, "application_date": "2010-02-09", "publication_date": "2011-07-20 09:30:00",
         "family_size": "3", "title": "一种方法", "extra:申请号(数字)": "201010110545"},
    )  # fmt: skip
    assert items[1] == (6, {"application_no": NO, "application_date": "", "publication_date": "", "family_size": "2.5",
                            "title": "短行"})  # fmt: skip
    assert [row for row, _ in items] == [5, 6, 8]
    assert source.superseded == {"申请号(数字)": "申请号"}  # names application_no too: the first wins, it is kept


def test_xls_number_cells_that_are_integers_lose_the_decimal_point(tmp_path: Path) -> None:
    path = make_xls(tmp_path, [["申请号", "名称", "同族数量"], [201010110545.0, "t", 7.0]])
    with open_rows(path) as source:
        assert list(source) == [(2, {"application_no": "201010110545", "title": "t", "family_size": "7"})]


def test_spreadsheets_are_read_by_content_not_by_name(tmp_path: Path) -> None:
    xls = make_xls(tmp_path, [["申请号", "名称"], [NO, "t"]], name="really-xls.xlsx")
    xlsx = make_xlsx(tmp_path, [["申请号", "名称"], [NO, "t"]], name="really-xlsx.xls")
    tsv = write(tmp_path, "really-tsv.xls", f"申请号\t名称\n{NO}\tt\n")  # what some systems save as .xls
    for path in (xls, xlsx, tsv):
        with open_rows(path) as source:
            assert list(source) == [(2, {"application_no": NO, "title": "t"})], path.name


def damaged_xls(tmp_path: Path, how: str) -> Path:
    data = make_xls(tmp_path, [["申请号", "名称"], *([NO, f"第{i}项"] for i in range(200))]).read_bytes()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "sectors zeroed":  # the sector chains then loop: calamine alone would allocate until killed
        data = data[:600] + bytes(len(data) - 600)
    elif (
        how == "cell coordinates damaged"
    ):  # calamine alone would ask for a dense sheet of 42,000 × 42,000 cells and abort
        label = b"\xfd\x00\x0a\x00"  # a LABELSST record: type, length, then row, column, format, string index
        first, last = data.index(label), data.rindex(label)
        data = data[: first + 7] + b"\xa4" + data[first + 8 : last + 5] + b"\xa4" + data[last + 6 :]
    path = tmp_path / "damaged.xls"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["truncated", "sectors zeroed", "cell coordinates damaged"])
def test_damaged_xls_is_refused_without_taking_the_process_down(tmp_path: Path, how: str) -> None:
    with pytest.raises(FileRefused, match=r"\.xls 文件已损坏或不是 Excel 工作簿"):
        open_rows(damaged_xls(tmp_path, how))


def test_empty_xls_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="文件为空"):
        open_rows(make_xls(tmp_path, []))


# ---- files without a header ----------------------------------------------------------------------------

HEADERLESS = (
    "20100209,ZL 201010110545.X,北京理工大学,一种结合指针分析的软件安全漏洞动态检测方法,胡昌振、王崑声、曲洋,授权\n"
    '20110929,ZL 201110294120.3,"北京理工大学\n公安部第三研究所",由信誉评估上升到信任管理的跨域访问控制策略生成方法,'
    "王勇、金波,授权\n"
    "\n"
    "20130826,ZL 201310376205.4,内蒙古包钢稀土有限公司,基于语义扩展的海量短文本信息过滤方法,刘振岩,申请\n"
    "20140505,ZL 201410187474.1,北京理工大学,一种稀土永磁材料及其制备方法,王勇、康颖,授权\n"
    "20150101,ZL 201510000001.0,内蒙古大学,一种风电叶片检测装置,李明;张伟,失效\n"
)  # the third number carries a typo in its check digit, as real lists do


def test_headerless_list_gets_headers_from_its_content(tmp_path: Path) -> None:
    with open_rows(write(tmp_path, "list.csv", HEADERLESS)) as source:
        assert source.inferred_header is True
        assert source.header_row == 0
        assert source.headers == ["申请日", "申请号", "申请人", "名称", "发明人", "法律状态"]
        items = list(source)
    assert [row for row, _ in items] == [1, 2, 4, 5, 6]  # records as a spreadsheet numbers them
    assert items[0] == (1, {"application_date": "20100209", "application_no": "ZL 201010110545.X",
                            "applicants": "北京理工大学", "title": "一种结合指针分析的软件安全漏洞动态检测方法",
                            "inventors": "胡昌振、王崑声、曲洋", "legal_status": "授权"})  # fmt: skip
    assert items[1][1]["applicants"] == "北京理工大学\n公安部第三研究所"


def test_headerless_columns_in_another_order_with_publication_numbers(tmp_path: Path) -> None:
    rows = [
        ["一种稀土永磁材料及其制备方法", "王勇、康颖", "CN104347214A", NO, "包头稀土研究院", "2015-02-11",
         date(2014, 8, 5)],
        ["一种风电叶片检测装置", "李明", "CN105000001B", "201410187474.1", "张伟", "2015-07-01", date(2014, 5, 5)],
        ["一种光伏组件清洗机器人", "赵磊、孙强、周杰", "CN106000002A", "201510000001.0", "内蒙古大学", "2016-01-01",
         date(2015, 1, 1)],
    ]  # fmt: skip
    path = make_xlsx(tmp_path, rows)
    with open_rows(path) as source:
        assert source.headers == ["名称", "发明人", "公开号", "申请号", "申请人", "申请日", "公开日"]
        assert [row for row, _ in source] == [1, 2, 3]


def test_headerless_list_of_publication_numbers_only(tmp_path: Path) -> None:
    text = "CN108982325A,地下防污屏障材料化学相容性测试装置及方法,浙江大学\nCN109000001B,一种复合材料,包头钢铁集团\n"
    with open_rows(write(tmp_path, "a.csv", text), require_application_no=False) as source:
        assert (source.inferred_header, source.headers) == (True, ["公开号", "名称", "申请人"])
        assert next(iter(source)) == (1, {"publication_no": "CN108982325A", "applicants": "浙江大学",
                                          "title": "地下防污屏障材料化学相容性测试装置及方法"})  # fmt: skip


def test_people_as_applicants_beside_their_inventors(tmp_path: Path) -> None:
    text = f"{NO},张伟,一种蒙药制剂的制备方法,张伟、李娜、王芳\n201410187474.1,李强,一种奶酪加工设备,李强、赵敏\n"
    with open_rows(write(tmp_path, "a.csv", text)) as source:
        assert source.headers == ["申请号", "申请人", "名称", "发明人"]


def test_unrecognised_columns_of_a_headerless_file_are_numbered(tmp_path: Path) -> None:
    text = f"{NO},一种稀土永磁材料,G06F 21/57\n201410187474.1,一种风电叶片,H02K 1/02\n"
    with open_rows(write(tmp_path, "a.csv", text)) as source:
        assert source.headers == ["申请号", "名称", "第3列"]
        assert "第3列" not in source.mapping


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


def test_looking_for_the_header_reads_a_bounded_head(tmp_path: Path) -> None:
    body = "".join(f"{NO},名称{i},{'x' * 900_000}\n" for i in range(20))
    path = write(tmp_path, "a.csv", "申请号,名称,摘要\n" + body)
    with open_rows(path) as source:
        assert source.bytes_read < 6_000_000 < source.total_bytes / 2  # about 4 MB, not 50 rows of 900 KB
        assert sum(1 for _ in source) == 20


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


def test_headerless_file_without_a_column_of_numbers_is_told_it_needs_a_header(tmp_path: Path) -> None:
    # The first row holds a number, but the column does not: too unsure to name the columns.
    text = "20100209,ZL 201010110545.X,北京理工大学,一种方法\n20100730,见附件,北京理工大学,另一种方法\n"
    path = write(tmp_path, "a.csv", text)
    with pytest.raises(FileRefused, match="第一行看起来是数据"):
        open_rows(path)


@pytest.mark.parametrize(("name", "message"), [("a.xlsx", "不是有效的 XLSX"), ("a.jsonl", "不是有效的 JSONL"),
                                               ("a.csv", "二进制"), ("a.xls", "不是有效的 Excel（.xls）")])  # fmt: skip
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
