"""The papers of a center's life: the recognition decision (it recounts the notice and the objections of the
recognition procedure), the rectification notice, the revocation decision and the self-evaluation report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications.models import Application
from ipoc.centers.models import (
    OUTCOMES,
    Center,
    PerformanceEvaluation,
    Rectification,
    RectificationState,
    SelfEvaluation,
)
from ipoc.centers.records import ISSUER, NOT_FOUND
from ipoc.centers.service import INTERNAL_NOT_FOUND, revocation_of
from ipoc.config import get_settings
from ipoc.documents.model import Document, Section, Table
from ipoc.errors import NotFound
from ipoc.money import wan
from ipoc.notices.models import PublicNotice, zh_date
from ipoc.notices.service import objection_account, objections_against

GUIDELINE = "《内蒙古自治区产业知识产权运营中心建设工作指引》"
# What catalogue.service.center_figures counts; a key it adds later shows under its own name.
FIGURE_LABELS = {
    "service_items_published": "已公布的公共服务事项（项）",
    "plan_items_total": "年度工作计划事项（项）",
    "plan_items_done": "其中已完成（项）",
    "funding_projects": "专项资金支持项目（个）",
    "funding_yuan": "专项资金金额（万元）",
    "ledger_conversion_yuan": "技术合同台账：本年度转化运营金额（万元）",
    "ledger_conversion_deals": "技术合同台账：本年度签订合同（项）",
    "ledger_excluded_deals": "本年度未通过权利核验、未计入台账的合同（项）",
}


def _cn_number(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def _period_text(center: Center) -> str:
    if center.period_start is None or center.period_end is None:
        return "—"
    return f"{zh_date(center.period_start)}至{zh_date(center.period_end)}"


def _basics(center: Center) -> Table:
    return Table(
        headers=["项目", "内容"],
        rows=[
            ["运营中心名称", center.name],
            ["建设主体", center.builder.name],
            ["所属产业", center.industry.name],
            ["所在盟市", center.region.name],
            ["建设周期", _period_text(center)],
        ],
    )


def _period_years(center: Center) -> int:
    """The length of the center's own period, as recorded at recognition (the setting may change since)."""
    if center.period_start is None or center.period_end is None:
        return get_settings().construction_years
    return (center.period_end + timedelta(days=1)).year - center.period_start.year


def _procedure(session: Session, center: Center, route: str) -> str:
    """The sentence of the decision that recounts the procedure: the notice window and each objection with
    how it was decided, as recorded; a center recognised off the platform refers to its original decision."""
    app = session.get(Application, center.application_id) if center.application_id else None
    notice = session.get(PublicNotice, app.notice_id) if app is not None and app.notice_id else None
    if app is None or notice is None:
        return f"经{route}（该认定的复核、评审、公示及异议情况未在本平台记录，以原认定文件为准）"
    account = objection_account(objections_against(session, app.id))
    return f"经{route}，自治区局复核、专家评审，并于{notice.window_label}向社会公示，{account}"


def _audit_body(center: Center) -> str:
    """Who audits the center's self-evaluations (Art. 10): the region bureau for a direct applicant."""
    return ISSUER if center.direct else f"{center.region.name}市场监管局（知识产权局）"


