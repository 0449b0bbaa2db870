"""Stock patents of a university or research institute: who may see and handle a batch, intake with its
report, linking to the patent database, screening, overrides, grouping into offers, and the inventory.

A batch is seen by the organisation's members, by the staff of the center handling it and by the region
admin (who only reads); anyone else gets 404. Members and the handling center's staff manage it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import ACTIVE_STATUSES, Center
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.messages import service as messages
from ipoc.orgs.models import Organisation
from ipoc.orgs.service import require_verified
from ipoc.patents import rights
from ipoc.patents.ipc import section_label
from ipoc.patents.models import KIND_LABELS, STATUS_LABELS, AuthorisationState, Patent, RightsAuthorisation
from ipoc.patents.reading import FileRefused
from ipoc.stock import intake
from ipoc.stock.models import ACTIONS, UNLINKED_LABEL, StockBatch, StockIntake, StockPatent
from ipoc.stock.schemas import BatchIn, GroupIn, OverrideIn, StockRowIn
from ipoc.stock.screening import CRITERION_STATES, HIGH_VALUE_LABELS, REMAINING_BANDS, remaining_band, screen
from ipoc.transfer import service as transfer
from ipoc.transfer.models import Offer
from ipoc.transfer.schemas import OfferIn
from ipoc.web.export import Sheet

STOCK_ORG_TYPES = {"university", "research_institute"}
_LOOKUP_CHUNK = 500


# --- who is who ---------------------------------------------------------------------------------------


def visible_batches(p: Principal) -> Select[StockBatch]:
    stmt = select(StockBatch).order_by(StockBatch.id.desc())
    if p.is_(Role.REGION_ADMIN):
        return stmt
    if p.is_(Role.MEMBER) and p.org_id:
        return stmt.where(StockBatch.org_id == p.org_id)
    if p.is_(Role.CENTER_STAFF) and p.center_id:
        return stmt.where(StockBatch.center_id == p.center_id)
    return stmt.where(false())


def may_manage(p: Principal, batch: StockBatch) -> bool:
    own = p.is_(Role.MEMBER) and p.org_id == batch.org_id
    handles = p.is_(Role.CENTER_STAFF) and p.center_id is not None and p.center_id == batch.center_id
    return own or handles


def list_batches(session: Session, p: Principal) -> list[StockBatch]:
    return list(session.scalars(visible_batches(p)))


def get_batch(session: Session, p: Principal, batch_id: int) -> StockBatch:
    batch = session.scalar(visible_batches(p).where(StockBatch.id == batch_id))
    if batch is None:
        raise NotFound("存量专利批次不存在")
    return batch


def managed_batch(session: Session, p: Principal, batch_id: int) -> StockBatch:
    batch = get_batch(session, p, batch_id)
    if not may_manage(p, batch):
        raise Forbidden("只有本单位或承办运营中心可以办理该批次")
    return batch


def patent_counts(session: Session, batch_ids: Iterable[int]) -> dict[int, int]:
    ids = list(batch_ids)
    if not ids:
        return {}
    query = select(StockPatent.batch_id, func.count()).where(StockPatent.batch_id.in_(ids))
    return {batch_id: n for batch_id, n in session.execute(query.group_by(StockPatent.batch_id))}


# --- batches ------------------------------------------------------------------------------------------


def _stock_org(session: Session, org_id: int | None) -> Organisation:
    org = session.get(Organisation, org_id) if org_id else None
    if org is None:
        raise InvalidInput("请选择高校或科研院所", field="org_id")
    if org.type_code not in STOCK_ORG_TYPES:
        raise InvalidInput("存量专利盘活面向高等院校和科研院所", field="org_id")
    return require_verified(org)


def _active_center(session: Session, center_id: int | None) -> int | None:
    if center_id is None:
        return None
    center = session.get(Center, center_id)
    if center is None or center.state not in ACTIVE_STATUSES:
        raise InvalidInput("请选择在认定有效期内的运营中心", field="center_id")
    return center.id


def create_batch(session: Session, p: Principal, data: BatchIn) -> StockBatch:
    """A member for its own university/institute, or center staff on its behalf (handled by their center)."""
    if p.is_(Role.MEMBER) and p.org_id:
        org = session.get(Organisation, p.org_id)
        if org is None or org.type_code not in STOCK_ORG_TYPES:
            raise Forbidden("存量专利盘活面向高等院校和科研院所")
        require_verified(org)
        center_id = _active_center(session, data.center_id)
    elif p.is_(Role.CENTER_STAFF) and p.center_id:
        org = _stock_org(session, data.org_id)
        center_id = p.center_id
    else:
        raise Forbidden("只有高校、科研院所的会员或运营中心工作人员可以登记存量专利")
    batch = StockBatch(org_id=org.id, center_id=center_id, title=data.title, note=data.note, created_by_id=p.user_id)
    audit.set_reason(session, "登记存量专利批次")
    session.add(batch)
    session.flush()
    return batch


# --- intake -------------------------------------------------------------------------------------------


def _numbers_in_batch(session: Session, batch_id: int) -> set[str]:
    return set(session.scalars(select(StockPatent.application_no).where(StockPatent.batch_id == batch_id)))


def _patents_by_number(session: Session, numbers: Iterable[str]) -> dict[str, Patent]:
    wanted = list(numbers)
    found: dict[str, Patent] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        found.update(
            (pt.application_no, pt)
            for pt in session.scalars(  # screening reads every patent's legal events: load them with the patents
                select(Patent).where(Patent.application_no.in_(chunk)).options(selectinload(Patent.events))
            )
        )
    return found


def holder_states(session: Session, org_id: int, patents: Iterable[Patent]) -> dict[int, tuple[str, str]]:
    """Patent id → (own | authorised | other, the current patentees): whether the batch's organisation holds the
    patent today (patents.rights), or may offer it under a center-confirmed written authorisation; else 非本单位.
    A list is read a chunk at a time with a few queries, not several per patent."""
    wanted = list({pt.id: pt for pt in patents}.values())
    states: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        held = rights.holdings(session, chunk)
        others = [pt.id for pt in chunk if not held[pt.id].holds(org_id)]
        confirmed = select(RightsAuthorisation.patent_id).where(
            RightsAuthorisation.patent_id.in_(others or [0]),
            RightsAuthorisation.organisation_id == org_id,
            RightsAuthorisation.state == AuthorisationState.CONFIRMED,
        )
        authorised = set(session.scalars(confirmed))
        for pt in chunk:
            h = held[pt.id]
            if h.holds(org_id):
                state = "own"
            elif pt.id not in authorised:  # the common case of a large list: no second holding
                state = "other"
            else:
                standing = [r for r in rights.check(session, pt, "offer", organisation_id=org_id) if r.standing]
                state = "authorised" if not standing else "other"
            states[pt.id] = (state, h.patentee_names)
    return states


def holder_state(session: Session, org_id: int, patent: Patent) -> tuple[str, str]:
    """One patent's holder_states."""
    return holder_states(session, org_id, [patent])[patent.id]


