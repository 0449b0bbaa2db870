"""Keeping the search indexes behind the database, never ahead of it, with one writer and lock-free readers.

The database is the source of truth. Every change to patents takes a revision (``search.changes``); each
index records the revision it holds and catches up by reading the patents changed since. A crash between a
database commit and an index commit therefore leaves the index merely behind, which the next catch-up (or
``ipoc index rebuild``) repairs; search reports an index that is behind or being rebuilt.

One process per index directory writes: the one holding an exclusive ``flock`` on ``index/writer.lock``. It
catches up right after each of its own transactions that changed patents commits (in the committing thread,
so a test, the CLI or an import sees its own writes), and its follower thread polls the database revision
every second for commits by other processes (``ipoc worker``, a second web process, the CLI). Every other
process keeps trying to take the lock, so that one takes over when the writer dies. Searches never write and
never wait for the writer: they open the committed index, reload their searcher when a commit replaced it,
and say when it lags behind the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
from sqlalchemy import CompoundSelect, Integer, Select, String, event, func, literal, select, union_all
from sqlalchemy.orm import Session

import ipoc.models  # noqa: F401  (every table known before the child's first query)
from ipoc.config import Settings, get_settings, set_settings
from ipoc.db import session_scope, utcnow
from ipoc.errors import Conflict
from ipoc.jobs.heartbeat import pid_alive
from ipoc.patents.models import Applicant, Patent, PatentApplicant
from ipoc.reference.models import Region
from ipoc.search.changes import PATENTS, REV_KEY, current_rev, revisions
from ipoc.search.lexical import IndexDoc, LexicalIndex
from ipoc.search.models import ChangeCounter, DictionaryTerm, PassageVector
from ipoc.search.text import Segmenter
from ipoc.search.vectors import OFF_TOPIC_QUERIES, Calibration, Embedder, VectorIndex, unpack_many

log = logging.getLogger(__name__)

CHUNK = 2000
COMMIT_EVERY = 50_000  # documents buffered by an import before the lexical index commits
VECTOR_CLOCK_MARGIN = timedelta(minutes=10)  # vectors committed out of order by concurrent embed runs
POLL_SECONDS = 1.0  # the follower reads the database revision this often
RETRY_SECONDS = 3.0  # a process that is not the writer tries to become it this often
DEFER_SECONDS = 10.0  # a follower that is not eager first leaves the role this long to an eager one (a worker)
MAX_BUFFER_SECONDS = 10.0  # a follower catching up another process's import commits at least this often
VECTOR_SYNC_SECONDS = 30.0  # patents changed: the vector index follows at most this often (it is saved whole)
PARALLEL_INDEX_MIN_BYTES = 16 << 20  # a bulk import below this indexes in its own thread (a process costs more)
REBUILD_WAIT_SECONDS = 4 * 3600.0
DELEGATE_WAIT_SECONDS = 5.0  # a bulk import waits this long for the mutex before indexing in its own thread
LOCK_FILE = "writer.lock"

ProgressFn = Callable[[int, int | None], None]


class IndexBusy(Conflict):
    """Another process is the index writer and cannot do what was asked."""


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


def _terms_path() -> Path:
    return _index_root() / "lexical-terms.txt"


def _rebuild_marker() -> Path:
    return _index_root() / "rebuilding"


def dictionary_terms(session: Session) -> list[str]:
    return list(session.scalars(select(DictionaryTerm.term).order_by(DictionaryTerm.term)))


def _dictionary_digest(terms: list[str]) -> str:
    return hashlib.sha256("\n".join(terms).encode()).hexdigest()[:16]


def _terms_built_with(session: Session) -> list[str]:
    """The segmenter must split queries as the index was built; a changed dictionary waits for a rebuild."""
    try:
        return [t for t in _terms_path().read_text(encoding="utf-8").splitlines() if t]
    except OSError:
        return dictionary_terms(session)


def _record_terms(terms: list[str]) -> None:
    _write_json_text(_terms_path(), "\n".join(terms))


def _write_json_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _written(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _generation(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


# --- readers: the committed index, never written here -----------------------------------------------------


class _Lexical:
    """A read-only handle on the committed lexical index, with the segmenter it was built with."""

    def __init__(self, path: Path, terms: list[str]) -> None:
        self.path = path
        self.segmenter = Segmenter(terms)
        self.digest = _dictionary_digest(terms)
        self.terms_generation = _generation(_terms_path())
        self.index = LexicalIndex(path, self.segmenter, writable=False)

    @property
    def rev(self) -> int:
        """The database revision the committed index holds."""
        return int(self.index.meta().get("rev", 0))


_handles_lock = threading.Lock()  # guards the dicts of handles below; never held across IO or index work
_lexicals: dict[Path, _Lexical] = {}
_vectors: dict[Path, tuple[int, VectorIndex]] = {}  # with the vector meta file's mtime it was loaded at
_vector_loading = threading.Lock()  # one thread loads a new vector index; the others answer from the old one
_calibrations: dict[Path, tuple[int, Calibration]] = {}


def lexical(session: Session) -> _Lexical:
    """The committed lexical index for searching. A rebuild with another dictionary records new terms: the
    handle is then opened again so that queries are segmented as the index now is."""
    path = _lexical_dir()
    handle = _lexicals.get(path)
    if handle is not None and handle.terms_generation == _generation(_terms_path()):
        return handle
    fresh = _Lexical(path, _terms_built_with(session))  # opened outside the lock: it reads files
    with _handles_lock:
        current = _lexicals.get(path)
        if current is not handle and current is not None:
            return current  # another thread opened one meanwhile
        _lexicals[path] = fresh
    return fresh


def _committed_rev() -> int:
    return int(_read_json(_lexical_dir() / "ipoc-meta.json").get("meta", {}).get("rev", 0))


def forget_handles() -> None:
    """Stop this process's follower, give up the writer role and drop cached handles (tests switch data dirs)."""
    stop_follower()
    with _handles_lock:
        writers = list(_writers.values())
        _writers.clear()
    for writer in writers:
        writer.release()
    with _handles_lock:
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
    Patent.publication_no,
    Patent.grant_no,
    Patent.grant_date,
    Patent.extra,
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
                publication_no=row.publication_no,
                grant_no=row.grant_no,
                grant_date=row.grant_date,
                extra=dict(row.extra or {}),
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


