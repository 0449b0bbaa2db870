"""The expert's score sheet as printed and signed, as ``ipoc.documents.render`` prints it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications.models import Application
from ipoc.auth.models import User
from ipoc.centers.models import Center
from ipoc.documents.model import Document, Section, Table
from ipoc.errors import NotFound
from ipoc.notices.models import zh_date
from ipoc.notices.service import ISSUER
from ipoc.reviews.assignments import SUBJECT
from ipoc.reviews.models import PANEL_KINDS, Panel, Score
from ipoc.reviews.service import fmt, subject_label


def score_sheet_document(session: Session, score_id: int, today: date | None = None) -> Document:
    """The expert's score sheet as printed and signed: each indicator's weight, points and weighted points."""
    score = session.get(Score, score_id)
    if score is None:
        raise NotFound("评分记录不存在")
    panel = session.get(Panel, score.panel_id)
    assert panel is not None
    sheet = panel.sheet
    model, column, _ = SUBJECT[panel.kind]
    subject = session.get(model, getattr(score, column.key))
    expert = session.get(User, score.expert_id)
    assert isinstance(subject, Application | Center) and expert is not None
    rows = []
    for number, ind in enumerate(sheet.indicators, 1):
        points = score.items.get(ind["code"])
        weighted = None if points is None else ind["weight"] * points / ind["max"]
        rows.append([str(number), ind["label"], fmt(ind["weight"]), fmt(ind["max"]), fmt(points), fmt(weighted)])
    rows.append(["", "合计", "100", "", "", fmt(score.total)])
    state = f"已提交（{zh_date(clock.beijing_date(score.submitted_at))}）" if score.submitted_at else "未提交（草稿）"
    return Document(
        title=sheet.name,
        issuer=ISSUER,
        reference=f"{panel.name} · {PANEL_KINDS[panel.kind]} · 评分表第 {sheet.version} 版",
        sections=[
            Section(
                paragraphs=[f"评审对象：{subject_label(subject)}", f"评审专家：{expert.display_name}", f"状态：{state}"]
            ),
            Section(
                heading="评分",
                table=Table(
                    headers=["序号", "评价指标", "权重", "满分", "得分", "折算得分"],
                    rows=rows,
                    caption="折算得分 = 权重 × 得分 ÷ 满分，合计满分 100 分",
                ),
            ),
            Section(heading="评审意见", paragraphs=[score.comment or "（无）"]),
        ],
        signatures=[("评审专家（签字）", ""), ("专家姓名", expert.display_name)],
        date_line=zh_date(clock.beijing_date(score.submitted_at) if score.submitted_at else today or clock.today()),
    )