def apply_screening(
    session: Session, row: StockPatent, patent: Patent, org_id: int, today: date, held: tuple[str, str] | None = None
) -> None:
    """Write the screening of the linked patent, and who holds it (``held``, from holder_states for a list),
    onto the row; a person's override stays."""
    result = screen(patent, today)
    row.holder_state, holders = held or holder_state(session, org_id, patent)
    row.holders = holders[:500]
    row.screened_on = today
    row.status_class = result.status_class
    row.kind = result.kind
    row.ipc_section = result.ipc_section
    row.ipc_class = result.ipc_class
    row.expires_on = result.expires_on
    row.remaining_days = result.remaining_days
    row.indicators = result.indicators
    row.suggestion = result.suggestion
    row.reasons = result.reasons


def _store(
    session: Session, p: Principal, batch: StockBatch, parsed: intake.ParsedList, source: str, today: date
) -> StockIntake:
    patents = _patents_by_number(session, (r.application_no for r in parsed.rows))
    held = holder_states(session, batch.org_id, patents.values())
    linked = 0
    audit.set_reason(session, f"存量专利导入：{source}")
    for listed in parsed.rows:
        patent = patents.get(listed.application_no)
        row = StockPatent(
            batch_id=batch.id,
            application_no=listed.application_no,
            patent_id=patent.id if patent else None,
            college=listed.college,
            contact=listed.contact,
            note=listed.note,
            listed_title=listed.title,
            indicators={},
            reasons=[],
        )
        if patent is not None:
            row.patent = patent
            apply_screening(session, row, patent, batch.org_id, today, held[patent.id])
            linked += 1
        session.add(row)
    record = StockIntake(
        batch_id=batch.id,
        source=source[:200],
        rows=parsed.total,
        added=len(parsed.rows),
        linked=linked,
        duplicates=parsed.duplicates,
        bad=len(parsed.issues) - parsed.duplicates,
        issues=[[i.row, i.field, i.reason, i.value] for i in parsed.issues],
        created_by_id=p.user_id,
    )
    session.add(record)
    session.flush()
    return record


