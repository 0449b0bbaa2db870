"""Backup and restore of an instance: every table (as JSON Lines, so it moves between SQLite and
PostgreSQL), the uploaded files and the audit anchor, in one tar.gz with a manifest."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Date, DateTime, Numeric, Table, delete, insert, select, text, update
from sqlalchemy.orm import Session

import ipoc.models  # noqa: F401  (every table in the metadata)
from ipoc.audit import service as audit
from ipoc.config import get_settings
from ipoc.db import Base, get_engine
from ipoc.errors import InvalidInput

FORMAT = 1


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
    """Columns of a foreign key that closes a cycle (use_alter): filled after every row exists."""
    return [fk.parent.name for fk in table.foreign_keys if fk.use_alter or fk.constraint.use_alter]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def backup(session: Session, path: Path) -> dict[str, Any]:
    """Write the backup; the backup itself is recorded in the audit trail before the dump."""
    settings = get_settings()
    audit.log(session, "backup", "instance", "-", meta={"file": str(path)})
    session.commit()
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for table in Base.metadata.sorted_tables:
            lines = [
                json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False)
                for row in session.execute(select(table)).mappings()
            ]
            counts[table.name] = len(lines)
            _add_bytes(tar, f"db/{table.name}.jsonl", ("\n".join(lines) + "\n" if lines else "").encode())
        if settings.audit_anchor_path.exists():
            tar.add(settings.audit_anchor_path, arcname="audit-anchor.json")
        if settings.uploads_dir.exists():
            tar.add(settings.uploads_dir, arcname="uploads")
        manifest = {"format": FORMAT, "revision": _revision(), "tables": counts}
        _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise InvalidInput("不是 ipoc 备份文件：缺少 manifest.json")
    return json.loads(member.read())


def _clear(session: Session) -> None:
    for table in Base.metadata.sorted_tables:
        late = _late_columns(table)
        if late:
            session.execute(update(table).values(dict.fromkeys(late)))
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


def _load_rows(session: Session, tar: tarfile.TarFile) -> None:
    deferred: list[tuple[Table, dict[str, Any]]] = []
    for table in Base.metadata.sorted_tables:
        member = tar.extractfile(f"db/{table.name}.jsonl")
        rows = [
            _typed(table, json.loads(line))
            for line in (member.read().decode().splitlines() if member else [])
        ]
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
            session.execute(
                text(
                    f"SELECT setval(:seq, COALESCE((SELECT max({column}) FROM {table.name}), 0) + 1, false)"
                ),
                {"seq": seq},
            )


def restore(session: Session, path: Path) -> dict[str, Any]:
    """Replace this instance's data with the backup's, in one transaction; files follow on success."""
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    current = _revision()
    try:
        with tarfile.open(path, "r:gz") as tar, tempfile.TemporaryDirectory() as tmp:
            manifest = _read_manifest(tar)
            if manifest.get("revision") != current:
                raise InvalidInput(
                    f"备份的数据库版本 {manifest.get('revision')} 与当前 {current} 不一致，"
                    "请先运行 ipoc db upgrade"
                )
            _clear(session)
            _load_rows(session, tar)
            _reset_sequences(session)
            session.flush()
            members = [
                m for m in tar.getmembers() if m.name == "audit-anchor.json" or m.name.startswith("uploads")
            ]
            tar.extractall(tmp, members=members, filter="data")
            session.commit()
            _replace_files(Path(tmp))
    except tarfile.TarError as exc:
        raise InvalidInput(f"无法读取备份文件：{exc}") from exc
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
