"""University stock patents: intake with its report (good, bad, duplicate and unknown rows; broken files
write nothing; GBK CSV, XLSX, pasted text, JSON; a real headerless list), relinking, screening values
checked by hand, overrides, grouping into a draft offer and its refusals, the inventory report, who may
see and do what, the audit trail and the demo loader."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from sqlalchemy import func, select

from ipoc import money
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.config import Settings
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.orgs.models import Organisation
from ipoc.patents import term
from ipoc.patents.models import Applicant, LegalEvent, Patent, PatentApplicant
from ipoc.stock import screening
from ipoc.stock import service as svc
from ipoc.stock.models import StockBatch, StockIntake, StockPatent
from ipoc.stock.schemas import BatchIn, GroupIn, OverrideIn, StockRowIn
from ipoc.transfer.models import Offer
from tests.conftest import act_as, csrf_of, post_form
from tests.exported import assert_office_ready, table
from tests.factories import authorise, holds_name, make_center, make_org, number, principals

TODAY = date(2026, 11, 30)
REAL_LIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "cn-patent-list" / "patents-no-header.csv"


def bad_check(number: str) -> str:
    body, check = number.split(".")
    return f"{body}.{'0' if check != '0' else '1'}"


CLAIMS = (
    "1. 一种稀土永磁体的制备方法，其特征在于，包括烧结和扩散。\n"
    "2. 根据权利要求1所述的方法，其特征在于，扩散温度为900℃。\n"
    "3. 根据权利要求1所述的方法，其特征在于，回火温度为500℃。\n"
    "4. 一种稀土永磁体，其特征在于，由权利要求1的方法制得。\n"
    "5. 一种电机，包括转子和定子。"
)

# key → (number, kind, status, application date, IPC, extra fields)
PATENTS = {
    "magnet": (number(1, 2015, 1), "invention", "valid", date(2015, 3, 10), "H01F 1/057", {"cited_count": 6}),
    "design_new": (number(2, 2021, 3), "design", "valid", date(2021, 6, 1), None, {}),
    "design_old": (number(3, 2021, 3), "design", "valid", date(2021, 5, 31), None, {}),
    "old_um": (number(4, 2017, 2), "utility_model", "valid", date(2017, 1, 10), "B01D 53/00", {}),
    "lapsed": (number(5, 2016, 1), "invention", "lapsed", date(2016, 4, 1), "C22C 38/00", {}),
    "pending": (number(6, 2024, 1), "invention", "pending", date(2024, 2, 1), "H01M 8/00", {}),
    "licensed_um": (number(7, 2020, 2), "utility_model", "valid", date(2020, 5, 1), "F03D 1/00", {}),
    "veteran": (number(8, 2012, 1), "invention", "valid", date(2012, 1, 1), "C01F 17/00", {}),
}


@dataclass
class World:
    univ: Organisation
    center: Center
    people: dict[str, Principal]
    patents: dict[str, Patent]


def _patent(key: str) -> Patent:
    number, kind, status, filed, ipc, extra = PATENTS[key]
    return Patent(
        application_no=number,
        kind=kind,
        status_class=status,
        application_date=filed,
        ipc_main=ipc,
        ipc_codes=[ipc] if ipc else [],
        title=f"测试专利 {key}",
        claims=CLAIMS if key == "magnet" else None,
        content_hash=key,
        passage_hash=key,
        rev=1,
        **extra,
    )


def make_world(session) -> World:
    univ = make_org(session, "内蒙古科技大学", type_code="university")
    holds_name(session, univ)  # the applicant and current patentee of the world's patents
    holds_name(session, make_org(session, "内蒙古工业大学", type_code="university"))
    firm = make_org(session, "包头稀土永磁有限公司", type_code="enterprise")
    make_org(session, "未核验大学", type_code="university", status="pending")
    center = make_center(session, "稀土产业知识产权运营中心", builder=firm)
    make_center(session, "乳业知识产权运营中心", builder=firm)
    patents = {key: _patent(key) for key in PATENTS}
    patents["licensed_um"].events = [
        LegalEvent(kind="licence", event_date=date(2022, 1, 1), detail={"type": "exclusive", "term_end": "2029-12-31"})
    ]
    own = Applicant(name=univ.name)
    for patent in patents.values():
        patent.applicant_links = [PatentApplicant(position=0, applicant=own)]
    session.add_all(patents.values())
    session.commit()
    scopes = {
        "univ": (Role.MEMBER, "内蒙古科技大学"),
        "other_univ": (Role.MEMBER, "内蒙古工业大学"),
        "firm": (Role.MEMBER, "包头稀土永磁有限公司"),
        "pending": (Role.MEMBER, "未核验大学"),
        "staff": (Role.CENTER_STAFF, "稀土产业知识产权运营中心"),
        "other_staff": (Role.CENTER_STAFF, "乳业知识产权运营中心"),
        "bureau": (Role.BUREAU_OFFICER, "包头市"),
        "expert": (Role.EXPERT, None),
        "admin": (Role.REGION_ADMIN, None),
    }
    return World(univ, center, principals(session, scopes), patents)


WORLD = make_world  # the conftest's `world`


def _batch(session, world: World, who: str = "univ") -> StockBatch:
    center_id = world.center.id if who == "univ" else None
    data = BatchIn(title="2026 年度存量专利盘点", center_id=center_id, org_id=world.univ.id if who == "staff" else None)
    batch = svc.create_batch(session, world.people[who], data)
    session.commit()
    return batch


def _upload(client, batch_id: int, name: str, content: bytes):
    return client.post(
        f"/stock/{batch_id}/intake", data={"csrf_token": csrf_of(client)}, files={"file": (name, content)}
    )


def _stored(session, batch_id: int) -> dict[str, StockPatent]:
    session.expire_all()
    rows = session.scalars(select(StockPatent).where(StockPatent.batch_id == batch_id))
    return {r.application_no: r for r in rows}


def _reasons(session, table: str, entity_id: int) -> list[str]:
    return [(audit.decode(r).get("meta") or {}).get("reason", "") for r in audit.history(session, table, entity_id)]


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- screening by hand --------------------------------------------------------------------------------


def test_terms_and_the_2021_06_01_design_rule():
    assert term.term_years("invention", date(2015, 3, 10)) == 20
    assert term.term_years("utility_model", date(2015, 3, 10)) == 10
    assert term.term_years("design", date(2021, 5, 31)) == 10
    assert term.term_years("design", date(2021, 6, 1)) == 15
    assert term.term_years(None, date(2021, 6, 1)) is None
    assert term.term_years("invention", None) is None
    assert term.expires_on("invention", date(2015, 3, 10)) == date(2035, 3, 9)
    assert term.expires_on("design", date(2021, 6, 1)) == date(2036, 5, 31)
    assert term.expires_on("design", date(2021, 5, 31)) == date(2031, 5, 30)
    assert term.expires_on("utility_model", date(2016, 2, 29)) == date(2026, 2, 27)  # 2026-02-28 is the day
    last = date(2027, 1, 9)  # utility model filed 2017-01-10
    assert term.remaining_days("utility_model", date(2017, 1, 10), "valid", last) == 1
    assert term.remaining_days("utility_model", date(2017, 1, 10), "valid", last + timedelta(days=1)) == 0
    assert term.remaining_days("invention", date(2015, 3, 10), "lapsed", TODAY) == 0
    assert term.remaining_days("invention", date(2015, 3, 10), "valid", TODAY) == (date(2035, 3, 9) - TODAY).days + 1


def test_screening_values_and_suggestions_by_hand():
    patents = {key: _patent(key) for key in PATENTS}
    patents["licensed_um"].events = [
        LegalEvent(kind="licence", event_date=date(2022, 1, 1), detail={"type": "exclusive", "term_end": "2029-12-31"})
    ]
    s = {key: screening.screen(p, TODAY) for key, p in patents.items()}
    magnet = s["magnet"]
    assert (magnet.ipc_section, magnet.ipc_class, magnet.expires_on) == ("H", "H01", date(2035, 3, 9))
    assert magnet.remaining_days == 3022 and round(magnet.remaining_days / 365.25, 1) == 8.3
    assert (magnet.indicators["claims"], magnet.indicators["independent_claims"]) == (5, 2)  # 4 cites claim 1
    assert magnet.suggestion == "recommend" and "被引证 6 次" in magnet.reasons
    assert s["design_new"].expires_on == date(2036, 5, 31) and s["design_new"].suggestion == "open_licence"
    assert s["design_old"].expires_on == date(2031, 5, 30) and s["design_old"].remaining_days == 1643
    assert s["old_um"].remaining_days == 41 and s["old_um"].suggestion == "abandon"
    assert s["lapsed"].remaining_days == 0 and s["lapsed"].suggestion == "manual"
    assert "已失效" in s["lapsed"].reasons[0]
    assert s["pending"].suggestion == "manual" and "尚未授权" in s["pending"].reasons[0]
    licensed = s["licensed_um"]
    assert licensed.indicators["licensed"] and licensed.indicators["exclusive_licence"]
    assert licensed.suggestion == "manual" and "独占/排他许可" in licensed.reasons[0]  # 3.4 years: no recommend
    veteran = s["veteran"]
    assert veteran.indicators["high_value"] == ["maintained_10y"] and veteran.suggestion == "recommend"
    assert s["lapsed"].indicators["high_value"] == []  # only valid inventions qualify
    assert screening.remaining_band("valid", 2.9) == "不足 3 年" and screening.remaining_band("valid", 3.0) == "3–5 年"
    assert screening.remaining_band("lapsed", 0) == "已失效"


def test_pledge_and_overseas_family_criteria():
    p = _patent("magnet")
    p.application_date = date(2020, 1, 1)  # under 10 years: only the two criteria under test
    p.family = "CN105000000A; US2017123456A1; EP3100000B1"
    p.events = [LegalEvent(id=1, kind="pledge", event_date=date(2023, 1, 1), detail={"amount": "1200万元"})]
    ind = screening.indicators_of(p, TODAY)
    assert ind["high_value"] == ["overseas_family", "high_pledge"] and ind["pledged"]
    p.events.append(LegalEvent(id=2, kind="pledge_release", event_date=date(2024, 1, 1), detail={}))
    p.family = "CN105000000A"
    ind = screening.indicators_of(p, TODAY)
    assert ind["high_value"] == ["high_pledge"] and not ind["pledged"]
    assert ind["criteria"]["overseas_family"] == "no" and ind["criteria"]["award"] == "unknown"
    assert screening._amount_yuan({"amount": "0.57万元"}) == 5_700  # as a float it came out 5,699
    assert screening._amount_yuan({"amount": "1,250,000.5 元"}) == 1_250_001


def test_high_value_criteria_granted_abroad_strictly_over_ten_years_exact_amounts_unknown_when_missing(monkeypatch):
    """domain-rules §2 as corrected in issue 12: each wrong reading of the old screening, and the settings."""
    monkeypatch.setenv("IPOC_HIGH_PLEDGE_THRESHOLD_YUAN", "5000000")
    monkeypatch.setenv("IPOC_MAINTENANCE_BASE", "grant")
    monkeypatch.setenv("IPOC_OVERSEAS_INCLUDES_HK_MO_TW", "true")
    monkeypatch.setattr(screening, "get_settings", lambda: Settings(_env_file=None))
    assert screening.Rules.from_settings() == screening.Rules(5_000_000, "grant", True)
    monkeypatch.setenv("IPOC_MAINTENANCE_BASE", "publication")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
    rules = screening.Rules()
    p = _patent("magnet")
    p.events = [LegalEvent(id=1, kind="grant", event_date=date(2018, 5, 1), detail={})]

    def overseas(family: str | None, size: int | None = None, r: screening.Rules = rules) -> str:
        p.family, p.family_size = family, size
        return screening.overseas_family(p, r)

    assert overseas("CN105000000A; WO2017/123456A1; EP3100000A1; US 2017/0123456 A1") == "no"  # publications only
    assert overseas("CN105000000A；EP 3100000 B1") == "yes" and overseas("JP2018-123456A, JP6123456B2") == "yes"
    assert overseas("US 9,123,456 B2") == "yes" and overseas("KR10-2018-0012345A") == "no"
    assert overseas("CN1;US2") == "unknown"  # a member abroad, but nothing says whether it was granted
    assert overseas(None) == "unknown" and overseas("", 1) == "no"  # nothing known / only itself
    assert overseas("CN105000000A; TWI612345B") == "no"  # Taiwan is not overseas by default …
    assert overseas("TWI612345B", r=screening.Rules(overseas_includes_hk_mo_tw=True)) == "yes"  # … a setting
    p.application_date, p.grant_date = date(2016, 11, 30), None
    assert screening.maintained_over_10y(p, date(2026, 11, 30), rules) == "no"  # the 10th anniversary itself
    assert screening.maintained_over_10y(p, date(2026, 12, 1), rules) == "yes"
    by_grant = screening.Rules(maintenance_base="grant")
    assert screening.maintained_over_10y(p, date(2026, 12, 1), by_grant) == "unknown"  # no grant date
    p.grant_date = date(2018, 5, 1)
    assert screening.maintained_over_10y(p, date(2026, 12, 1), by_grant) == "no"
    for text, yuan in (("1亿元", 100_000_000), ("1,000万元", 10_000_000), ("人民币12,345,678元", 12_345_678),
                       ("１．５亿", 150_000_000), ("1,20万元", None), ("100万美元", None), ("", None)):  # fmt: skip
        assert money.parse_yuan(text) == yuan, text

    def pledge(*amounts: str, r: screening.Rules = rules) -> str:
        p.events = [LegalEvent(kind="pledge", event_date=date(2023, 1, 1), detail={"amount": a}) for a in amounts]
        return screening.high_pledge(p, r)

    assert pledge("1亿元") == "yes" and pledge("999万元") == "no" and pledge("1,000万元") == "yes"
    assert pledge("999万元", r=screening.Rules(high_pledge_threshold_yuan=5_000_000)) == "yes"
    assert pledge("金额未载明") == "unknown" and pledge() == "unknown"  # no legal events at all: not known
    p.family, p.kind = "EP3100000B1", None
    p.events = [LegalEvent(kind="grant", event_date=date(2018, 5, 1), detail={})]
    criteria = screening.criteria_of(p, date(2026, 12, 1), rules)
    assert criteria == {"overseas_family": "unknown", "maintained_10y": "unknown", "high_pledge": "no",
                        "strategic_industry": "unknown", "award": "unknown"}  # fmt: skip
    p.kind = "utility_model"
    assert set(screening.criteria_of(p, date(2026, 12, 1), rules).values()) == {"no"}  # inventions only


# --- intake -------------------------------------------------------------------------------------------


def test_intake_reports_bad_duplicate_and_unknown_rows_and_keeps_the_good(client, session, world):
    batch = _batch(session, world)
    magnet, lapsed = PATENTS["magnet"][0], PATENTS["lapsed"][0]
    unknown = number(99, 2019, 1)
    csv_text = (
        "申请号,学院,发明人联系方式,备注\n"
        f"ZL{magnet},材料学院,王老师 13800000000,重点\n"  # 1 good, linked
        f"CN{lapsed.replace('.', '')},冶金学院,,\n"  # 2 good, other notation
        f"{unknown},化工学院,,\n"  # 3 good, not in the database
        f"{bad_check(magnet)},材料学院,,\n"  # 4 bad check character
        f"{magnet},材料学院,,\n"  # 5 duplicate of row 1
        ",材料学院,,只有学院\n"  # 6 empty number
        "2019ABC,材料学院,,\n"  # 7 illegal characters
        f"{number(98, 2020, 1)},{'学' * 101},,\n"  # 8 college too long
    )
    act_as(client, "univ")
    response = _upload(client, batch.id, "清单.csv", csv_text.encode("utf-8"))
    assert response.status_code == 303, response.text
    report = client.get(response.headers["location"])
    assert 'data-count="added">3<' in report.text and 'data-count="linked">2<' in report.text
    assert 'data-count="duplicates">1<' in report.text and 'data-count="bad">4<' in report.text
    record = session.scalar(select(StockIntake))
    assert record.issues == [  # rows as the spreadsheet numbers them: the header is row 1
        [5, "申请号", "申请号校验位错误", bad_check(magnet)],
        [6, "申请号", "与第 2 行重复", magnet],
        [7, "申请号", "申请号为空", ""],
        [8, "申请号", "申请号含有非法字符", "2019ABC"],
        [9, "学院", "超过 100 个字符", "学" * 101],
    ]
    rows = _stored(session, batch.id)
    assert set(rows) == {magnet, lapsed, unknown}
    assert rows[magnet].college == "材料学院" and rows[magnet].contact == "王老师 13800000000"
    assert rows[magnet].suggestion == "recommend" and rows[magnet].patent_id == world.patents["magnet"].id
    assert rows[unknown].patent_id is None and rows[unknown].suggestion is None
    page = client.get(f"/stock/{batch.id}")
    assert "未入库" in page.text and f'data-row="{unknown}" data-status="unlinked"' in page.text
    again = _upload(client, batch.id, "again.csv", f"专利号\n{magnet}\n{number(97, 2019, 1)}\n".encode())
    assert again.status_code == 303
    second = session.scalars(select(StockIntake).order_by(StockIntake.id.desc())).first()
    assert (second.added, second.duplicates, second.issues) == (1, 1, [[2, "专利号", "批次中已有该专利", magnet]])
    assert len(_stored(session, batch.id)) == 4


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "文件为空"),
        ("image.csv", bytes(range(256)) * 64, "二进制"),
        ("cols.csv", "名称,学院\n一种方法,材料学院\n".encode(), "没有申请号列"),
        ("old.xls", b"\xd0\xcf\x11\xe0" + bytes(600), ".xls"),
        ("notes.pdf", b"%PDF-1.4", "只接受"),
    ],
)
def test_broken_files_write_nothing(client, session, world, name, content, message):
    batch = _batch(session, world)
    act_as(client, "univ")
    response = _upload(client, batch.id, name, content)
    assert response.status_code == 422 and message in response.text, response.text
    assert _count(session, StockPatent) == 0 and _count(session, StockIntake) == 0


def test_gbk_csv_xlsx_paste_and_json(client, session, world):
    batch = _batch(session, world)
    magnet, design_new, design_old, old_um, pending = (
        PATENTS[k][0] for k in ("magnet", "design_new", "design_old", "old_um", "pending")
    )
    act_as(client, "univ")
    gbk = f"专利号,所属学院\n{magnet},稀土材料学院\n".encode("gbk")
    assert _upload(client, batch.id, "gbk.csv", gbk).status_code == 303
    gb18030 = f"专利号,所属学院,备注\n{design_old},蒙古学学院,ᠮᠣᠩᠭᠣᠯ 图案\n".encode("gb18030")  # beyond GBK
    assert _upload(client, batch.id, "gb18030.csv", gb18030).status_code == 303
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["申请号", "院系", "联系方式"])
    sheet.append([f"ZL {design_new}", "艺术学院", "刘老师"])
    sheet.append([magnet, "艺术学院", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _upload(client, batch.id, "list.xlsx", buffer.getvalue()).status_code == 303
    pasted = post_form(client, f"/stock/{batch.id}/intake", {"text": f"{old_um}\n{bad_check(old_um)}\n"})
    assert pasted.status_code == 303
    api = client.post(
        f"/api/v1/stock/batches/{batch.id}/rows",
        json=[{"application_no": pending, "college": "能源学院"}, {"application_no": "123"}],
        headers={"x-csrf-token": csrf_of(client)},
    )
    assert api.status_code == 201 and api.json()["added"] == 1
    reason = "申请号位数不对（应为 8 位或 12 位数字加校验位）"
    assert api.json()["issues"] == [{"row": 2, "field": "申请号", "reason": reason, "value": "123"}]
    rows = _stored(session, batch.id)
    assert set(rows) == {magnet, design_old, design_new, old_um, pending}
    assert rows[magnet].college == "稀土材料学院" and rows[design_old].note == "ᠮᠣᠩᠭᠣᠯ 图案"
    assert rows[design_old].college == "蒙古学学院" and rows[design_new].college == "艺术学院"
    assert rows[design_new].contact == "刘老师" and rows[pending].college == "能源学院"
    records = session.scalars(select(StockIntake).order_by(StockIntake.id)).all()
    assert records[2].issues == [[3, "申请号", "批次中已有该专利", magnet]]  # the workbook's row 3
    assert records[3].issues == [[2, "申请号", "申请号校验位错误", bad_check(old_um)]]  # a pasted list has no header
    wrong_shape = client.post(
        f"/api/v1/stock/batches/{batch.id}/rows", json=[{"college": "x"}], headers={"x-csrf-token": csrf_of(client)}
    )
    assert wrong_shape.status_code == 422 and _count(session, StockIntake) == 5
    empty_paste = post_form(client, f"/stock/{batch.id}/intake", {"text": "  "})
    assert empty_paste.status_code == 422 and "请选择文件或粘贴申请号清单" in empty_paste.text


def test_relink_after_the_patent_is_imported(client, session, world):
    batch = _batch(session, world)
    later = number(55, 2022, 1)
    svc.intake_records(session, world.people["univ"], batch.id, [StockRowIn(application_no=later)], today=TODAY)
    session.commit()
    assert _stored(session, batch.id)[later].patent_id is None
    session.add(
        Patent(
            application_no=later,
            kind="invention",
            status_class="valid",
            application_date=date(2022, 8, 1),
            ipc_main="G06F 16/00",
            title="后来导入的专利",
            content_hash="l",
            passage_hash="l",
            rev=1,
        )
    )
    session.commit()
    act_as(client, "univ")
    assert post_form(client, f"/stock/{batch.id}/relink", {}).status_code == 303
    row = _stored(session, batch.id)[later]
    assert row.patent_id is not None and row.ipc_class == "G06" and row.suggestion == "open_licence"
    assert row.expires_on == date(2042, 7, 31)
    assert "重新关联专利库" in _reasons(session, "stock_patents", row.id)


@pytest.mark.skipif(not REAL_LIST.is_file(), reason=f"real data {REAL_LIST} is absent (only in the shared workspace)")
def test_real_headerless_list_reports_the_two_bad_numbers(session, world):
    batch = _batch(session, world)
    record = svc.intake_file(session, world.people["univ"], batch.id, REAL_LIST, REAL_LIST.name, today=TODAY)
    assert (record.rows, record.added, record.duplicates, record.bad) == (126, 124, 0, 2)
    assert [(r[0], r[2], r[3]) for r in record.issues] == [
        (75, "申请号校验位错误", "ZL 201810819673.7"),
        (85, "申请号的专利类型位不对（应为 1、2、3、8 或 9）", "ZL 201901390316.9"),
    ]
    assert "201010110545.X" in _stored(session, batch.id)  # the first row is data, not a header


# --- override, grouping -------------------------------------------------------------------------------


def _filled(session, world: World) -> tuple[StockBatch, dict[str, StockPatent]]:
    batch = _batch(session, world)
    rows = [StockRowIn(application_no=PATENTS[k][0], college="材料学院") for k in PATENTS]
    rows.append(StockRowIn(application_no=number(77, 2019, 1), college="化工学院"))
    svc.intake_records(session, world.people["univ"], batch.id, rows, today=TODAY)
    session.commit()
    stored = _stored(session, batch.id)
    return batch, {k: stored[PATENTS[k][0]] for k in PATENTS} | {"unknown": stored[number(77, 2019, 1)]}


def test_override_needs_a_reason_and_is_audited(client, session, world):
    batch, rows = _filled(session, world)
    target = rows["old_um"]
    act_as(client, "univ")
    refused = post_form(client, f"/stock/{batch.id}/rows/{target.id}", {"action": "recommend", "note": ""})
    assert refused.status_code == 422 and 'data-field="note"' in refused.text
    done = post_form(client, f"/stock/{batch.id}/rows/{target.id}", {"action": "recommend", "note": "已有企业洽谈"})
    assert done.status_code == 303
    session.expire_all()
    assert (target.suggestion, target.override, target.action) == ("abandon", "recommend", "recommend")
    assert "调整处置意见：已有企业洽谈" in _reasons(session, "stock_patents", target.id)
    with pytest.raises(Conflict):
        svc.override(session, world.people["univ"], batch.id, rows["unknown"].id, OverrideIn(note="未入库也想改"))
    with pytest.raises(Forbidden):
        svc.override(session, world.people["admin"], batch.id, target.id, OverrideIn(action="abandon", note="管理员"))
    svc.rescreen(session, world.people["univ"], batch.id, today=TODAY)
    assert target.override == "recommend"  # screening again keeps a person's decision


def _group_form(rows: list[StockPatent], **over) -> dict:
    return {
        "row_ids": [str(r.id) for r in rows],
        "title": "稀土永磁技术包",
        "problem_solved": "重稀土用量大",
        "advantage": "镝用量减少一半",
        "trl": "6",
        "field": "新能源汽车电机",
        "products": "驱动电机磁钢",
        "modes": "licence",
    } | over


def test_grouping_into_a_draft_offer_and_its_refusals(client, session, world):
    batch, rows = _filled(session, world)
    act_as(client, "univ")
    page = client.get(f"/stock/{batch.id}/group", params={"row_ids": [rows["lapsed"].id, rows["unknown"].id]})
    assert page.status_code == 422 and "已失效" in page.text and "未入库" in page.text
    token = csrf_of(client)
    response = client.post(
        f"/stock/{batch.id}/group", data=_group_form([rows["magnet"], rows["pending"]]) | {"csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/offers/")
    offer = session.scalar(select(Offer))
    assert offer.state == "draft" and offer.org_id == world.univ.id and offer.title == "稀土永磁技术包"
    assert {p.application_no for p in offer.patents} == {PATENTS["magnet"][0], PATENTS["pending"][0]}
    session.expire_all()
    assert rows["magnet"].offer_id == offer.id and rows["pending"].offer_id == offer.id
    assert f"存量专利组包为技术供给 #{offer.id}" in _reasons(session, "stock_patents", rows["magnet"].id)
    again = client.post(f"/stock/{batch.id}/group", data=_group_form([rows["magnet"]]) | {"csrf_token": token})
    assert again.status_code == 422 and f"已在技术供给 #{offer.id} 中" in again.text
    lapsed = client.post(f"/stock/{batch.id}/group", data=_group_form([rows["lapsed"]]) | {"csrf_token": token})
    assert lapsed.status_code == 422 and "已失效" in lapsed.text
    missing_fields = client.post(
        f"/stock/{batch.id}/group", data=_group_form([rows["veteran"]], problem_solved="") | {"csrf_token": token}
    )
    assert missing_fields.status_code == 422 and 'data-field="problem_solved"' in missing_fields.text
    api = client.post(
        f"/api/v1/stock/batches/{batch.id}/offers",
        json=_group_form([rows["veteran"], rows["design_new"]]) | {"modes": ["transfer"]},
        headers={"x-csrf-token": token},
    )
    assert api.status_code == 201 and api.json()["status"] == "draft"
    assert len(client.get(f"/api/v1/stock/batches/{batch.id}/offers").json()) == 2
    assert _count(session, Offer) == 2  # the refused attempts wrote nothing
    session.expire_all()
    staff_offer = svc.group_into_offer(  # the handling center prepares a draft for the university
        session, world.people["staff"], batch.id, GroupIn(**_group_form([rows["design_old"]]))
    )
    assert (staff_offer.org_id, staff_offer.state) == (world.univ.id, "draft")
    session.commit()
    act_as(client, "staff")
    by_page = client.post(
        f"/stock/{batch.id}/group", data=_group_form([rows["licensed_um"]]) | {"csrf_token": csrf_of(client)}
    )
    assert by_page.status_code == 303 and by_page.headers["location"] == f"/stock/{batch.id}"
    assert "稀土永磁技术包（草稿，1 件）" in client.get(f"/stock/{batch.id}").text
    with pytest.raises(Forbidden):
        svc.group_into_offer(session, world.people["admin"], batch.id, GroupIn(**_group_form([rows["veteran"]])))
    other_batch = _batch(session, world)
    with pytest.raises(InvalidInput, match="不属于本批次"):
        svc.group_into_offer(
            session, world.people["univ"], other_batch.id, GroupIn(**_group_form([rows["design_old"]]))
        )


def test_another_universitys_30_patents_are_marked_and_never_offered_as_own(client, session, world):
    """Issue 12: a university took in 30 patents of another university as stock and published them as its own
    offer. Intake now marks them 非本单位 with their patentee; grouping, an offer naming them and publishing
    are refused with the reason (page, API); a written authorisation a center confirmed lets one through."""
    other = Applicant(name="内蒙古工业大学")
    theirs = []
    for serial in range(30):
        patent = Patent(application_no=number(200 + serial, 2019, 1), kind="invention", status_class="valid",
                        application_date=date(2019, 3, 1), title=f"工大专利 {serial}", content_hash="t",
                        passage_hash="t", rev=1)  # fmt: skip
        patent.applicant_links = [PatentApplicant(position=0, applicant=other)]
        theirs.append(patent)
    session.add_all(theirs)
    session.commit()
    batch = _batch(session, world)
    act_as(client, "univ")
    pasted = post_form(client, f"/stock/{batch.id}/intake", {"text": "\n".join(p.application_no for p in theirs)})
    assert pasted.status_code == 303, pasted.text
    rows = list(_stored(session, batch.id).values())
    assert len(rows) == 30 and {(r.holder_state, r.holders) for r in rows} == {("other", "内蒙古工业大学")}
    listed = client.get(f"/api/v1/stock/batches/{batch.id}/rows").json()
    assert {(r["holder_state"], r["holders"]) for r in listed} == {("other", "内蒙古工业大学")}
    page = client.get(f"/stock/{batch.id}")
    assert page.text.count("非本单位") == 30 and 'name="row_ids"' not in page.text  # nothing to tick
    form = _group_form(rows) | {"csrf_token": csrf_of(client)}
    refused = client.post(f"/stock/{batch.id}/group", data=form)
    assert refused.status_code == 422 and "非本单位专利（当前专利权人：内蒙古工业大学）" in refused.text
    body = _group_form([], modes=["licence"], trl=6)
    api = client.post(f"/api/v1/stock/batches/{batch.id}/offers", json=body | {"row_ids": [rows[0].id]},
                      headers={"x-csrf-token": csrf_of(client)})  # fmt: skip
    assert api.status_code == 422 and "非本单位" in api.json()["detail"]
    del body["row_ids"]
    direct = client.post("/api/v1/offers", json=body | {"application_nos": [p.application_no for p in theirs]},
                         headers={"x-csrf-token": csrf_of(client)})  # fmt: skip
    assert direct.status_code == 403 and "不是该专利的当前专利权人（当前专利权人：内蒙古工业大学）" in direct.text
    assert session.scalar(select(func.count()).select_from(Offer)) == 0

    authorise(session, world.univ, theirs[0], "内蒙古工业大学")  # the patentee's written authorisation, confirmed
    session.commit()
    assert post_form(client, f"/stock/{batch.id}/screen", {}).status_code == 303
    first = _stored(session, batch.id)[theirs[0].application_no]
    assert first.holder_state == "authorised"
    made = client.post(f"/stock/{batch.id}/group", data=_group_form([first]) | {"csrf_token": csrf_of(client)})
    assert made.status_code == 303
    offer_page = client.get(made.headers["location"])
    assert "当前专利权人：内蒙古工业大学" in offer_page.text
    offer_id = int(made.headers["location"].rsplit("/", 1)[1])
    shown = client.get(f"/api/v1/offers/{offer_id}").json()
    assert shown["patents"][0]["patentees"] == ["内蒙古工业大学"] and shown["org"] == "内蒙古科技大学"
    session.add(LegalEvent(patent_id=theirs[0].id, kind="suspension", event_date=date(2026, 11, 1), source="manual",
                           detail={"reason": "dispute"}))  # fmt: skip
    session.commit()  # an ownership dispute suspended it since the draft: publishing is refused with the reason
    publish = post_form(client, f"/offers/{offer_id}/publish", {})
    assert publish.status_code == 409 and "中止程序（权属纠纷" in publish.text
    assert 'data-testid="offer-refusal"' in publish.text and session.get(Offer, offer_id).state == "draft"


# --- report -------------------------------------------------------------------------------------------


def test_inventory_report_counts_page_and_xlsx(client, session, world):
    batch, rows = _filled(session, world)
    svc.override(
        session,
        world.people["univ"],
        batch.id,
        rows["old_um"].id,
        OverrideIn(action="open_licence", note="学院要求保留"),
    )
    session.commit()
    act_as(client, "univ")
    data = client.get(f"/api/v1/stock/batches/{batch.id}/report").json()
    b = {k: dict(v) for k, v in data["breakdowns"].items()}
    assert data["total"] == 9
    assert b["college"] == {"材料学院": 8, "化工学院": 1}
    assert b["status"] == {"有效": 6, "审中": 1, "失效": 1, "未入库": 1}
    assert b["kind"] == {"发明": 4, "实用新型": 2, "外观设计": 2}
    assert b["action"] == {"推荐转化": 2, "可开放许可": 3, "需人工判断": 3, "未筛查": 1}
    assert b["remaining"] == {"3–5 年": 2, "5–10 年": 3, "10 年及以上": 1, "已失效": 1, "未入库": 1, "不足 3 年": 1}
    assert b["section"] == {
        "B 作业；运输": 1,
        "C 化学；冶金": 2,
        "F 机械工程；照明；加热；武器；爆破": 1,
        "H 电学": 2,
        "未分类": 2,
    }
    page = client.get(f"/stock/{batch.id}/report")
    assert page.status_code == 200 and "echarts.min.js" in page.text and 'data-testid="chart-college"' in page.text
    xlsx = client.get(f"/stock/{batch.id}/report.xlsx")
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["汇总", "明细"]
    assert_office_ready(workbook, "存量专利盘点")
    detail = table(workbook, "明细")
    assert len(detail) == 10 and detail[0][0] == "申请号"
    by_no = {r[0]: r for r in detail[1:]}
    assert by_no[PATENTS["old_um"][0]][22:24] == ("建议放弃维持", "可开放许可")
    summary = table(workbook, "汇总")
    assert summary[0] == ("统计口径", "项目", "件数") and ("按法律状态", "未入库", 1) in summary
    assert ("按学院", "材料学院", 8) in summary and len(summary) == 1 + sum(len(v) for v in data["breakdowns"].values())
    exports = [audit.decode(r) for r in audit.history(session, "stock_batches", "-") if r.action == "export"]
    assert [(e["meta"]["rows"], e["meta"]["file"]) for e in exports] == [
        (len(summary) - 1 + 9, f"存量专利盘点-{batch.id}.xlsx")
    ]


# --- who may see and do what --------------------------------------------------------------------------


def test_permissions_per_role(client, session, world):
    batch, rows = _filled(session, world)
    p = world.people
    for who in ("other_univ", "firm", "other_staff", "bureau", "expert"):
        with pytest.raises(NotFound):
            svc.get_batch(session, p[who], batch.id)
        assert svc.list_batches(session, p[who]) == []
        act_as(client, who)
        for path in (f"/stock/{batch.id}", f"/stock/{batch.id}/report", f"/stock/{batch.id}/rows/{rows['magnet'].id}",
                     f"/api/v1/stock/batches/{batch.id}/rows", f"/stock/{batch.id}/report.xlsx"):  # fmt: skip
            response = client.get(path)
            assert response.status_code == 404 and PATENTS["magnet"][0] not in response.text, (who, path)
        assert "2026 年度存量专利盘点" not in client.get("/stock").text
    act_as(client, None)
    assert client.get(f"/stock/{batch.id}").status_code == 303  # to the login page
    assert client.get(f"/api/v1/stock/batches/{batch.id}").status_code == 401
    for who in ("univ", "staff", "admin"):
        act_as(client, who)
        assert PATENTS["magnet"][0] in client.get(f"/stock/{batch.id}").text, who
        listing = client.get("/stock")
        assert listing.status_code == 200 and f'href="/stock/{batch.id}"' in listing.text, who
        row_page = client.get(f"/stock/{batch.id}/rows/{rows['veteran'].id}")
        assert "维持年限超过 10 年" in row_page.text and "推荐转化" in row_page.text, who
        assert 'data-criterion="maintained_10y" data-state="yes"' in row_page.text, who
        assert 'data-criterion="overseas_family" data-state="unknown"' in row_page.text, who  # no family data
        assert ('data-testid="override-form"' in row_page.text) is (who != "admin"), who
        assert [b["id"] for b in client.get("/api/v1/stock/batches").json()] == [batch.id], who
    act_as(client, "admin")  # reads, does not handle
    page = client.get(f"/stock/{batch.id}")
    assert 'data-testid="intake-form"' not in page.text
    assert _upload(client, batch.id, "x.csv", f"申请号\n{number(66, 2019, 1)}\n".encode()).status_code == 403
    assert post_form(client, f"/stock/{batch.id}/relink", {}).status_code == 403
    for who in ("firm", "pending", "bureau", "expert", "admin"):
        with pytest.raises(Forbidden):
            svc.create_batch(session, p[who], BatchIn(title="不该建立的批次"))
    with pytest.raises(InvalidInput):  # center staff: for a university or institute only
        svc.create_batch(session, p["staff"], BatchIn(title="代企业登记", org_id=world.center.builder_org_id))
    session.rollback()
    staff_batch = _batch(session, world, who="staff")
    assert (staff_batch.org_id, staff_batch.center_id) == (world.univ.id, world.center.id)
    assert svc.get_batch(session, p["univ"], staff_batch.id).id == staff_batch.id  # the university sees it
    with pytest.raises(NotFound):
        svc.get_batch(session, p["other_staff"], staff_batch.id)
    act_as(client, "staff")
    assert _upload(client, staff_batch.id, "x.csv", f"申请号\n{number(66, 2019, 1)}\n".encode()).status_code == 303


def test_new_batch_form_refuses_bad_input(client, session, world):
    act_as(client, "staff")
    assert "代为登记的高校或科研院所" in client.get("/stock/new").text
    act_as(client, "univ")
    assert "协助盘活的运营中心" in client.get("/stock/new").text
    response = post_form(client, "/stock/new", {"title": "x"})
    assert response.status_code == 422 and 'data-field="title"' in response.text
    response = post_form(client, "/stock/new", {"title": "盘点", "center_id": "999999"})
    assert response.status_code == 422 and "运营中心" in response.text
    assert _count(session, StockBatch) == 0
    made = post_form(client, "/stock/new", {"title": "2026 盘点", "center_id": str(world.center.id)})
    assert made.status_code == 303
    batch = session.scalar(select(StockBatch))
    assert batch.center_id == world.center.id
    history = audit.history(session, "stock_batches", batch.id)
    assert [r.action for r in history] == ["create"] and _reasons(session, "stock_batches", batch.id) == [
        "登记存量专利批次"
    ]
    act_as(client, "firm")
    assert post_form(client, "/stock/new", {"title": "企业盘点"}).status_code == 403


def test_intake_rows_are_audited(session, world):
    _, rows = _filled(session, world)
    history = audit.history(session, "stock_patents", rows["magnet"].id)
    assert [r.action for r in history] == ["create"]
    assert _reasons(session, "stock_patents", rows["magnet"].id) == ["存量专利导入：接口提交的清单"]
    intake = session.scalar(select(StockIntake))
    assert audit.history(session, "stock_intakes", intake.id)[0].action == "create"


# --- demo ---------------------------------------------------------------------------------------------


def test_demo_loader_runs_and_is_idempotent(demo):
    from ipoc.ops import demo as demo_data
    from ipoc.ops import demo_stock

    demo_data.load_patents()
    assert demo_stock.load(demo) is True
    demo.commit()
    rows = demo.scalars(select(StockPatent)).all()
    assert len(rows) == 11 and sum(1 for r in rows if r.patent_id is None) == 3
    assert all(r.screened_on for r in rows if r.patent_id)
    grouped = [r.application_no for r in rows if r.offer_id]
    assert sorted(grouped) == sorted(demo_stock.GROUP)
    offer = demo.get(Offer, next(r.offer_id for r in rows if r.offer_id))
    assert offer.state == "draft" and offer.org.name == "内蒙古示例大学"
    assert demo_stock.load(demo) is False