def _refused(exc: FileRefused) -> InvalidInput:
    return InvalidInput(f"文件无法导入：{exc.message}", field="file")


def intake_file(
    session: Session, p: Principal, batch_id: int, path: Path, filename: str, today: date | None = None
) -> StockIntake:
    """Read the whole file first; a file refused as a whole (empty, binary, no number column) writes nothing."""
    batch = managed_batch(session, p, batch_id)
    suffix = intake.check_suffix(filename)
    try:
        parsed = intake.read_file(path, suffix, _numbers_in_batch(session, batch.id))
    except FileRefused as exc:
        raise _refused(exc) from None
    return _store(session, p, batch, parsed, filename or "上传文件", today or clock.today())


def intake_text(session: Session, p: Principal, batch_id: int, text: str, today: date | None = None) -> StockIntake:
    batch = managed_batch(session, p, batch_id)
    try:
        parsed = intake.read_text(text, _numbers_in_batch(session, batch.id))
    except FileRefused as exc:
        raise InvalidInput(exc.message, field="text") from None
    return _store(session, p, batch, parsed, "粘贴的清单", today or clock.today())


def intake_records(
    session: Session, p: Principal, batch_id: int, records: list[StockRowIn], today: date | None = None
) -> StockIntake:
    """A JSON list; row numbers are positions in the list, from 1."""
    batch = managed_batch(session, p, batch_id)
    if not records:
        raise InvalidInput("清单为空", field="rows")
    items = [(n, r.model_dump()) for n, r in enumerate(records, start=1)]
    parsed = intake.check_rows(items, _numbers_in_batch(session, batch.id))
    return _store(session, p, batch, parsed, "接口提交的清单", today or clock.today())


def get_intake(session: Session, p: Principal, batch_id: int, intake_id: int) -> StockIntake:
    batch = get_batch(session, p, batch_id)
    record = session.get(StockIntake, intake_id)
    if record is None or record.batch_id != batch.id:
        raise NotFound("导入记录不存在")
    return record


def intakes(session: Session, batch: StockBatch) -> list[StockIntake]:
    query = select(StockIntake).where(StockIntake.batch_id == batch.id).order_by(StockIntake.id.desc())
    return list(session.scalars(query))


# --- relink, screening, overrides ---------------------------------------------------------------------