# --- the writer ------------------------------------------------------------------------------------------


class _LexicalWriter:
    """The writer's handle on the lexical index, with the revision it has buffered but not yet committed."""

    def __init__(self, path: Path, terms: list[str]) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.segmenter = Segmenter(terms)
        self.digest = _dictionary_digest(terms)
        self.index = LexicalIndex(path, self.segmenter)
        self.buffered_rev: int | None = None
        self.buffered_docs = 0
        self.buffered_since = 0.0

    @property
    def rev(self) -> int:
        if self.buffered_rev is not None:
            return self.buffered_rev
        return int(self.index.meta().get("rev", 0))

    def catch_up(self, session: Session, *, commit: bool, progress: ProgressFn | None = None) -> int:
        """Write the patents changed since this handle's revision; commit when asked or when enough is buffered."""
        start, target = self.rev, current_rev(session)
        written = 0
        if target > start:
            for docs in _docs_changed_since(session, start, target):
                self.index.upsert(docs)
                written += len(docs)
                if progress:
                    progress(written, None)
            if self.buffered_rev is None:
                self.buffered_since = time.monotonic()
            self.buffered_rev = target
            self.buffered_docs += written
        if commit or self.buffered_docs >= COMMIT_EVERY:
            self.commit()
        return written

    def commit(self) -> None:
        """Commit what was buffered; if that fails, drop it, so the index is merely behind and catches up."""
        if self.buffered_rev is None:
            return
        try:
            self.index.commit(
                {"rev": self.buffered_rev, "dictionary": self.index.meta().get("dictionary") or self.digest}
            )
        except BaseException:
            self.index.close()
            raise
        finally:
            self.buffered_rev, self.buffered_docs = None, 0


