"""Storing and serving evidence files safely.

An upload is streamed to disk under a size limit, its extension checked against an allowlist, its content
sniffed against what that extension must contain (a renamed executable or web page is refused), optionally
scanned by a local virus scanner (fail closed), and then kept by content hash. Files are always served as
a download in a sandbox, never rendered inline. Who may download is decided by the owning domain through
:func:`register_owner`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth.roles import Principal
from ipoc.config import get_settings
from ipoc.errors import InvalidInput, NotFound, PayloadTooLarge
from ipoc.files.models import Attachment
from ipoc.uploads import Upload

CHUNK = 1024 * 1024
SCAN_TIMEOUT_S = 120
MISMATCH = "文件内容与扩展名不符"


@dataclass(frozen=True)
class FileKind:
    """What a file with a given extension must be: the types sniffing may report, the members a zip
    container must hold, and the content type it is served with."""

    content_type: str
    sniffed: frozenset[str]
    zip_members: tuple[str, ...] = ()


_ZIP = "application/zip"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", frozenset({"application/pdf"})),
    "jpg": FileKind("image/jpeg", frozenset({"image/jpeg"})),
    "jpeg": FileKind("image/jpeg", frozenset({"image/jpeg"})),
    "png": FileKind("image/png", frozenset({"image/png"})),
    "docx": FileKind(_DOCX, frozenset({_DOCX, _ZIP}), ("[Content_Types].xml", "word/document.xml")),
    "xlsx": FileKind(_XLSX, frozenset({_XLSX, _ZIP}), ("[Content_Types].xml", "xl/workbook.xml")),
    "ofd": FileKind("application/ofd", frozenset({_ZIP}), ("OFD.xml",)),
}
ALLOWED_LABEL = "PDF、JPG、PNG、DOCX、XLSX、OFD"

# owner_type -> check(session, principal, owner_id), raising NotFound when the caller may not see the owner.
OwnerCheck = Callable[[Session, Principal, int], object]
_OWNERS: dict[str, OwnerCheck] = {}


def register_owner(owner_type: str, check: OwnerCheck) -> None:
    """Let a domain say who may see the files attached to its records."""
    _OWNERS[owner_type] = check


def store_dir() -> Path:
    path = get_settings().uploads_dir / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(att: Attachment) -> Path:
    return store_dir() / att.sha256[:2] / att.sha256


def clean_filename(name: str | None) -> str:
    """The name as shown and offered on download: no directories, no control characters, bounded length."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    base = base.lstrip(".")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def _extension(filename: str) -> str:
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext not in KINDS:
        raise InvalidInput(f"不支持的文件类型，仅限 {ALLOWED_LABEL}", field="file")
    return ext


def _spool(stream: BinaryIO, limit: int) -> tuple[Path, int, str]:
    """Copy the upload to a temporary file next to the store, refusing it as soon as it passes the limit.

    Reads the spooled upload synchronously: callers run in the thread pool, never on the event loop."""
    fd, name = tempfile.mkstemp(dir=store_dir(), prefix=".upload-")
    tmp = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"文件超过 {limit // (1024 * 1024)} MB 的大小上限", field="file")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, size, digest.hexdigest()


def _check_content(path: Path, kind: FileKind) -> None:
    guess = filetype.guess(str(path))
    if guess is None or guess.mime not in kind.sniffed:
        raise InvalidInput(MISMATCH, field="file")
    if kind.zip_members:
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(MISMATCH, field="file") from exc
        if not all(member in names for member in kind.zip_members):
            raise InvalidInput(MISMATCH, field="file")


def scan(path: Path) -> None:
    """Run the configured local scanner as ``command… path``; exit 0 means clean. Without a working
    scanner the upload is refused (fail closed), since a configured scanner is a promise to scan."""
    command = get_settings().scan_command
    if not command:
        return
    try:
        result = subprocess.run(
            [*shlex.split(command), str(path)], capture_output=True, timeout=SCAN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput("病毒扫描超时，文件未保存，请稍后重试或联系管理员", field="file") from exc
    except (OSError, ValueError) as exc:
        raise InvalidInput("病毒扫描程序无法运行，文件未保存，请联系管理员检查扫描配置", field="file") from exc
    if result.returncode != 0:
        raise InvalidInput("文件未通过病毒扫描，已拒收", field="file")


def store(
    session: Session, upload: Upload, *, owner_type: str, owner_id: int, purpose: str, uploader_id: int | None
) -> Attachment:
    """Check and keep one uploaded file; a refused file leaves nothing behind."""
    filename = clean_filename(upload.name)
    if not filename:
        raise InvalidInput("请选择要上传的文件", field="file")
    kind = KINDS[_extension(filename)]
    tmp, size, sha256 = _spool(upload.stream, get_settings().attachment_max_mb * 1024 * 1024)
    try:
        if size == 0:
            raise InvalidInput("文件为空", field="file")
        _check_content(tmp, kind)
        scan(tmp)
        att = Attachment(
            owner_type=owner_type,
            owner_id=owner_id,
            purpose=purpose,
            filename=filename,
            content_type=kind.content_type,
            size=size,
            sha256=sha256,
            uploaded_by_id=uploader_id,
        )
        target = path_of(att)
        target.parent.mkdir(exist_ok=True)
        os.replace(tmp, target)  # same content, same name: replacing an existing copy is harmless
    finally:
        tmp.unlink(missing_ok=True)
    session.add(att)
    session.flush()
    return att


def list_for(session: Session, owner_type: str, owner_id: int, purpose_prefix: str | None = None) -> list[Attachment]:
    stmt = select(Attachment).where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
    if purpose_prefix:
        stmt = stmt.where(Attachment.purpose.startswith(purpose_prefix, autoescape=True))
    return list(session.scalars(stmt.order_by(Attachment.purpose, Attachment.id)))


def get_attachment(session: Session, principal: Principal, att_id: int) -> Attachment:
    """404 unless the caller may see the record the file belongs to."""
    att = session.get(Attachment, att_id)
    check = _OWNERS.get(att.owner_type) if att is not None else None
    if att is None or check is None:
        raise NotFound("文件不存在或无权查看")
    check(session, principal, att.owner_id)
    return att


def delete(session: Session, att: Attachment) -> None:
    """Take a file off its record. The bytes stay in the content-addressed store: what a reviewer may
    already have seen remains traceable from the audit record (which keeps the hash)."""
    session.delete(att)
    session.flush()


@dataclass(frozen=True)
class Download:
    """A stored file to send: where it is, the name it is sent under and its content type (the web layer sends it
    as a download, never rendered)."""

    path: Path
    filename: str
    content_type: str


def download(att: Attachment) -> Download:
    path = path_of(att)
    if not path.is_file():
        raise NotFound("文件已不在存储中，请联系管理员")
    return Download(path, att.filename, att.content_type)


def serve(session: Session, principal: Principal, att_id: int) -> Download:
    """A download for a caller allowed to see the owner, recorded in the audit trail."""
    att = get_attachment(session, principal, att_id)
    audit.log(session, "download", "attachments", att.id)
    return download(att)