def relink(session: Session, p: Principal, batch_id: int, today: date | None = None) -> int:
    """Link the rows not yet in the database to patents imported since; returns how many were linked."""
    batch = managed_batch(session, p, batch_id)
    rows = list(
        session.scalars(select(StockPatent).where(StockPatent.batch_id == batch.id, StockPatent.patent_id.is_(None)))
    )
    patents = _patents_by_number(session, (r.application_no for r in rows))
    held = holder_states(session, batch.org_id, patents.values())
    audit.set_reason(session, "重新关联专利库")
    for row in rows:
        patent = patents.get(row.application_no)
        if patent is not None:
            row.patent_id = patent.id
            row.patent = patent
            apply_screening(session, row, patent, batch.org_id, today or clock.today(), held[patent.id])
    session.flush()
    return sum(1 for r in rows if r.patent_id is not None)


def rescreen(session: Session, p: Principal, batch_id: int, today: date | None = None) -> int:
    """Screen every linked row again from the current record (overrides stay)."""
    batch = managed_batch(session, p, batch_id)
    rows = list(
        session.scalars(select(StockPatent).where(StockPatent.batch_id == batch.id, StockPatent.patent_id.is_not(None)))
    )
    held = holder_states(session, batch.org_id, [row.patent for row in rows if row.patent is not None])
    audit.set_reason(session, "重新筛查")
    for row in rows:
        assert row.patent is not None
        apply_screening(session, row, row.patent, batch.org_id, today or clock.today(), held[row.patent.id])
    session.flush()
    return len(rows)


def get_row(session: Session, p: Principal, batch_id: int, row_id: int) -> StockPatent:
    batch = get_batch(session, p, batch_id)
    row = session.get(StockPatent, row_id)
    if row is None or row.batch_id != batch.id:
        raise NotFound("存量专利不存在")
    return row


def override(session: Session, p: Principal, batch_id: int, row_id: int, data: OverrideIn) -> StockPatent:
    """A person's decision over the suggestion, with the reason; ``action`` None goes back to the suggestion."""
    managed_batch(session, p, batch_id)
    row = get_row(session, p, batch_id, row_id)
    if row.screened_on is None:
        raise Conflict("未入库的专利尚未筛查，不能调整处置意见")
    audit.set_reason(session, f"调整处置意见：{data.note}")
    row.override = data.action
    row.override_note = data.note
    row.overridden_by_id = p.user_id
    session.flush()
    return row


# --- lists --------------------------------------------------------------------------------------------

FILTERS = ("college", "status", "kind", "action", "section", "grouped")


def list_rows(
    session: Session,
    batch: StockBatch,
    *,
    college: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    action: str | None = None,
    section: str | None = None,
    grouped: str | None = None,
) -> list[StockPatent]:
    """Rows of a batch; ``status`` may be ``unlinked``, ``grouped`` is ``yes`` or ``no``."""
    stmt = select(StockPatent).where(StockPatent.batch_id == batch.id).order_by(StockPatent.id)
    if college:
        stmt = stmt.where(StockPatent.college == college)
    if status == "unlinked":
        stmt = stmt.where(StockPatent.patent_id.is_(None))
    elif status:
        stmt = stmt.where(StockPatent.status_class == status)
    if kind:
        stmt = stmt.where(StockPatent.kind == kind)
    if section:
        stmt = stmt.where(StockPatent.ipc_section == section)
    if grouped == "yes":
        stmt = stmt.where(StockPatent.offer_id.is_not(None))
    elif grouped == "no":
        stmt = stmt.where(StockPatent.offer_id.is_(None))
    rows = list(session.scalars(stmt))
    return [r for r in rows if r.action == action] if action else rows


def colleges(session: Session, batch: StockBatch) -> list[str]:
    query = select(StockPatent.college).where(StockPatent.batch_id == batch.id, StockPatent.college != "")
    return sorted(set(session.scalars(query)))


# --- grouping into offers -----------------------------------------------------------------------------


def _selected(session: Session, batch: StockBatch, row_ids: list[int]) -> list[StockPatent]:
    wanted = list(dict.fromkeys(row_ids))
    rows = {r.id: r for r in session.scalars(select(StockPatent).where(StockPatent.id.in_(wanted)))}
    missing = [i for i in wanted if i not in rows or rows[i].batch_id != batch.id]
    if missing:
        raise InvalidInput("所选专利不属于本批次", field="row_ids")
    return [rows[i] for i in wanted]


