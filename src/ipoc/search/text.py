"""Chinese text folding and segmentation shared by indexing and querying, so both sides see the same tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

import opencc
import rjieba

_WORD_CHAR = re.compile(r"[^\W_]")  # drops whitespace and punctuation tokens (isalnum() answers most tokens first)
# The full-width forms common in Chinese text, replaced by their NFKC forms with cheap str.replace calls: most text
# is then already NFKC-normal and skips the (slow, whole-string) normalisation. The result is the same.
_COMMON_WIDE = tuple(zip("，；：（）\u3000！？", ",;:() !?", strict=True))
FIELD_SEPARATOR = "\ue000"  # a private-use character: folding keeps it and no word spans it


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Traditional→Simplified, full-width→half-width (NFKC), Latin lower-cased: what both index and query see."""
    if text.isascii():
        return text.lower()
    for wide, narrow in _COMMON_WIDE:
        if wide in text:
            text = text.replace(wide, narrow)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _t2s().convert(text).lower()


def fold_many(texts: list[str]) -> list[str]:
    """fold() of each text, with one call into OpenCC for all of them (the per-call cost dominates short fields)."""
    if any(FIELD_SEPARATOR in text for text in texts):
        return [fold(text) for text in texts]
    folded = fold(FIELD_SEPARATOR.join(texts)).split(FIELD_SEPARATOR)
    return folded if len(folded) == len(texts) else [fold(text) for text in texts]


def seed_terms() -> list[str]:
    """The bundled domain dictionary (terms of the region's industries)."""
    raw = resources.files("ipoc.search").joinpath("domain_terms.txt").read_text(encoding="utf-8")
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")]


_NAME_NOISE = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """An applicant's or inventor's name as one comparable unit: folded, without spaces or punctuation, so
    "内蒙古示例大学 " and "內蒙古示例大學" are one name and "北京某某(集团)有限公司" matches its bracket variants."""
    return _NAME_NOISE.sub("", fold(name))


@cache
def default_segmenter() -> Segmenter:
    """The seed dictionary's segmenter, for reading a query's shape (not for indexing: that uses the instance's)."""
    return Segmenter()


class Segmenter:
    """An rjieba instance of its own with the domain dictionary, so editing terms never leaks to other users."""

    def __init__(self, extra_terms: Iterable[str] = (), *, use_seed: bool = True) -> None:
        self._jieba = rjieba.Jieba()
        self.terms: set[str] = set()
        self.add_terms(seed_terms() if use_seed else ())
        self.add_terms(extra_terms)

    def add_terms(self, terms: Iterable[str]) -> None:
        for term in terms:
            folded = fold(term.strip())
            if folded and folded not in self.terms:
                self._jieba.add_word(folded, None, None)
                self.terms.add(folded)

    def spans(self, text: str, *, folded: bool = False) -> list[tuple[str, int, int]]:
        """Search-mode tokens (whole words and their dictionary sub-words) with character offsets in the folded text.

        Offsets, not token counts, serve as positions in the index: overlapping sub-words then keep phrase queries
        exact ("永磁材料" still matches inside "稀土永磁材料").
        """
        text = text if folded else fold(text)
        return [s for s in self._jieba.tokenize(text, "search") if s[0].isalnum() or _WORD_CHAR.search(s[0])]

    def words(self, text: str, *, folded: bool = False) -> list[tuple[str, int, int]]:
        """Precise-mode tokens (no overlaps) with offsets: how a query word is split."""
        text = text if folded else fold(text)
        return [s for s in self._jieba.tokenize(text, "default") if s[0].isalnum() or _WORD_CHAR.search(s[0])]

    def tokens(self, text: str) -> list[str]:
        """Folded search-mode tokens without whitespace or punctuation."""
        return [word for word, _, _ in self.spans(text)]

    def segmented(self, text: str) -> str:
        """Tokens joined by spaces (for a whitespace tokenizer or for display)."""
        return " ".join(self.tokens(text))
