"""The on-disk tantivy index of patents: segmented text for ranking, raw fast fields for filters and facets.

Text is indexed pre-tokenized by the Segmenter, with each token's character offset as its position, so phrase
queries stay exact although search-mode segmentation emits overlapping sub-words. The stored title and abstract
are the original text, from which snippets are cut and marked.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import tantivy

from ipoc.errors import InvalidInput
from ipoc.patents.numbers import index_numbers
from ipoc.search.query import (
    EXTRA_FIELD,
    FUNCTION_WORDS,
    ID_FIELD,
    IPC_FIELD,
    NUMBER_FIELD,
    And,
    Compiler,
    IdSet,
    Node,
    extra_key,
    normalise_ipc,
    parse,
    query_terms,
)
from ipoc.search.text import Segmenter, fold, fold_many, name_key

SCHEMA_VERSION = 4  # 2: original title/abstract in stored-only fields, not as stored token streams;
# 3: every number form of a patent, names as units, grant date; 4: columns kept verbatim (extra)
META_FILE = "ipoc-meta.json"
_TEXTUAL = re.compile(r"[^\W\d_]")  # a letter of any script: text worth searching by word
TEXT_FIELDS = ("title", "abstract", "claims", "applicants", "inventors")
STORED_TEXT = {"title": "title_text", "abstract": "abstract_text"}  # stored apart: a stored pre-tokenized
# field keeps every token in the doc store, which doubled the writer's cost per document
FACETS: dict[str, int] = {  # facet → how many values to return
    "kind": 10,
    "status_class": 10,
    "year": 100,
    "ipc_subclass": 30,
    "applicant": 20,
    "region_name": 30,
}
SNIPPET_CHARS = 160
FACET_CACHE_SIZE = 256  # searches whose facet counts are kept until the next commit
Sort = Literal["relevance", "date_desc", "date_asc"]


@dataclass(slots=True)
class IndexDoc:
    patent_id: int
    application_no: str
    title: str
    abstract: str | None = None
    claims: str | None = None
    applicants: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)
    ipc_codes: list[str] = field(default_factory=list)
    kind: str | None = None
    status_class: str | None = None
    application_date: date | None = None
    publication_date: date | None = None
    region_name: str | None = None
    publication_no: str | None = None
    grant_no: str | None = None
    grant_date: date | None = None
    extra: dict[str, str] = field(default_factory=dict)  # columns kept verbatim: header → value


@dataclass(slots=True)
class LexicalHit:
    patent_id: int
    application_no: str
    score: float
    title: str
    title_html: str  # escaped, matches in <mark>
    abstract_html: str  # a window of the abstract around the matches, escaped, matches in <mark>


@dataclass(slots=True)
class LexicalResult:
    total: int
    hits: list[LexicalHit]
    facets: dict[str, list[tuple[str, int]]]


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("patent_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("application_no", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for name in STORED_TEXT.values():
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(IPC_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(EXTRA_FIELD, tokenizer_name="raw", index_option="basic")
    for name in (NUMBER_FIELD, "applicant_key", "inventor_key"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in ("kind", "status_class", "ipc_subclass", "applicant", "region_name"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_date_field("application_date", indexed=True, fast=True)
    builder.add_date_field("publication_date", indexed=True, fast=True)
    builder.add_date_field("grant_date", indexed=True, fast=True)
    return builder.build()


class LexicalIndex:
    """One index directory. Writable: a single tantivy writer is opened lazily and kept until commit or close()
    (only the process that is the index writer opens one, see ``ipoc.search.index_sync``). Read-only: never
    creates, wipes or writes anything; until a committed index in this layout exists it searches an empty one
    in memory, and it switches to the directory's index as soon as one is committed there."""

    def __init__(self, path: Path, segmenter: Segmenter, *, writable: bool = True) -> None:
        self.path = Path(path)
        self._sidecar_cache: tuple[tuple[int, int, int], dict] | None = None
        self.segmenter = segmenter
        self.schema = _schema()
        self.writable = writable
        # Kept columns repeat their values (受理局, 产业分类, 代理机构 …) across a file: segment each value once.
        self._kept_words = lru_cache(maxsize=8192)(self._words_of_kept_value)
        opened: tantivy.Index | None = None
        if writable:
            self.path.mkdir(parents=True, exist_ok=True)
            if tantivy.Index.exists(str(self.path)) and self._sidecar().get("schema") != SCHEMA_VERSION:
                self._wipe()  # derived data in an old layout: start empty, meta() says nothing is indexed
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        else:
            opened = self._open_committed()
            self.index = opened or tantivy.Index(self.schema)
        self._on_disk = writable or opened is not None
        self.compiler = Compiler(self.schema, segmenter, doc_freq=self._doc_freq)
        self._writer: tantivy.IndexWriter | None = None
        self._generation: tuple[int, int, int] | None = None
        self._facet_cache: OrderedDict[tuple, dict[str, list[tuple[str, int]]]] = OrderedDict()
        self._cache_lock = threading.Lock()  # guards the facet cache and generation; never held across index IO

    def _open_committed(self) -> tantivy.Index | None:
        """The directory's committed index, read-only; None while there is none in this layout."""
        try:
            if tantivy.Index.exists(str(self.path)) and self._sidecar().get("schema") == SCHEMA_VERSION:
                return tantivy.Index.open(str(self.path))
        except (OSError, ValueError):
            pass  # being created or wiped by the writer right now: look again at the next search
        return None

    # --- writing -----------------------------------------------------------------------------------------------

    @property
    def writer(self) -> tantivy.IndexWriter:
        if not self.writable:
            raise RuntimeError("a read-only LexicalIndex never writes")
        if self._writer is None:
            self._writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        return self._writer

    def upsert(self, docs: Iterable[IndexDoc]) -> int:
        """Replace or add documents (visible after commit); returns how many were written."""
        writer, count = self.writer, 0
        for doc in docs:
            writer.delete_documents_by_term("patent_id", doc.patent_id)
            writer.add_document(self._document(doc))
            count += 1
        return count

    def delete(self, patent_ids: Iterable[int]) -> None:
        writer = self.writer
        for patent_id in patent_ids:
            writer.delete_documents_by_term("patent_id", int(patent_id))

    def clear(self) -> None:
        """Delete everything; like upsert, visible only at the next commit (so a rebuild swaps in at once)."""
        self.writer.delete_all_documents()

    def commit(self, meta: dict) -> None:
        """Commit the writes, then record which database revision the index holds.

        The sidecar is written after the tantivy commit: a crash between the two leaves an older revision on
        record, so the caller re-applies changes it has already applied (upserts are idempotent), never fewer.
        """
        self.writer.commit()
        self.writer.wait_merging_threads()
        self._writer = None
        self._write_sidecar({"schema": SCHEMA_VERSION, "meta": meta})
        self.index.reload()

    def rollback(self) -> None:
        if self._writer is not None:
            self._writer.rollback()

    def close(self) -> None:
        """Drop uncommitted writes and release the writer lock."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    def meta(self) -> dict:
        return dict(self._sidecar().get("meta", {}))

    @property
    def num_docs(self) -> int:
        return self._searcher().num_docs

    def _words_of_kept_value(self, value: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(word for word, _, _ in self.segmenter.spans(fold(value), folded=True)))

    def _document(self, doc: IndexDoc) -> tantivy.Document:
        out = tantivy.Document()
        out.add_integer("patent_id", doc.patent_id)
        out.add_text("application_no", doc.application_no)
        texts = [doc.title, doc.abstract or "", doc.claims or "", "；".join(doc.applicants), "；".join(doc.inventors)]
        spans = self.segmenter.spans
        for name, text, folded in zip(TEXT_FIELDS, texts, fold_many(texts), strict=True):
            if text:
                tokens = [tantivy.Token(word, start, start, end) for word, start, end in spans(folded, folded=True)]
                out.add_pre_tokenized_text(name, tantivy.PreTokenizedString(text, tokens))
        for name, stored in STORED_TEXT.items():
            if text := getattr(doc, name):
                out.add_text(stored, text)
        codes = [normalise_ipc(code) for code in doc.ipc_codes]
        for code in codes:
            out.add_text(IPC_FIELD, code)
        for subclass in dict.fromkeys(code[:4] for code in codes if len(code) >= 4):
            out.add_text("ipc_subclass", subclass)
        for applicant in dict.fromkeys(doc.applicants):
            out.add_text("applicant", applicant)
        for key_field, names in (("applicant_key", doc.applicants), ("inventor_key", doc.inventors)):
            for key in dict.fromkeys(map(name_key, names)):
                out.add_text(key_field, key)
        for number in index_numbers(doc.application_no, doc.publication_no, doc.grant_no):
            out.add_text(NUMBER_FIELD, number)
        for header, value in doc.extra.items():
            if _TEXTUAL.search(value):  # counts, dates and amounts are shown, not searched by word
                key = extra_key(header)
                for word in self._kept_words(value):
                    out.add_text(EXTRA_FIELD, f"{key}={word}")
        for name in ("kind", "status_class", "region_name"):
            if value := getattr(doc, name):
                out.add_text(name, value)
        if doc.application_date:
            out.add_integer("year", doc.application_date.year)
            out.add_date("application_date", _datetime(doc.application_date))
        if doc.publication_date:
            out.add_date("publication_date", _datetime(doc.publication_date))
        if doc.grant_date:
            out.add_date("grant_date", _datetime(doc.grant_date))
        return out

    # --- searching ---------------------------------------------------------------------------------------------

    def search(
        self,
        query: str | Node | None = "",
        *,
        filters: dict[str, list[str]] | None = None,
        sort: Sort = "relevance",
        offset: int = 0,
        limit: int = 20,
        with_facets: bool = True,
        with_snippets: bool = True,
        with_count: bool = True,
    ) -> LexicalResult:
        """Search with the query syntax of ipoc.search.query; an empty query means all documents (filtered).

        Without the count (``total`` is then the number of hits returned) tantivy can skip documents that cannot
        reach the top: much faster for a long OR of words, as a hybrid search's lexical side is."""
        node = parse(query) if isinstance(query, str) else query
        searcher = self._searcher()  # first: compiling a natural text reads document frequencies from it
        compiled = self._filtered(self.compiler.compile(node), filters or {})
        order = {"date_desc": tantivy.Order.Desc, "date_asc": tantivy.Order.Asc}.get(sort)
        if sort != "relevance" and order is None:
            raise InvalidInput(f"未知的排序方式“{sort}”", field="sort")
        found = searcher.search(
            compiled,
            limit=max(limit, 1),  # tantivy panics on 0; a count-only call still needs one
            offset=max(offset, 0),
            count=with_count,
            order_by_field="application_date" if order else None,
            order=order or tantivy.Order.Desc,
        )
        marker = _Marker(self.segmenter, query_terms(node)) if with_snippets else None
        hits = self._hits(searcher, [(s if order is None else 0.0, a) for s, a in found.hits[: max(limit, 0)]], marker)
        key = (node, _filter_key(filters), self._generation)  # a reload between searcher and facets: no mix-up
        facets = self._cached_facets(searcher, compiled, key) if with_facets else {}
        total = found.count if with_count else len(hits)  # type: ignore[attr-defined]  # tantivy's stub omits count
        return LexicalResult(total=total, hits=hits, facets=facets)

    def snippets(self, query: str | Node | None, patent_ids: list[int]) -> dict[int, tuple[str, str]]:
        """(title_html, abstract_html) of given documents marked with the query's words, for rankings made elsewhere."""
        node = parse(query) if isinstance(query, str) else query
        marker = _Marker(self.segmenter, query_terms(node))
        searcher = self._searcher()
        found = self._among(searcher, self.compiler.id_set(patent_ids), len(patent_ids))
        return {hit.patent_id: (hit.title_html, hit.abstract_html) for hit in self._hits(searcher, found, marker)}

    def facets_for(self, patent_ids: list[int]) -> dict[str, list[tuple[str, int]]]:
        """Facet counts over given documents (a semantic or hybrid result set)."""
        return self._facets(self._searcher(), self.compiler.id_set(patent_ids))

    def filter_ids(
        self,
        candidate_ids: list[int],
        *,
        query: str | Node | None = None,
        filters: dict[str, list[str]] | None = None,
    ) -> set[int]:
        """The candidates that pass the filters and, when given, match the query (e.g. a database restriction)."""
        node = parse(query) if isinstance(query, str) else query
        candidates = IdSet(tuple(candidate_ids))
        restricted = self.compiler.compile(candidates if node is None else And((candidates, node)))
        searcher = self._searcher()
        found = self._among(searcher, self._filtered(restricted, filters or {}), len(candidate_ids))
        ids = searcher.fast_field_values(ID_FIELD, [address for _, address in found]) if found else []
        return {_patent_id(pid) for pid in ids}

    def _doc_freq(self, word: str) -> tuple[int, int]:
        """How many documents hold a word in their abstract (or, lacking one, title), and how many there are; from
        the searcher ``search`` has just brought up to date (no file check per word)."""
        searcher = self.index.searcher()
        df = max(searcher.doc_freq("abstract", word), searcher.doc_freq("title", word))
        return df, max(searcher.num_docs, 1)

    @staticmethod
    def _among(searcher: tantivy.Searcher, query: tantivy.Query, size: int) -> list[tuple[float, tantivy.DocAddress]]:
        if size <= 0:
            return []
        return searcher.search(query, limit=size, count=False).hits

    def _filtered(self, query: tantivy.Query, filters: dict[str, list[str]]) -> tantivy.Query:
        clauses = [(tantivy.Occur.Must, query)]
        for name, values in filters.items():
            if name not in FACETS:
                raise InvalidInput(f"未知的筛选条件“{name}”", field="filters")
            if not values:
                continue
            try:
                terms = [int(v) for v in values] if name == "year" else [str(v) for v in values]
            except ValueError:
                raise InvalidInput(f"年份筛选值无效：{'、'.join(map(str, values))}", field="filters") from None
            term_set = tantivy.Query.term_set_query(self.schema, name, terms)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(term_set, 0.0)))
        return query if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def _searcher(self) -> tantivy.Searcher:
        """The current searcher; a commit by any process (tantivy replaces meta.json) reloads it first and empties
        the facet cache, so cached counts always belong to the documents searched."""
        try:
            stat = (self.path / "meta.json").stat()
            generation = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            generation = None
        if generation != self._generation:  # reload outside the lock: tantivy's reload is thread-safe
            if not self._on_disk:
                opened = self._open_committed()
                if opened is None:
                    return self.index.searcher()
                self.index, self._on_disk = opened, True
            self.index.reload()
            with self._cache_lock:
                self._facet_cache.clear()
                self._generation = generation
        return self.index.searcher()

    def _cached_facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query, key: tuple
    ) -> dict[str, list[tuple[str, int]]]:
        """Facets of a broad query cost tens of milliseconds at 1M documents; paging or re-sorting the same search
        must not pay them again."""
        with self._cache_lock:
            cached = self._facet_cache.get(key)
            if cached is not None:
                self._facet_cache.move_to_end(key)
        if cached is None:
            cached = self._facets(searcher, query)
            with self._cache_lock:
                self._facet_cache[key] = cached
                while len(self._facet_cache) > FACET_CACHE_SIZE:
                    self._facet_cache.popitem(last=False)
        return {name: list(values) for name, values in cached.items()}

    def _facets(self, searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, list[tuple[str, int]]]:
        request = {name: {"terms": {"field": name, "size": size}} for name, size in FACETS.items()}
        result = searcher.aggregate(query, request)
        facets = {}
        for name in FACETS:
            buckets = result.get(name, {}).get("buckets", [])
            facets[name] = [(_facet_key(b["key"]), int(b["doc_count"])) for b in buckets]
        facets["year"].sort(key=lambda item: item[0], reverse=True)
        return facets

    def _hits(
        self, searcher: tantivy.Searcher, found: list[tuple[float, tantivy.DocAddress]], marker: _Marker | None
    ) -> list[LexicalHit]:
        """The page's hits from their stored fields; every title and abstract is folded in one call (one OpenCC
        call per page instead of two per hit)."""
        stored = [searcher.doc(address) for _, address in found]
        titles = [doc.get_first(STORED_TEXT["title"]) or "" for doc in stored]
        abstracts = [doc.get_first(STORED_TEXT["abstract"]) or "" for doc in stored]
        folded = fold_many(titles + abstracts) if marker and stored else []
        hits = []
        for i, ((score, _), doc, title, abstract) in enumerate(zip(found, stored, titles, abstracts, strict=True)):
            if marker:
                title_html = marker.mark(title, marker.spans(title, folded[i]))
                abstract_html = marker.window(abstract, folded[len(stored) + i])
            else:
                title_html, abstract_html = html.escape(title), html.escape(abstract[:SNIPPET_CHARS])
            hits.append(
                LexicalHit(
                    patent_id=_patent_id(doc.get_first(ID_FIELD)),
                    application_no=doc.get_first("application_no") or "",
                    score=float(score),
                    title=title,
                    title_html=title_html,
                    abstract_html=abstract_html,
                )
            )
        return hits

    # --- files -------------------------------------------------------------------------------------------------

    def _sidecar(self) -> dict:
        """The sidecar, parsed again only when the file was replaced (every search reads the revision in it)."""
        path = self.path / META_FILE
        try:
            stat = path.stat()
        except FileNotFoundError:
            return {}
        generation = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._sidecar_cache
        if cached is not None and cached[0] == generation:
            return cached[1]
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        self._sidecar_cache = (generation, content)
        return content

    def _write_sidecar(self, content: dict) -> None:
        tmp = self.path / (META_FILE + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(content, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / META_FILE)

    def _wipe(self) -> None:
        for child in self.path.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def _filter_key(filters: dict[str, list[str]] | None) -> tuple:
    return tuple(sorted((name, tuple(map(str, values))) for name, values in (filters or {}).items() if values))


def _patent_id(value: object) -> int:
    """A document's patent id as read back from the index, where every document stores one."""
    assert isinstance(value, int), f"an indexed document without a patent id: {value!r}"
    return value


def _datetime(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _facet_key(key: object) -> str:
    return str(int(key)) if isinstance(key, float) else str(key)


# html.escape(text) in one pass of str.translate (the same five replacements; several times faster on the short
# pieces a snippet is cut into).
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


class _Marker:
    """Marks query words in the original text: matching runs on the folded text, marks land on the original."""

    def __init__(self, segmenter: Segmenter, terms: list[str]) -> None:
        words: set[str] = set()
        for term in terms:
            folded = fold(term).strip()
            words.add(folded)
            words.update(w for w, _, _ in segmenter.words(folded, folded=True) if w not in FUNCTION_WORDS)
        words.discard("")
        ordered = sorted(words, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def spans(self, text: str, folded: str | None = None) -> list[tuple[int, int]]:
        """Where the words occur in ``text`` (``folded`` is fold(text) when the caller has it already)."""
        if self.pattern is None or not text:
            return []
        folded = fold(text) if folded is None else folded
        if len(folded) == len(text):
            return [m.span() for m in self.pattern.finditer(folded)]
        pieces = [_fold_char(ch) for ch in text]  # folding changed the length: map folded offsets back per character
        origin = [i for i, piece in enumerate(pieces) for _ in piece] + [len(text)]
        return [(origin[m.start()], origin[m.end() - 1] + 1) for m in self.pattern.finditer("".join(pieces))]

    def mark(
        self, text: str, spans: list[tuple[int, int]] | None = None, start: int = 0, end: int | None = None
    ) -> str:
        spans = self.spans(text) if spans is None else spans
        end = len(text) if end is None else end
        out, pos = [], start
        for a, b in _clip(spans, start, end):
            out += [text[pos:a].translate(_ESCAPE), "<mark>", text[a:b].translate(_ESCAPE), "</mark>"]
            pos = b
        out.append(text[pos:end].translate(_ESCAPE))
        return "".join(out)

    def window(self, text: str, folded: str | None = None) -> str:
        """The stretch of SNIPPET_CHARS characters holding the most matches, with … where text was cut."""
        spans = self.spans(text, folded)
        if len(text) <= SNIPPET_CHARS:
            return self.mark(text, spans)
        lead = SNIPPET_CHARS // 5
        starts = [max(0, a - lead) for a, _ in spans] or [0]
        best = _densest(starts, spans)
        best = min(best, len(text) - SNIPPET_CHARS)
        end = best + SNIPPET_CHARS
        return ("…" if best else "") + self.mark(text, spans, best, end) + ("…" if end < len(text) else "")


def _densest(starts: list[int], spans: list[tuple[int, int]]) -> int:
    """The first of ``starts`` whose window of SNIPPET_CHARS holds the most whole spans: what max() over a count
    per start gives, counted by bisection. The marker's spans come from one regex scan, so they do not overlap
    and both their starts and their ends ascend: the spans inside [s, s + W] are then one run of the list."""
    ends = [b for _, b in spans]
    begins = [a for a, _ in spans]
    if begins != sorted(begins) or ends != sorted(ends):
        return max(starts, key=lambda s: sum(1 for a, b in spans if s <= a and b <= s + SNIPPET_CHARS))
    return max(starts, key=lambda s: max(0, bisect_right(ends, s + SNIPPET_CHARS) - bisect_left(begins, s)))


@cache
def _fold_char(ch: str) -> str:
    """fold() of one character, remembered: a text whose folding changes its length is mapped char by char."""
    return fold(ch)


def _clip(spans: list[tuple[int, int]], start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans inside [start, end), overlaps merged."""
    pos = start
    for a, b in sorted(spans):
        a, b = max(a, pos), min(b, end)
        if a < b:
            yield a, b
            pos = b
