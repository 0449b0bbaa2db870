"""The patent pages over real HTTP on SQLite and PostgreSQL: search with facets, snippets and syntax errors, a
patent's record, upload import with its progress page and report, exports, saved searches, the dictionary
and the industry databases."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from ipoc.auth.roles import Role
from ipoc.web.export import XLSX
from tests.conftest import login, make_user, post_form
from tests.exported import assert_office_ready, table, title
from tests.factories import number
from tests.graph_sets import numberless, write_graph, zipped
from tests.import_files import counts, run_import
from tests.patent_corpus import CORPUS, FORMULA, row, write_csv
from tests.vectors_held import leave_embedding_undone
from tests.web_import import count_of, upload, wait_for_job


@pytest.fixture
def corpus(instance, tmp_path, monkeypatch):
    leave_embedding_undone(monkeypatch)  # these pages are looked at before any vector exists
    result = counts(run_import(write_csv(tmp_path / "corpus.csv", CORPUS)))
    assert result["imported"] == len(CORPUS), result
    return instance


@pytest.fixture
def admin(client, session):
    make_user(session, "regionadmin", Role.REGION_ADMIN)
    login(client, "regionadmin")
    return client


def result_count(page: str) -> int:
    match = re.search(r'data-testid="result-count">共 <strong>(\d+)</strong>', page)
    assert match, "no result count on the page"
    return int(match.group(1))


# --- search -----------------------------------------------------------------------------------------------


def test_search_page_shows_highlighted_hits_and_facets_and_escapes_titles(corpus, client):
    page = client.get("/patents/search", params={"q": "稀土", "mode": "lexical"})
    assert page.status_code == 200
    assert result_count(page.text) == 4
    assert "<mark>稀土</mark>" in page.text
    assert "关键词排名 #1" in page.text
    for label in ("专利类型", "法律状态", "申请年", "IPC 小类", "申请人", "盟市"):
        assert f'<h2 class="h6 mb-1">{label}</h2>' in page.text, label
    assert 'data-value="包头市"' in page.text
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "保存检索" not in page.text, "anonymous visitors cannot save or export"


def test_hybrid_without_vectors_says_it_answers_lexically(corpus, client):
    page = client.get("/patents/search", params={"q": "风电叶片"})
    assert page.status_code == 200
    notice = re.search(r'data-testid="search-notice">([^<]+)<', page.text)
    assert notice and "语义向量" in notice.group(1)
    assert result_count(page.text) == 1


def test_syntax_error_is_shown_next_to_the_box_with_422(corpus, client):
    page = client.get("/patents/search", params={"q": "TI=(稀土 永磁", "mode": "lexical"})
    assert page.status_code == 422
    error = re.search(r'data-testid="query-error">([^<]+)<', page.text)
    assert error and "括号" in error.group(1)
    assert 'value="TI=(稀土 永磁"' in page.text, "the query stays in the box to be corrected"
    assert client.get("/patents/search", params={"mode": "magic"}).status_code == 422


def test_facet_link_narrows_and_is_bookmarkable(corpus, client):
    page = client.get("/patents/search", params={"q": "稀土", "mode": "lexical"}).text
    link = re.search(r'href="([^"]+)"\s+data-value="utility_model"', page)
    assert link, "the kind facet offers utility models"
    narrowed = client.get(html.unescape(link.group(1)))
    assert narrowed.status_code == 200
    assert result_count(narrowed.text) == 2
    assert 'data-value="utility_model" aria-pressed="true"' in narrowed.text
    again = re.search(r'href="([^"]+)"\s+data-value="utility_model"', narrowed.text)
    assert again and result_count(client.get(html.unescape(again.group(1))).text) == 4, "a second click removes it"
    paged = client.get("/patents/search", params={"mode": "lexical", "sort": "date_asc", "page": 2}).text
    assert result_count(paged) == len(CORPUS)


# --- one patent -------------------------------------------------------------------------------------------


def test_patent_page_shows_every_field_and_events(corpus, client):
    response = client.get(f"/patents/ZL{number(1).replace('.', '')}")
    assert response.status_code == 307 and response.headers["location"] == f"/patents/{number(1)}"
    page = client.get(response.headers["location"]).text
    assert 'data-testid="patent-title">一种稀土永磁材料的制备方法<' in page
    assert "包头稀土研究院" in page and "科研院所" in page
    assert 'data-testid="region">包头市<' in page
    assert "Z99Q 1/00（格式无效）" in page
    assert '<mark class="first-claim"' in page
    events = page[page.index('data-testid="events"') :]
    assert "许可" in events and "独占许可" in events and "包头永磁科技有限公司" in events
    assert "质押" in events and "质权人：中国银行包头分行" in events
    assert "pledgee" not in events and "licensee" not in events, "event details read by their Chinese names"
    assert "语义向量尚未计算" in page


def test_unknown_or_impossible_numbers_are_404_pages(corpus, client):
    for wrong in (number(999), "not-a-number"):
        page = client.get(f"/patents/{wrong}")
        assert page.status_code == 404, wrong
        assert "专利不存在" in page.text


# --- import -----------------------------------------------------------------------------------------------


def test_staff_upload_runs_the_import_and_shows_counts_and_report(admin, tmp_path):
    rows = [*CORPUS[:2], row(6, "坏的申请号", 申请号="202110000006.0"), row(7, "不存在的日期", 申请日="2021-02-30")]
    response = upload(admin, "导出.csv", write_csv(tmp_path / "in.csv", rows).read_bytes())
    assert response.status_code == 303, response.text
    job_url = response.headers["location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    assert 'hx-get="' in admin.get(job_url).text
    done = wait_for_job(admin, job_url)
    assert "已完成" in done
    assert count_of(done, "imported") == 2 and count_of(done, "rejected") == 2 and count_of(done, "warnings") == 1
    report_url = re.search(r'href="([^"]+)" data-testid="report-link"', done).group(1)
    report = admin.get(report_url)
    assert report.status_code == 200 and report.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(report.content)).active
    reasons = {(r[0], r[2]) for r in sheet.iter_rows(min_row=3, values_only=True)}  # under the title and header
    assert reasons >= {(4, "申请号校验位错误"), (5, "日期不存在：2021-02-30")}  # the spreadsheet's rows
    csv_url = re.search(r'href="([^"]+)" data-testid="report-csv-link"', done).group(1)
    lines = list(csv.DictReader(io.StringIO(admin.get(csv_url).content.decode("utf-8-sig"))))
    assert {(r["行号"], r["原因"]) for r in lines} >= {("4", "申请号校验位错误"), ("5", "日期不存在：2021-02-30")}

    again = wait_for_job(admin, upload(admin, "again.csv", (tmp_path / "in.csv").read_bytes()).headers["location"])
    assert count_of(again, "imported") == 0 and count_of(again, "unchanged") == 2


def test_refused_uploads_say_why(admin, monkeypatch):
    wrong_type = upload(admin, "notes.pdf", b"%PDF-1.4")
    assert wrong_type.status_code == 422
    assert 'data-field="file">只接受 CSV、XLSX、XLS、JSONL 或 ZIP（图格式专利集）文件<' in wrong_type.text
    monkeypatch.setattr("ipoc.patents.service.MAX_UPLOAD", 1 << 20)
    too_big = upload(admin, "big.csv", b"x" * ((1 << 20) + 1))
    assert too_big.status_code == 422 and 'data-field="file">文件超过 1 MB 上限<' in too_big.text
    empty = upload(admin, "empty.csv", b"")
    assert empty.status_code == 422 and "文件为空" in empty.text
    no_number = wait_for_job(admin, upload(admin, "x.csv", "名称,作者\n甲,乙\n".encode()).headers["location"])
    failure = re.search(r'data-testid="job-failure">([^<]+)<', no_number)
    assert failure and "文件无法导入" in failure.group(1) and "申请号" in failure.group(1)


def test_only_staff_reach_the_import(client, session):
    assert client.get("/patents/import").headers["location"].startswith("/login")
    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    login(client, "officer")
    assert client.get("/patents/import").status_code == 403
    assert upload(client, "a.csv", b"x").status_code == 403
    assert client.get("/search/dictionary").status_code == 403
    assert client.get("/industry-databases/new").status_code == 403


# --- export, saved searches -------------------------------------------------------------------------------


def test_export_job_gives_a_formula_safe_xlsx(corpus, admin):
    response = post_form(admin, "/patents/exports", {"q": "稀土", "mode": "lexical", "format": "xlsx"})
    assert response.status_code == 303
    done = wait_for_job(admin, response.headers["location"])
    link = re.search(r'href="([^"]+)" data-testid="download-link"', done)
    assert link, done
    file = admin.get(link.group(1))
    assert file.status_code == 200
    sheet = load_workbook(io.BytesIO(file.content)).active
    rows = table(file)
    assert rows[0][0] == "申请号" and len(rows) == 1 + 4 and "检索式=稀土" in title(file)
    cells = [c for r in sheet.iter_rows() for c in r]
    assert all(c.data_type != "f" for c in cells), "no cell is a formula"
    titles = {r[4] for r in rows[1:]}
    assert FORMULA in titles, "stored as text, which Excel never runs: no visible quote"
    assert "=SUM(A1:A9)*10" in {r[9] for r in rows[1:]}
    assert_office_ready(file, "专利检索结果")
    assert post_form(admin, "/patents/exports", {"q": "TI=(", "format": "xlsx"}).status_code == 422


def test_saved_search_learns_of_a_later_import(corpus, app, client, session, tmp_path):
    make_user(session, "regionadmin", Role.REGION_ADMIN)
    make_user(session, "watcher", Role.BUREAU_OFFICER, "包头市")
    login(client, "watcher")
    created = post_form(client, "/search/saved", {"name": "储氢合金", "q": "储氢"})
    assert created.status_code == 303
    assert "还没有保存的检索" not in client.get("/search/saved").text
    assert post_form(client, "/search/saved", {"name": "", "q": "储氢"}).status_code == 422
    assert post_form(client, "/search/saved", {"name": "坏", "q": "TI=("}).status_code == 422

    with TestClient(app, follow_redirects=False) as staff:
        login(staff, "regionadmin")
        later = write_csv(tmp_path / "later.csv", [row(50, "一种镁基储氢合金"), row(51, "奶粉罐")])
        job_url = upload(staff, "later.csv", later.read_bytes()).headers["location"]
        wait_for_job(staff, job_url)
    assert client.get(job_url).status_code == 404, "another user's job is not even shown to exist"

    listing = client.get("/search/saved").text
    assert re.search(r'data-testid="saved-unread">1<', listing), "the navigation shows one new match"
    link = re.search(r'href="(/search/saved/\d+)" data-testid="new-count">1 件新专利', listing)
    assert link
    fresh = client.get(link.group(1)).text
    assert number(50) in fresh and number(51) not in fresh
    assert 'data-testid="saved-unread"' not in client.get("/search/saved").text, "reading clears the reminder"


# --- dictionary, index, industry databases ----------------------------------------------------------------


def test_dictionary_terms_and_index_rebuild(corpus, admin):
    page = admin.get("/search/dictionary")
    assert page.status_code == 200 and 'data-testid="missing-passages">5<' in page.text
    assert post_form(admin, "/search/dictionary", {"term": "抛光粉回收", "note": "稀土"}).status_code == 303
    page = admin.get("/search/dictionary").text
    assert "<td>抛光粉回收</td>" in page and "领域词典已修改，重建索引后生效" in page
    duplicate = post_form(admin, "/search/dictionary", {"term": "抛光粉回收"})
    assert duplicate.status_code == 422 and 'data-field="term">该词条已存在<' in duplicate.text
    spaced = post_form(admin, "/search/dictionary", {"term": "稀土 永磁"})
    assert spaced.status_code == 422 and "不能包含空格" in spaced.text

    rebuilt = wait_for_job(admin, post_form(admin, "/search/index/rebuild", {}).headers["location"])
    assert "索引已重建：<strong>5</strong> 篇文档" in rebuilt
    assert "领域词典已修改" not in admin.get("/search/dictionary").text


def test_industry_database_form_and_search_within_it(corpus, admin, client):
    bad = post_form(admin, "/industry-databases", {"name": "稀", "industry_id": "1", "ipc_prefixes": "H01F；xx9"})
    assert bad.status_code == 422
    assert 'data-field="name">至少 2 个字符<' in bad.text
    bad = post_form(admin, "/industry-databases", {"name": "稀土永磁库", "industry_id": "1", "ipc_prefixes": "xx9"})
    assert bad.status_code == 422 and 'data-field="ipc_prefixes">IPC 前缀格式不正确：xx9<' in bad.text
    made = post_form(admin, "/industry-databases", {"name": "稀土永磁库", "industry_id": "1", "ipc_prefixes": "H01F"})
    assert made.status_code == 303
    listing = admin.get("/industry-databases").text
    database_id = re.search(r'href="/patents/search\?database_id=(\d+)">检索库内专利', listing).group(1)
    within = admin.get("/patents/search", params={"mode": "lexical", "database_id": database_id}).text
    assert result_count(within) == 4, "the wind-power patent (F03D) is outside the database"
    assert "稀土永磁库" in admin.get(f"/patents/{number(1)}").text
    edited = post_form(
        admin, f"/industry-databases/{database_id}", {"name": "稀土永磁库", "industry_id": "1", "keywords": "叶片"}
    )
    assert edited.status_code == 303
    within = admin.get("/patents/search", params={"mode": "lexical", "database_id": database_id}).text
    assert result_count(within) == 1


def test_a_record_without_a_number_shows_as_such_and_a_graph_zip_uploads(admin, tmp_path):
    """Through the real upload: the ZIP of a graph set is imported; its record's page says 无专利号 with its
    来源编号 and offers no rights forms, and the API says the same."""
    archive = zipped(write_graph(tmp_path / "graph"), tmp_path / "graph.zip")
    response = upload(admin, "graph.zip", archive.read_bytes())
    assert response.status_code == 303, response.text
    done = wait_for_job(admin, response.headers["location"])
    assert count_of(done, "imported") == 2 and count_of(done, "rejected") == 0
    record = numberless("新型酶以及系統")
    page = admin.get(f"/patents/{record.application_no}")
    assert page.status_code == 200
    assert 'data-testid="numberless"' in page.text and "21db563b-5b9f-42a6-a167-f64ba356a4f8" in page.text
    assert 'data-testid="application-no"' not in page.text and 'data-testid="rights-numberless"' in page.text
    out = admin.get(f"/api/v1/patents/{record.application_no}").json()
    assert (out["number_label"], out["source_id"], out["office"]) == ("无专利号", record.source_id, "TW")