def check_groupable(rows: list[StockPatent]) -> None:
    """Only linked, valid or pending patents of the batch's own organisation (or authorised), not yet in an offer
    of the batch; the message names each."""
    problems = []
    for row in rows:
        if row.patent_id is None:
            problems.append(f"{row.application_no} 未入库")
        elif row.holder_state == "other":
            problems.append(f"{row.application_no} 为非本单位专利（当前专利权人：{row.holders or '未载明'}）")
        elif row.status_class == "lapsed":
            problems.append(f"{row.application_no} 已失效")
        elif row.status_class not in ("valid", "pending"):
            problems.append(f"{row.application_no} 法律状态不明")
        elif row.offer_id is not None:
            problems.append(f"{row.application_no} 已在技术供给 #{row.offer_id} 中")
    if problems:
        raise InvalidInput(
            "不能组包：" + "；".join(problems) + "。只有本单位（或经书面授权）的有效或审中、尚未组包的专利可以组包",
            field="row_ids",
        )


def group_into_offer(session: Session, p: Principal, batch_id: int, data: GroupIn) -> Offer:
    """A draft offer through the transfer service, naming the selected patents; the rows point to it."""
    batch = managed_batch(session, p, batch_id)
    rows = _selected(session, batch, data.row_ids)
    check_groupable(rows)
    fields = data.model_dump(exclude={"row_ids", "application_nos"})
    offer_data = OfferIn.model_validate(fields | {"application_nos": [r.application_no for r in rows]})
    # the handling center's staff prepare the draft for the university, whose members publish it
    on_behalf = batch.org_id if p.is_(Role.CENTER_STAFF) else None
    offer = transfer.create_offer(session, p, offer_data, on_behalf_of=on_behalf)
    audit.set_reason(session, f"存量专利组包为技术供给 #{offer.id}")
    for row in rows:
        row.offer_id = offer.id
    if on_behalf is not None:
        said = f"运营中心将存量专利批次“{batch.title}”的 {len(rows)} 件专利组包为技术供给草稿“{offer.title}”，请核对"
        messages.tell(session, text=said, link=f"/offers/{offer.id}", organisations=[batch.org_id])
    session.flush()
    return offer


def batch_offers(session: Session, batch: StockBatch) -> list[tuple[int, str, str, int]]:
    """(offer id, title, state label, patents from this batch) of the offers made from the batch."""
    query = (
        select(Offer, func.count(StockPatent.id))
        .join(StockPatent, StockPatent.offer_id == Offer.id)
        .where(StockPatent.batch_id == batch.id)
        .group_by(Offer.id)
        .order_by(Offer.id)
    )
    return [(o.id, o.title, o.state_label, n) for o, n in session.execute(query)]


# --- inventory report ---------------------------------------------------------------------------------

BREAKDOWNS = {
    "college": "按学院",
    "section": "按技术领域（IPC 部）",
    "ipc_class": "按 IPC 大类",
    "status": "按法律状态",
    "kind": "按专利类型",
    "action": "按处置建议",
    "remaining": "按剩余保护期",
}
_STATUS_ORDER = [*STATUS_LABELS.values(), "状态不明", UNLINKED_LABEL]
_KIND_ORDER = [*KIND_LABELS.values(), "—"]
_ACTION_ORDER = [*ACTIONS.values(), "未筛查"]
_BAND_ORDER = [label for _c, label, _l, _h in REMAINING_BANDS] + ["已失效", "未知", UNLINKED_LABEL]


def _ordered(counter: Counter[str], order: list[str] | None) -> list[tuple[str, int]]:
    if order is None:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(label, counter[label]) for label in order if counter[label]] + [
        (label, n) for label, n in counter.items() if label not in order
    ]


