"""Vectors follow the data (issue 13, point 6): every import that writes patents, through the page, the API or
the CLI, queues one ``embed`` job (none while one already waits; one follow-up while one runs), the queue runs
embed jobs one at a time, the search page and the API answer count the patents still waiting for a vector, and
once the real job runner has run the job semantic search finds the new patents with no manual step."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ipoc.auth import service as accounts
from ipoc.auth.roles import Role
from ipoc.cli import app as cli
from ipoc.db import session_scope, utcnow
from ipoc.jobs import queue
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job
from ipoc.search import vectors
from tests.conftest import login, make_user
from tests.factories import number
from tests.import_files import CORPUS, good_row, write_csv
from tests.web_import import upload, wait_for_job

TIMEOUT_S = 90
WIND_QUESTION = "如何防止风机桨叶结冰"  # semantically close to CORPUS[1], sharing few of its words


def corpus_csv(tmp_path, name: str, serials: range) -> bytes:
    """A CSV export of the given CORPUS entries, numbered serial + 1."""
    rows = [good_row(i + 1, CORPUS[i][0], 摘要=CORPUS[i][1]) for i in serials]
    return write_csv(tmp_path / name, rows).read_bytes()


def embed_jobs() -> list[tuple[int, str]]:
    with session_scope() as session:
        rows = session.execute(select(Job.id, Job.status).where(Job.kind == "embed").order_by(Job.id))
        return [(job_id, status) for job_id, status in rows]


def open_embed_jobs() -> list[tuple[int, str]]:
    return [(job_id, status) for job_id, status in embed_jobs() if status in ("queued", "running")]


def until(condition, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def pending_line(page: str) -> str | None:
    found = re.search(r'data-testid="embedding-pending">([^<]+)<', page)
    return found.group(1) if found else None


@dataclass
class Gate:
    """Holds the embedding model until opened: the job is really claimed and running (its total counted) while
    the test imports more."""

    embedding: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gate(monkeypatch) -> Iterator[Gate]:
    held = Gate()
    real = vectors.Embedder.passages

    def passages(self, texts):
        held.embedding.set()
        assert held.opened.wait(TIMEOUT_S), "the test never let the embedding go on"
        return real(self, texts)

    monkeypatch.setattr(vectors.Embedder, "passages", passages)
    yield held
    held.opened.set()  # before the web process stops: its runner waits for the running job


@pytest.fixture
def staff(client, session, gate):
    """A region admin logged in on the web client (set up before the gate, the client stops after it opened)."""
    make_user(session, "regionadmin", Role.REGION_ADMIN)
    login(client, "regionadmin")
    return client


def page_import(client, content: bytes) -> str:
    """Upload an export on the import page and wait for its job; the job's progress fragment once it ended."""
    response = upload(client, "export.csv", content)
    assert response.status_code == 303, response.text
    return wait_for_job(client, response.headers["location"])


def semantic_first(client) -> str | None:
    hits = client.get("/api/v1/patents/search", params={"q": WIND_QUESTION, "mode": "semantic"}).json()["hits"]
    return hits[0]["application_no"] if hits else None


# --- the web page -----------------------------------------------------------------------------------------------


def test_page_imports_queue_one_embedding_and_the_search_page_counts_what_is_pending(staff, gate, tmp_path):
    done = page_import(staff, corpus_csv(tmp_path, "1.csv", range(0, 2)))
    assert 'data-testid="embedding-job"' in done, "the import's page says its vectors are being computed"
    assert gate.embedding.wait(TIMEOUT_S), "the web process's runner took the embedding job"
    [(first, status)] = open_embed_jobs()
    assert status == "running"
    line = pending_line(staff.get("/patents/search", params={"q": "叶片"}).text)
    assert line == "语义向量：2 件专利待计算，后台任务进行中 0%", line

    # Imported while the first job runs (it counted before): one follow-up waits, not run beside it.
    page_import(staff, corpus_csv(tmp_path, "2.csv", range(2, 4)))
    [(_, running), (follow_up, waiting)] = open_embed_jobs()
    assert (running, waiting) == ("running", "queued")
    # Imported while the follow-up waits: it will count these too, so nothing is added.
    third = page_import(staff, corpus_csv(tmp_path, "3.csv", range(4, 6)))
    assert f"任务 #{follow_up}" in third
    assert [job_id for job_id, _ in open_embed_jobs()] == [first, follow_up]
    assert "6 件专利待计算" in pending_line(staff.get("/patents/search").text)
    # An import that changes nothing queues nothing.
    again = page_import(staff, (tmp_path / "3.csv").read_bytes())
    assert 'data-testid="embedding-job"' not in again

    gate.opened.set()
    for job_id in (first, follow_up):
        assert jobs.wait(job_id, TIMEOUT_S).status == "done"
    assert [status for _, status in embed_jobs()] == ["done", "done"]
    with session_scope() as session:
        assert session.get(Job, first).result == {"embedded": 2}
        assert session.get(Job, follow_up).result == {"embedded": 4}
    page = staff.get("/patents/search", params={"q": WIND_QUESTION})
    assert page.status_code == 200 and pending_line(page.text) is None
    assert 'data-testid="search-notice"' not in page.text, "hybrid search is no longer degraded"
    assert semantic_first(staff) == number(2)


