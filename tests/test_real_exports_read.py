"""Every real export in the shared data read as it is: row counts, header rows and the key fields mapped.

The reading layer only (open_rows with require_application_no=False): which files an import then accepts, and under
which identity, is the importer's business.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipoc.patents.numbers import is_valid_application_no
from ipoc.patents.reading import RowSource, open_rows
from ipoc.patents.records import RowIssue
from tests.real_exports import GOOGLE, SHARED, TITLE_ROWS, save_csv, save_xls, save_xlsx, sixty_column_table

pytestmark = pytest.mark.skipif(
    not SHARED.exists(), reason=f"real sample data absent ({SHARED}); it lives outside the repository"
)

Rows = list[tuple[int, dict[str, str]]]


def read(path: Path) -> tuple[RowSource, Rows]:
    """All rows of a file, which must read without a single row issue and to its last byte."""
    with open_rows(path, require_application_no=False) as source:
        items = list(source)
        assert source.bytes_read == source.total_bytes
    assert [item for item in items if isinstance(item, RowIssue)] == []
    return source, items


def test_headerless_cn_patent_list_gets_its_columns_named() -> None:
    source, rows = read(SHARED / "cn-patent-list" / "patents-no-header.csv")
    assert (source.inferred_header, source.header_row) == (True, 0)
    assert source.headers == ["申请日", "申请号", "申请人", "名称", "发明人", "法律状态"]
    # 145 lines, 126 records: some applicant cells hold two organisations on two lines.
    assert [row for row, _ in rows] == list(range(1, 127))
    assert rows[0] == (1, {"application_date": "20100209", "application_no": "ZL 201010110545.X",
                           "applicants": "北京理工大学", "title": "一种结合指针分析的软件安全漏洞动态检测方法",
                           "inventors": "胡昌振、王崑声、曲洋、马锐、薛静锋", "legal_status": "授权"})  # fmt: skip
    fields = [fields for _, fields in rows]
    assert sum(is_valid_application_no(f["application_no"]) for f in fields) == 124  # two carry typos
    assert {f["legal_status"] for f in fields} == {"授权", "申请"}
    assert all(re.fullmatch(r"20\d{6}", f["application_date"]) for f in fields)
    assert sum("、" in f["inventors"] for f in fields) == 123


def test_cnki_export() -> None:
    source, rows = read(SHARED / "cn-cnki-export" / "cnki-material-chemistry.xlsx")
    assert (source.header_row, source.inferred_header, len(rows)) == (1, False, 33)
    assert {"title", "inventors", "applicants", "application_date", "abstract", "claims", "link"} <= set(
        source.headers_by_field
    )
    assert rows[0][0] == 2
    assert rows[0][1]["title"] == "地下防污屏障材料化学相容性测试装置及方法"
    assert all(re.search(r"filename=CN\d{9}[A-Z]", fields["link"]) for _, fields in rows)  # its publication number


def test_every_google_export_is_listed_here() -> None:
    assert sorted(path.name for path in (SHARED / "google-patents-exports").glob("*.csv")) == sorted(GOOGLE)


@pytest.mark.parametrize("name", sorted(GOOGLE))
def test_google_patents_export(name: str) -> None:
    source, rows = read(SHARED / "google-patents-exports" / name)
    header_row, count = GOOGLE[name]
    assert (source.header_row, len(rows), rows[0][0]) == (header_row, count, header_row + 1)
    for field in ("record_id", "title", "applicants", "inventors", "application_date", "link"):
        assert field in source.headers_by_field, field
    assert all(re.fullmatch(r"[A-Z]{2}-\w+-[A-Z]\d?", fields["record_id"]) for _, fields in rows)  # a publication no.
    assert all(fields["link"].startswith("https://patents.google.com/patent/") for _, fields in rows)


@pytest.mark.parametrize("name", ["sample_test.csv", "sample_train.csv", "sample_val.csv"])
def test_cpc_samples(name: str) -> None:
    source, rows = read(SHARED / "cn-cpc-samples" / "data" / name)
    assert (source.header_row, len(rows)) == (1, 19)
    assert source.headers_by_field["publication_no"] == "publication_number"
    assert all(re.fullmatch(r"CN\d{9}[AB]", fields["publication_no"]) for _, fields in rows)


@pytest.mark.parametrize(("name", "count"), [("patents.jsonl", 4097), ("gold-labelled.jsonl", 958)])
def test_ccf2022_jsonl(name: str, count: int) -> None:
    _, rows = read(SHARED / "cn-patents-ccf2022" / name)
    assert len(rows) == count
    assert [row for row, _ in rows[:3]] == [1, 2, 3]  # line numbers
    assert all(fields["title"] and fields["applicants"] and fields["abstract"] for _, fields in rows)


def test_taiwan_patent_nodes() -> None:
    source, rows = read(SHARED / "tw-patents" / "node" / "patent.csv")
    assert (source.headers_by_field, len(rows)) == ({"title": "title", "record_id": "uuid"}, 8665)
    assert rows[0] == (2, {"title": "新型ＣＲＩＳＰＲ酶以及系統", "record_id": "21db563b-5b9f-42a6-a167-f64ba356a4f8"})


# ---- the 60-column commercial export, as the CSV, XLSX and XLS a person would save it ----------------


@pytest.mark.parametrize("save", [save_csv, save_xlsx, save_xls], ids=["csv", "xlsx", "xls"])
def test_sixty_column_export_below_title_rows(tmp_path: Path, save) -> None:
    columns, records = sixty_column_table()
    assert (len(columns), len(records)) == (61, 10)
    path = save(tmp_path / f"export.{save.__name__[5:]}", [*TITLE_ROWS, columns, *records])
    source, rows = read(path)
    assert source.header_row == 4
    assert [row for row, _ in rows] == list(range(5, 15))
    for field in ("application_no", "application_date", "publication_no", "grant_no", "kind", "title",
                  "abstract", "first_claim", "applicants", "inventors", "ipc_main", "province", "applicant_type",
                  "legal_status", "legal_events", "family_size", "transfer_date"):  # fmt: skip
        assert field in source.headers_by_field, field
    assert all(is_valid_application_no(fields["application_no"]) for _, fields in rows)
    first = rows[0][1]
    assert first["application_no"] == "CN202223220665.2"
    assert first["application_date"] == "20221202"  # kept as written: parsing reads the dates
    assert first["first_claim"].startswith("1.一种无人机机载多功能盒")
