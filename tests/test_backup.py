"""Backup and restore: a round trip brings back rows, uploaded files and the audit anchor, the chain still
verifies and new writes still work; a file that is not a good backup is refused and changes nothing."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
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
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from ipoc.audit import service as audit
from ipoc.audit.models import AuditHead, AuditRecord
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Role
from ipoc.cli import app as cli_app
from ipoc.config import Settings, set_settings
from ipoc.db import Base, dispose_engine, get_engine, session_factory, session_scope
from ipoc.errors import InvalidInput
from ipoc.ops.backup import (
    CODECS,
    OTHER_KEY_MESSAGE,
    BackupFailed,
    Codec,
    backup,
    decode_row,
    encode_row,
    key_fingerprint,
    restore,
    table_codecs,
)
from ipoc.ops.demo import demo_uscc
from ipoc.orgs import service as orgs
from ipoc.orgs.models import Organisation
from ipoc.orgs.schemas import OrgRegistration
from ipoc.reference.models import Industry, Region
from ipoc.reference.schemas import IndustryIn
from ipoc.reference.service import find_region, save_industry
from ipoc.search import index_sync
from tests.conftest import PASSWORD, _pg_execute, _pg_url_for, make_user

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 uploaded bytes \x00\x01\x02\n"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _snapshot(session: Session) -> dict[str, object]:
    """What a restore must bring back, and what a refused restore must leave alone."""
    return {
        "orgs": _count(session, Organisation),
        "users": sorted(session.scalars(select(User.username))),
        "industries": sorted(tuple(row) for row in session.execute(select(Industry.id, Industry.source))),
        "audit": _count(session, AuditRecord),
    }


def _fresh_view() -> dict[str, object]:
    """The committed state, seen through a session other than the one under test."""
    other = session_factory()()
    try:
        return _snapshot(other)
    finally:
        other.close()


def _upload(instance: Settings, name: str = "2026/a.pdf", data: bytes = PDF) -> Path:
    path = instance.uploads_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _register_org(session: Session, serial: int) -> Organisation:
    org, _user = orgs.register(
        session,
        OrgRegistration(
            name=f"包头示例新注册单位{serial}",
            type_code="enterprise",
            uscc=demo_uscc(serial, "150200"),
            region_id=find_region(session, "包头市").id,
            contact_name="联系人",
            contact_phone="0472-1234567",
            username=f"neworg{serial}",
            password=PASSWORD,
        ),
    )
    session.commit()
    return org


def _edit_industry_source(session: Session, industry: Industry, source: str) -> None:
    data = IndustryIn(
        name=industry.name,
        naming_term=industry.naming_term,
        category=industry.category,
        source=source,
    )
    save_industry(session, data, industry.id)
    session.commit()


def _member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive, "r:gz") as tar:
        return tar.extractfile(name).read()


def _last_record(session: Session) -> AuditRecord:
    return session.scalar(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))


# --- the round trip -----------------------------------------------------------------------------------


def test_restore_brings_back_rows_files_and_anchor_and_new_writes_work(instance, demo, tmp_path):
    session = demo
    upload = _upload(instance)
    industry = session.scalar(select(Industry).where(Industry.name == "稀土新材料"))
    old_source = industry.source
    archive = tmp_path / "backups" / "ipoc.tar.gz"

    backup(session, archive)
    before = _snapshot(session)
    anchor_at_backup = audit.read_anchor()
    assert anchor_at_backup == (before["audit"], _last_record(session).hash)

    _register_org(session, 90)
    _edit_industry_source(session, industry, "改动后的来源说明，不应在恢复后留下")
    upload.unlink()
    stray = _upload(instance, "2026/added-after-backup.pdf", b"later")
    assert _snapshot(session) != before
    assert audit.read_anchor()[0] > anchor_at_backup[0]

    restore(session, archive)

    # the same session sees the restored data, not what it cached before the restore
    assert session.get(Industry, industry.id).source == old_source
    assert _count(session, Organisation) == before["orgs"]
    restored = _snapshot(session)
    assert {**restored, "audit": before["audit"]} == before
    assert restored["audit"] == before["audit"] + 1  # the restore itself
    assert _fresh_view() == restored
    assert upload.read_bytes() == PDF
    assert not stray.exists()
    # the anchor is the backup's, moved on by the restore record only
    restore_record = _last_record(session)
    assert restore_record.action == "restore"
    assert restore_record.id == anchor_at_backup[0] + 1
    assert restore_record.prev_hash == anchor_at_backup[1]
    assert audit.read_anchor() == (restore_record.id, restore_record.hash)
    assert audit.verify_chain(session).ok

    # new writes continue after the restored ids (on PostgreSQL: the sequences were reset)
    max_user_id = session.scalar(select(func.max(User.id)))
    user = accounts.create_user(
        session, username="after_restore", display_name="恢复后新建", role=Role.EXPERT, password=PASSWORD
    )
    _register_org(session, 91)
    session.commit()
    assert user.id == max_user_id + 1
    result = audit.verify_chain(session)
    assert result.ok, result.message
    assert audit.read_anchor()[0] == result.checked


def test_restore_puts_rows_back_whatever_order_they_were_dumped_in(instance, demo, tmp_path):
    """A league's row edited after its cities' rows (PostgreSQL then returns it last) still restores."""
    session = demo
    parent = find_region(session, "呼伦贝尔市")
    child = find_region(session, "满洲里市")
    assert child.parent_id == parent.id
    parent.sort_order = 99
    session.commit()
    archive = tmp_path / "ipoc.tar.gz"
    backup(session, archive)

    restore(session, archive)

    assert find_region(session, "满洲里市").parent_id == parent.id
    assert session.get(Region, parent.id).sort_order == 99
    assert audit.verify_chain(session).ok


def test_a_backup_taken_while_others_write_is_one_consistent_snapshot(instance, demo, tmp_path):
    """Another connection registers an organisation (and its user) in the middle of the dump: the backup
    has neither or both, and it restores with a chain that verifies."""
    session = demo
    before = _snapshot(session)
    engine = session.get_bind()
    written: list[int] = []
    started: list[bool] = []

    def write_meanwhile(_conn, _cursor, statement, *_args) -> None:
        if not started and statement.lstrip().startswith("SELECT") and "FROM organisations" in statement:
            started.append(True)  # the writer's own statements pass through here too
            other = session_factory()()
            try:
                written.append(_register_org(other, 93).id)
            finally:
                other.close()

    archive = tmp_path / "ipoc.tar.gz"
    event.listen(engine, "before_cursor_execute", write_meanwhile)
    try:
        backup(session, archive)
    finally:
        event.remove(engine, "before_cursor_execute", write_meanwhile)
    assert written, "the concurrent write happened during the dump"

    restore(session, archive)

    restored = _snapshot(session)
    assert {**restored, "audit": before["audit"]} == before
    assert restored["audit"] == before["audit"] + 2  # the backup and the restore
    assert audit.verify_chain(session).ok


# --- refused restores ---------------------------------------------------------------------------------


def _rewrite(archive: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of a real backup with members changed (or dropped, when ``change`` returns None)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if data is not None:
                data = change(member.name, data)
                if data is None:
                    continue
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


def _with_extra(archive: Path, target: Path, name: str, data: bytes) -> Path:
    """A copy of a real backup with one more member."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        info = tarfile.TarInfo(name)
        info.size = len(data)
        dst.addfile(info, io.BytesIO(data))
    return target