def recognition_document(session: Session, center_id: int) -> Document:
    """认定决定 (Arts. 7–8, 10): public once the center is recognised, as the decision itself was. Every
    fact it states is read from the record: the route, the notice window, each objection and its outcome,
    the name, the industry and the period."""
    center = session.get(Center, center_id)
    if center is None:
        raise NotFound(NOT_FOUND)
    region = center.region.name
    route = (
        f"建设主体直接向自治区局申报（申报材料已向{region}市场监管局（知识产权局）备案）"
        if center.direct
        else f"建设主体申报、{region}市场监管局（知识产权局）推荐"
    )
    auditor = "直接报送自治区局并抄送所在地盟市局" if center.direct else f"经{_audit_body(center)}审核后报送自治区局"
    years = _cn_number(_period_years(center))
    paragraphs = [
        f"根据{GUIDELINE}第七条规定，{_procedure(session, center, route)}。决定认定{center.builder.name}"
        f"为自治区产业知识产权运营中心建设主体。",
        f"根据第八条规定，该运营中心命名为“{center.name}”，所属产业为{center.industry.name}。",
        f"根据第十条规定，运营中心建设周期为{years}年，自{_period_text(center)}。运营中心应于每年年底前开展"
        f"自我评价，{auditor}；自治区局每年组织专家开展绩效评估，对运营良好、特色鲜明的通过典型案例形式宣传推广，"
        "对基础条件不足、未履行或怠于履行工作职责的责令限期整改，整改不合格的取消资格。",
        "运营中心不得以挂牌、发文等方式自行设立各类分中心（第十三条）。",
    ]
    return Document(
        title=f"关于认定{center.name}的决定",
        issuer=ISSUER,
        official=True,
        number=center.decision_number or "",
        addressee=center.builder.name,
        sections=[Section(paragraphs=paragraphs)],
        annexes=[Section(heading="认定信息", table=_basics(center))],
        signatures=[("", ISSUER)],
        date_line=zh_date(center.recognised_on) if center.recognised_on else "",
    )


def rectification_notice_document(session: Session, rect_id: int) -> Document:
    """整改通知书 (Art. 10): the region bureau's order, issued with the performance evaluation that made it; its
    number, date, requirements and deadline are the record's (callers check visibility first)."""
    rect = session.get(Rectification, rect_id)
    if rect is None:
        raise NotFound(INTERNAL_NOT_FOUND)
    center = rect.center
    ev = session.get(PerformanceEvaluation, rect.evaluation_id)
    assert ev is not None
    score = f"，评估得分{ev.score:g}分" if ev.score is not None else ""
    note = f"评估意见：{ev.note.rstrip('。')}。" if ev.note else ""
    paragraphs = [
        f"根据{GUIDELINE}第十条规定，自治区局组织开展了{center.name}{ev.year}年度绩效评估。经评估，"
        f"评估结果为“{OUTCOMES['rectify']}”{score}。{note}",
        "现责令你单位按以下要求进行整改：",
    ]
    requirements = [line.strip() for line in rect.requirements.splitlines() if line.strip()]
    closing = (
        f"请于{zh_date(rect.deadline)}前完成整改，并通过平台向自治区局提交整改报告。自治区局将组织验收；"
        f"整改不合格的，依据{GUIDELINE}第十条规定取消运营中心资格。"
    )
    return Document(
        title=f"关于责令{center.name}限期整改的通知",
        issuer=ISSUER,
        official=True,
        number=rect.notice_number or "",
        addressee=center.builder.name,
        sections=[Section(paragraphs=paragraphs), Section(paragraphs=[*requirements, closing])],
        signatures=[("", ISSUER)],
        date_line=zh_date(rect.issued_on or clock.beijing_date(rect.created_at)),
    )


def _revocation_article(reason: str) -> str:
    if reason == "failed_rectification":
        return "第十条"
    return "第十八条" if reason in ("fund_misuse", "leaking_secrets") else "第十一条"


def revocation_decision_document(session: Session, center_id: int) -> Document:
    """取消资格决定 (Arts. 10, 11, 18): public as the revocation is; the reason, the facts and the date are the
    record's, and a failed rectification cites the order it failed (its number, deadline and evaluation year)."""
    center = session.get(Center, center_id)
    revocation = revocation_of(session, center) if center is not None else None
    if center is None or revocation is None:
        raise NotFound("该运营中心没有取消资格决定")
    builder = center.builder.name
    facts = [line.strip() for line in revocation.detail.splitlines() if line.strip()]
    recognised = f"于{zh_date(center.recognised_on)}" if center.recognised_on else ""
    paragraphs = [f"{builder}{recognised}经认定为自治区产业知识产权运营中心建设主体，运营中心名称为“{center.name}”。"]
    if revocation.reason == "failed_rectification":
        failed = session.scalar(
            select(Rectification)
            .where(Rectification.center_id == center.id, Rectification.state == RectificationState.FAILED)
            .order_by(Rectification.id.desc())
            .limit(1)
        )
        if failed is not None:
            ev = session.get(PerformanceEvaluation, failed.evaluation_id)
            year = f"{ev.year}年度" if ev is not None else ""
            number = f"（{failed.notice_number}）" if failed.notice_number else ""
            paragraphs.append(
                f"经{year}绩效评估，自治区局责令该运营中心限期整改{number}，整改期限至{zh_date(failed.deadline)}。"
                "经验收，整改不合格。"
            )
    else:
        paragraphs.append(f"经查，该运营中心存在{revocation.reason_label}情形。")
    paragraphs += [f"事实与依据：{facts[0]}" if facts else "事实与依据：见所附证据材料。", *facts[1:]]
    paragraphs.append(
        f"根据{GUIDELINE}{_revocation_article(revocation.reason)}规定，自治区局决定取消{center.name}的"
        "自治区产业知识产权运营中心资格。该运营中心的建设记录在平台存档，不再变更。"
    )
    return Document(
        title=f"关于取消{center.name}资格的决定",
        issuer=ISSUER,
        official=True,
        number=revocation.decision_number or "",
        addressee=builder,
        sections=[Section(paragraphs=paragraphs)],
        signatures=[("", ISSUER)],
        date_line=zh_date(revocation.decided_on),
    )