class _Writer:
    """This process's role as the writer of one index directory.

    ``mutex`` serialises this process's own index writes (a committing thread, the follower, a rebuild); readers
    never take it. While a large bulk import runs here, a spawned child process (``delegate``) does the writing
    so that parsing and indexing use both cores, and the importing thread holds ``mutex`` until it ends."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mutex = threading.RLock()
        self.lexical: _LexicalWriter | None = None
        self.delegate: _IndexingProcess | None = None
        self.bulks = 0  # bulk imports running in this process: the follower leaves their commits to them
        self.counting = threading.Lock()  # guards ``bulks``
        self.last_vector_sync = 0.0
        self._fd: int | None = None
        self._fd_lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, *, follower: bool) -> bool:
        """Become the writer if no other process is (non-blocking); True when this process is the writer."""
        with self._fd_lock:
            if self._fd is not None:
                if follower:
                    self._describe(follower=True)
                return True
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._fd = fd
            self._describe(follower=follower)
            log.info("process %s is now the search index writer for %s", os.getpid(), self.root)
            return True

    def _describe(self, *, follower: bool) -> None:
        """Who holds the lock, for messages and for a rebuild asked by another process."""
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps({"pid": os.getpid(), "follower": follower}).encode(), 0)

    def release(self) -> None:
        """Commit what is buffered and give up the writer role (the lock goes with the file descriptor)."""
        with self.mutex:
            try:
                self.close_lexical()
            except Exception:  # the index is merely behind; the next writer catches up
                log.exception("index commit at release failed")
            with self._fd_lock:
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None

    def lexical_handle(self, session: Session) -> _LexicalWriter:
        if self.lexical is None:
            self.lexical = _LexicalWriter(self.root / "lexical", _terms_built_with(session))
        return self.lexical

    def catch_up(self, *, commit: bool, progress: ProgressFn | None = None) -> int:
        """Bring the lexical index up to the database's revision under ``mutex``, or, while a bulk import's
        child process writes, nudge it; returns the documents written here."""
        with self.mutex:
            if self.delegate is not None:
                self.delegate.nudge()
                return 0
            with session_scope() as session:
                return self.lexical_handle(session).catch_up(session, commit=commit, progress=progress)

    def close_lexical(self) -> None:
        """Commit and drop the tantivy writer (before a child process or a rebuild opens its own)."""
        handle, self.lexical = self.lexical, None
        if handle is not None:
            try:
                handle.commit()
            finally:
                handle.index.close()


_writers: dict[Path, _Writer] = {}


def _writer_for(root: Path) -> _Writer:
    with _handles_lock:
        writer = _writers.get(root)
        if writer is None:
            writer = _writers[root] = _Writer(root)
        return writer


def _writer(*, acquire: bool) -> _Writer | None:
    """This process's writer role for the current index, taking the lock when free and ``acquire``."""
    writer = _writer_for(_index_root())
    if writer.held or (acquire and writer.try_acquire(follower=_follower_running())):
        return writer
    return None


def is_writer() -> bool:
    """Whether this process writes the current index (holds its lock)."""
    return _writer(acquire=False) is not None


@contextmanager
def _writing() -> Iterator[_Writer]:
    """Run index work as the writer: this process takes the lock if it is free, else IndexBusy."""
    writer = _writer(acquire=True)
    if writer is None:
        raise IndexBusy(f"检索索引正由另一个进程（{_holder_text()}）维护，本进程不能写入")
    with writer.mutex:
        yield writer


