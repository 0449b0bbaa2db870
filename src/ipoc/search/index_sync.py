"""Keeping the search indexes behind the database, never ahead of it.

The database is the source of truth. Every change to patents takes a revision (``search.changes``); each
index records the revision it holds and catches up by reading the patents changed since. A crash between a
database commit and an index commit therefore leaves the index merely behind, which the next catch-up (or
``ipoc index rebuild``) repairs; search reports an index that is behind or being rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc.config import get_settings
from ipoc.db import session_scope, utcnow
from ipoc.patents.models import Applicant, Patent, PatentApplicant
from ipoc.reference.models import Region
from ipoc.search.changes import current_rev
from ipoc.search.lexical import IndexDoc, LexicalIndex
from ipoc.search.models import DictionaryTerm, PassageVector
from ipoc.search.text import Segmenter
from ipoc.search.vectors import OFF_TOPIC_QUERIES, Calibration, Embedder, VectorIndex, unpack_many

CHUNK = 2000
COMMIT_EVERY = 50_000  # documents buffered by an import before the lexical index commits
VECTOR_CLOCK_MARGIN = timedelta(minutes=10)  # vectors committed out of order by concurrent embed runs

ProgressFn = Callable[[int, int | None], None]

_lock = threading.RLock()
_building: set[str] = set()


@dataclass
class IndexStatus:
    db_rev: int
    index_rev: int
    documents: int
    patents: int
    vectors: int
    embedded: int
    building: bool
    dictionary_changed: bool

    @property
    def stale(self) -> bool:
        return self.index_rev < self.db_rev or self.dictionary_changed

    @property
    def embeddings_complete(self) -> bool:
        return self.embedded >= self.patents

    def notice(self) -> str | None:
        """What a user must be told about the state of search, in Chinese; None when all is well."""
        if self.building:
            return "检索索引正在重建，结果可能不完整"
        if self.dictionary_changed:
            return "领域词典已修改，重建索引后生效"
        if self.index_rev < self.db_rev:
            return "检索索引尚未包含最新导入的专利，正在追平"
        return None


# --- where the indexes live ------------------------------------------------------------------------------


def _index_root() -> Path:
    return get_settings().resolved_data_dir / "index"


def _lexical_dir() -> Path:
    return _index_root() / "lexical"


def _vector_dir() -> Path:
    return _index_root() / "vectors"


def dictionary_terms(session: Session) -> list[str]:
    return list(session.scalars(select(DictionaryTerm.term).order_by(DictionaryTerm.term)))


def _dictionary_digest(terms: list[str]) -> str:
    return hashlib.sha256("\n".join(terms).encode()).hexdigest()[:16]


class _Lexical:
    """The process's handle on the lexical index, with the revision it has buffered but not yet committed."""

    def __init__(self, path: Path, terms: list[str]) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.segmenter = Segmenter(terms)
        self.digest = _dictionary_digest(terms)
        self.index = LexicalIndex(path, self.segmenter)
        self.buffered_rev: int | None = None
        self.buffered_docs = 0

    @property
    def rev(self) -> int:
        if self.buffered_rev is not None:
            return self.buffered_rev
        return int(self.index.meta().get("rev", 0))

    def commit(self) -> None:
        """Commit what was buffered; if that fails, drop it, so the index is merely behind and catches up."""
        if self.buffered_rev is None:
            return
        try:
            self.index.commit({"rev": self.buffered_rev, "dictionary": self.built_digest or self.digest})
        except BaseException:
            self.index.close()
            raise
        finally:
            self.buffered_rev, self.buffered_docs = None, 0

    @property
    def built_digest(self) -> str | None:
        return self.index.meta().get("dictionary")


_lexicals: dict[Path, _Lexical] = {}
_vectors: dict[Path, tuple[int, VectorIndex]] = {}  # with the vector meta file's mtime it was loaded at
_calibrations: dict[Path, tuple[int, Calibration]] = {}


def lexical(session: Session) -> _Lexical:
    path = _lexical_dir()
    with _lock:
        handle = _lexicals.get(path)
        if handle is None:
            handle = _lexicals[path] = _Lexical(path, _terms_built_with(session))
        return handle


def _terms_path() -> Path:
    return _index_root() / "lexical-terms.txt"


