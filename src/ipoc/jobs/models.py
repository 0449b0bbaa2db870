"""Long-running work (imports, embedding, exports, index rebuilds) recorded so that the UI can show its
progress, any worker process can claim it from the queue, and a dead worker's job is seen as interrupted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, utcnow

JOB_STATUS = {
    "queued": "排队中",
    "running": "进行中",
    "done": "已完成",
    "failed": "失败",
    "interrupted": "已中断",
}
JOB_KINDS = {
    "import": "专利导入",
    "embed": "语义向量计算",
    "export": "检索结果导出",
    "reindex": "索引重建",
    "mail": "邮件通知",
}


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The process running the job (a ``workers`` row); the sweep marks the job interrupted once it is gone.
    worker_id: Mapped[str | None] = mapped_column(String(200), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def status_label(self) -> str:
        return JOB_STATUS.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return JOB_KINDS.get(self.kind, self.kind)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == "done" else None
        return min(100, round(100 * self.done / self.total))

    @property
    def finished(self) -> bool:
        return self.status in {"done", "failed", "interrupted"}


class Worker(Base):
    """A process that runs jobs (``ipoc worker``, a web process's in-process runner, an inline CLI import),
    alive as long as it keeps its heartbeat fresh."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
