"""The tantivy index: every operator and field against a small hand-made corpus, facets, sorting, snippets."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ipoc.errors import InvalidInput
from ipoc.search.lexical import IndexDoc, LexicalIndex
from ipoc.search.query import And, IdSet, Node, Not, Or, Phrase, Term, Words
from ipoc.search.text import Segmenter

DOCS = [
    IndexDoc(
        1, "202110000001.1", "一种稀土永磁材料及其制备方法",
        abstract="本发明公开了一种钕铁硼稀土永磁材料，通过晶界扩散提高矫顽力。",
        claims="1. 一种稀土永磁材料，其特征在于，含有镨钕合金。",
        applicants=["包头稀土研究院"], inventors=["张三"], ipc_codes=["H01F 1/057", "C22C 38/00"],
        kind="invention", status_class="valid", application_date=date(2021, 3, 1),
        publication_date=date(2021, 9, 1), region_name="包头市",
    ),
    IndexDoc(
        2, "202220000002.2", "電解水製氫裝置", abstract="一種鹼性電解槽，用於風光制氫。",
        applicants=["内蒙古氢能科技有限公司"], ipc_codes=["C25B 1/04"], kind="utility_model", status_class="valid",
        application_date=date(2022, 5, 10), publication_date=date(2022, 10, 1), region_name="鄂尔多斯市",
    ),
    IndexDoc(
        3, "202020000003.3", "风电机组叶片除冰系统", abstract="本实用新型涉及风电叶片的加热除冰，电机为永磁同步电机。",
        claims="1. 一种除冰系统，其轴承含稀土元素。", applicants=["明阳智慧能源集团股份公司", "内蒙古工业大学"],
        inventors=["李四"], ipc_codes=["F03D 80/40"], kind="utility_model", status_class="lapsed",
        application_date=date(2020, 1, 15), publication_date=date(2020, 8, 1), region_name="包头市",
    ),
    IndexDoc(
        4, "202310000004.4", "一种煤制烯烃的方法", abstract="以煤焦油为原料，经气化与甲醇制烯烃得到聚烯烃。",
        applicants=["中国神华煤制油化工有限公司"], ipc_codes=["C07C 1/20", "C10G 1/00"], kind="invention",
        status_class="pending", application_date=date(2023, 2, 1), publication_date=date(2023, 8, 1),
        region_name="鄂尔多斯市",
    ),
    IndexDoc(
        5, "201910000005.5", "含益生菌的奶酪及其制备方法<script>alert(1)</script>",
        abstract="一种添加乳清蛋白与益生菌的再制干酪。" + "工艺参数说明。" * 40 + "最后加入奶酪风味物质。",
        applicants=["内蒙古伊利实业集团股份有限公司"], inventors=["王五"], ipc_codes=["A23C 19/032"],
        kind="invention", status_class="valid", application_date=date(2019, 6, 1),
        publication_date=date(2019, 12, 1), region_name="呼和浩特市",
    ),
    IndexDoc(
        6, "201810000006.6", "羊绒分梳机", abstract="一种无毛绒分梳设备，由稀土永磁电机驱动。",
        applicants=["鄂尔多斯羊绒集团"], ipc_codes=["D01G 15/00", "H02K 21/14"], kind="invention",
    ),
    *(
        IndexDoc(
            7 + i, f"20181000000{7 + i}.{7 + i}", title, abstract=abstract, claims=claims, applicants=["储氢公司"],
            ipc_codes=["C22C 19/00"], kind="invention", status_class="pending",
            application_date=date(2018, 1 + i, 1), region_name="乌海市",
        )
        for i, (title, abstract, claims) in enumerate(
            [
                ("一种储氢合金", "一种金属材料的熔炼方法。", "1. 一种方法，包括熔炼。"),
                ("一种金属材料", "一种储氢合金的熔炼方法。", "1. 一种方法，包括熔炼。"),
                ("一种金属材料", "一种金属材料的熔炼方法。", "1. 一种储氢合金，包括熔炼。"),
            ]
        )
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter) -> LexicalIndex:
    built = LexicalIndex(tmp_path_factory.mktemp("lexical"), segmenter)
    built.upsert(DOCS)
    built.commit({"revision": 1})
    return built


def ids(index: LexicalIndex, query: str | Node, **kwargs: object) -> set[int]:
    return {hit.patent_id for hit in index.search(query, limit=100, **kwargs).hits}


def test_all_documents_indexed(index: LexicalIndex) -> None:
    assert index.num_docs == len(DOCS)
    assert ids(index, "") == {doc.patent_id for doc in DOCS}


def test_dictionary_word_matches_whole_and_inside_longer_terms(index: LexicalIndex) -> None:
    assert ids(index, "稀土永磁") == {1, 6}  # 6 has 稀土永磁电机; 3 has 稀土 and 永磁 apart
    assert ids(index, "永磁材料") == {1}
    assert ids(index, "钕铁硼") == {1}


def test_traditional_and_simplified_find_each_other(index: LexicalIndex) -> None:
    assert ids(index, "电解水制氢") == {2}  # the document is in Traditional characters
    assert ids(index, "電解槽") == {2}
    assert ids(index, "煤製烯烴") == {4}  # the query is in Traditional characters


def test_operators(index: LexicalIndex) -> None:
    assert ids(index, "稀土") == {1, 3, 6}
    assert ids(index, "稀土 叶片") == {3}
    assert ids(index, "稀土 AND 叶片") == {3}
    assert ids(index, "奶酪 OR 羊绒") == {5, 6}
    assert ids(index, "奶酪 或 羊绒") == {5, 6}
    assert ids(index, "稀土 NOT 叶片") == {1, 6}
    assert ids(index, "稀土 -叶片") == {1, 6}
    assert ids(index, "NOT 稀土") == {2, 4, 5, 7, 8, 9}
    assert ids(index, "(奶酪 OR 羊绒) 稀土") == {6}


def test_phrases(index: LexicalIndex) -> None:
    assert ids(index, '"永磁材料"') == {1}
    assert ids(index, '"永磁 材料"') == {1}  # spaces between Chinese words in a phrase are not in the text
    assert ids(index, '"材料永磁"') == set()
    assert ids(index, '"晶界扩散提高矫顽力"') == {1}
    assert ids(index, '"晶界扩散 矫顽力"') == set()


def test_field_codes(index: LexicalIndex) -> None:
    assert ids(index, "TI=稀土") == {1}
    assert ids(index, "AB:稀土") == {1, 6}
    assert ids(index, "CL=(稀土)") == {1, 3}
    assert ids(index, "IN=王五") == {5}
    assert ids(index, "TX=稀土") == ids(index, "ALL=稀土") == {1, 3, 6}
    assert ids(index, "伊利") == set()  # free words search title, abstract and claims, not applicants


def test_names_are_units_exact_by_default_and_contained_with_a_star(index: LexicalIndex) -> None:
    assert ids(index, "PA=内蒙古伊利实业集团股份有限公司") == {5}
    assert ids(index, "PA=(内蒙古 伊利实业集团股份有限公司)") == set()  # two names, each a unit: none has both
    assert ids(index, "PA=伊利") == set()  # part of a name is not the name
    assert ids(index, "PA=内蒙古") == set()  # was 内蒙古氢能…, 内蒙古工业大学 and 内蒙古伊利… while names were words
    assert ids(index, "PA=*伊利*") == ids(index, "AP=内蒙古伊利*") == {5}
    assert ids(index, "PA=(内蒙古工业大学 OR *神华*)") == {3, 4}
    assert ids(index, "申请人=(內蒙古工業大學)") == {3}  # Traditional characters fold to the same name
    assert ids(index, "IN=王五 OR IN=张") == {5}


def test_a_whole_applicant_name_typed_alone_finds_its_patents_first(index: LexicalIndex) -> None:
    assert ids(index, "内蒙古伊利实业集团股份有限公司") == {5}
    assert index.search("包头稀土研究院", limit=3).hits[0].patent_id == 1


def test_ipc_prefixes(index: LexicalIndex) -> None:
    assert ids(index, "IPC=H01F") == {1}
    assert ids(index, "IPC=h01f1/05") == {1}
    assert ids(index, 'IPC="H01F 1/057"') == {1}
    assert ids(index, "IPC=(C22C OR C25B1/04)") == {1, 2, 7, 8, 9}
    assert ids(index, "IPC=C07C1/2") == {4}
    assert ids(index, "IPC=H02K21 羊绒") == {6}


def test_date_ranges(index: LexicalIndex) -> None:
    assert ids(index, "AD=[2020 TO 2021]") == {1, 3}
    assert ids(index, "AD=[2020-01-16 TO 2021-12-31]") == {1}
    assert ids(index, "PD=[2022-10-01 TO 2023-12-31]") == {2, 4}
    assert ids(index, "AD=[* TO 2018-12-31]") == {7, 8, 9}
    assert ids(index, "稀土 AD=2021") == {1}


def test_title_ranks_over_abstract_over_claims(index: LexicalIndex) -> None:
    hits = index.search("储氢合金").hits
    assert [hit.patent_id for hit in hits] == [7, 8, 9]
    assert hits[0].score > hits[1].score > hits[2].score


def test_filters(index: LexicalIndex) -> None:
    assert ids(index, "", filters={"kind": ["utility_model"]}) == {2, 3}
    assert ids(index, "稀土", filters={"kind": ["invention"], "region_name": ["包头市"]}) == {1}
    assert ids(index, "", filters={"year": ["2018", "2023"]}) == {4, 7, 8, 9}
    assert ids(index, "", filters={"ipc_subclass": ["H02K"]}) == {6}
    assert ids(index, "", filters={"applicant": ["内蒙古工业大学"]}) == {3}
    assert ids(index, "", filters={"status_class": ["lapsed", "pending"]}) == {3, 4, 7, 8, 9}
    with pytest.raises(InvalidInput, match="未知的筛选条件"):
        index.search("", filters={"colour": ["red"]})


def _hand_count(docs: list[IndexDoc]) -> dict[str, Counter]:
    counts: dict[str, Counter] = {name: Counter() for name in ("kind", "status_class", "year", "region_name")}
    counts["ipc_subclass"], counts["applicant"] = Counter(), Counter()
    for doc in docs:
        for name in ("kind", "status_class", "region_name"):
            if getattr(doc, name):
                counts[name][getattr(doc, name)] += 1
        if doc.application_date:
            counts["year"][str(doc.application_date.year)] += 1
        counts["ipc_subclass"].update({code[:4] for code in doc.ipc_codes})
        counts["applicant"].update(set(doc.applicants))
    return counts


def test_facet_counts(index: LexicalIndex) -> None:
    result = index.search("稀土", limit=1)
    assert result.total == 3
    assert dict(result.facets["kind"]) == {"invention": 2, "utility_model": 1}
    assert dict(result.facets["region_name"]) == {"包头市": 2}
    assert dict(result.facets["year"]) == {"2021": 1, "2020": 1}
    matched = [doc for doc in DOCS if doc.patent_id in {1, 3, 6}]
    for name, counter in _hand_count(matched).items():
        assert dict(result.facets[name]) == dict(counter), name
    everything = index.search("", limit=0)
    for name, counter in _hand_count(DOCS).items():
        assert dict(everything.facets[name]) == dict(counter), name
    assert [year for year, _ in everything.facets["year"]] == ["2023", "2022", "2021", "2020", "2019", "2018"]
    assert index.search("稀土", with_facets=False).facets == {}


def test_sort_orders_and_paging(index: LexicalIndex) -> None:
    newest = [hit.patent_id for hit in index.search("", sort="date_desc", limit=100).hits]
    assert newest == [4, 2, 1, 3, 5, 9, 8, 7, 6]  # undated last
    oldest = [hit.patent_id for hit in index.search("", sort="date_asc", limit=100).hits]
    assert oldest == [7, 8, 9, 5, 3, 1, 2, 4, 6]
    page = index.search("", sort="date_desc", offset=2, limit=3)
    assert page.total == len(DOCS)
    assert [hit.patent_id for hit in page.hits] == [1, 3, 5]
    with pytest.raises(InvalidInput):
        index.search("", sort="random")  # type: ignore[arg-type]


def test_snippets_mark_the_original_text_and_escape_html(index: LexicalIndex) -> None:
    hit = index.search("奶酪").hits[0]
    assert hit.title_html == "含益生菌的<mark>奶酪</mark>及其制备方法&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>" not in hit.abstract_html
    assert hit.abstract_html.startswith("…") and "<mark>奶酪</mark>" in hit.abstract_html
    assert len(hit.abstract_html) < 260
    traditional = index.search("电解水制氢").hits[0]
    assert traditional.title_html == "<mark>電解水製氫</mark>裝置"
    assert traditional.application_no == "202220000002.2"
    plain = index.search("奶酪", with_snippets=False).hits[0]
    assert "<mark>" not in plain.title_html and "&lt;script&gt;" in plain.title_html


def test_upsert_replaces_delete_removes_and_meta_survives_reopen(tmp_path: Path, segmenter: Segmenter) -> None:
    index = LexicalIndex(tmp_path, segmenter)
    index.upsert(DOCS[:3])
    index.commit({"revision": 1})
    index.upsert([IndexDoc(1, "202110000001.1", "一种羊绒纱线")])
    index.commit({"revision": 2})
    assert index.num_docs == 3
    assert ids(index, "羊绒纱线") == {1}
    assert ids(index, "TI=稀土永磁") == set()
    index.delete([2])
    index.commit({"revision": 3, "note": "删除"})

    reopened = LexicalIndex(tmp_path, segmenter)
    assert reopened.meta() == {"revision": 3, "note": "删除"}
    assert reopened.num_docs == 2
    reopened.clear()
    assert reopened.num_docs == 2  # not before the commit
    reopened.commit({"revision": 4})
    assert reopened.num_docs == 0
    assert reopened.meta() == {"revision": 4}


def test_id_sets_express_a_core_domain_database(index: LexicalIndex) -> None:
    database = Or((Term("H01F", "IPC"), Phrase("奶酪", "TX"), IdSet((4, 99))))
    assert ids(index, database) == {1, 4, 5}
    assert ids(index, And((Term("稀土"), database))) == {1}
    assert ids(index, IdSet(())) == set()
    assert ids(index, Not(IdSet((1, 2)))) == {3, 4, 5, 6, 7, 8, 9}


def test_snippets_for_a_ranking_made_elsewhere(index: LexicalIndex) -> None:
    marked = index.snippets("奶酪 OR 稀土", [5, 1, 404])
    assert set(marked) == {1, 5}
    assert marked[5][0].startswith("含益生菌的<mark>奶酪</mark>") and "&lt;script&gt;" in marked[5][0]
    assert "<mark>稀土</mark>" in marked[1][1]
    assert index.snippets(None, [2]) == {2: ("電解水製氫裝置", "一種鹼性電解槽，用於風光制氫。")}
    assert index.snippets("稀土", []) == {}


def test_facets_for_given_documents(index: LexicalIndex) -> None:
    facets = index.facets_for([1, 3, 6])
    assert facets == index.search("稀土", limit=1).facets
    assert all(values == [] for values in index.facets_for([]).values())


def test_filter_ids_applies_filters_and_restriction_to_candidates(index: LexicalIndex) -> None:
    candidates = [1, 2, 3, 5, 6, 404]
    assert index.filter_ids(candidates) == {1, 2, 3, 5, 6}
    assert index.filter_ids(candidates, filters={"kind": ["invention"]}) == {1, 5, 6}
    assert index.filter_ids(candidates, query="IPC=(H01F OR F03D)") == {1, 3}
    restriction = Or((Term("C25B", "IPC"), IdSet((6,))))
    assert index.filter_ids(candidates, query=restriction, filters={"kind": ["invention"]}) == {6}
    assert index.filter_ids([], query="稀土") == set()


def test_undated_documents_sort_last_across_segments(tmp_path: Path, segmenter: Segmenter) -> None:
    index = LexicalIndex(tmp_path, segmenter)
    for doc in (DOCS[5], DOCS[0], DOCS[2]):  # one segment each, the undated one first
        index.upsert([doc])
        index.commit({"revision": doc.patent_id})
    newest = [hit.patent_id for hit in index.search("", sort="date_desc").hits]
    oldest = [hit.patent_id for hit in index.search("", sort="date_asc").hits]
    assert (newest, oldest) == ([1, 3, 6], [3, 1, 6])


def test_cached_facets_follow_commits_from_any_handle(tmp_path: Path, segmenter: Segmenter) -> None:
    writer, reader = LexicalIndex(tmp_path, segmenter), LexicalIndex(tmp_path, segmenter)
    writer.upsert(DOCS[:2])
    writer.commit({"revision": 1})
    assert dict(reader.search("").facets["kind"]) == {"invention": 1, "utility_model": 1}
    reader.search("", offset=1).facets["kind"].clear()  # a caller's change never reaches the cache
    writer.upsert(DOCS[3:4])
    writer.commit({"revision": 2})
    assert dict(reader.search("").facets["kind"]) == {"invention": 2, "utility_model": 1}


def test_any_words_ranks_a_sentence_by_its_content_words(index: LexicalIndex) -> None:
    """A natural-language sentence no patent contains whole still finds, best first, the one sharing most of
    its words; its single characters (的, 用) match nothing by themselves."""
    sentence = "如何用电加热防止风电叶片的除冰问题"
    assert ids(index, sentence) == set()  # all words required: nothing
    hits = index.search(Words(sentence), limit=100).hits
    assert hits[0].patent_id == 3
    assert 5 not in ids(index, Words(sentence))  # shares only 的 with the sentence


def test_snippet_window_and_escaping_match_their_plain_definitions() -> None:
    """The densest-window search by bisection and the one-pass escaping give what the plain definitions give."""
    import html
    import random

    from ipoc.search.lexical import _ESCAPE, SNIPPET_CHARS, _densest

    rng = random.Random(5)
    for _ in range(2000):
        spans, pos = [], 0
        for _ in range(rng.randint(0, 30)):
            start = pos + rng.randint(0, 40)
            spans.append((start, start + rng.randint(1, 6)))
            pos = spans[-1][1]
        starts = [max(0, a - SNIPPET_CHARS // 5) for a, _ in spans] or [0]
        plain = max(starts, key=lambda s: sum(1 for a, b in spans if s <= a and b <= s + SNIPPET_CHARS))
        assert _densest(starts, spans) == plain
    for _ in range(2000):
        text = "".join(rng.choice("ab&<>\"'稀土&amp;\u00a0") for _ in range(rng.randint(0, 20)))
        assert text.translate(_ESCAPE) == html.escape(text)
