"""Demo stock patents: 内蒙古示例大学's inventory of the demo patents filed by a 示例…大学, plus a few numbers
not yet in the database, taken in and screened through the service. Most were filed by other universities
(the colleges listed co-operations): intake marks them 非本单位 and they stay out of any offer; the
university's own two (co-owned with enterprises) are grouped into a draft offer. Runs after the demo patents
are imported."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.centers.models import Center
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.ops.demo_transfer import confirm_own_name
from ipoc.patents.numbers import check_char
from ipoc.stock import service as stock
from ipoc.stock.models import StockBatch, StockPatent
from ipoc.stock.schemas import BatchIn, GroupIn, StockRowIn

# application number as a tech-transfer office would list it → college, inventor contact
LISTED = [
    ("CN2021113217204", "材料科学与工程学院", "王老师 0471-4990001"),
    ("202311957236.X", "材料科学与工程学院", "李老师 0471-4990002"),
    ("CN202211582039X", "能源与动力工程学院", "赵老师 0471-4990003"),
    ("202411798639.9", "能源与动力工程学院", "赵老师 0471-4990003"),
    ("ZL202111416300.4", "化学化工学院", "张老师 0471-4990004"),
    ("ZL202011460019.6", "生命科学学院", "乌老师 0471-4990005"),
    ("201911132112.1", "蒙医药学院", "巴老师 0471-4990006"),
    ("CN2025119913700", "农学院", "刘老师 0471-4990007"),
]
# listed by the university but not (yet) in the platform's patent database: they show as 未入库
UNKNOWN_BODIES = ("201810123456", "202020654321", "202230777888")
GROUP = ("202111321720.4", "202111416300.4")  # the university's own (co-owned): it may offer them


def _unknown_numbers() -> list[str]:
    return [f"{body}.{check_char(body)}" for body in UNKNOWN_BODIES]


def load(session: Session, today: date | None = None) -> bool:
    """The batch once; False when a stock batch exists already or the demo logins are missing."""
    if session.scalar(select(StockBatch.id).limit(1)) is not None:
        return False
    university = demo_principal(session, "member")
    if university.org_id is None:
        return False
    day = today or clock.today()
    confirm_own_name(session, university.org_id)
    center_id = session.scalar(select(Center.id).order_by(Center.id).limit(1))
    batch = stock.create_batch(
        session,
        university,
        BatchIn(title=f"{day.year} 年度存量专利盘点", note="科技处汇总各学院报送的专利清单", center_id=center_id),
    )
    rows = [StockRowIn(application_no=no, college=college, contact=contact) for no, college, contact in LISTED]
    rows += [
        StockRowIn(application_no=no, college="机械工程学院", note="学院报送，待核实") for no in _unknown_numbers()
    ]
    stock.intake_records(session, university, batch.id, rows, today=day)
    grouped = session.scalars(
        select(StockPatent.id).where(
            StockPatent.batch_id == batch.id,
            StockPatent.application_no.in_(GROUP),
            StockPatent.patent_id.is_not(None),
        )
    ).all()
    if len(grouped) == len(GROUP):
        data = GroupIn(
            row_ids=list(grouped),
            title="稀土永磁与氢能电极材料合作研发包",
            problem_solved="以高丰度铈镧替代部分镨钕降低永磁原料成本；以镍基电极替代贵金属降低电解水制氢成本。",
            advantage="两项均以廉价元素替代稀缺元素，材料学院与化工学院可共建中试线。",
            trl=5,
            field="新材料",
            products="中端永磁电机磁钢、碱性电解槽电极",
            modes=["joint_rd"],
            expected_terms="合作研发，费用面议；与共有专利权人协商后可许可。",
        )
        stock.group_into_offer(session, university, batch.id, data)
    session.flush()
    return True
