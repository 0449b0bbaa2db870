"""The patent pages in headless Chromium: a Chinese query with highlighted hits and a facet that narrows them,
and an upload whose progress page polls until the counts appear."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from tests.browsing import serving, sync_api
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
JOB_TIMEOUT_MS = 30_000


@pytest.fixture
def live_server(instance, tmp_path, monkeypatch) -> Iterator[str]:
    """The app over real HTTP on 127.0.0.1, with a small patent corpus and one staff account. These pages search
    lexically: the embedding the import queues is left undone, or the server would load the model and embed
    while the test runs and could not stop in time."""
    from ipoc.auth.roles import Role
    from ipoc.db import session_scope
    from ipoc.shell.app import create_app
    from tests.conftest import make_user
    from tests.import_files import counts, run_import
    from tests.patent_corpus import CORPUS, write_csv
    from tests.vectors_held import leave_embedding_undone

    leave_embedding_undone(monkeypatch)
    counts(run_import(write_csv(tmp_path / "corpus.csv", CORPUS)))
    with session_scope() as session:
        make_user(session, "staff", Role.REGION_ADMIN)
    with serving(create_app(instance)) as url:
        yield url


def test_chinese_query_highlights_hits_and_a_facet_narrows_them(site):
    page = site.page
    page.goto(site.url("/patents/search"))
    page.fill("#f-q", "稀土")
    page.select_option("select[name=mode]", "lexical")
    page.get_by_role("button", name="检索", exact=True).click()
    page.wait_for_url(re.compile(r"/patents/search\?q=%E7%A8%80%E5%9C%9F&mode=lexical"))
    count = page.get_by_test_id("result-count")
    sync_api.expect(count).to_contain_text("共 4 件专利")
    hits = page.get_by_test_id("hit")
    sync_api.expect(hits).to_have_count(4)
    sync_api.expect(hits.first.locator("mark").first).to_have_text("稀土")
    sync_api.expect(page.locator("script:has-text('alert(1)')")).to_have_count(0)
    sync_api.expect(page.get_by_text("<script>alert(1)</script>稀土抛光粉的回收方法")).to_be_visible()

    page.locator("[data-facet=kind] a[data-value=utility_model]").click()
    page.wait_for_url(re.compile(r"kind=utility_model"))
    sync_api.expect(count).to_contain_text("共 2 件专利")
    sync_api.expect(hits).to_have_count(2)
    sync_api.expect(page.locator("[data-facet=kind] a[data-value=utility_model]")).to_have_attribute(
        "aria-pressed", "true"
    )
    site.assert_only_local_requests()


@pytest.fixture
def import_gate(monkeypatch) -> Iterator[threading.Event]:
    """Imports wait until the gate opens, so the page is seen unfinished and only polling can show the outcome."""
    from ipoc.patents import service as patents

    gate = threading.Event()
    run_import = patents.run_import

    def held_import(*args, **kwargs):
        assert gate.wait(JOB_TIMEOUT_MS / 1000), "the test never released the import"
        return run_import(*args, **kwargs)

    monkeypatch.setattr(patents, "run_import", held_import)
    yield gate
    gate.set()


def test_import_page_shows_progress_then_counts(site, tmp_path, import_gate):
    from tests.patent_corpus import row, write_csv

    page = site.page
    page.goto(site.url("/login"))
    page.fill("#f-username", "staff")
    page.fill("#f-password", PASSWORD)
    page.locator("form[action^='/login'] button[type=submit]").click()
    page.wait_for_url(site.url("/dashboard"))
    page.locator("#mainnav").get_by_role("link", name="专利导入").click()
    page.wait_for_url(site.url("/patents/import"))
    upload = write_csv(tmp_path / "新专利.csv", [row(60, "一种镁基储氢合金"), row(61, "坏行", 申请日="2021-02-30")])
    page.set_input_files("#f-file", str(upload))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    sync_api.expect(page.get_by_test_id("job-status")).to_have_text(re.compile("排队中|进行中"))
    sync_api.expect(page.locator(".progress-bar-animated")).to_be_visible()
    import_gate.set()
    sync_api.expect(page.get_by_test_id("job-status")).to_have_text("已完成", timeout=JOB_TIMEOUT_MS)
    counts = page.get_by_test_id("import-counts")
    sync_api.expect(counts.locator("[data-count=imported]")).to_have_text("1")
    sync_api.expect(counts.locator("[data-count=rejected]")).to_have_text("1")
    sync_api.expect(page.get_by_test_id("report-link")).to_be_visible()
    columns = page.get_by_test_id("import-columns")  # where each column went, folded until asked for
    title_column = columns.locator("tr", has_text="发明名称")
    sync_api.expect(title_column).to_be_hidden()
    columns.locator("summary").click()
    sync_api.expect(title_column).to_contain_text("已映射到名称")
    assert any(u.endswith("/progress") for u in site.requests), "the outcome came through htmx polling"
    site.assert_only_local_requests()
