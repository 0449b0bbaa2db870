"""A bureau's own letterhead (.docx): the region bureau uploads it once, and every official document's DOCX
(认定决定, 公示, 整改通知书, 取消资格决定) starts from it, so its header, footer, page setup and 发文机关标志 are the
bureau's. The latest upload is the one in use; removing it returns to the built-in layout."""

from __future__ import annotations

import io

from docx import Document as open_docx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.auth.roles import Principal, Role
from ipoc.errors import Forbidden, InvalidInput, NotFound
from ipoc.files import service as files
from ipoc.files.models import Attachment
from ipoc.uploads import Upload

OWNER = "letterhead"
OWNER_ID = 1  # one letterhead, the region bureau's (the issuer of every numbered decision)


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden("只有自治区局管理员可以设置公文版头")


def current(session: Session) -> Attachment | None:
    stmt = select(Attachment).where(Attachment.owner_type == OWNER, Attachment.owner_id == OWNER_ID)
    return session.scalar(stmt.order_by(Attachment.id.desc()).limit(1))


def current_bytes(session: Session) -> bytes | None:
    """The letterhead in use, or None (also when its file has gone missing: the built-in layout is used)."""
    att = current(session)
    if att is None:
        return None
    try:
        return files.path_of(att).read_bytes()
    except OSError:
        return None


def upload(session: Session, principal: Principal, file: Upload | None) -> Attachment:
    _require_admin(principal)
    if file is None or not file.name:
        raise InvalidInput("请选择 .docx 版头文件", field="file")
    if not file.name.lower().endswith(".docx"):
        raise InvalidInput("版头文件应为 Word 文档（.docx）", field="file")
    att = files.store(
        session, file, owner_type=OWNER, owner_id=OWNER_ID, purpose="letterhead", uploader_id=principal.user_id
    )
    try:
        open_docx(io.BytesIO(files.path_of(att).read_bytes()))
    except Exception as exc:  # python-docx raises several kinds for a damaged package
        raise InvalidInput("无法读取该 Word 文档，请另存为 .docx 后重新上传", field="file") from exc
    return att


def remove(session: Session, principal: Principal) -> None:
    _require_admin(principal)
    for att in files.list_for(session, OWNER, OWNER_ID):
        files.delete(session, att)


def _owner_check(session: Session, principal: Principal, owner_id: int) -> None:
    if principal.role is not Role.REGION_ADMIN:
        raise NotFound("文件不存在")


files.register_owner(OWNER, _owner_check)