def _terms_built_with(session: Session) -> list[str]:
    """The segmenter must split queries as the index was built; a changed dictionary waits for a rebuild."""
    try:
        return [t for t in _terms_path().read_text(encoding="utf-8").splitlines() if t]
    except OSError:
        return dictionary_terms(session)


def _record_terms(terms: list[str]) -> None:
    path = _terms_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(terms), encoding="utf-8")
    tmp.replace(path)


def forget_handles() -> None:
    """Drop cached index handles (tests switch data dirs; a rebuild swaps the index)."""
    with _lock:
        for handle in _lexicals.values():
            handle.commit()
        _lexicals.clear()
        _vectors.clear()
        _calibrations.clear()
        _counts.clear()


# --- lexical documents -----------------------------------------------------------------------------------


_DOC_COLUMNS = (
    Patent.id,
    Patent.application_no,
    Patent.title,
    Patent.abstract,
    Patent.claims,
    Patent.inventors,
    Patent.ipc_codes,
    Patent.kind,
    Patent.status_class,
    Patent.application_date,
    Patent.publication_date,
    Patent.region_id,
)


def _docs_changed_since(session: Session, after: int, upto: int) -> Iterator[list[IndexDoc]]:
    """Index documents of the patents changed in (after, upto], read with plain column queries (no ORM
    objects: this runs for every imported batch)."""
    regions = dict(session.execute(select(Region.id, Region.name)).all())
    last_id = 0
    while True:
        rows = session.execute(
            select(*_DOC_COLUMNS)
            .where(Patent.rev > after, Patent.rev <= upto, Patent.id > last_id)
            .order_by(Patent.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        names = _applicant_names(session, [row.id for row in rows])
        yield [
            IndexDoc(
                patent_id=row.id,
                application_no=row.application_no,
                title=row.title,
                abstract=row.abstract,
                claims=row.claims,
                applicants=names.get(row.id, []),
                inventors=list(row.inventors or []),
                ipc_codes=list(row.ipc_codes or []),
                kind=row.kind,
                status_class=row.status_class,
                application_date=row.application_date,
                publication_date=row.publication_date,
                region_name=regions.get(row.region_id),
            )
            for row in rows
        ]
        last_id = rows[-1].id


def _applicant_names(session: Session, patent_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    stmt = (
        select(PatentApplicant.patent_id, Applicant.name)
        .join(Applicant, Applicant.id == PatentApplicant.applicant_id)
        .where(PatentApplicant.patent_id.in_(patent_ids))
        .order_by(PatentApplicant.patent_id, PatentApplicant.position)
    )
    for patent_id, name in session.execute(stmt):
        names[patent_id].append(name)
    return names


def catch_up(session: Session, *, commit: bool = True, progress: ProgressFn | None = None) -> int:
    """Bring the lexical index up to the database's revision; returns the number of documents written."""
    with _lock:
        handle = lexical(session)
        start, target = handle.rev, current_rev(session)
        if target <= start:
            return 0
        written = 0
        for docs in _docs_changed_since(session, start, target):
            handle.index.upsert(docs)
            written += len(docs)
            if progress:
                progress(written, None)
        handle.buffered_rev = target
        handle.buffered_docs += written
        if commit or handle.buffered_docs >= COMMIT_EVERY:
            handle.commit()
        return written


class BatchIndexer:
    """Used by an import: catch up after every committed batch, commit the index every so often and at the end."""

    def add_batch(self) -> None:
        with session_scope() as session:
            catch_up(session, commit=False)

    def close(self) -> None:
        with _lock:
            for handle in _lexicals.values():
                handle.commit()


class FollowerIndexer:
    """The same, in a second process: on two cores the import's parsing and database writes then run beside
    the segmentation and indexing instead of taking turns with them. The follower reads what each committed
    batch changed from the database, as any catch-up does, so nothing but a nudge crosses the process line."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited engines, threads or index handles
        self._queue = context.Queue()
        self._errors = context.Queue()
        with _lock:  # hand the writer over: this process must hold no uncommitted writes or lock
            for handle in _lexicals.values():
                handle.commit()
                handle.index.close()
        self._process = context.Process(
            target=_follow, args=(get_settings().model_dump(), self._queue, self._errors), daemon=True
        )
        self._process.start()

    def add_batch(self) -> None:
        self._queue.put(False)

    def close(self) -> None:
        self._queue.put(True)
        self._process.join()
        if not self._errors.empty():
            raise RuntimeError(f"indexing process failed: {self._errors.get()}")


def _follow(settings: dict, queue: multiprocessing.Queue, errors: multiprocessing.Queue) -> None:
    """The follower's loop: catch up once per nudge (nudges that piled up meanwhile count as one)."""
    from ipoc.config import Settings, set_settings

    set_settings(Settings(**settings))
    import ipoc.models  # noqa: F401  (every table known before the first query)

    try:
        done = False
        while not done:
            done = queue.get()
            while not queue.empty():
                done = queue.get() or done
            with session_scope() as session:
                catch_up(session, commit=done)
    except BaseException as exc:  # reported to the importing process, which raises it
        errors.put(repr(exc))
        raise


PARALLEL_INDEX_MIN_BYTES = 16 << 20  # below this a second process costs more (its start-up) than it saves


def batch_indexer(file_size: int = 0) -> BatchIndexer | FollowerIndexer:
    return FollowerIndexer() if file_size >= PARALLEL_INDEX_MIN_BYTES else BatchIndexer()


# --- vectors ---------------------------------------------------------------------------------------------


def _vector_meta_path() -> Path:
    return _index_root() / "vectors.meta"


def _written(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def vector_index() -> VectorIndex | None:
    """The vector index, loaded again when another process (``ipoc embed run``) has saved a newer one."""
    path = _vector_dir()
    with _lock:
        loaded = _vectors.get(path)
        written = _written(_vector_meta_path())
        if loaded is None or loaded[0] != written:
            try:
                _vectors[path] = (written, VectorIndex.load(path))
            except ValueError:
                return None
        return _vectors[path][1]


def _vectors_for(session: Session, patent_ids: list[int]) -> tuple[list[int], list[int], np.ndarray]:
    """Split patents into those with a stored vector (ids, matrix) and those without."""
    rows = session.execute(
        select(Patent.id, PassageVector.vector)
        .join(PassageVector, PassageVector.text_hash == Patent.passage_hash, isouter=True)
        .where(Patent.id.in_(patent_ids))
    ).all()
    have = [(pid, blob) for pid, blob in rows if blob is not None]
    missing = [pid for pid, blob in rows if blob is None]
    return [pid for pid, _ in have], missing, unpack_many([blob for _, blob in have])


def sync_vectors(session: Session, *, progress: ProgressFn | None = None) -> int:
    """Bring the vector index up to the stored vectors and the patents' current passages."""
    with _lock:
        index = vector_index() or VectorIndex(np.empty(0, dtype=np.int64), np.empty((0, 384), dtype=np.float32))
        meta = _read_vector_meta()
        target, started = current_rev(session), utcnow()
        since = datetime.fromisoformat(meta["vectors_since"]) if meta.get("vectors_since") else None
        changed = select(Patent.id).where(Patent.rev > meta.get("rev", 0), Patent.rev <= target)
        if since:
            newly = select(Patent.id).join(PassageVector, PassageVector.text_hash == Patent.passage_hash)
            changed = changed.union(newly.where(PassageVector.created_at >= since))
        ids = list(session.scalars(changed))
        for start in range(0, len(ids), CHUNK):
            have, missing, matrix = _vectors_for(session, ids[start : start + CHUNK])
            index.remove(np.asarray(missing, dtype=np.int64))
            index.add(np.asarray(have, dtype=np.int64), matrix)
            if progress:
                progress(start + CHUNK, len(ids))
        index.save(_vector_dir())
        _write_vector_meta({"rev": target, "vectors_since": (started - VECTOR_CLOCK_MARGIN).isoformat()})
        _vectors[_vector_dir()] = (_written(_vector_meta_path()), index)
        _refit_calibration_if_needed(session, len(index))
        return len(ids)


# --- the semantic score floor ----------------------------------------------------------------------------

CALIBRATION_SAMPLE = 50_000  # vectors enough to estimate the corpus mean and covariance the floor needs
REFIT_DRIFT = 0.2  # refit when the corpus has grown or shrunk by this share since the last fit


def _calibration_path() -> Path:
    return _index_root() / "calibration.json"


def calibration() -> Calibration | None:
    path = _calibration_path()
    with _lock:
        loaded = _calibrations.get(path)
        written = _written(path)
        if loaded is None or loaded[0] != written:
            try:
                _calibrations[path] = (written, Calibration.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError):
                return None
        return _calibrations[path][1]


@cache
def _off_topic_vectors() -> np.ndarray:
    """The everyday queries the floor is calibrated against never change: embed them once per process."""
    embedder = Embedder.shared()
    return np.stack([embedder.query(text) for text in OFF_TOPIC_QUERIES])


def _refit_calibration_if_needed(session: Session, size: int) -> None:
    current = calibration()
    if size < 2 or (current is not None and abs(size - current.count) <= REFIT_DRIFT * current.count):
        return
    blobs = list(
        session.scalars(
            select(PassageVector.vector)
            .join(Patent, Patent.passage_hash == PassageVector.text_hash)
            .order_by(Patent.id)
            .limit(CALIBRATION_SAMPLE)
        )
    )
    fitted = Calibration.fit(unpack_many(blobs), _off_topic_vectors())
    fitted.count = size  # the floor grows with the corpus the index holds, not with the sample
    path = _calibration_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fitted.to_dict()))
    tmp.replace(path)
    _calibrations[path] = (_written(path), fitted)


def _read_vector_meta() -> dict:
    try:
        return json.loads(_vector_meta_path().read_text())
    except (OSError, ValueError):
        return {}


def _write_vector_meta(meta: dict) -> None:
    path = _vector_meta_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta))
    tmp.replace(path)


