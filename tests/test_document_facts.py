"""Every generated document is built from the facts it certifies: for each kind (recognition decision,
public notice, self-evaluation report, expert score sheet), each fact it states is changed in the record
and the document's text must change to say the new value. The document model is read as text (what the
PDF and DOCX lay out, see test_documents.py), which keeps this cheap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from ipoc.auth.models import User
from ipoc.auth.roles import ANONYMOUS, Role
from ipoc.centers import service as centers
from ipoc.centers.schemas import SelfEvaluationIn
from ipoc.documents.model import Document
from ipoc.notices import service as notices
from ipoc.notices.models import Objection
from ipoc.notices.schemas import NoticeFields
from ipoc.reviews import service as reviews
from ipoc.reviews.models import Panel, Score, ScoreSheet
from tests.factories import who
from tests.test_centers import make_center
from tests.test_notices import FRI, World, _fields, _objection
from tests.test_notices import world as world  # the fixture, shared

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
    notices.publish(session, world.admin, drafted.id, today=FRI)
    app = world.apps[0]
    first = notices.file_objection(session, ANONYMOUS, drafted.id, _objection(app), today=FRI)
    notices.resolve_objection(session, world.admin, first.id, "dismissed", "经核实，办公场所符合要求")
    center = notices.recognise(session, world.admin, app.id, today=date(2025, 10, 10))
    session.flush()
    build = lambda: centers.recognition_document(session, center.id)  # noqa: E731
    said = text_of(build())
    assert f"公示期间收到异议1件，经核查，{first.receipt_no}号异议不成立。决定认定" in said
    assert "公示期满无异议" not in said and "2025年9月26日至2025年10月9日（5个工作日）" in said

    def second_objection() -> str:
        later = Objection(notice_id=drafted.id, application_id=app.id, filer_name="李四", filer_contact="13800002222",
                          content="团队人员不足", status="dismissed", resolution="经核实，人员充足")  # fmt: skip
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
        first.status = "upheld"
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
    build = lambda: notices.notice_document(session, drafted.id)  # noqa: E731
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
    center = make_center(session)
    staff = who(session, "staff", Role.CENTER_STAFF, str(center.id))
    ev = centers.start_self_evaluation(session, staff, center.id, 2026, date(2026, 6, 1))
    centers.save_self_evaluation(session, staff, ev.id, SelfEvaluationIn(summary="总体良好"))
    centers.submit_self_evaluation(session, staff, ev.id, date(2026, 6, 1))
    session.flush()
    build = lambda: centers.self_evaluation_document(session, ev.id)  # noqa: E731
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
            ("status", setting(ev, "status", "audited", "状态：审核通过")),
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


def test_the_score_sheet_states_the_record(session):
    center = make_center(session)
    indicators = [
        {"code": "A1", "label": "运营成效", "weight": 60, "max": 100},
        {"code": "A2", "label": "服务能力", "weight": 40, "max": 100},
    ]
    sheet = ScoreSheet(name="绩效评估评分表", kind="performance", indicators=indicators)
    session.add(sheet)
    session.flush()
    panel = Panel(kind="performance", name="2026 年度绩效评估", year=2026, sheet_id=sheet.id, status="closed")
    session.add(panel)
    session.flush()
    expert = who(session, "expert1", Role.EXPERT)
    score = Score(panel_id=panel.id, expert_id=expert.user_id, center_id=center.id, items={"A1": 80, "A2": 90},
                  total=84.0, comment="成效明显", submitted_at=datetime(2026, 7, 1, 4, 0))  # fmt: skip
    session.add(score)
    session.flush()
    build = lambda: reviews.score_sheet_document(session, score.id)  # noqa: E731
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
            ("expert", setting(session.get(User, expert.user_id), "display_name", "赵六", "评审专家：赵六")),
            ("points", setting(score, "items", {"A1": 50, "A2": 90}, "1\t运营成效\t60\t100\t50\t30")),
            ("total", setting(score, "total", 66.6, "合计\t100\t\t\t66.6")),
            ("comment", setting(score, "comment", "建议加强团队", "建议加强团队")),
            ("submitted", setting(score, "submitted_at", datetime(2026, 8, 3, 4, 0), "已提交（2026年8月3日）")),
            ("indicator", indicators_relabelled),
        ],
    )
