"""Backup and restore of an instance: every table (as JSON Lines, so it moves between SQLite and
PostgreSQL), the uploaded files and the audit anchor, in one tar.gz with a manifest.

Every column value goes through the codec of its column's type (:data:`CODECS`); a type without one is
refused before anything is written, so a new column type cannot make a backup that does not restore.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

import ipoc.models  # noqa: F401  (every table in the metadata)
from ipoc.audit import service as audit
from ipoc.audit.models import AuditHead
from ipoc.config import get_settings
from ipoc.db import Base, get_engine
from ipoc.errors import DomainError, InvalidInput
from ipoc.search import index_sync

FORMAT = 2  # 2: the manifest carries the chain key's fingerprint; 1 (no fingerprint) still restores
_READABLE_FORMATS = (1, 2)
_FILE_ROOTS = ("uploads",)  # what a restore extracts besides the tables
_ANCHOR = "audit-anchor.json"
_FINGERPRINT_LABEL = b"ipoc-backup-key-fingerprint-v1"
_SPOOL_BYTES = 32 * 1024 * 1024  # a table's dump stays in memory up to this size, then goes to a temp file
# What a damaged or foreign file raises while it is read; all of it means "not a usable backup".
_UNREADABLE = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError, TypeError, KeyError, InvalidOperation)

OTHER_KEY_MESSAGE = "备份由另一密钥的实例生成：请先设置该实例的 secret_key（IPOC_SECRET_KEY 或 data_dir/secret.key）"


class BackupFailed(DomainError):
    """The backup could not be written; no file was left at the target path."""

    status_code = 500


# --- the codec ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec:
    """How one column type's values become JSON and come back."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _b64(value: bytes) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _unb64(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii"), validate=True)


_AS_IS = Codec(_same, _same)
# Exact classes, not isinstance: Float is a Numeric and Text a String in SQLAlchemy, and a subclass
# (a TypeDecorator, an Enum) may need its own codec, so it must be added here before it can be backed up.
CODECS: dict[type[TypeEngine[Any]], Codec] = {
    Integer: Codec(int, int),
    BigInteger: Codec(int, int),
    String: Codec(str, str),
    Text: Codec(str, str),
    Boolean: Codec(bool, bool),
    Float: Codec(float, float),
    Numeric: Codec(str, Decimal),  # exact, as text: a float would lose digits
    DateTime: Codec(datetime.isoformat, datetime.fromisoformat),
    Date: Codec(date.isoformat, date.fromisoformat),
    Time: Codec(time.isoformat, time.fromisoformat),
    LargeBinary: Codec(_b64, _unb64),
    JSON: _AS_IS,  # already JSON; its own value is written as is
}


def codec_for(column: Column[Any]) -> Codec:
    """The codec of a column's type; a type without one cannot be backed up."""
    codec = CODECS.get(type(column.type))
    if codec is None:
        raise BackupFailed(
            f"备份不支持 {column.table.name}.{column.name} 列的类型 {type(column.type).__name__}，未写入任何文件"
        )
    return codec


def table_codecs(table: Table) -> dict[str, Codec]:
    return {column.key: codec_for(column) for column in table.columns}


def encode_row(codecs: dict[str, Codec], row: dict[str, Any]) -> dict[str, Any]:
    return {key: None if value is None else codecs[key].encode(value) for key, value in row.items()}


