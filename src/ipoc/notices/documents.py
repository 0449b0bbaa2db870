"""The public notice as printed (公示): its text, the proposed list and the window, as ``ipoc.documents.render``
prints it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ipoc.documents.model import Document, Section, Table
from ipoc.errors import NotFound
from ipoc.notices.models import PublicNotice, zh_date
from ipoc.notices.service import ISSUER, entries, proposed_name


def notice_document(session: Session, notice_id: int) -> Document:
    """The notice as issued: text, the proposed list as a table, the window and where objections go."""
    notice = session.get(PublicNotice, notice_id)
    if notice is None:
        raise NotFound("公示不存在")
    apps = entries(session, notice)
    rows = [[str(n), proposed_name(a), a.org.name, a.industry.name, a.region.name] for n, a in enumerate(apps, start=1)]
    table = Table(headers=["序号", "拟认定名称", "建设主体", "所属产业", "所在盟市"], rows=rows)
    return Document(
        title=notice.title,
        issuer=ISSUER,
        official=True,
        sections=[Section(paragraphs=notice.body.splitlines())],
        annexes=[Section(heading="拟认定名单", table=table)],
        signatures=[("", ISSUER)],
        date_line=zh_date(notice.starts_on),
    )