# --- the API ---------------------------------------------------------------------------------------------------


def test_an_api_import_queues_one_embedding_and_the_answer_counts_pending(client, session, gate, tmp_path):
    admin = make_user(session, "apiadmin", Role.REGION_ADMIN)
    _token, plaintext = accounts.create_token(session, admin, "tests", days=1)
    session.commit()
    auth = {"Authorization": f"Bearer {plaintext}"}
    files = {"file": ("api.csv", corpus_csv(tmp_path, "api.csv", range(len(CORPUS))), "text/csv")}
    accepted = client.post("/api/v1/patents/imports", files=files, headers=auth)
    assert accepted.status_code == 202, accepted.text
    imported = jobs.wait(accepted.json()["id"], TIMEOUT_S)
    assert imported.status == "done" and imported.result["imported"] == len(CORPUS)
    [(embedding, _)] = open_embed_jobs()
    assert imported.result["embedding_job"] == embedding
    with session_scope() as inner:
        assert inner.get(Job, embedding).owner_id == admin.id, "the uploader follows the embedding as their job"

    answer = client.get("/api/v1/patents/search", params={"q": "叶片"}).json()
    assert (answer["pending_embeddings"], answer["degraded"]) == (len(CORPUS), True)
    gate.opened.set()
    assert jobs.wait(embedding, TIMEOUT_S).result == {"embedded": len(CORPUS)}
    answer = client.get("/api/v1/patents/search", params={"q": "叶片"}).json()
    assert (answer["pending_embeddings"], answer["degraded"], answer["mode"]) == (0, False, "hybrid")
    assert semantic_first(client) == number(2)
    assert open_embed_jobs() == []


# --- the CLI ---------------------------------------------------------------------------------------------------


def cli_import(tmp_path, name: str, serials: range):
    path = tmp_path / name
    path.write_bytes(corpus_csv(tmp_path, f"src-{name}", serials))
    result = CliRunner().invoke(cli, ["patents", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_cli_imports_queue_one_embedding_for_the_next_job_runner(instance, tmp_path):
    counts, said = cli_import(tmp_path, "first.csv", range(0, 2))
    assert counts["imported"] == 2, "--json prints the counts alone on stdout"
    [(queued, status)] = open_embed_jobs()
    assert status == "queued"
    assert f"已排队计算段落向量（本次新增或更新 2 件专利，任务 #{queued}），由后台任务完成" in said
    assert "当前没有运行中的 ipoc serve 或 ipoc worker，任务将在下次启动" in said

    counts, said = cli_import(tmp_path, "second.csv", range(2, 4))
    assert counts["imported"] == 2 and open_embed_jobs() == [(queued, "queued")]
    assert f"段落向量计算任务 #{queued} 已在排队" in said
    _, said = cli_import(tmp_path, "again.csv", range(2, 4))
    assert "段落向量" not in said and open_embed_jobs() == [(queued, "queued")], "nothing written, nothing queued"

    runner = queue.Runner("worker").start()  # what `ipoc worker` (or `ipoc serve` on SQLite) runs
    try:
        assert jobs.wait(queued, TIMEOUT_S).result == {"embedded": 4}
        _, said = cli_import(tmp_path, "third.csv", range(4, 6))
        assert "运行中的 ipoc serve / ipoc worker 将执行它" in said
        [(later, _)] = [job for job in embed_jobs() if job[0] != queued]
        assert jobs.wait(later, TIMEOUT_S).result == {"embedded": 2}
    finally:
        assert runner.stop(TIMEOUT_S)
    found = CliRunner().invoke(cli, ["search", WIND_QUESTION, "--mode", "semantic", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout.splitlines()[0])["application_no"] == number(2)


# --- the queue -------------------------------------------------------------------------------------------------


def test_an_embed_job_waits_while_another_runs_and_other_kinds_pass_it(instance):
    with session_scope() as session:
        running = jobs.create(session, "embed", owner_id=None, label="running", params={})
        running.status, running.worker_id, running.started_at = "running", "elsewhere:1:worker:a", utcnow()
        waiting = jobs.create(session, "embed", owner_id=None, label="waiting", params={})
        other = jobs.create(session, "test-noop", owner_id=None, label="other", params={})
        running_id, waiting_id, other_id = running.id, waiting.id, other.id
    claimed = queue.claim("claimer")
    assert claimed is not None and claimed.id == other_id, "the older embed job is passed over, not the queue"
    assert queue.claim("claimer") is None
    with session_scope() as session:
        session.get(Job, running_id).status = "done"
    claimed = queue.claim("claimer")
    assert claimed is not None and claimed.id == waiting_id
