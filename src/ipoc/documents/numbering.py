"""发文字号 (GB/T 9704 §7.2.4): 机关代字〔年份〕序号, numbered per issuer and per year from 1. A decision takes its
number once, when it is issued, and keeps it with its record, so that printing it again shows the same number."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ipoc.config import get_settings
from ipoc.documents.models import DocumentSequence


def next_number(session: Session, issuer: str, year: int) -> int:
    """The issuer's next number of the year. The row is created if missing (a concurrent creator's insert is
    ignored), then incremented with one UPDATE … RETURNING: the row lock it takes (PostgreSQL) or the database's
    write lock (SQLite) makes a second allocation wait for the first transaction, then read its number, so two
    decisions never share a number; a rolled-back decision gives its number back."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(DocumentSequence)
        .values(issuer=issuer, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["issuer", "year"])
    )
    stmt = (
        update(DocumentSequence)
        .where(DocumentSequence.issuer == issuer, DocumentSequence.year == year)
        .values(last=DocumentSequence.last + 1)
        .returning(DocumentSequence.last)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).scalar_one()


def document_number(session: Session, issuer: str, year: int) -> str:
    """The formatted 发文字号, e.g. 内市监知发〔2026〕12号 (the format is the setting ``document_number_format``)."""
    return get_settings().document_number_format.format(year=year, number=next_number(session, issuer, year))