def figure_rows(figures: dict[str, int]) -> list[tuple[str, str]]:
    """(label, value) of the pre-filled figures, money in 万元."""
    return [
        (FIGURE_LABELS.get(key, key), wan(value) if key.endswith("_yuan") else str(value))
        for key, value in figures.items()
    ]


def _conversion_caption(ev: SelfEvaluation) -> str:
    """Whether the reported conversion figures are the ledger's: the center may correct the pre-fill, and
    the report must then say what the ledger holds rather than claim the figures came from it."""
    scope = "转让、许可、作价入股、投融资等方式实现的金额及项目"
    amount, deals = ev.figures.get("ledger_conversion_yuan"), ev.figures.get("ledger_conversion_deals")
    if (amount, deals) == (ev.conversion_amount_yuan, ev.conversion_projects):
        return f"{scope}，与平台技术合同台账一致。"
    if amount is None or deals is None:
        return f"{scope}，由中心自报。"
    return f"{scope}，由中心自报；平台技术合同台账记录为{wan(amount)}万元、{deals}项。"


def self_evaluation_document(session: Session, eval_id: int) -> Document:
    """The self-evaluation report with its figures and text (callers check visibility first)."""
    ev = session.get(SelfEvaluation, eval_id)
    if ev is None:
        raise NotFound(INTERNAL_NOT_FOUND)
    center = ev.center
    status = ev.state_label + ("（逾期报送）" if ev.late else "")
    sections = [
        Section(heading="一、基本情况", table=_basics(center)),
        Section(
            heading="二、平台记录的工作数据",
            table=Table(headers=["指标", "数值"], rows=[list(r) for r in figure_rows(ev.figures)]),
        ),
        Section(
            heading="三、知识产权转化运营情况（自报）",
            table=Table(
                headers=["指标", "数值"],
                rows=[
                    ["年度转化运营金额（万元）", wan(ev.conversion_amount_yuan)],
                    ["转化、产业化项目数（个）", str(ev.conversion_projects)],
                ],
                caption=_conversion_caption(ev),
            ),
        ),
        Section(heading="四、总体情况", paragraphs=ev.summary.splitlines() or ["—"]),
        Section(heading="五、主要成效", paragraphs=ev.achievements.splitlines() or ["—"]),
        Section(heading="六、存在问题", paragraphs=ev.problems.splitlines() or ["—"]),
        Section(heading="七、下一步工作", paragraphs=ev.next_steps.splitlines() or ["—"]),
    ]
    if ev.audit_note:
        sections.append(Section(heading="审核意见", paragraphs=ev.audit_note.splitlines()))
    return Document(
        title=f"{center.name}{ev.year}年度自我评价报告",
        issuer=center.builder.name,
        reference=f"报送截止日期：{zh_date(ev.deadline)}；状态：{status}",
        sections=sections,
        signatures=[("运营中心（盖章）", ""), (f"审核单位（{_audit_body(center)}）意见（盖章）", "")],
        date_line=zh_date(ev.submitted_on) if ev.submitted_on else "",
    )
