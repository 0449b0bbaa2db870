"""Every generated document is built from the facts it certifies: for each kind (recognition decision,
public notice, self-evaluation report, expert score sheet, 整改通知书, 取消资格决定), each fact it states is
changed in the record and the document's text must change to say the new value. The document model is read
as text (what the PDF and DOCX lay out, see test_documents.py), which keeps this cheap; one test renders every
kind to PDF, PNG and DOCX."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select

from ipoc.auth.models import User
from ipoc.auth.roles import ANONYMOUS, Role
from ipoc.centers import service as centers
from ipoc.centers.models import PerformanceEvaluation, Rectification
from ipoc.centers.schemas import EvaluationIn, SelfEvaluationIn
from ipoc.documents.model import Document
from ipoc.documents.render import to_docx, to_pdf
from ipoc.lifecycle import cycle, decisions, recognition
from ipoc.notices import documents as notice_documents
from ipoc.notices import service as notices
from ipoc.notices.models import Objection
from ipoc.notices.schemas import NoticeFields
from ipoc.reviews import documents as review_documents
from ipoc.reviews.models import Panel, Score, ScoreSheet
from tests.factories import recognised_center, revoke, who
from tests.printed import check_pdf, needs_poppler
from tests.worlds.notices import FRI, World, _fields, _objection, make_world

WORLD = make_world  # the conftest's `world`: the notice tests' shortlisted dossiers

Change = Callable[[], "str | tuple[str, ...]"]  # changes one fact, returns the text that must then appear
Fact = tuple[str, Change]


def text_of(doc: Document) -> str:
    """Every line the document prints, in reading order; table cells tab-separated."""
    lines = [doc.title, doc.issuer, doc.number, doc.reference, f"{doc.addressee}：" if doc.addressee else ""]
    for section in [*doc.sections, *doc.annexes]:
        lines += [section.heading, *section.paragraphs]
        if section.table:
            table = section.table
            lines += [table.caption, "\t".join(table.headers), *("\t".join(row) for row in table.rows)]
    lines += [f"{label}：{value}" for label, value in doc.signatures]
    return "\n".join([*lines, doc.date_line])


def setting(obj: object, attr: str, value: object, shows: str | None = None) -> Change:
    """A change of one recorded fact; the document must then print ``shows`` (the value itself by default)."""

    def change() -> str:
        setattr(obj, attr, value)
        return str(value) if shows is None else shows

    return change


def assert_each_fact_shows(build: Callable[[], Document], facts: list[Fact]) -> None:
    """Each change, in turn, must put new text in the document: what it says comes from the record."""
    for name, change in facts:
        before = text_of(build())
        shown = change()
        after = text_of(build())
        for expected in (shown,) if isinstance(shown, str) else shown:
            assert expected not in before, f"{name}: {expected!r} was already printed"
            assert expected in after, f"{name}: the document does not say {expected!r} after the change"


def test_the_recognition_decision_states_the_record(session, world: World):
    drafted = notices.create_notice(session, world.admin, world.call.id, _fields(FRI), [world.apps[0].id], today=FRI)
    recognition.publish(session, world.admin, drafted.id, today=FRI)
    app = world.apps[0]
    first = notices.file_objection(session, ANONYMOUS, drafted.id, _objection(app), today=FRI)
    notices.resolve_objection(session, world.admin, first.id, "dismissed", "经核实，办公场所符合要求")
    center = recognition.recognise(session, world.admin, app.id, today=date(2025, 10, 10))
    session.flush()
    build = lambda: decisions.recognition_document(session, center.id)  # noqa: E731
    said = text_of(build())
    assert f"公示期间收到异议1件，经核查，{first.receipt_no}号异议不成立。决定认定" in said
    assert "公示期满无异议" not in said and "2025年9月26日至2025年10月9日（5个工作日）" in said

    def second_objection() -> str:
        later = Objection(notice_id=drafted.id, application_id=app.id, filer_name="李四", filer_contact="13800002222",
                          content="团队人员不足", state="dismissed", resolution="经核实，人员充足")  # fmt: skip
        session.add(later)
        session.flush()
        return f"公示期间收到异议2件，经核查，{first.receipt_no}号异议成立；{later.receipt_no}号异议不成立"

    def period() -> str:
        center.period_end = date(2030, 10, 9)
        return "建设周期为五年，自2025年10月10日至2030年10月9日"

    def window() -> str:
        drafted.ends_on, drafted.working_days = date(2025, 10, 13), 6
        return "并于2025年9月26日至2025年10月13日（6个工作日）向社会公示"

    def outcome() -> str:
        first.state = "upheld"
        return f"{first.receipt_no}号异议成立"

    assert_each_fact_shows(
        build,
        [
            ("builder", setting(center.builder, "name", "包头改名稀土有限公司", "包头改名稀土有限公司：")),
            ("name", setting(center, "name", "内蒙古自治区改名知识产权运营中心", "命名为“内蒙古自治区改名")),
            ("industry", setting(center.industry, "name", "改名产业", "所属产业为改名产业")),
            ("route", setting(center, "direct", False, "建设主体申报、包头市市场监管局（知识产权局）推荐")),
            ("region", setting(center.region, "name", "改名市", "改名市市场监管局")),
            ("period", period),
            ("recognised on", setting(center, "recognised_on", date(2025, 10, 20), "2025年10月20日")),
            ("notice window", window),
            ("objection outcome", outcome),
            ("objection count", second_objection),
        ],
    )


def test_the_public_notice_states_the_record(session, world: World):
    drafted = notices.create_notice(session, world.admin, world.call.id, _fields(FRI), [world.apps[0].id], today=FRI)
    build = lambda: notice_documents.notice_document(session, drafted.id)  # noqa: E731
    ids = [world.apps[0].id]

    def update(**fields) -> None:
        merged = {"starts_on": drafted.starts_on, "contact": drafted.contact, "title": drafted.title, **fields}
        notices.update_notice(session, world.admin, drafted.id, NoticeFields(**merged), ids, today=FRI)

    def updating(shows: str | None = None, **fields: object) -> Change:
        def change() -> str:
            update(**fields)
            return shows or str(next(iter(fields.values())))

        return change

    def entry() -> str:
        ids.append(world.apps[1].id)
        update()
        return "2. 内蒙古自治区风电装备知识产权运营中心（建设主体：包头风电装备集团有限公司"

    def year() -> str:
        world.call.year = 2031
        update(title=None)
        return "关于2031年度内蒙古自治区产业知识产权运营中心拟认定名单的公示"

    assert_each_fact_shows(
        build,
        [
            ("title", updating(title="关于改名的公示")),
            ("contact", updating(contact="改名处，电话 0471-1111111")),
            ("start", updating(starts_on=date(2025, 10, 13), shows="2025年10月13日至2025年10月17日（5个工作日）")),
            ("entries", entry),
            ("builder", setting(world.apps[0].org, "name", "包头改名有限公司", "包头改名有限公司")),
            ("industry", setting(world.apps[0].industry, "name", "改名产业", "\t改名产业\t")),
            ("region", setting(world.apps[0].region, "name", "改名市", "\t改名市")),
            ("year", year),
        ],
    )


def test_the_self_evaluation_report_states_the_record(session):
    center = recognised_center(session)
    staff = who(session, "staff", Role.CENTER_STAFF, str(center.id))
    ev = cycle.start_self_evaluation(session, staff, center.id, 2026, date(2026, 6, 1))
    centers.save_self_evaluation(session, staff, ev.id, SelfEvaluationIn(summary="总体良好"))
    cycle.submit_self_evaluation(session, staff, ev.id, date(2026, 6, 1))
    session.flush()
    build = lambda: decisions.self_evaluation_document(session, ev.id)  # noqa: E731
    said = text_of(build())
    assert "与平台技术合同台账一致" in said and "审核单位（包头市市场监管局（知识产权局））意见（盖章）" in said

    def amount() -> tuple[str, ...]:
        ev.conversion_amount_yuan = 1_234_500
        return "年度转化运营金额（万元）\t123.45", "由中心自报；平台技术合同台账记录为0万元、0项"

    def late() -> str:
        ev.submitted_on = date(2027, 1, 5)
        return "（逾期报送）"

    def field(name: str, value: str) -> Fact:
        return name, setting(ev, name, value)

    assert_each_fact_shows(
        build,
        [
            ("year", setting(ev, "year", 2027, "2027年度自我评价报告")),
            ("deadline", setting(ev, "deadline", date(2026, 12, 20), "报送截止日期：2026年12月20日")),
            ("status", setting(ev, "state", "audited", "状态：审核通过")),
            ("figures", setting(ev, "figures", {**ev.figures, "plan_items_total": 17}, "（项）\t17")),
            ("amount", amount),
            ("projects", setting(ev, "conversion_projects", 7, "转化、产业化项目数（个）\t7")),
            ("late", late),
            ("submitted on", setting(ev, "submitted_on", date(2026, 7, 8), "2026年7月8日")),
            field("summary", "全年完成各项任务"),
            field("achievements", "促成转让合同十项"),
            field("problems", "专职人员偏少"),
            field("next_steps", "扩充运营团队"),
            field("audit_note", "同意，数据属实"),
            ("builder", setting(center.builder, "name", "包头改名有限公司", "建设主体\t包头改名有限公司")),
            ("auditor", setting(center, "direct", True, "审核单位（内蒙古自治区市场监督管理局（知识产权局））")),
        ],
    )


def scored(session, center) -> Score:
    """A submitted expert score of the center on a closed performance panel."""
    indicators = [
        {"code": "A1", "label": "运营成效", "weight": 60, "max": 100},
        {"code": "A2", "label": "服务能力", "weight": 40, "max": 100},
    ]
    sheet = ScoreSheet(name="绩效评估评分表", kind="performance", indicators=indicators)
    session.add(sheet)
    session.flush()
    panel = Panel(kind="performance", name="2026 年度绩效评估", year=2026, sheet_id=sheet.id, state="closed")
    session.add(panel)
    session.flush()
    expert = who(session, "expert1", Role.EXPERT)
    score = Score(panel_id=panel.id, expert_id=expert.user_id, center_id=center.id, items={"A1": 80, "A2": 90},
                  total=84.0, comment="成效明显", submitted_at=datetime(2026, 7, 1, 4, 0))  # fmt: skip
    session.add(score)
    session.flush()
    return score


def test_the_score_sheet_states_the_record(session):
    center = recognised_center(session)
    score = scored(session, center)
    panel = session.get(Panel, score.panel_id)
    sheet, indicators = panel.sheet, panel.sheet.indicators
    build = lambda: review_documents.score_sheet_document(session, score.id)  # noqa: E731
    assert "1\t运营成效\t60\t100\t80\t48" in text_of(build())

    def indicators_relabelled() -> str:
        sheet.indicators = [{**indicators[0], "label": "改名指标"}, indicators[1]]
        return "1\t改名指标\t60\t100"

    assert_each_fact_shows(
        build,
        [
            ("sheet", setting(sheet, "name", "改名评分表", "改名评分表")),
            ("version", setting(sheet, "version", 2, "评分表第 2 版")),
            ("panel", setting(panel, "name", "改名专家组", "改名专家组")),
            ("subject", setting(center, "name", "改名运营中心", "评审对象：改名运营中心")),
            ("expert", setting(session.get(User, score.expert_id), "display_name", "赵六", "评审专家：赵六")),
            ("points", setting(score, "items", {"A1": 50, "A2": 90}, "1\t运营成效\t60\t100\t50\t30")),
            ("total", setting(score, "total", 66.6, "合计\t100\t\t\t66.6")),
            ("comment", setting(score, "comment", "建议加强团队", "建议加强团队")),
            ("submitted", setting(score, "submitted_at", datetime(2026, 8, 3, 4, 0), "已提交（2026年8月3日）")),
            ("indicator", indicators_relabelled),
        ],
    )


TODAY = date(2026, 6, 1)


def _rectification(session, center, admin) -> Rectification:
    requirements, deadline = "补齐专职人员\n完善服务台账", date(2026, 9, 1)
    data = EvaluationIn(year=2026, outcome="rectify", requirements=requirements, deadline=deadline)
    ev = cycle.evaluate(session, admin, center.id, data, TODAY)
    return session.scalar(select(Rectification).where(Rectification.evaluation_id == ev.id))


def test_the_rectification_notice_states_the_record(session):
    center = recognised_center(session)
    admin = who(session, "admin1", Role.REGION_ADMIN)
    rect = _rectification(session, center, admin)
    build = lambda: decisions.rectification_notice_document(session, rect.id)  # noqa: E731
    said = text_of(build())
    for expected in ("补齐专职人员\n完善服务台账", "2026年9月1日前完成整改", "2026年度绩效评估", "2026年6月1日"):
        assert expected in said, expected
    assert build().number == rect.notice_number and rect.notice_number.startswith("内市监知发〔2026〕")
    ev = session.get(PerformanceEvaluation, rect.evaluation_id)
    assert_each_fact_shows(
        build,
        [
            ("center", setting(center, "name", "改名运营中心", "关于责令改名运营中心限期整改的通知")),
            ("builder", setting(center.builder, "name", "包头改名有限公司", "包头改名有限公司：")),
            ("requirements", setting(rect, "requirements", "引进高层次人才", "引进高层次人才")),
            ("deadline", setting(rect, "deadline", date(2026, 10, 8), "2026年10月8日前")),
            ("number", setting(rect, "notice_number", "内市监知发〔2026〕99号")),
            ("issued", setting(rect, "issued_on", date(2026, 6, 3), "2026年6月3日")),
            ("year", setting(ev, "year", 2025, "2025年度绩效评估")),
            ("score", setting(ev, "score", 58.5, "评估得分58.5分")),
            ("note", setting(ev, "note", "服务台账缺失", "评估意见：服务台账缺失。")),
        ],
    )


def test_the_revocation_decision_states_the_record(session):
    center = recognised_center(session)
    admin = who(session, "admin1", Role.REGION_ADMIN)
    revocation = revoke(session, admin, center, reason="dishonesty", detail="列入严重失信主体名单", today=TODAY)
    build = lambda: decisions.revocation_decision_document(session, center.id)  # noqa: E731
    said = text_of(build())
    assert "严重失信" in said and "第十一条" in said and "列入严重失信主体名单" in said and "2026年6月1日" in said
    assert_each_fact_shows(
        build,
        [
            ("center", setting(center, "name", "改名运营中心", "关于取消改名运营中心资格的决定")),
            ("builder", setting(center.builder, "name", "包头改名有限公司", "包头改名有限公司：")),
            ("recognised", setting(center, "recognised_on", date(2026, 3, 9), "于2026年3月9日经认定")),
            ("reason", setting(revocation, "reason", "fund_misuse", ("挤占挪用", "第十八条"))),
            ("detail", setting(revocation, "detail", "经审计发现挪用专项资金", "事实与依据：经审计发现挪用专项资金")),
            ("date", setting(revocation, "decided_on", date(2026, 6, 5), "2026年6月5日")),
            ("number", setting(revocation, "decision_number", "内市监知发〔2026〕77号")),
        ],
    )


def test_a_failed_rectification_is_cited_by_the_revocation_decision(session):
    center = recognised_center(session)
    admin = who(session, "admin1", Role.REGION_ADMIN)
    rect = _rectification(session, center, admin)
    centers.decide_rectification(session, admin, rect.id, passed=False, note="逾期未整改", today=date(2026, 9, 2))
    said = text_of(decisions.revocation_decision_document(session, center.id))
    assert f"限期整改（{rect.notice_number}），整改期限至2026年9月1日" in said and "第十条" in said
    assert "逾期未整改" in said and "2026年9月2日" in said


@needs_poppler
def test_every_document_kind_renders_with_every_glyph_and_no_lone_date_page(session, world: World, tmp_path):
    """Each kind, built from a record, goes through PDF and PNG: fonts embedded, every character printed, no
    page holding only the date (test_documents.check_pdf); and through DOCX, in zh-CN with the official faces."""
    center = recognised_center(session)
    admin = who(session, "admin1", Role.REGION_ADMIN)
    staff = who(session, "staff", Role.CENTER_STAFF, str(center.id))
    ev = cycle.start_self_evaluation(session, staff, center.id, 2026, TODAY)
    centers.save_self_evaluation(session, staff, ev.id, SelfEvaluationIn(summary="总体良好"))
    rect = _rectification(session, center, admin)
    centers.decide_rectification(session, admin, rect.id, passed=False, note="逾期未整改", today=date(2026, 9, 2))
    drafted = notices.create_notice(session, world.admin, world.call.id, _fields(FRI), [world.apps[0].id], today=FRI)
    kinds = {
        "recognition": decisions.recognition_document(session, center.id),
        "notice": notice_documents.notice_document(session, drafted.id),
        "self-evaluation": decisions.self_evaluation_document(session, ev.id),
        "score-sheet": review_documents.score_sheet_document(session, scored(session, center).id),
        "rectification": decisions.rectification_notice_document(session, rect.id),
        "revocation": decisions.revocation_decision_document(session, center.id),
    }
    for name, doc in kinds.items():
        pages = check_pdf(to_pdf(doc), doc, tmp_path / name)
        assert doc.title in "".join(pages).replace("\n", ""), name
        styles = zipfile.ZipFile(io.BytesIO(to_docx(doc))).read("word/styles.xml").decode()
        assert 'w:eastAsia="zh-CN"' in styles and "仿宋_GB2312" in styles, name
        if doc.official:
            assert doc.issuer in pages[0] and (doc.number or name == "notice"), name
