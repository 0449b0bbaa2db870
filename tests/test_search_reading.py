"""What a person types is searched as they meant it: pasted needs are natural language (never refused, ranked
not intersected), deliberate queries keep their syntax and precise errors, and the analyst's habits work —
patent numbers in any notation, applicant names as units, the field codes of CNIPA, incoPat and PatSnap."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipoc.errors import InvalidInput
from ipoc.search.query import Reading, is_free_text, read
from tests.factories import number
from tests.import_files import counts, run_import

SEARCH = "/api/v1/patents/search"
NEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "cn-tech-needs-ccf2019" / "needs.csv"
_NEED = re.compile(r"'[0-9a-f-]{36}' , '(.*?)' , '(.*?)'\s*(?=\n'[0-9a-f]{8}-|\Z)", re.S)
MAX_Q = 2000  # SearchRequest.q's length limit
ROWS = [  # serial of the 申请号, 公开号, 授权公告号, 发明名称, 申请人, 摘要
    (1, "CN112345678A", "CN112345678B", "一种稀土永磁材料的制备方法", "内蒙古示例大学", "钕铁硼烧结，提高矫顽力。"),
    (2, "CN112345679A", "", "稀土永磁电机转子", "内蒙古示例大学附属工厂", "一种永磁电机的转子结构，减少稀土用量。"),
    (3, "CN112345680A", "", "风电叶片除冰装置", "内蒙古另一大学", "电加热膜为风电叶片除冰，防止结冰。"),
    (4, "CN112345681A", "", "高蛋白奶酪的生产工艺", "内蒙古乳业股份有限公司", "以牛乳为原料发酵制得高蛋白奶酪。"),
    (5, "CN112345682A", "", "秸秆还田的土壤改良方法", "包头农业研究所", "秸秆还田，配合菌剂改良盐碱土壤，提高产量。"),
]  # fmt: skip


@pytest.fixture
def patents(instance, tmp_path):
    path = tmp_path / "patents.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["申请号", "公开号", "授权公告号", "发明名称", "申请人", "摘要", "申请日"])
        for serial, pub, grant, title, applicant, abstract in ROWS:
            writer.writerow([number(serial), pub, grant, title, applicant, abstract, "2021-03-05"])
    counts(run_import(path))
    return instance


def search(client, q: str, mode: str = "lexical", **params) -> dict:
    response = client.get(SEARCH, params={"q": q, "mode": mode, **params})
    assert response.status_code == 200, response.text
    return response.json()


def first_numbers(body: dict) -> list[str]:
    return [hit["application_no"] for hit in body["hits"]]


# --- pasted text is never refused ------------------------------------------------------------------------------


PASTED = [
    "需求内容：1）研究稀土永磁材料的烧结工艺；2）提高矫顽力。",
    "风电叶片除冰（防止结冰，提高）发电效率",
    "预期目标：（1）秸秆还田；（2）改良盐碱土壤",
    "技术指标：-40℃低温下正常工作",
    '"稀土永磁材料',
    "稀土)) 永磁((",
]


def test_pasted_needs_are_searched_as_natural_language_and_the_page_says_so(patents, client):
    for pasted in PASTED:
        body = search(client, pasted)
        assert body["natural"] is True, pasted
        assert "自然语言" in body["notice"], pasted
        page = client.get("/patents/search", params={"q": pasted, "mode": "lexical"})
        assert page.status_code == 200 and "自然语言" in page.text, pasted


def test_a_long_need_is_ranked_not_intersected(patents, client):
    need = "我公司需要一种稀土永磁材料的制备工艺，要求提高矫顽力、降低重稀土用量，并能用于永磁电机转子的批量生产"
    body = search(client, need)
    assert body["natural"] is True
    assert first_numbers(body)[:2] == [number(1), number(2)]  # both on topic; no patent holds every word
    assert number(4) not in first_numbers(body)  # sharing only a generic word (生产) is not enough


def test_short_keywords_keep_their_and_meaning(patents, client):
    body = search(client, "稀土 电机")
    assert body["natural"] is False and body["notice"] is None
    assert first_numbers(body) == [number(2)]


def test_a_deliberate_query_with_an_error_still_gets_the_precise_message(patents, client):
    for query, words in [("TI=(稀土 AND", "缺少检索词"), ("稀土 AND (永磁", "缺少右括号"), ("AD=[2020 TO", "日期")]:
        response = client.get(SEARCH, params={"q": query, "mode": "lexical"})
        assert response.status_code == 422, query
        assert words in response.text and "第 " in response.text


TYPED = st.characters(exclude_categories=("Cs", "Cc"))  # no control characters: nobody types NUL (refused as 400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(TYPED, max_size=300))
def test_any_text_is_answered_never_a_server_error(patents, client, text):
    """Arbitrary Unicode: 200, or 422 only for a query written in the syntax on purpose."""
    for mode in ("lexical", "hybrid"):
        response = client.get(SEARCH, params={"q": text, "mode": mode})
        assert response.status_code in (200, 422), (text, response.text)
        if response.status_code == 422:
            assert re.search(r"[A-Za-z]\s*[=:：＝]|[=＝]|AND|OR|NOT", text), text


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="=＝"), max_size=MAX_Q))
def test_text_without_an_equals_sign_or_capital_operators_is_never_refused(text):
    if re.search(r"[A-Za-z]{2,6}\s*[:：]|\b(AND|OR|NOT)\b", text):
        return  # ASCII field codes before ":" and capital operators are the syntax; the test above covers them
    assert isinstance(read(text), Reading)  # never InvalidInput, never another exception


@pytest.mark.skipif(not NEEDS.exists(), reason="../shared/data is absent: the real enterprise needs are not here")
def test_every_real_enterprise_need_pasted_whole_is_answered(patents, client):
    raw = NEEDS.read_text(encoding="utf-8")
    needs = [f"{title}\n{content}".replace("\\n", "\n")[:MAX_Q] for title, content in _NEED.findall(raw)]
    assert len(needs) > 250
    answers = {need[:40]: client.get(SEARCH, params={"q": need, "mode": "lexical"}).status_code for need in needs}
    refused = [need for need, status in answers.items() if status != 200]
    assert refused == []


# --- what analysts type ----------------------------------------------------------------------------------------


NOTATIONS = [
    number(1),
    "ZL" + number(1),
    "CN" + number(1).replace(".", ""),
    "ZL " + " ".join((number(1)[:4], number(1)[4], number(1)[5:])),  # ZL 2021 1 0000001.6
    number(1)[:12],  # without the check character
    "ＣＮ１１２３４５６７８Ａ",  # full width
    "CN112345678A",
    "CN 112345678 B",
    "CN-112345678-B",
    "CN112345678",
    "112345678B",
    f"AN={number(1)}",
    "PN=(CN112345678B)",
    "公开号=CN112345678A",
]


def test_any_notation_of_a_number_finds_that_patent_first(patents, client):
    for typed in NOTATIONS:
        assert first_numbers(search(client, typed))[:1] == [number(1)], typed
        assert first_numbers(search(client, typed, mode="hybrid"))[:1] == [number(1)], typed
    assert search(client, "AN=CN112345678A")["total"] == 0  # a publication number is not an application number


def test_an_applicant_name_finds_its_patents_exactly_or_as_contained(patents, client):
    assert first_numbers(search(client, "内蒙古示例大学")) == [number(1)]
    assert first_numbers(search(client, "PA=(内蒙古示例大学)")) == [number(1)]
    assert sorted(first_numbers(search(client, "PA=(内蒙古示例大学*)"))) == [number(1), number(2)]
    assert sorted(first_numbers(search(client, "AP=(*大学)"))) == [number(1), number(3)]
    assert first_numbers(search(client, "申请人=(内蒙古另一大学) AND TIAB=(叶片)")) == [number(3)]


def test_dates_by_their_field_codes(patents, client):
    assert search(client, "AD=2021 AND TI=奶酪")["total"] == 1
    assert search(client, "APD=[2022 TO *]")["total"] == 0


def test_the_help_lists_the_aliases(patents, client):
    page = client.get("/patents/search").text
    for code in ("TIABC", "TAC", "AP", "AN", "PN", "GD", "申请号", "包含"):
        assert code in page


def test_reading_a_deliberate_query_refuses_only_deliberate_errors():
    with pytest.raises(InvalidInput):
        read("TI=(稀土 AND")
    assert read("需求内容：1）研究").natural
    assert read("稀土）").natural
    assert not read("TI=(稀土) AND 永磁").natural


def test_natural_text_states_no_condition_that_semantic_hits_must_meet():
    """A pasted need is free text: its semantic hits are not cut to the patents holding two of its key terms."""
    assert is_free_text(read("需求内容：1）稀土永磁材料的晶界扩散工艺，提高矫顽力").node)
    assert not is_free_text(read("TI=(稀土) AND 永磁").node)