def _holder_text() -> str:
    pid = _read_json(_index_root() / LOCK_FILE).get("pid")
    return f"进程号 {pid}" if pid else "进程号未知"


def catch_up(session: Session, *, commit: bool = True, progress: ProgressFn | None = None) -> int:
    """Bring the lexical index up to the database's revision as the writer; returns the documents written.
    Never called by a search: readers answer from the committed index."""
    with _writing() as writer:
        if writer.delegate is not None:  # a bulk import's child process writes right now
            writer.delegate.nudge()
            return 0
        return writer.lexical_handle(session).catch_up(session, commit=commit, progress=progress)


# --- after a commit that changed patents ----------------------------------------------------------------

_bulk: ContextVar[bool] = ContextVar("ipoc_index_bulk", default=False)


def _after_commit(session: Session) -> None:
    """A savepoint's release fires this too: the revision is caught up with once the transaction commits."""
    if session.in_nested_transaction() or session.info.pop(REV_KEY, None) is None:
        return
    try:
        _patents_committed()
    except Exception:  # the commit stands; the index is merely behind and the follower (or next commit) retries
        log.exception("search index catch-up after commit failed")


def _after_rollback(session: Session) -> None:
    """A savepoint's rollback keeps the mark: a revision taken before it still commits (a spurious catch-up, when
    the revision was taken inside it, finds nothing new)."""
    if not session.in_nested_transaction():
        session.info.pop(REV_KEY, None)


def _patents_committed() -> None:
    """In the writer process, catch up before the committing caller goes on (buffered in a bulk import); a
    process with no writer running anywhere (the CLI) becomes the writer; any other leaves it to the writer."""
    writer = _writer(acquire=True)
    if writer is None:
        return
    if writer.delegate is not None:  # checked before the mutex, which the importing thread holds meanwhile
        writer.delegate.nudge()
        return
    writer.catch_up(commit=not _bulk.get())


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)


@contextmanager
def bulk(size_hint: int = 0) -> Iterator[None]:
    """Around a bulk import: the index buffers its writes (committing every COMMIT_EVERY documents and at the
    end) instead of committing after each batch; for a large input (``size_hint`` bytes) a child process does
    the indexing beside the import. Never raises for the index: a failed index is merely behind."""
    token = _bulk.set(True)
    writer = _writer(acquire=True)
    delegated = False
    if writer is not None:
        with writer.counting:
            writer.bulks += 1
        delegated = size_hint >= PARALLEL_INDEX_MIN_BYTES and _delegate(writer)
    try:
        yield
    finally:
        _bulk.reset(token)
        if writer is not None:
            _end_bulk(writer, delegated)


def _delegate(writer: _Writer) -> bool:
    """Hand the writing to a child process; the calling thread holds the mutex until the bulk ends. When another
    bulk here already delegates, its child serves this one too (its commits nudge it)."""
    if writer.delegate is not None or not writer.mutex.acquire(timeout=DELEGATE_WAIT_SECONDS):
        return False
    if writer.delegate is not None:
        writer.mutex.release()
        return False
    try:
        writer.close_lexical()
        writer.delegate = _IndexingProcess(writer.root)
    except Exception:
        log.exception("could not start the indexing process; indexing in the importing thread")
        writer.mutex.release()
        return False
    return True


def _end_bulk(writer: _Writer, delegated: bool) -> None:
    try:
        if delegated:
            delegate, writer.delegate = writer.delegate, None
            try:
                if delegate is not None:
                    delegate.close()
            except Exception:
                log.exception("indexing process failed; catching up here")
            finally:
                writer.mutex.release()
        with writer.counting:
            writer.bulks -= 1
        if writer.delegate is not None:  # another bulk's child writes: it commits all there is when it ends
            writer.delegate.nudge()
            return
        writer.catch_up(commit=True)
    except Exception:
        log.exception("search index catch-up after a bulk import failed; the follower retries")


