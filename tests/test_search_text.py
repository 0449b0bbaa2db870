"""Folding and segmentation: the domain dictionary and Traditional/full-width input."""

from __future__ import annotations

import unicodedata

import pytest

from ipoc.search.text import Segmenter, _t2s, fold, fold_many, seed_terms


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def test_fold_traditional_fullwidth_and_case() -> None:
    assert fold("稀土永磁體ＡＢＣ１２３") == "稀土永磁体abc123"
    assert fold("電解水製氫　NdFeB") == "电解水制氢 ndfeb"


def test_seed_dictionary_is_real_and_needed() -> None:
    terms = seed_terms()
    assert len(terms) >= 300
    assert {"稀土永磁", "钕铁硼", "电解水制氢", "煤制烯烃", "乳清蛋白", "风电机组", "马铃薯种薯"} <= set(terms)
    plain = Segmenter(use_seed=False)
    split_without = [t for t in terms if len(plain.words(t)) > 1]
    assert len(split_without) > len(terms) // 3  # the dictionary fixes what jieba alone gets wrong
    assert [w for w, _, _ in plain.words("电解水制氢")] != ["电解水制氢"]


def test_dictionary_keeps_terms_whole_and_search_mode_adds_parts(segmenter: Segmenter) -> None:
    assert [w for w, _, _ in segmenter.words("采用电解水制氢工艺")] == ["采用", "电解水制氢", "工艺"]
    tokens = segmenter.tokens("稀土永磁材料")
    assert {"稀土", "永磁", "稀土永磁材料"} <= set(tokens)
    assert segmenter.segmented("煤制烯烃，乳清蛋白!") == " ".join(segmenter.tokens("煤制烯烃，乳清蛋白!"))
    assert "，" not in segmenter.tokens("煤制烯烃，乳清蛋白!")


def test_extra_terms_given_at_run_time() -> None:
    assert [w for w, _, _ in Segmenter().words("新型蒙古包毡房")] != ["新型", "蒙古包毡房"]
    custom = Segmenter(["蒙古包毡房"])
    assert [w for w, _, _ in custom.words("新型蒙古包毡房")] == ["新型", "蒙古包毡房"]
    assert [w for w, _, _ in Segmenter().words("新型蒙古包毡房")] != ["新型", "蒙古包毡房"]  # instances apart


def test_traditional_terms_fold_to_the_same_tokens(segmenter: Segmenter) -> None:
    assert segmenter.tokens("電解水製氫") == segmenter.tokens("电解水制氢")


def test_spans_offsets_point_into_the_folded_text(segmenter: Segmenter) -> None:
    text = fold("一种稀土永磁材料")
    for word, start, end in segmenter.spans(text, folded=True):
        assert text[start:end] == word


@pytest.mark.parametrize("text", ["稀土（Nd）：永磁，材料　ＡＢ①", "Ａ\u0301，é", "ΣΑΣ；ΟΔΟΣ", "plain ASCII Text", ""])
def test_fast_folding_equals_plain_nfkc_folding(text: str) -> None:
    assert fold(text) == _t2s().convert(unicodedata.normalize("NFKC", text)).lower()


def test_fold_many_equals_folding_each_text() -> None:
    texts = ["電解水製氫", "", "ΟΔΟΣ", "稀土（Nd）", "a\ue000b"]
    assert fold_many(texts) == [fold(text) for text in texts]
    assert fold_many(texts[:4]) == [fold(text) for text in texts[:4]]
