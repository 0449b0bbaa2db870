"""Backup and restore of an instance: every table (as JSON Lines, so it moves between SQLite and
PostgreSQL), the uploaded files and the audit anchor, in one tar.gz with a manifest."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Date, DateTime, Numeric, Table, delete, insert, select, text, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

import ipoc.models  # noqa: F401  (every table in the metadata)
from ipoc.audit import service as audit
from ipoc.config import get_settings
from ipoc.db import Base, get_engine
from ipoc.errors import InvalidInput

FORMAT = 1
_FILE_ROOTS = ("audit-anchor.json", "uploads")  # what a backup holds besides the tables
# What a damaged or foreign file raises while it is read; all of it means "not a usable backup".
_UNREADABLE = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError, TypeError, KeyError)


def _revision() -> str | None:
    with get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(row, dict) or not set(row) <= set(table.c.keys()):
        raise InvalidInput(f"备份中 {table.name} 表的行与当前数据库结构不符")
    out = {}
    for key, value in row.items():
        col_type = table.c[key].type
        if value is not None and isinstance(col_type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(col_type, Date):
            value = date.fromisoformat(value)
        elif value is not None and isinstance(col_type, Numeric):
            value = Decimal(value)
        elif value is not None and isinstance(col_type, Boolean):
            value = bool(value)
        out[key] = value
    return out


def _late_columns(table: Table) -> list[str]:
    """Columns of a foreign key that closes a cycle (use_alter) or points into its own table (a region's
    parent): filled after every row exists, since a row may come before the row it refers to."""
    return [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.use_alter or fk.constraint.use_alter or fk.column.table is table
    ]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _begin_snapshot(session: Session) -> None:
    """Read every table from one snapshot, so that a backup taken while others write is consistent
    (PostgreSQL's default reads each statement afresh; SQLite's driver opens no transaction to read)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif dialect == "sqlite":
        session.connection().exec_driver_sql("BEGIN")


def backup(session: Session, path: Path) -> dict[str, Any]:
    """Write the backup; the backup itself is recorded in the audit trail before the dump."""
    settings = get_settings()
    audit.log(session, "backup", "instance", "-", meta={"file": str(path)})
    session.commit()
    # Read before the dump: an anchor behind the dumped chain verifies, one ahead of it would not.
    anchor = settings.audit_anchor_path.read_bytes() if settings.audit_anchor_path.exists() else None
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    _begin_snapshot(session)
    try:
        with tarfile.open(path, "w:gz") as tar:
            for table in Base.metadata.sorted_tables:
                lines = [
                    json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False)
                    for row in session.execute(select(table).order_by(*table.primary_key)).mappings()
                ]
                counts[table.name] = len(lines)
                _add_bytes(tar, f"db/{table.name}.jsonl", ("\n".join(lines) + "\n" if lines else "").encode())
            if anchor is not None:
                _add_bytes(tar, "audit-anchor.json", anchor)
            if settings.uploads_dir.exists():
                tar.add(settings.uploads_dir, arcname="uploads")
            manifest = {"format": FORMAT, "revision": _revision(), "tables": counts}
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    finally:
        session.commit()  # ends the read-only snapshot
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    """The manifest, checked against this instance: same format, same schema revision, every table."""
    try:
        member = tar.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise InvalidInput("不是 ipoc 备份文件：缺少 manifest.json")
    manifest = json.loads(member.read())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
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


def _clear(session: Session) -> None:
    for table in Base.metadata.sorted_tables:
        late = _late_columns(table)
        if late:
            session.execute(update(table).values(dict.fromkeys(late)))
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


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
        rows = [_typed(table, json.loads(line)) for line in member.read().decode().splitlines()]
        if len(rows) != manifest["tables"][table.name]:
            raise InvalidInput(f"备份不完整：{table.name} 表的行数与清单不符")
        out[table.name] = rows
    return out


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
        late = {c: row[c] for c in _late_columns(table)}
        session.execute(update(table).filter_by(**pk).values(late))


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


def restore(session: Session, path: Path) -> dict[str, Any]:
    """Replace this instance's data with the backup's, in one transaction; files follow on success.

    The whole file is read and checked before anything is changed; a failure leaves the data, the
    files and the caller's session as they were.
    """
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(path, "r:gz") as tar:
                manifest = _read_manifest(tar)
                tables = _read_rows(tar, manifest)
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
        _replace_files(Path(tmp))
    audit.log(session, "restore", "instance", "-", meta={"file": str(path), "sha256": digest})
    session.commit()
    return manifest


def _replace_files(extracted: Path) -> None:
    settings = get_settings()
    if settings.uploads_dir.exists():
        shutil.rmtree(settings.uploads_dir)
    if (extracted / "uploads").exists():
        shutil.copytree(extracted / "uploads", settings.uploads_dir)
    anchor = extracted / "audit-anchor.json"
    if anchor.exists():
        shutil.copyfile(anchor, settings.audit_anchor_path)
    else:
        settings.audit_anchor_path.unlink(missing_ok=True)