class _IndexingProcess:
    """The writer's child while a large import runs here: it catches up once per nudge (nudges that piled up
    meanwhile count as one), reading what each committed batch changed from the database, so nothing but a
    nudge crosses the process line. The parent keeps the writer lock; the child holds tantivy's writer."""

    def __init__(self, root: Path) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited engines, threads or index handles
        self._queue = context.Queue()
        self._errors = context.Queue()
        self._process = context.Process(
            target=_index_in_child,
            args=(get_settings().model_dump(), str(root), self._queue, self._errors),
            daemon=True,
        )
        self._process.start()

    def nudge(self) -> None:
        self._queue.put(False)

    def close(self) -> None:
        self._queue.put(True)
        self._process.join()
        if not self._errors.empty():
            raise RuntimeError(f"indexing process failed: {self._errors.get()}")


def _index_in_child(settings: dict, root: str, queue: multiprocessing.Queue, errors: multiprocessing.Queue) -> None:
    set_settings(Settings(**settings))
    try:
        handle: _LexicalWriter | None = None
        done = False
        while not done:
            done = queue.get()
            while not queue.empty():
                done = queue.get() or done
            with session_scope() as session:
                if handle is None:
                    handle = _LexicalWriter(Path(root) / "lexical", _terms_built_with(session))
                handle.catch_up(session, commit=done)
        if handle is not None:
            handle.index.close()
    except BaseException as exc:  # reported to the parent, which logs it and catches up itself
        errors.put(repr(exc))
        raise


# --- the follower ----------------------------------------------------------------------------------------


class _Follower(threading.Thread):
    """Keeps trying to be the writer; while it is, brings both indexes up to the database every second."""

    def __init__(self, root: Path, *, eager: bool = True) -> None:
        super().__init__(name="ipoc-index-follower", daemon=True)
        self.root = root
        self.stopping = threading.Event()
        self._next_try = 0.0 if eager else time.monotonic() + DEFER_SECONDS

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._round()
            except Exception:  # the index stays behind for a round; the next one retries
                log.exception("index follower round failed")
            self.stopping.wait(POLL_SECONDS)

    def _round(self) -> None:
        if _index_root() != self.root:  # settings switched to another data dir (tests): not ours any more
            return
        writer = _writer_for(self.root)
        if not writer.held:
            if time.monotonic() < self._next_try:
                return
            self._next_try = time.monotonic() + RETRY_SECONDS
            if not writer.try_acquire(follower=True):
                return
        if not writer.mutex.acquire(blocking=False):  # a commit, bulk import or rebuild writes right now
            return
        try:
            if writer.delegate is None:
                _serve_rebuild_request(writer)
                _follow_once(writer)
        finally:
            writer.mutex.release()


def _follow_once(writer: _Writer) -> None:
    with session_scope() as session:
        db_rev, vec_rev = revisions(session)
        handle = writer.lexical_handle(session)
        idle = handle.rev >= db_rev
        if not idle:
            handle.catch_up(session, commit=False)
        overdue = time.monotonic() - handle.buffered_since >= MAX_BUFFER_SECONDS
        if handle.buffered_rev is not None and not writer.bulks and (idle or overdue):
            handle.commit()
        if idle and handle.buffered_rev is None and _vectors_behind(db_rev, vec_rev, throttle=writer):
            _sync_vectors_locked(writer, session)


def _follower_running() -> bool:
    return _follower is not None and _follower.is_alive()


_follower: _Follower | None = None
_follower_lock = threading.Lock()


def start_follower(*, eager: bool = True) -> None:
    """Start this process's index follower (web app and ``ipoc worker`` start-up); idempotent. A web process
    whose jobs run in ``ipoc worker`` processes is not ``eager``: it leaves the writer role to a worker for a
    few seconds first, so that the indexing of a large import does not share a web process's interpreter."""
    global _follower
    root = _index_root()
    with _follower_lock:
        if _follower is not None and _follower.is_alive() and _follower.root == root:
            return
        old, _follower = _follower, _Follower(root, eager=eager)
        _follower.start()
    if old is not None:
        old.stopping.set()


