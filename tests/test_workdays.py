"""The working-day calendar: known notice periods, years without data, loaded schedules, the CLI and the
admin page. Notice deadlines (Art. 7(3)) hang on these dates, so each rule is checked on real cases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Principal, Role
from ipoc.cli import app as cli_app
from ipoc.errors import Forbidden, InvalidInput
from ipoc.workdays import service as workdays
from ipoc.workdays.models import CalendarDay, CalendarYear
from ipoc.workdays.service import CalendarFileRejected, MissingCalendar
from tests.conftest import csrf_of, login, make_user, post_form

ADMIN = Principal(role=Role.REGION_ADMIN, user_id=None, label="admin")
HEADER = "date,kind,note\n"
# A fictional 2027 schedule: enough to show that a loaded file, not a weekday guess, decides.
SCHEDULE_2027 = HEADER + "2027-01-01,holiday,元旦\n2027-01-04,holiday,虚构补休\n2027-01-09,workday,虚构调休\n"
# 2026's National Day without the make-up Saturday 10-10 that the package has.
NATIONAL_DAY_2026 = HEADER + "".join(f"2026-10-0{d},holiday,国庆节\n" for d in (1, 2, 5, 6, 7))


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(CalendarYear)),
        session.scalar(select(func.count()).select_from(CalendarDay)),
    )


# --- the rule on known cases (chinesecalendar's data) ---------------------------------------------------


def test_known_notice_periods(session):
    cases = [
        # Fri 2025-09-26: Sun 09-28 is a make-up workday, 10-01..10-08 off.
        (date(2025, 9, 26), 5, "counts", date(2025, 10, 9)),
        (date(2025, 9, 26), 5, "excluded", date(2025, 10, 10)),
        # Tue 2026-09-29 spans National Day and ends on the make-up Saturday 10-10.
        (date(2026, 9, 29), 5, "counts", date(2026, 10, 10)),
        # A start on a holiday: the first working day after it is day 1, in either mode.
        (date(2026, 10, 1), 1, "counts", date(2026, 10, 8)),
        (date(2026, 10, 1), 1, "excluded", date(2026, 10, 8)),
        (date(2026, 10, 1), 3, "counts", date(2026, 10, 10)),
        # n = 1 on a working day: that very day, or the next working day when it is excluded.
        (date(2025, 9, 26), 1, "counts", date(2025, 9, 26)),
        (date(2025, 9, 26), 1, "excluded", date(2025, 9, 28)),
        (date(2025, 9, 27), 1, "counts", date(2025, 9, 28)),  # Saturday off, Sunday worked
    ]
    for start, n, mode, end in cases:
        assert workdays.add_workdays(session, start, n, mode) == end, (start, n, mode)
    assert workdays.is_workday(session, date(2026, 10, 10)) and not workdays.is_workday(session, date(2026, 10, 5))


@pytest.mark.parametrize(("n", "mode", "field"), [(0, "counts", "n"), (-3, "counts", "n"), (5, "first", "first_day")])
def test_a_period_needs_at_least_one_day_and_a_known_mode(session, n, mode, field):
    with pytest.raises(InvalidInput) as refused:
        workdays.add_workdays(session, date(2025, 9, 26), n, mode)
    assert refused.value.field == field


# --- years without data, loaded years and overrides -------------------------------------------------------


def test_a_year_without_data_is_an_error_naming_the_year_until_it_is_loaded(session):
    with pytest.raises(MissingCalendar) as missing:
        workdays.add_workdays(session, date(2027, 1, 1), 1)
    assert "2027" in missing.value.message and "ipoc workdays load" in missing.value.message
    assert "国务院办公厅" in missing.value.message and missing.value.status_code == 422
    # A period that runs into an uncovered year fails as well, rather than guessing weekdays.
    with pytest.raises(MissingCalendar, match="2027"):
        workdays.add_workdays(session, date(2026, 12, 28), 10)

    report = workdays.load_csv(session, SCHEDULE_2027, source="测试文件")
    assert (report.years, report.holidays, report.workdays, report.added) == ([2027], 2, 1, 3)
    assert workdays.covered_years(session)[2027] == "测试文件"
    # 01-01 and 01-04 off, Sat 01-09 worked: 01-05, 01-06, 01-07, 01-08, 01-09.
    assert workdays.add_workdays(session, date(2027, 1, 1), 5) == date(2027, 1, 9)
    assert workdays.add_workdays(session, date(2026, 12, 28), 10) == date(2027, 1, 11)


def test_a_loaded_year_overrides_the_package_and_a_single_day_wins_over_both(session):
    assert workdays.add_workdays(session, date(2026, 9, 29), 5) == date(2026, 10, 10)
    workdays.load_csv(session, NATIONAL_DAY_2026)
    assert workdays.covered_years(session)[2026] != workdays.PACKAGE_SOURCE
    assert workdays.add_workdays(session, date(2026, 9, 29), 5) == date(2026, 10, 12)  # 10-10 is a Saturday again

    workdays.save_day(session, ADMIN, date(2026, 10, 9), "holiday", "临时放假")
    assert workdays.add_workdays(session, date(2026, 9, 29), 5) == date(2026, 10, 13)
    workdays.delete_day(session, ADMIN, date(2026, 10, 9))
    assert workdays.add_workdays(session, date(2026, 9, 29), 5) == date(2026, 10, 12)

    # Loading the year again replaces its rows, the admin's overrides included.
    workdays.save_day(session, ADMIN, date(2026, 10, 10), "workday")
    report = workdays.load_csv(session, NATIONAL_DAY_2026)
    assert (report.added, report.removed, report.changed) == (0, 1, 0)
    assert workdays.get_day(session, date(2026, 10, 10)) is None


def test_an_override_in_a_package_year_wins_and_is_audited(session):
    workdays.save_day(session, ADMIN, date(2025, 10, 9), "holiday", "假想")
    session.commit()
    assert workdays.add_workdays(session, date(2025, 9, 26), 5) == date(2025, 10, 10)
    record = session.scalar(select(AuditRecord).where(AuditRecord.entity_type == "calendar_days"))
    assert record is not None and record.action == "create"
    # A single day does not make an uncovered year covered.
    workdays.save_day(session, ADMIN, date(2027, 1, 1), "holiday")
    assert 2027 not in workdays.covered_years(session)
    with pytest.raises(MissingCalendar):
        workdays.is_workday(session, date(2027, 1, 4))


def test_only_the_region_admin_edits_days(session):
    officer = Principal(role=Role.BUREAU_OFFICER, user_id=1)
    with pytest.raises(Forbidden):
        workdays.save_day(session, officer, date(2026, 1, 5), "holiday")
    with pytest.raises(Forbidden):
        workdays.upload_csv(session, officer, SCHEDULE_2027.encode(), "x.csv")
    assert _counts(session) == (0, 0)


def test_years_missing_asks_for_next_year_from_november(session):
    assert workdays.years_missing(session, today=date(2026, 10, 31)) == []
    assert workdays.years_missing(session, today=date(2026, 11, 1)) == [2027]
    assert workdays.years_missing(session, today=date(2027, 3, 1)) == [2027]
    workdays.load_csv(session, SCHEDULE_2027)
    assert workdays.years_missing(session, today=date(2026, 12, 1)) == []


# --- refused files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (HEADER + "2027-01-01,holiday,元旦\n2027-02-30,holiday,x\n", 3, "日期“2027-02-30”无效"),
        (HEADER + "2027-01-01,vacation,元旦\n", 2, "类型“vacation”无效"),
        (HEADER + "2027-01-01,holiday,元旦\n2027-01-03,holiday,周日\n", 3, "星期日，本来就不上班"),
        (HEADER + "2027-01-06,workday,周三\n", 2, "星期三，本来就上班"),
        ("2027-01-01,holiday,元旦\n", 1, "表头"),
        (HEADER + "2027-01-01,holiday,元旦\n2027-01-01,holiday,again\n", 3, "与第 2 行重复"),
        (HEADER + "2027-01-01,holiday,元旦,多余\n", 2, "列数过多"),
        (HEADER, 1, "没有任何日期"),
    ],
    ids=[
        "bad-date",
        "bad-kind",
        "holiday-on-sunday",
        "workday-on-wednesday",
        "no-header",
        "duplicate",
        "extra",
        "empty",
    ],
)
def test_a_bad_row_refuses_the_whole_file(session, text, line, reason):
    workdays.load_csv(session, NATIONAL_DAY_2026)
    session.commit()
    before = _counts(session)
    with pytest.raises(CalendarFileRejected) as refused:
        workdays.load_csv(session, text)
    assert [p.line for p in refused.value.problems] == [line]
    assert reason in refused.value.problems[0].message
    session.rollback()
    assert _counts(session) == before


def test_every_bad_row_is_listed(session):
    text = HEADER + "2027-01-03,holiday,周日\n2027-01-04,holiday,ok\nnot-a-date,nope,x\n"
    with pytest.raises(CalendarFileRejected) as refused:
        workdays.load_csv(session, text)
    assert [p.line for p in refused.value.problems] == [2, 4, 4]
    assert "第 2 行" in refused.value.message and "第 4 行" in refused.value.message


def test_files_in_gbk_and_with_a_bom_are_read(session, tmp_path):
    gbk = tmp_path / "2027.csv"
    gbk.write_bytes(SCHEDULE_2027.encode("gbk"))
    assert workdays.load_csv(session, gbk).source == "2027.csv"
    assert workdays.get_day(session, date(2027, 1, 1)).note == "元旦"
    report = workdays.load_csv(session, ("\ufeff" + NATIONAL_DAY_2026).encode("utf-8"))
    assert report.years == [2026] and report.holidays == 5


# --- command line -----------------------------------------------------------------------------------------


@pytest.fixture
def cli(instance):
    runner = CliRunner()
    env = {
        "IPOC_DATA_DIR": str(instance.data_dir),
        "IPOC_DATABASE_URL": instance.database_url,
        "IPOC_SECRET_KEY": instance.secret_key,
    }
    return lambda *args: runner.invoke(cli_app, ["workdays", *args], env=env)


def test_cli_add_prints_only_the_date(cli):
    result = cli("add", "2025-09-26", "5")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2025-10-09\n"
    assert cli("add", "2025-09-26", "5", "--first-day", "excluded").stdout == "2025-10-10\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2027-01-04", "5"), "2027 年的工作日历尚未载入"),
        (("2025-13-01", "5"), "起始日"),
        (("2025-09-26", "0"), "工作日数"),
        (("2025-09-26", "5", "--first-day", "later"), "首日"),
    ],
    ids=["missing-year", "bad-date", "zero-days", "bad-mode"],
)
def test_cli_add_fails_on_stderr_only(cli, args, message):
    result = cli("add", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr


def test_cli_load_good_and_bad_files(cli, session, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2027-01-02,holiday,周六\n2027-01-06,workday,周三\n", encoding="utf-8")
    result = cli("load", str(bad))
    assert result.exit_code == 1 and result.stdout == ""
    assert "第 2 行" in result.stderr and "第 3 行" in result.stderr
    assert _counts(session) == (0, 0)

    good = tmp_path / "2027.csv"
    good.write_text(SCHEDULE_2027, encoding="utf-8")
    result = cli("load", str(good))
    assert result.exit_code == 0, result.output
    assert "2027" in result.stdout and "放假 2 天" in result.stdout
    assert _counts(session) == (1, 3)
    assert cli("add", "2027-01-01", "5").stdout == "2027-01-09\n"
    record = session.scalar(select(AuditRecord).where(AuditRecord.entity_type == "calendar_years"))
    assert record is not None and record.actor_label.startswith("cli:")


# --- admin page and API -----------------------------------------------------------------------------------


def _upload(client, text: bytes, name: str = "2027.csv"):
    data = {"csrf_token": csrf_of(client)}
    return client.post("/admin/calendar/upload", data=data, files={"file": (name, text, "text/csv")})


def test_the_calendar_page_is_for_the_region_admin_only(client, session):
    assert client.get("/admin/calendar").headers["location"].startswith("/login")
    make_user(session, "officer", Role.BUREAU_OFFICER, "包头市")
    login(client, "officer")
    assert client.get("/admin/calendar").status_code == 403
    assert post_form(client, "/admin/calendar/days", {"day": "2026-01-05", "kind": "holiday"}).status_code == 403
    assert _upload(client, SCHEDULE_2027.encode()).status_code == 403
    assert _counts(session) == (0, 0)


def test_the_admin_edits_days_and_uploads_a_schedule(client, session):
    make_user(session, "admin", Role.REGION_ADMIN)
    login(client, "admin")
    page = client.get("/admin/calendar?year=2026")
    assert page.status_code == 200 and 'data-year="2026"' in page.text and "chinesecalendar" in page.text

    saved = post_form(client, "/admin/calendar/days", {"day": "2026-10-09", "kind": "holiday", "note": "测试"})
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/calendar?year=2026"
    assert 'data-day="2026-10-09"' in client.get("/admin/calendar?year=2026").text
    refused = post_form(client, "/admin/calendar/days", {"day": "2026-02-30", "kind": "holiday"})
    assert refused.status_code == 422 and "日期格式" in refused.text

    bad = _upload(client, (HEADER + "2027-01-01,holiday,元旦\n2027-01-03,holiday,周日\n").encode("gbk"))
    assert bad.status_code == 422 and 'data-testid="upload-problems"' in bad.text and "第 3 行" in bad.text
    assert _counts(session) == (0, 1)  # only the day saved above

    good = _upload(client, SCHEDULE_2027.encode("gbk"))
    assert good.status_code == 200 and "已载入 2027 年工作日历" in good.text
    assert 'data-day="2027-01-09"' in good.text and "上传：2027.csv" in good.text
    assert _counts(session) == (1, 4)

    calc = client.get("/admin/calendar", params={"start": "2027-01-01", "n": "5", "first_day": "counts"})
    assert 'data-testid="calc-result"' in calc.text and "2027-01-09" in calc.text
    calc = client.get("/admin/calendar", params={"start": "2028-01-03", "n": "5", "first_day": "counts"})
    assert 'data-testid="calc-problem"' in calc.text and "2028 年的工作日历尚未载入" in calc.text

    deleted = post_form(client, "/admin/calendar/days/2026-10-09/delete", {})
    assert deleted.status_code == 303
    assert _counts(session) == (1, 3)


def test_the_api_answers_and_refuses_years_without_data(client, session):
    answer = client.get("/api/v1/workdays/add", params={"start": "2025-09-26", "n": 5, "first_day": "counts"})
    assert answer.status_code == 200
    assert answer.json() == {"start": "2025-09-26", "n": 5, "first_day": "counts", "end": "2025-10-09"}
    assert client.get("/api/v1/workdays/add", params={"start": "2025-09-26", "n": 5}).json()["end"] == "2025-10-09"
    missing = client.get("/api/v1/workdays/add", params={"start": "2027-01-04", "n": 5})
    assert missing.status_code == 422 and "2027" in missing.json()["detail"]
    assert client.get("/api/v1/workdays/add", params={"start": "2025-09-26", "n": 0}).status_code == 422
    years = client.get("/api/v1/workdays/years").json()
    assert {"year": 2026, "source": "chinesecalendar"} in years and all(y["year"] != 2027 for y in years)