# --- status and rebuild ----------------------------------------------------------------------------------


_counts: dict[Path, tuple[tuple[int, int], tuple[int, int]]] = {}


def _patent_counts(session: Session, db_rev: int) -> tuple[int, int]:
    """(patents, patents with a stored vector). Counting a large table on every search would cost more than
    the search itself, so the counts are kept until the patents change (a new revision) or vectors are
    stored (the vector index's meta file is rewritten, by this process or another)."""
    key = (db_rev, _written(_vector_meta_path()))
    cached = _counts.get(_index_root())
    if cached is not None and cached[0] == key:
        return cached[1]
    patents = session.scalar(select(func.count(Patent.id))) or 0
    embedded = session.scalar(
        select(func.count(Patent.id)).join(PassageVector, PassageVector.text_hash == Patent.passage_hash)
    )
    _counts[_index_root()] = (key, (patents, embedded or 0))
    return patents, embedded or 0


def status(session: Session) -> IndexStatus:
    handle = lexical(session)
    vectors = vector_index()
    db_rev = current_rev(session)
    patents, embedded = _patent_counts(session, db_rev)
    return IndexStatus(
        db_rev=db_rev,
        index_rev=handle.rev,
        documents=handle.index.num_docs,
        patents=patents,
        vectors=len(vectors) if vectors is not None else 0,
        embedded=embedded,
        building="lexical" in _building,
        dictionary_changed=(handle.built_digest or handle.digest) != _dictionary_digest(dictionary_terms(session)),
    )


def rebuild(progress: ProgressFn | None = None) -> IndexStatus:
    """Rebuild both indexes from the database and the stored vectors; nothing is embedded again.

    The lexical index is refilled in one tantivy commit, so searches see the old index until the new one is
    complete and a crash midway leaves the old one intact.
    """
    with _lock:
        _building.add("lexical")
        try:
            with session_scope() as session:
                forget_handles()
                _record_terms(dictionary_terms(session))
                handle = lexical(session)
                target = current_rev(session)
                handle.index.clear()
                done = 0
                for docs in _docs_changed_since(session, -1, target):
                    handle.index.upsert(docs)
                    done += len(docs)
                    if progress:
                        progress(done, None)
                handle.buffered_rev = target
                handle.index.commit({"rev": target, "dictionary": handle.digest})
                handle.buffered_rev = None
                _rebuild_vectors(session)
        finally:
            _building.discard("lexical")
        with session_scope() as session:
            return status(session)


def _rebuild_vectors(session: Session) -> None:
    shutil.rmtree(_vector_dir(), ignore_errors=True)
    _vector_meta_path().unlink(missing_ok=True)
    _calibration_path().unlink(missing_ok=True)
    _vectors.clear()
    _calibrations.clear()
    sync_vectors(session)
