"""Patent import through the database on SQLite and PostgreSQL: counts, the rejected-row report, upserts,
re-runs without duplicates, refused files, and the search index following the database even when an import
fails halfway."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.patents import importer
from ipoc.patents.models import Applicant, LegalEvent, Patent
from ipoc.patents.numbers import check_char
from ipoc.search import index_sync
from ipoc.search import service as search
from ipoc.search.schemas import SearchRequest
from tests.factories import number
from tests.import_files import HEADER, counts, good_row, report_rows, run_import, write_csv


def patent_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(Patent.id))) or 0


def lexical_total(query: str) -> int:
    with session_scope() as session:
        return search.search(session, SearchRequest(q=query, mode="lexical")).total


MIXED_ROWS = [
    good_row(1),  # 1
    good_row(2, "风电机组叶片的除冰装置"),  # 2
    good_row(3, 主分类号="H01F1/05X"),  # 3 kept, IPC flagged
    good_row(4, 申请号=""),  # 4 no number
    good_row(5, 申请号="202110000005.0"),  # 5 wrong check character (the right one is not 0)
    good_row(6, 发明名称=""),  # 6 no title
    good_row(7, 申请日="2021-02-30"),  # 7 impossible date
    good_row(1, "与第一行内容不同的标题"),  # 8 duplicate number, other content
    good_row(2, "风电机组叶片的除冰装置"),  # 9 identical repeat of row 2: harmless
]


def test_import_counts_report_and_rerun(instance, tmp_path):
    assert check_char("2021100000050"[:12]) != "0"
    source = write_csv(tmp_path / "mixed.csv", MIXED_ROWS)
    report = tmp_path / "report.csv"

    first = counts(run_import(source, "--report", str(report)))
    assert (first["imported"], first["updated"], first["rejected"]) == (3, 0, 5)

    rows = report_rows(report)
    assert list(rows[0]) == ["行号", "字段", "原因", "原值", *HEADER]  # then the row's own cells
    by_row = {}
    for row in rows:
        by_row.setdefault(int(row["行号"]), []).append(row)
    # 行号 is the spreadsheet's row: the header is row 1, so the file's n-th data row is row n + 1
    assert sorted(by_row) == [4, 5, 6, 7, 8, 9]  # 4 is the IPC warning of a kept row
    assert by_row[6][0]["字段"] == "申请号" and "校验位" in by_row[6][0]["原因"]
    assert by_row[7][0]["字段"] == "发明名称"
    assert by_row[8][0]["字段"] == "申请日" and by_row[8][0]["原值"] == "2021-02-30"
    assert "第 2 行" in by_row[9][0]["原因"]
    assert by_row[4][0]["字段"] == "主分类号"
    for row_no, (reported,) in ((n, by_row[n]) for n in (4, 6, 7, 8, 9)):
        assert {h: reported[h] for h in HEADER} == MIXED_ROWS[row_no - 2], "the original row, cell for cell"

    with session_scope() as session:
        kept = session.scalar(select(Patent).where(Patent.application_no == number(3)))
        assert kept.ipc_invalid == ["H01F1/05X"]
        first_row = session.scalar(select(Patent).where(Patent.application_no == number(1)))
        assert first_row.title == "一种稀土永磁材料的制备方法"  # the first of two conflicting rows stays
        assert first_row.region.name == "包头市"
        assert {a.name for a in first_row.applicants} == {"包头稀土研究院", "内蒙古大学"}
        assert session.scalar(select(func.count(Applicant.id))) == 2

    again = counts(run_import(source))
    assert (again["imported"], again["updated"]) == (0, 0)
    assert again["unchanged"] == 4  # three rows, plus the identical repeat
    assert patent_count() == 3
    assert lexical_total("稀土") == 2


def test_the_xlsx_report_shows_each_cell_as_written_on_its_spreadsheet_row(instance, tmp_path):
    """The report a person double-clicks: row numbers as numbers, the header bold, frozen and filtered, and cells
    that start like a formula shown as written (no quote added) and never run."""
    from openpyxl import load_workbook

    hostile = good_row(2, '=HYPERLINK("http://x","点我")', 申请号="202110000005.0", 摘要="-40℃低温环境下的电池")
    source = write_csv(tmp_path / "in.csv", [good_row(1), hostile])
    report = tmp_path / "report.xlsx"
    assert counts(run_import(source, "--report", str(report)))["rejected"] == 1

    sheet = load_workbook(report).active
    assert sheet["A1"].value.startswith("导入错误报告（筛选：文件=in.csv；导出时间：")
    header = [c.value for c in sheet[2]]
    assert header == ["行号", "字段", "原因", "原值", *HEADER]
    assert all(c.font.bold for c in sheet[2]) and sheet.freeze_panes == "A3" and sheet.auto_filter.ref
    line = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert line["行号"].value == 3 and line["原因"].value == "申请号校验位错误"  # the input's second data row
    assert line["发明名称"].value == hostile["发明名称"] and line["发明名称"].data_type == "s"
    assert line["摘要"].value == "-40℃低温环境下的电池"


def test_changed_rows_update_record_and_index(instance, tmp_path):
    counts(run_import(write_csv(tmp_path / "a.csv", [good_row(1), good_row(2)])))
    assert lexical_total("TI=除冰") == 0

    changed = counts(run_import(write_csv(tmp_path / "b.csv", [good_row(1, "风电叶片除冰系统"), good_row(2)])))
    assert (changed["imported"], changed["updated"], changed["unchanged"]) == (0, 1, 1)
    assert lexical_total("TI=除冰") == 1
    assert lexical_total("TI=永磁") == 1  # the old title of patent 1 no longer matches
    assert patent_count() == 2


def test_legal_events_from_an_export_are_replaced_on_update(instance, tmp_path):
    header = ["申请号", "发明名称", "法律状态", "授权公告日"]
    path = tmp_path / "events.csv"
    path.write_text(f"{','.join(header)}\n{number(9)},一种储氢合金,有效,2022-05-06\n", encoding="utf-8")
    counts(run_import(path))
    with session_scope() as session:
        patent = session.scalar(select(Patent).where(Patent.application_no == number(9)))
        assert patent.status_class == "valid"
        assert patent.grant_date.isoformat() == "2022-05-06"
        manual = LegalEvent(patent_id=patent.id, kind="pledge", detail={"pledgee": "某银行"}, source="manual")
        session.add(manual)
    path.write_text(f"{','.join(header)}\n{number(9)},一种储氢合金,失效,2022-05-06\n", encoding="utf-8")
    counts(run_import(path))
    with session_scope() as session:
        patent = session.scalar(select(Patent).where(Patent.application_no == number(9)))
        assert patent.status_class == "lapsed"
        assert [e.source for e in patent.events if e.kind == "pledge"] == ["manual"]  # hand-entered facts survive


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "empty.csv", "空"),
        ("标题,作者\n一种方法,张三\n".encode(), "nocolumn.csv", "申请号"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "picture.xlsx", ""),
    ],
)
def test_unreadable_files_are_refused_whole(instance, tmp_path, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_import(path)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "文件无法导入" in result.stderr and expected in result.stderr
    assert patent_count() == 0


def test_gbk_export_imports(instance, tmp_path):
    source = write_csv(tmp_path / "gbk.csv", [good_row(11), good_row(12, "乳清蛋白的提取工艺")], encoding="gbk")
    assert counts(run_import(source))["imported"] == 2
    assert lexical_total("乳清蛋白") == 1


def test_failed_import_leaves_database_and_index_consistent(instance, tmp_path, monkeypatch):
    """A crash in the middle keeps the batches already committed, the index catches up with exactly those,
    and a re-run completes the file without duplicates."""
    rows = [good_row(i, f"稀土抛光粉第{i}号配方") for i in range(1, 31)]
    source = write_csv(tmp_path / "big.csv", rows)
    real_parse = importer.parse_row

    def crash_at_row_25(row_no, raw, headers, **options):
        if row_no == 25:
            raise RuntimeError("power cut")
        return real_parse(row_no, raw, headers, **options)

    monkeypatch.setattr(importer, "parse_row", crash_at_row_25)
    monkeypatch.setattr(importer, "BATCH_SIZE", 10)
    monkeypatch.setattr(index_sync.LexicalIndex, "commit", _failing_commit)
    result = run_import(source)
    assert result.exit_code != 0
    assert patent_count() == 20  # two whole batches of ten, nothing of the third

    monkeypatch.undo()
    with session_scope() as session:
        status = index_sync.status(session)
        assert status.stale and status.index_rev < status.db_rev
    with session_scope() as session:  # a search never writes the index: it answers from it and says it lags
        answer = search.search(session, SearchRequest(q="抛光粉", mode="lexical"))
        assert (answer.total, answer.stale) == (0, True) and "正在追平" in answer.notice
    assert index_sync.wait_until_current(10)  # what the writer's follower does within a second
    assert lexical_total("抛光粉") == 20
    with session_scope() as session:
        assert not index_sync.status(session).stale

    rerun = counts(run_import(source))
    assert (rerun["imported"], rerun["unchanged"]) == (10, 20)
    assert patent_count() == 30
    assert lexical_total("抛光粉") == 30


def _failing_commit(self, meta):
    raise OSError("disk full while committing the index")


def test_rebuild_restores_a_lost_index(instance, tmp_path):
    counts(run_import(write_csv(tmp_path / "a.csv", [good_row(i) for i in range(1, 6)])))
    index_dir = instance.resolved_data_dir / "index" / "lexical"
    index_sync.forget_handles()
    for child in index_dir.iterdir():
        child.unlink()
    result = CliRunner().invoke(cli, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "5 篇专利" in result.stdout
    assert lexical_total("稀土") == 5


def test_large_files_are_indexed_by_a_second_process(instance, tmp_path, monkeypatch):
    """Above a size threshold a child process of the index writer indexes beside the import; the result is the
    same index."""
    monkeypatch.setattr(index_sync, "PARALLEL_INDEX_MIN_BYTES", 0)
    source = write_csv(tmp_path / "many.csv", [good_row(i, f"羊绒分梳工艺第{i}种") for i in range(1, 41)])
    assert counts(run_import(source))["imported"] == 40
    with session_scope() as session:
        status = index_sync.status(session)
        assert (status.documents, status.stale) == (40, False)
    assert lexical_total("羊绒") == 40


def test_an_instance_adds_its_own_export_headers_without_code(instance, tmp_path):
    source = tmp_path / "own.csv"
    source.write_text(f"本单位申请编号,本单位专利名称\n{number(77)},一种马铃薯种薯脱毒方法\n", encoding="utf-8")
    assert "申请号" in run_import(source).stderr  # unknown headers: refused, saying which column is missing

    synonyms = instance.resolved_data_dir / "header-synonyms.toml"
    synonyms.write_text('application_no = ["本单位申请编号"]\ntitle = ["本单位专利名称"]\n', encoding="utf-8")
    assert counts(run_import(source))["imported"] == 1

    synonyms.write_text('no_such_field = ["x"]\n', encoding="utf-8")
    broken = run_import(source)
    assert broken.exit_code == 2 and "no_such_field" in broken.stderr


def test_a_failing_report_never_hides_why_the_import_stopped(tmp_path, monkeypatch):
    """The report of an interrupted import is written on the way out; should that fail too, the import's own
    error is what the caller sees."""

    source = SimpleNamespace(headers=["申请号"], path=tmp_path / "x.csv")

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(importer, "_write_report", broken)
    with pytest.raises(ValueError, match="the import's own error"), importer._report_file(tmp_path / "r.csv", source):
        raise ValueError("the import's own error")
    assert not (tmp_path / "r.lines").exists()
