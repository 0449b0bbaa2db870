"""One index writer per index directory, readers that never write nor wait (issue 11, points 2 and 3).

Several tests run real second processes on the same data dir and database: the writer is whichever process
holds ``index/writer.lock``; the others read the committed index and keep trying to take over.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.patents import service as patents
from ipoc.search import index_sync
from ipoc.search import service as search
from ipoc.search.lexical import IndexDoc, LexicalIndex
from ipoc.search.schemas import SearchRequest
from tests import live
from tests.import_files import good_row, write_csv

# "lock" only takes the writer lock, as a one-shot CLI command does. It reports its role to a file.
HOLDER = """
import os, sys, time, pathlib
import ipoc.models
from ipoc.search import index_sync
mode, state = sys.argv[1], pathlib.Path(sys.argv[2])
if mode == "follower":
    index_sync.start_follower()
else:
    index_sync._writer(acquire=True)
draft = state.with_suffix(".draft")
while True:  # written aside and renamed, so the test never reads a truncated, empty file
    draft.write_text("writer" if index_sync.is_writer() else "reader")
    os.replace(draft, state)
    time.sleep(0.05)
"""


@dataclass
class Holder:
    """A second process on the instance and the file it reports its role to."""

    proc: subprocess.Popen
    state: Path

    def role(self) -> str | None:
        try:
            return self.state.read_text() or None
        except OSError:
            return None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def spawn(instance, tmp_path) -> Iterator[Callable[[str], Holder]]:
    started: list[Holder] = []

    def start(mode: str) -> Holder:
        state = tmp_path / f"role-{len(started)}"
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, mode, str(state)], env=live.env_for(instance))
        started.append(Holder(proc, state))
        return started[-1]

    yield start
    for holder in started:
        holder.kill()


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _import(tmp_path: Path, name: str, titles: list[str], start: int = 1):
    source = write_csv(tmp_path / name, [good_row(start + i, title) for i, title in enumerate(titles)])
    result = CliRunner().invoke(cli, ["patents", "import", str(source), "--json"])
    assert result.exit_code == 0, result.output
    return result


def _total(query: str) -> tuple[int, bool, str | None]:
    with session_scope() as session:
        answer = search.search(session, SearchRequest(q=query, mode="lexical"))
    return answer.total, answer.stale, answer.notice


def test_one_writer_per_index_and_another_takes_over_when_it_dies(instance, spawn):
    first = spawn("follower")
    assert _until(lambda: first.role() == "writer", 30), "the first follower becomes the writer"
    second = spawn("follower")
    assert _until(lambda: second.role() is not None, 30)
    time.sleep(index_sync.RETRY_SECONDS + 1)  # the second has tried again meanwhile
    assert (first.role(), second.role()) == ("writer", "reader")
    assert not index_sync.is_writer()
    with pytest.raises(index_sync.IndexBusy), session_scope() as session:  # nor can this process write beside it
        index_sync.catch_up(session)

    first.kill()
    assert _until(lambda: second.role() == "writer", index_sync.RETRY_SECONDS + 10), "the survivor takes over"


def test_a_commit_by_another_process_is_indexed_by_the_writer(instance, spawn, tmp_path, monkeypatch):
    writer = spawn("follower")
    assert _until(lambda: writer.role() == "writer", 30)
    monkeypatch.setattr(patents, "INDEX_WAIT", 0.0)  # the import does not wait: the follower must catch up alone
    _import(tmp_path, "a.csv", [f"稀土抛光粉第{i}号配方" for i in range(1, 13)])
    assert not index_sync.is_writer(), "an import beside a running writer leaves the index to it"
    assert _until(lambda: _total("抛光粉")[0] == 12, 10), "the writer's follower indexed the other process's commit"
    assert _total("抛光粉")[1] is False

    monkeypatch.setattr(patents, "INDEX_WAIT", 30.0)  # an import that waits is current when it returns
    _import(tmp_path, "b.csv", [f"羊绒分梳工艺第{i}种" for i in range(1, 6)], start=100)
    assert _total("羊绒") == (5, False, None)


def test_search_reports_an_index_behind_the_database(instance, app, tmp_path):
    _import(tmp_path, "a.csv", ["一种稀土永磁材料的制备方法"] * 1)
    with session_scope() as session:  # a revision the index has not seen (as after another process's commit)
        session.execute(text("UPDATE change_counters SET value = value + 1 WHERE name = 'patents'"))
    client = TestClient(app)  # no lifespan: no follower catches up behind the test's back
    answer = client.get("/api/v1/patents/search", params={"q": "稀土", "mode": "lexical"}).json()
    assert (answer["total"], answer["stale"]) == (1, True)
    assert "正在追平" in answer["notice"]
    status = client.get("/api/v1/search/status").json()
    assert status["index_rev"] < status["db_rev"]

    assert index_sync.wait_until_current(10)
    answer = client.get("/api/v1/patents/search", params={"q": "稀土", "mode": "lexical"}).json()
    assert (answer["total"], answer["stale"], answer["notice"]) == (1, False, None)


def test_searches_never_write_the_index(instance, app, tmp_path, monkeypatch):
    _import(tmp_path, "a.csv", ["一种稀土永磁材料的制备方法", "风电机组叶片的除冰装置"])
    with session_scope() as session:
        session.execute(text("UPDATE change_counters SET value = value + 1 WHERE name = 'patents'"))

    def forbidden(*_args, **_kwargs):
        raise AssertionError("a search tried to write the index")

    monkeypatch.setattr(index_sync, "catch_up", forbidden)
    monkeypatch.setattr(index_sync, "_writer", forbidden)
    monkeypatch.setattr(index_sync._LexicalWriter, "catch_up", forbidden)
    monkeypatch.setattr(LexicalIndex, "upsert", forbidden)
    monkeypatch.setattr(LexicalIndex, "commit", forbidden)
    client = TestClient(app)
    for mode in ("lexical", "hybrid", "semantic"):
        response = client.get("/api/v1/patents/search", params={"q": "稀土", "mode": mode})
        assert response.status_code == 200, response.text
        assert response.json()["stale"] is True
    assert client.get("/patents/search", params={"q": "稀土"}).status_code == 200


def test_a_reader_never_waits_for_the_writer(instance, tmp_path):
    _import(tmp_path, "a.csv", ["一种稀土永磁材料的制备方法"] * 1)
    assert index_sync.is_writer()  # the importing process took the role: no other writer was running
    writer = index_sync._writer_for(instance.resolved_data_dir / "index")
    holding, release = threading.Event(), threading.Event()

    def write_for_a_long_time() -> None:
        with writer.mutex, session_scope() as session:
            handle = writer.lexical_handle(session)
            handle.index.upsert([IndexDoc(patent_id=999_999, application_no="CN000", title="稀土未提交的文档")])
            holding.set()
            release.wait(30)
            handle.index.rollback()

    thread = threading.Thread(target=write_for_a_long_time)
    thread.start()
    try:
        assert holding.wait(10)
        with ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            total, stale, _ = pool.submit(_total, "稀土").result(timeout=5)
            assert time.monotonic() - started < 5
        assert (total, stale) == (1, False)  # the uncommitted document is not visible, nothing waited for it
    finally:
        release.set()
        thread.join()


def test_rebuild_goes_through_the_writer(instance, spawn, tmp_path):
    _import(tmp_path, "a.csv", [f"稀土抛光粉第{i}号配方" for i in range(1, 4)])
    index_sync.forget_handles()  # this process gives the role up

    one_shot = spawn("lock")
    assert _until(lambda: one_shot.role() == "writer", 30)
    refused = CliRunner().invoke(cli, ["index", "rebuild"])
    assert refused.exit_code == 1
    assert "另一个进程" in refused.stderr  # a one-shot writer cannot rebuild for us: said plainly
    one_shot.kill()

    follower = spawn("follower")
    assert _until(lambda: follower.role() == "writer", 30)
    asked = CliRunner().invoke(cli, ["index", "rebuild"])  # asked of the writer's follower, which rebuilds
    assert asked.exit_code == 0, asked.output
    assert "3 篇专利" in asked.stdout
    assert not index_sync.is_writer()
    assert _total("抛光粉")[0] == 3


def test_a_web_process_with_workers_leaves_the_writer_role_to_a_worker_first(instance, monkeypatch):
    """A follower that is not eager (the web process when `ipoc worker` runs the jobs) waits before taking a
    free role, so that a worker, eager, takes it first; with no worker it still takes it."""
    monkeypatch.setattr(index_sync, "DEFER_SECONDS", 2.0)
    index_sync.start_follower(eager=False)
    try:
        time.sleep(1.0)
        assert not index_sync.is_writer()
        assert _until(index_sync.is_writer, 10)
    finally:
        index_sync.stop_follower()
    assert not index_sync.is_writer()  # stopping gives the role up for another process to take


def test_two_large_imports_at_once_share_the_writer(instance, tmp_path, monkeypatch):
    """Two bulk imports in one process (two job slots): the second is served by the first one's indexing child
    instead of waiting for it, and both end with their patents searchable."""
    monkeypatch.setattr(index_sync, "PARALLEL_INDEX_MIN_BYTES", 0)
    files = [
        write_csv(tmp_path / "a.csv", [good_row(i, f"稀土抛光粉第{i}号配方") for i in range(1, 31)]),
        write_csv(tmp_path / "b.csv", [good_row(100 + i, f"羊绒分梳工艺第{i}种") for i in range(1, 31)]),
    ]
    with session_scope() as session:
        jobs = [patents.start_import(session, owner_id=None, filename=path.name) for path in files]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda pair: patents.run_import(*pair), zip(files, jobs, strict=True), timeout=120))
    assert [r.imported for r in results] == [30, 30]
    assert _total("抛光粉")[:2] == (30, False)
    assert _total("羊绒")[:2] == (30, False)
