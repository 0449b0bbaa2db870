"""Search through the JSON API and the CLI: public access, the answer's shape, query syntax errors, the
degraded flag while vectors are missing, semantic and hybrid answers once they exist, embedding that never
repeats itself, and similar patents."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoc.auth import service as accounts
from ipoc.auth.roles import Role
from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.search import vectors
from ipoc.search.models import PassageVector
from tests.conftest import make_user
from tests.factories import number
from tests.import_files import CORPUS, counts, good_row, run_import, write_csv
from tests.vectors_held import leave_embedding_undone


@pytest.fixture
def corpus(instance, tmp_path, monkeypatch):
    leave_embedding_undone(monkeypatch)  # search is looked at before any vector exists, then embedded by hand
    rows = [good_row(i + 1, title, 摘要=abstract) for i, (title, abstract) in enumerate(CORPUS)]
    counts(run_import(write_csv(tmp_path / "corpus.csv", rows)))
    return instance


def test_search_is_public_and_answers_in_the_documented_shape(corpus, client):
    response = client.get("/api/v1/patents/search", params={"q": "TI=(稀土 AND 永磁)", "mode": "lexical"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    hit = body["hits"][0]
    assert hit["application_no"] == number(1)
    assert hit["title"] == CORPUS[0][0]
    assert hit["score"] > 0
    assert "<mark>" in hit["title_html"]
    assert {f["value"] for f in body["facets"]["region_name"]} == {"包头市"}


def test_filters_sort_and_paging(corpus, client):
    everything = client.get("/api/v1/patents/search", params={"mode": "lexical", "limit": 2}).json()
    assert everything["total"] == len(CORPUS) and len(everything["hits"]) == 2
    second = client.get("/api/v1/patents/search", params={"mode": "lexical", "limit": 2, "offset": 2}).json()
    assert not {h["application_no"] for h in everything["hits"]} & {h["application_no"] for h in second["hits"]}
    none = client.get("/api/v1/patents/search", params={"mode": "lexical", "year": "1999"}).json()
    assert none["total"] == 0


def test_syntax_error_is_a_clear_422(corpus, client):
    response = client.get("/api/v1/patents/search", params={"q": "TI=(稀土 AND 永磁", "mode": "lexical"})
    assert response.status_code == 422
    assert "括号" in json.dumps(response.json(), ensure_ascii=False)


def test_hybrid_without_vectors_answers_lexically_and_says_so(corpus, client):
    body = client.get("/api/v1/patents/search", params={"q": "奶酪"}).json()
    assert body["degraded"] is True
    assert body["mode"] == "lexical"
    assert [h["application_no"] for h in body["hits"]] == [number(3)]
    assert "语义向量" in body["notice"]


def test_patent_by_any_notation_and_404(corpus, client):
    body = client.get(f"/api/v1/patents/ZL{number(2).replace('.', '')}").json()
    assert body["title"] == CORPUS[1][0]
    assert body["applicants"] == ["包头稀土研究院", "内蒙古大学"]
    assert client.get(f"/api/v1/patents/{number(999)}").status_code == 404
    assert client.get("/api/v1/patents/not-a-number").status_code == 422


def test_embedding_semantic_hybrid_and_similar(corpus, client, monkeypatch):
    runner = CliRunner()
    first = runner.invoke(cli, ["embed", "run"])
    assert first.exit_code == 0, first.output
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(PassageVector)) == len(CORPUS)

    def no_embedding(*_args, **_kwargs):
        raise AssertionError("embedded again")

    monkeypatch.setattr(vectors.Embedder, "passages", no_embedding)
    assert runner.invoke(cli, ["embed", "run"]).exit_code == 0  # nothing missing: nothing embedded
    rebuilt = runner.invoke(cli, ["index", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output  # rebuild reads stored vectors, never embeds

    semantic = client.get("/api/v1/patents/search", params={"q": "如何防止风机桨叶结冰", "mode": "semantic"}).json()
    assert semantic["hits"][0]["application_no"] == number(2)
    unrelated = client.get("/api/v1/patents/search", params={"q": "红烧肉的家常做法", "mode": "semantic"}).json()
    assert unrelated["hits"] == []

    hybrid = client.get("/api/v1/patents/search", params={"q": "奶酪制作工艺"}).json()
    assert hybrid["degraded"] is False and hybrid["mode"] == "hybrid"
    assert hybrid["hits"][0]["application_no"] == number(3)

    sentence = client.get("/api/v1/patents/search", params={"q": "如何防止风机叶片表面结冰"}).json()
    assert sentence["hits"][0]["application_no"] == number(2)  # no patent has every word; hybrid still finds it

    fielded = client.get("/api/v1/patents/search", params={"q": "TI=(奶酪)"}).json()
    assert [h["application_no"] for h in fielded["hits"]] == [number(3)]  # field codes bind semantic hits too

    result = runner.invoke(cli, ["search", "叶片结冰", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["application_no"] == number(2)
    assert all({"application_no", "score", "title"} <= set(line) for line in lines)
    assert [line["score"] for line in lines] == sorted((line["score"] for line in lines), reverse=True)

    similar = client.get(f"/api/v1/patents/{number(2)}/similar").json()
    assert number(2) not in [h["application_no"] for h in similar]


def test_cli_search_rejects_bad_syntax(corpus):
    result = CliRunner().invoke(cli, ["search", "AD=[2020-13-01 TO 2021]", "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_saved_search_learns_of_new_matches(corpus, client, session, tmp_path):
    user = make_user(session, "watcher", Role.EXPERT)
    _token, plaintext = accounts.create_token(session, user, "tests", days=1)
    session.commit()
    auth = {"Authorization": f"Bearer {plaintext}"}
    created = client.post("/api/v1/saved-searches", json={"name": "储氢", "query": "储氢"}, headers=auth)
    assert created.status_code == 201, created.text
    saved_id = created.json()["id"]
    counts(run_import(write_csv(tmp_path / "new.csv", [good_row(50, "一种镁基储氢合金"), good_row(51, "奶粉罐")])))
    listed = client.get("/api/v1/saved-searches", headers=auth).json()
    assert listed[0]["new_count"] == 1
    fresh = client.get(f"/api/v1/saved-searches/{saved_id}/new", headers=auth).json()
    assert [h["application_no"] for h in fresh] == [number(50)]
    assert client.get("/api/v1/saved-searches", headers=auth).json()[0]["new_count"] == 0