def _tar_with(target: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(target, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def _replace(name: str, data: bytes) -> Callable[[str, bytes], bytes | None]:
    return lambda member, old: data if member == name else old


def _edit(name: str, old: bytes, new: bytes) -> Callable[[str, bytes], bytes | None]:
    def change(member: str, data: bytes) -> bytes:
        if member != name:
            return data
        assert old in data, f"{old!r} not in {name}"
        return data.replace(old, new)

    return change


def _drop(name: str) -> Callable[[str, bytes], bytes | None]:
    return lambda member, old: None if member == name else old


def _cut_last_audit_record(member: str, data: bytes) -> bytes:
    """The chain's newest record dropped and the manifest made to agree: only the anchor can tell."""
    if member == "db/audit_records.jsonl":
        return b"".join(data.splitlines(keepends=True)[:-1])
    if member == "manifest.json":
        manifest = json.loads(data)
        manifest["tables"]["audit_records"] -= 1
        return json.dumps(manifest).encode()
    return data


ESCAPED = f"escaped-{uuid.uuid4().hex}.txt"
OTHER_REVISION = json.dumps({"format": 1, "revision": "zzz", "tables": {}}).encode()
BAD_FILES: dict[str, Callable[[Path, Path], Path]] = {
    "random-bytes": lambda good, t: (t.write_bytes(uuid.uuid4().bytes * 64), t)[1],
    "empty-file": lambda good, t: (t.write_bytes(b""), t)[1],
    "truncated": lambda good, t: (t.write_bytes(good.read_bytes()[: good.stat().st_size // 2]), t)[1],
    "no-manifest": lambda good, t: _rewrite(good, t, _drop("manifest.json")),
    "tar-of-other-files": lambda good, t: _tar_with(t, {"notes.txt": b"hello", "db/users.jsonl": b""}),
    "manifest-not-json": lambda good, t: _rewrite(good, t, _replace("manifest.json", b"{not json")),
    "manifest-not-an-object": lambda good, t: _rewrite(good, t, _replace("manifest.json", b"[1, 2]")),
    "other-schema-revision": lambda good, t: _rewrite(good, t, _replace("manifest.json", OTHER_REVISION)),
    "table-missing": lambda good, t: _rewrite(good, t, _drop("db/users.jsonl")),
    "row-not-json": lambda good, t: _rewrite(good, t, _replace("db/users.jsonl", b'{"id": 1,\n')),
    "row-count-differs": lambda good, t: _rewrite(good, t, _replace("db/organisations.jsonl", b"")),
    "row-breaks-a-reference": lambda good, t: _rewrite(
        good, t, _edit("db/centers.jsonl", b'"builder_org_id": 1,', b'"builder_org_id": 999,')
    ),
    "row-of-another-schema": lambda good, t: _rewrite(
        good, t, _edit("db/centers.jsonl", b'"name":', b'"unknown_column":')
    ),
    "upload-outside-the-data-dir": lambda good, t: _with_extra(good, t, f"uploads/../../{ESCAPED}", b"x"),
    "audit-records-cut-from-the-end": lambda good, t: _rewrite(good, t, _cut_last_audit_record),
}


@pytest.mark.parametrize("make_bad", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_that_is_not_a_good_backup_is_refused_and_changes_nothing(instance, demo, tmp_path, make_bad):
    session = demo
    upload = _upload(instance)
    good = tmp_path / "good.tar.gz"
    backup(session, good)
    _register_org(session, 92)  # so that restoring anything at all would show
    before, anchor = _snapshot(session), instance.audit_anchor_path.read_bytes()
    bad = make_bad(good, tmp_path / "bad.tar.gz")

    with pytest.raises(InvalidInput):
        restore(session, bad)

    assert _snapshot(session) == before  # the caller's session holds no half-done restore
    assert _fresh_view() == before
    assert upload.read_bytes() == PDF
    assert instance.audit_anchor_path.read_bytes() == anchor
    assert audit.verify_chain(session).ok
    assert not (Path(tempfile.gettempdir()) / ESCAPED).exists()  # where extracting it would have put it
    make_user(session, "still_writable", Role.EXPERT)  # and the session is still usable
    assert audit.verify_chain(session).ok


def test_a_missing_backup_file_is_refused(instance, session, tmp_path):
    with pytest.raises(InvalidInput, match="不存在"):
        restore(session, tmp_path / "nowhere.tar.gz")


# --- the audit trail ----------------------------------------------------------------------------------


def test_backup_and_restore_are_recorded_in_the_audit_trail(instance, demo, tmp_path):
    session = demo
    archive = tmp_path / "ipoc.tar.gz"
    backup(session, archive)
    backup_record = _last_record(session)
    assert (backup_record.action, backup_record.entity_type) == ("backup", "instance")
    assert audit.decode(backup_record)["meta"]["file"] == str(archive)

    restore(session, archive)

    restore_record = _last_record(session)
    assert (restore_record.action, restore_record.entity_type) == ("restore", "instance")
    meta = audit.decode(restore_record)["meta"]
    assert meta["file"] == str(archive)
    assert len(meta["sha256"]) == 64
    # the backup's own record travelled inside the backup, just before the restore's
    assert session.get(AuditRecord, backup_record.id).action == "backup"
    assert restore_record.id == backup_record.id + 1
    assert audit.verify_chain(session).ok


# --- restoring into another instance ------------------------------------------------------------------


def _sibling(instance: Settings, data_dir: Path, url: str) -> Settings:
    """Another instance with the first one's secret key (and the suite's cheap password hashes)."""
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=instance.secret_key,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


@pytest.fixture
def second_instance(request, backend, tmp_path, instance) -> Iterator[Callable[[], Settings]]:
    """A fresh, empty, migrated instance sharing the first one's secret key; call it to make it current."""
    data_dir = tmp_path / "second"
    data_dir.mkdir()
    if backend == "sqlite":
        url, dropped = f"sqlite:///{data_dir / 'ipoc.sqlite3'}", None
    else:
        dropped = f"ipoc_t2_{uuid.uuid4().hex[:12]}"
        _pg_execute(f"CREATE DATABASE {dropped}")
        url = _pg_url_for(dropped)
    settings = _sibling(instance, data_dir, url)
    set_settings(settings)
    from ipoc.ops.migrate import upgrade

    upgrade()
    set_settings(instance)
    yield lambda: (set_settings(settings), settings)[1]
    set_settings(instance)
    dispose_engine(settings.sqlalchemy_url)
    if dropped:
        _pg_execute(f"DROP DATABASE IF EXISTS {dropped} WITH (FORCE)")


def test_a_backup_restores_into_an_empty_instance_with_the_secret(instance, demo, tmp_path, second_instance):
    session = demo
    _upload(instance)
    archive = tmp_path / "ipoc.tar.gz"
    backup(session, archive)
    before = _snapshot(session)
    session.close()

    second = second_instance()
    assert second.sqlalchemy_url != instance.sqlalchemy_url
    target = session_factory()()
    try:
        assert _count(target, User) == 0
        restore(target, archive)
        assert _snapshot(target) == {**before, "audit": before["audit"] + 1}
        assert (second.uploads_dir / "2026" / "a.pdf").read_bytes() == PDF
        assert audit.verify_chain(target).ok
        user = accounts.create_user(
            target, username="second_new", display_name="新用户", role=Role.EXPERT, password=PASSWORD
        )
        target.commit()  # ids continue after the restored ones (PostgreSQL: sequences reset)
        assert user.id == max(target.scalars(select(User.id))) == len(before["users"]) + 1
        assert audit.verify_chain(target).ok
    finally:
        target.close()

    # the first instance is untouched
    set_settings(instance)
    assert _fresh_view() == before


def _under_another_secret(second: Settings) -> Settings:
    other = Settings(
        data_dir=second.data_dir,
        database_url=second.database_url,
        secret_key="another",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )
    set_settings(other)
    return other


def test_a_backup_made_under_another_secret_is_refused_and_says_which_key(instance, demo, tmp_path, second_instance):
    """The chain's key is not in the backup, only its fingerprint: restoring under another secret is refused
    with the fix, before anything changes (the chain would otherwise never verify again)."""
    archive = tmp_path / "ipoc.tar.gz"
    backup(demo, archive)
    demo.close()
    with tarfile.open(archive, "r:gz") as tar:
        everything = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    assert instance.secret_key.encode() not in everything
    assert json.loads(_member(archive, "manifest.json"))["key_fingerprint"] == key_fingerprint()
    other = _under_another_secret(second_instance())
    assert key_fingerprint() != json.loads(_member(archive, "manifest.json"))["key_fingerprint"]
    target = session_factory()()
    try:
        with pytest.raises(InvalidInput) as refused:
            restore(target, archive)
        assert refused.value.message == OTHER_KEY_MESSAGE
        assert "IPOC_SECRET_KEY" in refused.value.message and "secret.key" in refused.value.message
        assert _count(target, User) == 0 and _count(target, AuditRecord) == 0
        assert not other.audit_anchor_path.exists()
    finally:
        target.close()


def test_a_backup_made_under_another_secret_restores_when_told_to_and_the_record_says_so(
    instance, demo, tmp_path, second_instance
):
    """The key may be lost for good: the operator can still get the data back, knowingly; the chain made
    under the old key then fails verification from its first record, and the restore's record says why."""
    archive = tmp_path / "ipoc.tar.gz"
    backup(demo, archive)
    users = sorted(demo.scalars(select(User.username)))
    demo.close()
    _under_another_secret(second_instance())
    target = session_factory()()
    try:
        restore(target, archive, accept_other_key=True)
        assert sorted(target.scalars(select(User.username))) == users
        record = _last_record(target)
        assert record.action == "restore" and audit.decode(record)["meta"]["other_key"] is True
        result = audit.verify_chain(target)
        assert not result.ok
        assert result.bad_id == 1
    finally:
        target.close()


def _as_format_1(member: str, data: bytes) -> bytes:
    if member != "manifest.json":
        return data
    manifest = json.loads(data)
    del manifest["key_fingerprint"]
    return json.dumps({**manifest, "format": 1}).encode()


def test_a_backup_of_the_first_format_still_restores(instance, demo, tmp_path):
    """Backups made before the key fingerprint existed carry none: they restore (nothing to compare)."""
    archive = tmp_path / "ipoc.tar.gz"
    backup(demo, archive)
    users = sorted(demo.scalars(select(User.username)))
    old = _rewrite(archive, tmp_path / "format-1.tar.gz", _as_format_1)
    make_user(demo, "made_after", Role.EXPERT)
    restore(demo, old)
    assert sorted(demo.scalars(select(User.username))) == users
    assert "other_key" not in audit.decode(_last_record(demo))["meta"]
    assert audit.verify_chain(demo).ok


def test_a_backup_without_uploads_restores_to_no_uploads(instance, session, tmp_path):
    """An instance that never had uploads backs up fine, and restoring it removes uploads made since."""
    make_user(session, "alice", Role.EXPERT)
    shutil.rmtree(instance.uploads_dir, ignore_errors=True)
    archive = tmp_path / "ipoc.tar.gz"
    manifest = backup(session, archive)
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "audit-anchor.json" in names
    assert not [n for n in names if n.startswith("uploads")]
    assert manifest["tables"]["users"] == 1
    _upload(instance)
    restore(session, archive)
    assert not instance.uploads_dir.exists() or not any(instance.uploads_dir.rglob("*.pdf"))
    assert audit.verify_chain(session).ok


# --- every column type --------------------------------------------------------------------------------

# One value of each type the codec knows, chosen to be awkward: digits a float would lose, microseconds,
# bytes that are not text, nested JSON with Chinese and nulls.
SAMPLES: dict[type, object] = {
    Integer: -7,
    BigInteger: 2**40 + 3,
    String: "包头 '单引号' \"双引号\" \\ 斜杠",
    Text: "多行\n文本\t与制表符",
    Boolean: False,
    Float: 0.1,
    Numeric: Decimal("1234.57"),
    DateTime: datetime(2026, 3, 1, 8, 30, 15, 123456),
    Date: date(2024, 2, 29),
    Time: time(9, 30, 0, 250000),
    LargeBinary: bytes(range(256)),
    JSON: {"名称": ["稀土", 1, 2.5, None, True], "nested": {"empty": [], "null": None}},
}


def test_every_column_type_of_the_models_has_a_codec():
    """A new column type (or a TypeDecorator, an Enum) cannot reach a backup unseen: it fails here first."""
    uncovered = [
        f"{table.name}.{column.name}: {type(column.type).__name__}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if type(column.type) not in CODECS
    ]
    assert uncovered == []
    assert len(Base.metadata.sorted_tables) > 50  # ipoc.models really loaded every table
    assert set(SAMPLES) == set(CODECS)  # and the round trip below tries every codec


def _probe_table(metadata: MetaData, name: str) -> Table:
    def column_type(kind: type) -> object:
        return Numeric(12, 2) if kind is Numeric else String(200) if kind is String else kind()

    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        *[Column(f"c_{kind.__name__.lower()}", column_type(kind)) for kind in SAMPLES],
    )


def test_one_value_of_each_type_comes_back_through_the_codec_and_the_database(instance):
    """Each value is written, read back as the driver returns it, encoded, sent through JSON text,
    decoded and written again: what comes back equals what went in."""
    metadata = MetaData()
    table = _probe_table(metadata, "backup_codec_probe")
    engine = get_engine()
    metadata.create_all(engine)
    try:
        row = {"id": 1, **{f"c_{kind.__name__.lower()}": value for kind, value in SAMPLES.items()}}
        with engine.begin() as conn:
            conn.execute(insert(table), row)
            read = dict(conn.execute(select(table)).mappings().one())
            assert read == row
            codecs = table_codecs(table)
            line = json.dumps(encode_row(codecs, read), ensure_ascii=False, allow_nan=False)
            decoded = decode_row(table, codecs, json.loads(line))
            assert decoded == row
            conn.execute(insert(table), {**decoded, "id": 2})
            again = dict(conn.execute(select(table).where(table.c.id == 2)).mappings().one())
        assert again == {**row, "id": 2}
        assert {key: type(value) for key, value in again.items()} == {key: type(value) for key, value in row.items()}
        nulls = {key: None for key in codecs if key != "id"}
        assert decode_row(table, codecs, json.loads(json.dumps(encode_row(codecs, nulls)))) == nulls
    finally:
        metadata.drop_all(engine)


def test_a_column_type_without_a_codec_stops_the_backup_before_anything_is_written(
    instance, session, tmp_path, monkeypatch
):
    monkeypatch.delitem(CODECS, Date)
    records = _count(session, AuditRecord)
    with pytest.raises(BackupFailed, match="的类型 Date，"):
        backup(session, tmp_path / "backups" / "ipoc.tar.gz")
    assert not (tmp_path / "backups").exists()
    assert _count(session, AuditRecord) == records  # refused before it was even recorded


# --- a failed backup leaves no file -------------------------------------------------------------------


def test_a_backup_failing_midway_leaves_no_file_and_keeps_the_older_backup(instance, demo, tmp_path, monkeypatch):
    """The archive is written beside the target and renamed only when complete: a failure in the middle of
    the dump removes the part written, and a good backup of the same name is left as it was."""
    folder = tmp_path / "backups"
    archive = folder / "ipoc.tar.gz"
    backup(demo, archive)
    good = archive.read_bytes()
    seen_partial: list[list[str]] = []

    def failing(value: object) -> object:
        seen_partial.append(sorted(p.name for p in folder.iterdir()))
        raise ValueError("磁盘写满（模拟）")

    monkeypatch.setitem(CODECS, DateTime, Codec(failing, datetime.fromisoformat))
    with pytest.raises(BackupFailed, match="未留下备份文件"):
        backup(demo, archive)

    assert seen_partial and any(name.endswith(".partial") for name in seen_partial[0])  # it was midway
    assert sorted(p.name for p in folder.iterdir()) == ["ipoc.tar.gz"]
    assert archive.read_bytes() == good
    monkeypatch.undo()
    restore(demo, archive)  # the older backup still restores
    assert audit.verify_chain(demo).ok


def test_a_backup_that_cannot_be_written_leaves_no_file(instance, session, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    blocker = folder / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    with pytest.raises(BackupFailed, match="无法写入备份文件"):
        backup(session, blocker / "ipoc.tar.gz")
    occupied = folder / "a-folder.tar.gz"
    occupied.mkdir()
    with pytest.raises(BackupFailed, match="无法写入备份文件"):
        backup(session, occupied)
    assert sorted(p.name for p in folder.iterdir()) == ["a-folder.tar.gz", "not-a-folder"]
    assert list(occupied.iterdir()) == []


# --- the full demo, SQLite ⇄ PostgreSQL ---------------------------------------------------------------


@pytest.fixture
def crossed_instance(request, backend, tmp_path, instance) -> Iterator[Callable[[], Settings]]:
    """A fresh, migrated instance on the other backend, sharing the first one's secret key; call it to make
    it current."""
    data_dir = tmp_path / "crossed"
    data_dir.mkdir()
    template = request.getfixturevalue("sqlite_template" if backend == "postgresql" else "pg_template")
    set_settings(instance)  # making a template (once per run) leaves it current
    if backend == "postgresql":
        db = data_dir / "ipoc.sqlite3"
        shutil.copyfile(template, db)
        url, dropped = f"sqlite:///{db}", None
    else:
        dropped = f"ipoc_tx_{uuid.uuid4().hex[:12]}"
        _pg_execute(f"CREATE DATABASE {dropped} TEMPLATE {template}")
        url = _pg_url_for(dropped)
    settings = _sibling(instance, data_dir, url)
    yield lambda: (set_settings(settings), index_sync.forget_handles(), settings)[2]
    set_settings(instance)
    index_sync.forget_handles()
    dispose_engine(settings.sqlalchemy_url)
    if dropped:
        _pg_execute(f"DROP DATABASE IF EXISTS {dropped} WITH (FORCE)")


def _every_row(session: Session) -> dict[str, list[dict[str, object]]]:
    return {
        table.name: [dict(row) for row in session.execute(select(table).order_by(*table.primary_key)).mappings()]
        for table in Base.metadata.sorted_tables
    }


def _assert_sequences_past_max(session: Session) -> None:
    """On PostgreSQL each id sequence hands out an id above every restored one."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key)
        if len(pk) != 1:
            continue
        seq = session.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name})
        if seq:
            highest = session.scalar(select(func.max(pk[0]))) or 0
            assert session.scalar(text("SELECT nextval(:s)"), {"s": seq}) > highest, table.name


# Tables the full demo must fill, so that the round trip is not trivially true; tech_event_items has the
# Time columns that broke the first backups.
DEMO_TABLES = ("tech_event_items", "tech_events", "patents", "tech_deals", "tech_matches", "stock_patents")


def test_the_full_demo_moves_between_sqlite_and_postgresql(instance, backend, full_demo, tmp_path, crossed_instance):
    """Backed up on one backend, restored into a fresh instance on the other: every table's rows come back
    equal, ids continue, the chain verifies against a reset anchor and search answers from a rebuilt index."""
    _upload(instance)
    archive = tmp_path / "demo.tar.gz"
    with session_scope() as session:
        manifest = backup(session, archive)
    with session_scope() as session:
        source = _every_row(session)
        indexed = index_sync.status(session).documents
    counts = {name: len(rows) for name, rows in source.items()}
    assert manifest["tables"] == counts
    assert all(counts[name] > 0 for name in DEMO_TABLES), {name: counts[name] for name in DEMO_TABLES}
    assert indexed == counts["patents"]

    target = crossed_instance()
    with session_scope() as session:
        assert session.get_bind().dialect.name != backend
        assert index_sync.status(session).documents == 0
        restore(session, archive)
    with session_scope() as session:
        restored = _every_row(session)
        status = index_sync.status(session)
        head = session.get(AuditHead, 1)
        verified = audit.verify_chain(session)

    for name, rows in source.items():
        if name == "audit_records":
            assert restored[name][:-1] == rows
            assert restored[name][-1]["action"] == "restore"
        elif name == "audit_head":
            assert restored[name][0]["last_id"] == rows[0]["last_id"] + 1
        else:
            assert restored[name] == rows, name
    assert (status.documents, status.stale) == (indexed, False)
    assert verified.ok, verified.message
    assert audit.read_anchor() == (head.last_id, head.last_hash)
    assert (target.uploads_dir / "2026" / "a.pdf").read_bytes() == PDF

    with session_scope() as session:  # new rows take the next ids on either backend
        highest = session.scalar(select(func.max(User.id)))
        user = accounts.create_user(
            session, username="after_crossing", display_name="迁移后新建", role=Role.EXPERT, password=PASSWORD
        )
        session.flush()
        assert user.id == highest + 1
    with session_scope() as session:
        assert audit.verify_chain(session).ok
        _assert_sequences_past_max(session)  # every table's, not only the one written above


# --- the command line ---------------------------------------------------------------------------------


def _cli(instance: Settings, *args: str) -> Result:
    env = {
        "IPOC_DATA_DIR": str(instance.data_dir),
        "IPOC_DATABASE_URL": instance.database_url,
        "IPOC_SECRET_KEY": instance.secret_key,
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_cli_backup_writes_the_file_and_exits_zero(instance, demo, tmp_path):
    archive = tmp_path / "out" / "ipoc.tar.gz"
    result = _cli(instance, "db", "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert archive.is_file()
    assert sorted(p.name for p in archive.parent.iterdir()) == ["ipoc.tar.gz"]
    assert json.loads(_member(archive, "manifest.json"))["tables"]["users"] == _count(demo, User)


def test_cli_backup_that_fails_exits_non_zero_in_chinese_and_leaves_no_file(instance, demo, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    unwritable = _cli(instance, "db", "backup", str(blocker / "ipoc.tar.gz"))
    assert unwritable.exit_code == 1
    assert "无法写入备份文件" in unwritable.stderr and "未留下备份文件" in unwritable.stderr

    def failing(value: object) -> object:
        raise TypeError("不可写入的值（模拟）")

    monkeypatch.setitem(CODECS, DateTime, Codec(failing, datetime.fromisoformat))
    archive = tmp_path / "out" / "ipoc.tar.gz"
    failed = _cli(instance, "db", "backup", str(archive))
    assert failed.exit_code == 1
    assert "备份" in failed.stderr and "未留下备份文件" in failed.stderr
    assert not archive.exists() and list(archive.parent.iterdir()) == []
    assert "Traceback" not in failed.output


def test_cli_restore_under_another_key_refuses_unless_told(instance, demo, tmp_path, second_instance):
    archive = tmp_path / "ipoc.tar.gz"
    backup(demo, archive)
    demo.close()
    other = _under_another_secret(second_instance())

    refused = _cli(other, "db", "restore", str(archive))
    assert refused.exit_code == 1
    assert OTHER_KEY_MESSAGE in refused.stderr
    assert "--accept-other-key" in refused.stderr

    accepted = _cli(other, "db", "restore", "--accept-other-key", str(archive))
    assert accepted.exit_code == 0, accepted.output
    assert "审计链" in accepted.stderr  # warned that the old chain will not verify here
    with session_scope() as session:
        assert _count(session, User) > 0
