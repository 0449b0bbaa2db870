"""Uploaded evidence: dossier attachments, revocation evidence. Only metadata lives in the database; the
bytes are kept under the data dir by content hash and are always served as a download."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named

OWNER_TYPES = {
    "application": "申报材料",
    "revocation": "取消资格",
    "rights_authorisation": "书面授权",
    "rights_consent": "权利人同意",
}
PURPOSES = {
    **{f"condition:{n}": f"条件{n}证明材料" for n in range(1, 6)},
    "route": "自治区级以上单位证明材料",
    "other": "其他材料",
    "evidence": "证据材料",
    "document": "书面文件",
}


class Attachment(Base, Timestamped):
    __tablename__ = "attachments"
    __audited__ = True
    __label__ = "附件"
    __labels__ = named(
        owner_type="所属记录类型",
        owner_id="所属记录编号",
        purpose="用途",
        filename="文件名",
        content_type="文件类型",
        size="大小（字节）",
        sha256="SHA-256 校验值",
        uploaded_by_id="上传人",
    )
    __value_labels__ = coded(owner_type=OWNER_TYPES, purpose=PURPOSES)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the file is evidence for: ("application", id), ("revocation", id) …; purpose narrows it down
    # (e.g. "condition:3" for the third Art. 5 condition of a dossier).
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(40), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