def report(session: Session, batch: StockBatch) -> dict[str, list[tuple[str, int]]]:
    """Counts of the batch by college, field, IPC class, status, kind, action in force and remaining term."""
    counters: dict[str, Counter[str]] = {key: Counter() for key in BREAKDOWNS}
    for row in session.scalars(select(StockPatent).where(StockPatent.batch_id == batch.id)):
        counters["college"][row.college or "未填写"] += 1
        counters["status"][row.status_label] += 1
        counters["action"][row.action_label] += 1
        if not row.linked:
            counters["remaining"][UNLINKED_LABEL] += 1
            continue
        counters["section"][section_label(row.ipc_section)] += 1
        counters["ipc_class"][row.ipc_class or "未分类"] += 1
        counters["kind"][row.kind_label] += 1
        counters["remaining"][remaining_band(row.status_class, row.remaining_years)] += 1
    orders = {"status": _STATUS_ORDER, "kind": _KIND_ORDER, "action": _ACTION_ORDER, "remaining": _BAND_ORDER}
    sections = sorted(counters["section"])
    orders["section"] = sections
    return {key: _ordered(counters[key], orders.get(key)) for key in BREAKDOWNS}


ROW_HEADERS = [
    "申请号", "名称", "学院", "发明人联系方式", "备注", "入库", "当前专利权人", "权属", "法律状态", "专利类型",
    "IPC 部", "IPC 大类", "保护期届满日", "剩余保护期（年）", "权利要求数", "独立权利要求数", "被引证次数",
    "同族数", "许可", "转让", "质押", "高价值专利条件", "建议处置", "调整后处置", "调整理由", "理由",
    "技术供给编号", "筛查日期",
]  # fmt: skip


def _yes(value: object) -> str:
    return "是" if value else "否"


def _criteria_cell(ind: dict) -> str:
    """Each criterion with its state (满足/不满足/未知); a snapshot older than the states lists what fired."""
    if "criteria" not in ind:
        return "、".join(HIGH_VALUE_LABELS.get(c, c) for c in ind.get("high_value", []))
    return "；".join(f"{HIGH_VALUE_LABELS[c]}：{CRITERION_STATES[s]}" for c, s in ind["criteria"].items())


def row_cells(row: StockPatent) -> list[object]:
    ind = row.indicators or {}
    return [
        row.application_no, row.title, row.college, row.contact, row.note, _yes(row.linked), row.holders,
        row.holder_label if row.linked else "", row.status_label,
        row.kind_label, section_label(row.ipc_section) if row.linked else "", row.ipc_class or "",
        row.expires_on, row.remaining_years, ind.get("claims"), ind.get("independent_claims"),
        ind.get("cited_count"), ind.get("family_size"),
        *(_yes(ind.get(k)) if row.linked else "" for k in ("licensed", "transferred", "pledged")),
        _criteria_cell(ind),
        ACTIONS.get(row.suggestion or "", ""), ACTIONS.get(row.override or "", ""), row.override_note,
        "；".join(row.reasons or []), row.offer_id, row.screened_on,
    ]  # fmt: skip


SUMMARY_HEADERS = ["统计口径", "项目", "件数"]


def report_sheets(session: Session, batch: StockBatch) -> list[Sheet]:
    """汇总 (every breakdown as rows of 口径, 项目, 件数: one table to filter or pivot) and 明细 (every row with
    its screening, to annotate): what a tech-transfer office files and works from."""
    summary = [[BREAKDOWNS[key], label, n] for key, rows in report(session, batch).items() for label, n in rows]
    detail = [row_cells(row) for row in list_rows(session, batch)]
    name = f"存量专利盘点：{batch.title}"
    return [
        Sheet(f"{name}（汇总）", SUMMARY_HEADERS, summary, tab="汇总"),
        Sheet(f"{name}（明细）", ROW_HEADERS, detail, tab="明细"),
    ]