def decode_row(table: Table, codecs: dict[str, Codec], row: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(row, dict) or not set(row) <= set(codecs):
        raise InvalidInput(f"备份中 {table.name} 表的行与当前数据库结构不符")
    return {key: None if value is None else codecs[key].decode(value) for key, value in row.items()}


# --- helpers ------------------------------------------------------------------------------------------


def _revision() -> str | None:
    with get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def key_fingerprint() -> str:
    """Names the audit chain's key without revealing it: an HMAC of a fixed label under that key."""
    return hmac.new(audit._chain_key(), _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def _late_columns(table: Table) -> list[str]:
    """Columns of a foreign key that closes a cycle (use_alter) or points into its own table (a region's
    parent): filled after every row exists, since a row may come before the row it refers to."""
    return [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.use_alter or (fk.constraint is not None and fk.constraint.use_alter) or fk.column.table is table
    ]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    _add_stream(tar, name, io.BytesIO(data))


def _add_stream(tar: tarfile.TarFile, name: str, stream: IO[bytes]) -> None:
    info = tarfile.TarInfo(name)
    info.size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    tar.addfile(info, stream)


# --- backup -------------------------------------------------------------------------------------------


def _begin_snapshot(session: Session) -> None:
    """Read every table from one snapshot, so that a backup taken while others write is consistent
    (PostgreSQL's default reads each statement afresh; SQLite's driver opens no transaction to read)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif dialect == "sqlite":
        session.connection().exec_driver_sql("BEGIN")


def _dump_table(session: Session, tar: tarfile.TarFile, table: Table) -> int:
    """One table as JSON Lines, streamed from the database through a spooled file into the archive."""
    codecs = table_codecs(table)
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        rows = session.execute(
            select(table).order_by(*table.primary_key), execution_options={"yield_per": 2000}
        ).mappings()
        for row in rows:
            try:
                line = json.dumps(encode_row(codecs, dict(row)), ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise BackupFailed(f"{table.name} 表的一行无法写入备份（{exc}），未留下备份文件") from exc
            spool.write(line.encode() + b"\n")
            count += 1
        _add_stream(tar, f"db/{table.name}.jsonl", spool)
    return count


def _write_archive(session: Session, target: Path, anchor: bytes | None) -> dict[str, Any]:
    settings = get_settings()
    counts: dict[str, int] = {}
    _begin_snapshot(session)
    try:
        with tarfile.open(target, "w:gz") as tar:
            for table in Base.metadata.sorted_tables:
                counts[table.name] = _dump_table(session, tar, table)
            if anchor is not None:
                _add_bytes(tar, _ANCHOR, anchor)
            if settings.uploads_dir.exists():
                tar.add(settings.uploads_dir, arcname="uploads")
            manifest = {
                "format": FORMAT,
                "revision": _revision(),
                "key_fingerprint": key_fingerprint(),
                "tables": counts,
            }
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    finally:
        session.rollback()  # ends the read-only snapshot (it wrote nothing)
    return manifest


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(session: Session, path: Path) -> dict[str, Any]:
    """Write the backup; the backup itself is recorded in the audit trail before the dump.

    The archive is written to a hidden temporary file beside ``path`` and renamed over it only when
    complete, so a failed backup leaves no file (and never half-replaces an older backup of that name).
    """
    for table in Base.metadata.sorted_tables:
        table_codecs(table)  # an unsupported column type stops the backup before anything is written
    settings = get_settings()
    audit.log(session, "backup", "instance", "-", meta={"file": str(path)})
    session.commit()
    # Read before the dump: an anchor behind the dumped chain verifies, one ahead of it would not.
    anchor = settings.audit_anchor_path.read_bytes() if settings.audit_anchor_path.exists() else None
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        manifest = _write_archive(session, partial, anchor)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise BackupFailed(f"无法写入备份文件 {path}（{exc.strerror or exc}），未留下备份文件") from exc
    except DomainError:
        raise
    except Exception as exc:  # a database or encoding failure midway: the same promise, no file
        raise BackupFailed(f"备份失败（{type(exc).__name__}: {exc}），未留下备份文件") from exc
    finally:
        _remove(partial)
    return manifest


def _remove(partial: Path) -> None:
    """Remove what a failed backup wrote; where nothing could be written there is nothing to remove."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        partial.unlink()


# --- restore ------------------------------------------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    """The manifest, checked against this instance: a known format, same schema revision, every table."""
    try:
        member = tar.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise InvalidInput("不是 ipoc 备份文件：缺少 manifest.json")
    manifest = json.loads(member.read())
    if not isinstance(manifest, dict) or manifest.get("format") not in _READABLE_FORMATS:
        raise InvalidInput("不是 ipoc 备份文件，或备份格式不受支持")
    current = _revision()
    if manifest.get("revision") != current:
        raise InvalidInput(
            f"备份的数据库版本 {manifest.get('revision')} 与当前 {current} 不一致，请先运行 ipoc db upgrade"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or set(tables) != {t.name for t in Base.metadata.sorted_tables}:
        raise InvalidInput("备份的清单与当前数据库的表不一致")
    return manifest


def same_key(manifest: dict[str, Any]) -> bool | None:
    """Whether the backup's chain was made under this instance's key; None when the backup does not say
    (format 1)."""
    theirs = manifest.get("key_fingerprint")
    if theirs is None:
        return None
    return isinstance(theirs, str) and hmac.compare_digest(theirs, key_fingerprint())


def _read_rows(tar: tarfile.TarFile, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, parsed and counted against the manifest before the database is touched."""
    out = {}
    for table in Base.metadata.sorted_tables:
        try:
            member = tar.extractfile(f"db/{table.name}.jsonl")
        except KeyError:
            member = None
        if member is None:
            raise InvalidInput(f"备份不完整：缺少 {table.name} 表")
        codecs = table_codecs(table)
        rows = [decode_row(table, codecs, json.loads(line)) for line in member.read().decode().splitlines()]
        if len(rows) != manifest["tables"][table.name]:
            raise InvalidInput(f"备份不完整：{table.name} 表的行数与清单不符")
        out[table.name] = rows
    return out


def _check_anchor(tar: tarfile.TarFile, records: list[dict[str, Any]]) -> None:
    """The anchor taken with the backup must name a record of the backup's chain: otherwise records
    were cut from the end of the dump, which a verify after the restore could no longer see."""
    try:
        member = tar.extractfile(_ANCHOR)
    except KeyError:
        return
    if member is None:
        return
    anchor = json.loads(member.read())
    last_id, last_hash = int(anchor["last_id"]), str(anchor["last_hash"])
    by_id = {row["id"]: row["hash"] for row in records}
    if by_id.get(last_id) != last_hash:
        raise InvalidInput(f"备份不完整：审计锚点指向的记录 {last_id} 不在备份的审计链中")


def _clear(session: Session) -> None:
    for table in Base.metadata.sorted_tables:
        late = _late_columns(table)
        if late:
            session.execute(update(table).values(dict.fromkeys(late)))
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


def _load_rows(session: Session, tables: dict[str, list[dict[str, Any]]]) -> None:
    deferred: list[tuple[Table, dict[str, Any]]] = []
    for table in Base.metadata.sorted_tables:
        rows = tables[table.name]
        late = _late_columns(table)
        for row in rows:
            if any(row.get(c) is not None for c in late):
                deferred.append((table, row))
        if rows:
            session.execute(insert(table), [{**r, **dict.fromkeys(late)} for r in rows])
    for table, row in deferred:
        pk = {c.name: row[c.name] for c in table.primary_key}
        late_values = {c: row[c] for c in _late_columns(table)}
        session.execute(update(table).filter_by(**pk).values(late_values))


def _reset_sequences(session: Session) -> None:
    """PostgreSQL sequences must continue after the restored ids."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key)
        if len(pk) != 1:
            continue
        column = pk[0].name
        seq = session.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column})
        if seq:
            after_last = f"COALESCE((SELECT max({column}) FROM {table.name}), 0) + 1"
            session.execute(text(f"SELECT setval(:seq, {after_last}, false)"), {"seq": seq})


def restore(session: Session, path: Path, *, accept_other_key: bool = False) -> dict[str, Any]:
    """Replace this instance's data with the backup's, in one transaction; files, the audit anchor and
    the search indexes follow on success.

    The whole file is read and checked before anything is changed; a failure leaves the data, the
    files and the caller's session as they were. A backup made under another secret key is refused
    unless ``accept_other_key``: its audit chain would never verify here (see README, backup section).
    """
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(path, "r:gz") as tar:
                manifest = _read_manifest(tar)
                key_matches = same_key(manifest)
                if key_matches is False and not accept_other_key:
                    raise InvalidInput(OTHER_KEY_MESSAGE)
                tables = _read_rows(tar, manifest)
                _check_anchor(tar, tables["audit_records"])
                files = [m for m in tar.getmembers() if m.name.split("/")[0] in _FILE_ROOTS]
                tar.extractall(tmp, members=files, filter="data")
        except _UNREADABLE as exc:
            raise InvalidInput(f"无法读取备份文件：{exc}") from exc
        try:
            _clear(session)
            _load_rows(session, tables)
            _reset_sequences(session)
            session.commit()
        except (IntegrityError, DataError) as exc:
            session.rollback()
            raise InvalidInput(f"备份中的数据无法载入：{exc.orig}") from exc
        except BaseException:
            session.rollback()
            raise
        session.expire_all()  # objects the caller loaded before now show the restored rows
        _replace_uploads(Path(tmp))
    _reset_anchor(session)
    meta: dict[str, Any] = {"file": str(path), "sha256": digest}
    if key_matches is False:
        meta["other_key"] = True
    audit.log(session, "restore", "instance", "-", meta=meta)
    session.commit()
    _rebuild_search_index()
    return manifest


def _replace_uploads(extracted: Path) -> None:
    settings = get_settings()
    if settings.uploads_dir.exists():
        shutil.rmtree(settings.uploads_dir)
    if (extracted / "uploads").exists():
        shutil.copytree(extracted / "uploads", settings.uploads_dir)


def _reset_anchor(session: Session) -> None:
    """The anchor names the restored chain's head (it may be behind the anchor this instance had, which
    ``audit.write_anchor`` alone would never move back to)."""
    head = session.get(AuditHead, 1)
    get_settings().audit_anchor_path.unlink(missing_ok=True)
    if head is not None and head.last_id > 0:
        audit.write_anchor(head.last_id, head.last_hash)


def _rebuild_search_index() -> None:
    """The search indexes describe the data before the restore; rebuild them from the restored rows."""
    try:
        index_sync.rebuild()
    except Exception as exc:  # the data is restored either way; say what is left to do
        raise DomainError(f"数据已恢复，但搜索索引重建失败（{exc}）：请运行 ipoc index rebuild") from exc
