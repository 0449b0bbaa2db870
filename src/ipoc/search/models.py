"""What search keeps in the database, the source of truth every index is rebuilt from: the editable
domain dictionary, stored passage vectors, saved searches, and the change counter indexes catch up to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped, utcnow
from ipoc.labels import coded, named
from ipoc.patents.models import KIND_LABELS as PATENT_KINDS
from ipoc.patents.models import STATUS_LABELS as PATENT_STATUS
from ipoc.search.schemas import Mode

SEARCH_MODES = {"hybrid": "混合（关键词 + 语义）", "lexical": "关键词", "semantic": "语义"}


class DictionaryTerm(Base, Timestamped):
    """A term the segmenter must keep whole (e.g. 钕铁硼); edited by staff, applied at the next rebuild."""

    __tablename__ = "dictionary_terms"
    __audited__ = True
    __label__ = "领域词典词条"
    __labels__ = named(term="词条", note="说明")

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(40), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class PassageVector(Base):
    """An embedding keyed by the hash of the passage text, so no rebuild or re-import embeds twice."""

    __tablename__ = "passage_vectors"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ChangeCounter(Base):
    """A monotonically increasing revision per table; the row is locked while a transaction takes one."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SavedSearch(Base, Timestamped):
    """A user's search, re-run when patents arrive; new matches are shown to the owner in the app."""

    __tablename__ = "saved_searches"
    __audited__ = True
    __label__ = "保存的检索"
    __labels__ = named(
        owner_id="所有人",
        query="检索式",
        filters="筛选条件",
        mode="检索方式",
        database_id="专题库",
        notify="有新专利时提醒",
        seen_max_id="已读到的专利",
        new_patent_ids="新命中的专利",
        kind="专利类型",
        status_class="法律状态",
        ipc_subclass="IPC 小类",
        applicant="申请人",
        region_name="盟市",
    )
    __value_labels__ = coded(mode=SEARCH_MODES, kind=PATENT_KINDS, status_class=PATENT_STATUS)
    __audit_ignore__ = ("seen_max_id", "new_patent_ids", "updated_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text, default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mode: Mapped[Mode] = mapped_column(String(16), default="hybrid")
    database_id: Mapped[int | None] = mapped_column(ForeignKey("industry_databases.id", ondelete="SET NULL"))
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    seen_max_id: Mapped[int] = mapped_column(Integer, default=0)  # patents up to this id were already checked
    new_patent_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    @property
    def new_count(self) -> int:
        return len(self.new_patent_ids or [])