def stop_follower() -> None:
    """Stop the follower, commit what it buffered and give up the writer role, so another process takes over."""
    global _follower
    with _follower_lock:
        follower, _follower = _follower, None
    if follower is None:
        return
    follower.stopping.set()
    follower.join(timeout=60)
    with _handles_lock:
        writer = _writers.get(follower.root)
    if writer is not None:
        writer.release()


def wait_until_current(timeout: float = 60.0, *, vectors: bool = False) -> bool:
    """Read-your-writes: True once the committed index holds the database revision current at the call (and,
    with ``vectors``, the vector index the stored vectors); False after ``timeout`` seconds. As the writer (or
    when no process is), this process catches up itself; otherwise it waits for the writer."""
    deadline = time.monotonic() + timeout
    with session_scope() as session:
        db_rev, vec_rev = revisions(session)
    while True:
        writer = _writer(acquire=True)
        if writer is not None and writer.mutex.acquire(timeout=max(0.0, min(0.5, deadline - time.monotonic()))):
            try:
                if writer.delegate is None:
                    with session_scope() as session:
                        writer.lexical_handle(session).catch_up(session, commit=True)
                        if vectors and _vectors_behind(db_rev, vec_rev):
                            _sync_vectors_locked(writer, session)
            finally:
                writer.mutex.release()
        if _committed_rev() >= db_rev and not (vectors and _vectors_behind(db_rev, vec_rev)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


# --- vectors ---------------------------------------------------------------------------------------------


def _vector_meta_path() -> Path:
    return _index_root() / "vectors.meta"


def vector_index() -> VectorIndex | None:
    """The vector index, loaded again when the writer has saved a newer one. While one thread loads the new one
    the others answer from the old one; nothing here waits for the writer."""
    path = _vector_dir()
    loaded = _vectors.get(path)
    written = _written(_vector_meta_path())
    if loaded is not None and loaded[0] == written:
        return loaded[1]
    if not _vector_loading.acquire(blocking=loaded is None):
        return loaded[1] if loaded is not None else None
    try:
        again = _vectors.get(path)
        if again is not None and again[0] == written:
            return again[1]
        try:
            index = VectorIndex.load(path)
        except ValueError:
            return None
        _vectors[path] = (written, index)
        return index
    finally:
        _vector_loading.release()


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


def _vectors_behind(db_rev: int, vec_rev: int, *, throttle: _Writer | None = None) -> bool:
    """Whether the vector index misses stored vectors (an embedding run said so) or changed patents; with
    ``throttle``, only every VECTOR_SYNC_SECONDS (the whole index is saved each time)."""
    meta = _read_vector_meta()
    if meta.get("vectors", 0) >= vec_rev and meta.get("rev", 0) >= db_rev:
        return False
    return throttle is None or time.monotonic() - throttle.last_vector_sync >= VECTOR_SYNC_SECONDS


def sync_vectors(session: Session, *, progress: ProgressFn | None = None) -> int:
    """Bring the vector index up to the stored vectors and the patents' current passages, as the writer."""
    with _writing() as writer:
        return _sync_vectors_locked(writer, session, progress=progress)


def _sync_vectors_locked(writer: _Writer, session: Session, *, progress: ProgressFn | None = None) -> int:
    """Work on a fresh copy (searches keep the published one untouched), save it, then publish it."""
    try:
        index = VectorIndex.load(_vector_dir())
    except ValueError:
        index = VectorIndex(np.empty(0, dtype=np.int64), np.empty((0, 384), dtype=np.float32))
    meta = _read_vector_meta()
    (target, vec_rev), started = revisions(session), utcnow()
    since = datetime.fromisoformat(meta["vectors_since"]) if meta.get("vectors_since") else None
    changed = select(Patent.id).where(Patent.rev > meta.get("rev", 0), Patent.rev <= target)
    wanted: Select[int] | CompoundSelect[int] = changed
    if since:
        newly = select(Patent.id).join(PassageVector, PassageVector.text_hash == Patent.passage_hash)
        wanted = changed.union(newly.where(PassageVector.created_at >= since))
    ids = list(session.scalars(wanted))
    for start in range(0, len(ids), CHUNK):
        have, missing, matrix = _vectors_for(session, ids[start : start + CHUNK])
        index.remove(np.asarray(missing, dtype=np.int64))
        index.add(np.asarray(have, dtype=np.int64), matrix)
        if progress:
            progress(start + CHUNK, len(ids))
    index.save(_vector_dir())
    _write_vector_meta(
        {"rev": target, "vectors": vec_rev, "vectors_since": (started - VECTOR_CLOCK_MARGIN).isoformat()}
    )
    _vectors[_vector_dir()] = (_written(_vector_meta_path()), index)
    writer.last_vector_sync = time.monotonic()
    _refit_calibration_if_needed(session, len(index))
    return len(ids)


# --- the semantic score floor ----------------------------------------------------------------------------

CALIBRATION_SAMPLE = 50_000  # vectors enough to estimate the corpus mean and covariance the floor needs
REFIT_DRIFT = 0.2  # refit when the corpus has grown or shrunk by this share since the last fit


def _calibration_path() -> Path:
    return _index_root() / "calibration.json"


def calibration() -> Calibration | None:
    path = _calibration_path()
    loaded = _calibrations.get(path)
    written = _written(path)
    if loaded is None or loaded[0] != written:
        try:
            loaded = (written, Calibration.from_dict(json.loads(path.read_text())))
        except (OSError, ValueError, KeyError):
            return None
        _calibrations[path] = loaded
    return loaded[1]


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
    _write_json_text(path, json.dumps(fitted.to_dict()))
    _calibrations[path] = (_written(path), fitted)


def _read_vector_meta() -> dict:
    return _read_json(_vector_meta_path())


def _write_vector_meta(meta: dict) -> None:
    _write_json_text(_vector_meta_path(), json.dumps(meta))


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


@cache
def _rev_and_terms_query() -> CompoundSelect:
    """Built once (statement construction costs about as much as running it); the terms come in the database's
    order, as ``dictionary_terms`` gives them (its collation, not Python's), so the digest is the same."""
    counter = select(ChangeCounter.value.label("value"), literal(None, String).label("term")).where(
        ChangeCounter.name == PATENTS
    )
    terms = select(literal(None, Integer).label("value"), DictionaryTerm.term.label("term"))
    return union_all(counter, terms).order_by("term")


def _rev_and_terms(session: Session) -> tuple[int, list[str]]:
    """The patents revision and the dictionary's terms in one statement: a search asks for both every time, and
    a round trip costs more than either read."""
    rev, found = 0, []
    for value, term in session.execute(_rev_and_terms_query()):
        if term is None:
            rev = value or 0
        else:
            found.append(term)
    return rev, found


def status(session: Session) -> IndexStatus:
    """The state of both indexes as a search sees them (committed, never caught up here)."""
    handle = lexical(session)
    meta = handle.index.meta()  # read once: the revision and the dictionary the committed index was built with
    vectors = vector_index()
    db_rev, terms = _rev_and_terms(session)
    patents, embedded = _patent_counts(session, db_rev)
    return IndexStatus(
        db_rev=db_rev,
        index_rev=int(meta.get("rev", 0)),
        documents=handle.index.num_docs,
        patents=patents,
        vectors=len(vectors) if vectors is not None else 0,
        embedded=embedded,
        building=_rebuilding(),
        dictionary_changed=(meta.get("dictionary") or handle.digest) != _dictionary_digest(terms),
    )


def _rebuilding() -> bool:
    """A rebuild marks the index directory while it runs; a marker left by a killed process does not count."""
    return _alive(_read_json(_rebuild_marker()).get("pid"))


def rebuild(progress: ProgressFn | None = None) -> IndexStatus:
    """Rebuild both indexes from the database and the stored vectors; nothing is embedded again.

    Only the writer rebuilds: this process when it is (or can become) the writer; otherwise the writer's
    follower is asked to, and this waits for it. The lexical index is refilled in one tantivy commit, so
    searches see the old index until the new one is complete and a crash midway leaves the old one intact.
    """
    writer = _writer(acquire=True)
    if writer is None:
        _request_rebuild()
    else:
        with writer.mutex:
            _rebuild_locked(writer, progress)
    with session_scope() as session:
        return status(session)


def _rebuild_locked(writer: _Writer, progress: ProgressFn | None) -> None:
    _write_json_text(_rebuild_marker(), json.dumps({"pid": os.getpid()}))
    try:
        with session_scope() as session:
            writer.close_lexical()
            terms = dictionary_terms(session)
            handle = writer.lexical = _LexicalWriter(_lexical_dir(), terms)
            target = current_rev(session)
            handle.index.clear()
            done = 0
            for docs in _docs_changed_since(session, -1, target):
                handle.index.upsert(docs)
                done += len(docs)
                if progress:
                    progress(done, None)
            handle.index.commit({"rev": target, "dictionary": handle.digest})
            _record_terms(terms)  # after the commit: readers switch segmenter when the index has the new words
            _rebuild_vectors(writer, session)
    finally:
        _rebuild_marker().unlink(missing_ok=True)


def _rebuild_vectors(writer: _Writer, session: Session) -> None:
    shutil.rmtree(_vector_dir(), ignore_errors=True)
    _vector_meta_path().unlink(missing_ok=True)
    _calibration_path().unlink(missing_ok=True)
    _sync_vectors_locked(writer, session)


def _request_path() -> Path:
    return _index_root() / "rebuild-request.json"


def _done_path() -> Path:
    return _index_root() / "rebuild-done.json"


def _request_rebuild() -> None:
    """Ask the writer process's follower to rebuild and wait for it; IndexBusy when no follower can."""
    holder = _read_json(_index_root() / LOCK_FILE)
    if not holder.get("follower"):
        raise IndexBusy(f"检索索引正由另一个进程（{_holder_text()}）写入，请待其结束后再重建索引")
    request = uuid.uuid4().hex
    _write_json_text(_request_path(), json.dumps({"id": request}))
    deadline = time.monotonic() + REBUILD_WAIT_SECONDS
    while time.monotonic() < deadline:
        done = _read_json(_done_path())
        if done.get("id") == request:
            if done.get("error"):
                raise RuntimeError(f"index rebuild by the writer process failed: {done['error']}")
            return
        if not _alive(holder.get("pid")):
            raise IndexBusy("维护检索索引的进程已退出，请重新发起重建")
        time.sleep(0.5)
    raise IndexBusy("等待重建检索索引超时")


def _alive(pid: object) -> bool:
    """Whether the pid a lock file names (any JSON value) is a live process."""
    if not isinstance(pid, str | int | float):
        return False
    try:
        return pid_alive(int(pid))
    except ValueError:
        return False


def _serve_rebuild_request(writer: _Writer) -> None:
    """In the writer's follower: a rebuild asked by another process (the reindex job on a worker)."""
    request = _read_json(_request_path()).get("id")
    if not request:
        return
    _request_path().unlink(missing_ok=True)
    error = None
    try:
        _rebuild_locked(writer, None)
    except Exception as exc:
        log.exception("requested index rebuild failed")
        error = repr(exc)
    _write_json_text(_done_path(), json.dumps({"id": request, "error": error}))
