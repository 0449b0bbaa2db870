"""One calendar, Beijing's (issue 12 point 6): every date and time a page shows, an export writes, a document
prints or the API answers is Asia/Shanghai, whatever the server's zone. The behaviour test runs at 00:30 in
Beijing (16:30 UTC the day before), where a UTC date would still be 2026-12-06; the guards below refuse the
code that would bring that back (the server's local clock, ``.date()`` / ``.strftime`` on a stored UTC
timestamp, a stored timestamp put as is into an export row, an API datetime without Beijing's offset)."""

from __future__ import annotations

import ast
import io
import os
import re
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import time_machine
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, PlainSerializer
from sqlalchemy import DateTime

import ipoc
import ipoc.models  # every table, in the metadata the guard reads
from ipoc import clock
from ipoc.applications.models import Call
from ipoc.auth.roles import Role
from ipoc.auth.service import principal_for
from ipoc.db import Base, utcnow
from ipoc.documents.render import to_html
from ipoc.reviews import documents as review_documents
from ipoc.reviews import service as reviews
from ipoc.reviews.schemas import ConflictIn, PanelIn, SheetIn
from ipoc.schemas import BeijingTime, Timestamp
from ipoc.web.export import safe_cell
from tests.conftest import login, make_user, post_form
from tests.exported import table
from tests.factories import make_center, make_org
from tests.worlds.notices import FILER_CONTACT, World, _cover, _published, _shortlisted
from tests.worlds.reviews import ONE_INDICATOR, _dossier

SRC = Path(ipoc.__file__).resolve().parent
TEMPLATES = SRC / "web" / "templates"
MIDNIGHT_IN_BEIJING = datetime(2026, 12, 6, 16, 30, tzinfo=UTC)  # 2026-12-07 00:30 in Beijing
WALL_CLOCK = {("tech_events", "starts_at"), ("tech_events", "ends_at"), ("tech_events", "signup_deadline")}


@contextmanager
def server_zone(name: str) -> Iterator[None]:
    """The process's local time zone, as a server configured for ``name`` would have it."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def _xlsx(response) -> list[list]:
    assert response.status_code == 200, response.text
    return [list(r) for r in table(response)]


def _docx_text(response) -> str:
    assert response.status_code == 200, response.text
    return "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)


def _column(rows: list[list], header: str) -> list:
    index = rows[0].index(header)
    return [r[index] for r in rows[1:]]


def _at_beijing_midnight(value: datetime) -> bool:
    """A cell written at 00:30 Beijing time, give or take the seconds the test takes."""
    return value.strftime("%Y-%m-%d %H") == "2026-12-07 00"


def _utc_day_absent(*texts: str) -> None:
    for text in texts:
        assert "2026-12-06" not in text and "2026年12月6日" not in text


def test_at_half_past_midnight_in_beijing_every_output_carries_the_beijing_day(instance, session, app):
    with time_machine.travel(MIDNIGHT_IN_BEIJING, tick=True), server_zone("UTC"):
        assert time.localtime().tm_mday == 6 and clock.today() == date(2026, 12, 7)
        admin = principal_for(session, make_user(session, "region", Role.REGION_ADMIN))
        expert = principal_for(session, make_user(session, "expert", Role.EXPERT))
        center = make_center(session, "稀土产业知识产权运营中心", builder=make_org(session, "包头稀土永磁有限公司"))
        make_user(session, "staff", Role.CENTER_STAFF, center.name)
        call = Call(year=2026, title="2026年度申报", opens_on=date(2026, 6, 1), closes_on=date(2026, 8, 31))
        session.add(call)
        session.flush()
        # a dossier submitted now (ApplicationEvent and submitted_at), put on a notice published today
        apps = [_shortlisted(session, call, admin, "包头稀土研究院有限公司", "稀土新材料")]
        apps[0].submitted_at = utcnow()  # as applications.service.act writes it (the helper walks the states only)
        _cover(session, 2026)
        _cover(session, 2027)
        notice = _published(session, World(admin, admin, call, apps), clock.today())
        # a dossier under expert review, for the score sheet
        dossier = _dossier(session, call, make_org(session, "包头评审单位"))
        sheet = reviews.create_sheet(
            session, admin, SheetIn(name="综合评分表", kind="recognition", indicators=ONE_INDICATOR)
        )
        panel_in = PanelIn(
            kind="recognition", name="认定评审组", call_id=call.id, sheet_id=sheet.id, expert_ids=[expert.user_id]
        )
        panel = reviews.create_panel(session, admin, panel_in)
        reviews.declare_conflicts(session, expert, panel.id, ConflictIn())
        session.commit()

        http = TestClient(app, base_url="http://testserver", follow_redirects=False)
        objection = {"application_id": apps[0].id, "filer_name": "王五", "filer_contact": FILER_CONTACT}
        receipt = http.post(
            f"/api/v1/notices/{notice.id}/objections", json={**objection, "content": "材料不实，请核查"}
        )
        assert receipt.status_code == 201, receipt.text
        assert receipt.json()["created_at"].startswith("2026-12-07T00:3"), receipt.json()
        assert receipt.json()["created_at"].endswith("+08:00")

        # the region admin's pages, exports and API: the objection, the dossier, the admin's own login
        login(http, "region")
        paths = [f"/notices/{notice.id}", "/applications", f"/applications/{apps[0].id}", "/admin/users"]
        pages = [http.get(path).text for path in paths]
        for name, page in zip(paths, pages, strict=True):
            assert "2026-12-07 00:3" in page, name
        _utc_day_absent(*pages)
        objections = _xlsx(http.get(f"/notices/{notice.id}/objections.xlsx"))
        assert "提交时间" in objections[0] and not any("UTC" in h for h in objections[0])
        assert _at_beijing_midnight(_column(objections, "提交时间")[0])
        assert _at_beijing_midnight(_column(_xlsx(http.get("/applications.xlsx")), "提交时间")[0])
        users = _xlsx(http.get("/admin/users.xlsx"))
        last_login = dict(zip(_column(users, "用户名"), _column(users, "最近登录"), strict=True))
        assert _at_beijing_midnight(last_login["region"])
        for stamp in (
            http.get(f"/api/v1/applications/{apps[0].id}").json()["submitted_at"],
            next(u["last_login_at"] for u in http.get("/api/v1/users").json() if u["username"] == "region"),
        ):
            assert stamp.startswith("2026-12-07T00:3") and stamp.endswith("+08:00"), stamp

        # a center's deal form offers today's Beijing date
        staff = TestClient(app, base_url="http://testserver", follow_redirects=False)
        login(staff, "staff")
        assert 'value="2026-12-07"' in staff.get("/deals/new").text

        # the expert signs the score sheet on a server set to New York (11:30 on 12-06 there)
        with server_zone("America/New_York"):
            assert time.localtime().tm_hour == 11
            signer = TestClient(app, base_url="http://testserver", follow_redirects=False)
            login(signer, "expert")
            form = {"item_T": "88", "comment": "材料翔实", "action": "submit"}
            assert post_form(signer, f"/reviews/panels/{panel.id}/score/{dossier.id}", form).status_code == 303
            [score] = signer.get(f"/api/v1/reviews/panels/{panel.id}/scores").json()
            assert score["submitted_at"].startswith("2026-12-07T00:3") and score["submitted_at"].endswith("+08:00")
            text = _docx_text(signer.get(f"/reviews/scores/{score['id']}.docx"))
            assert "已提交（2026年12月7日）" in text and text.splitlines()[-1] == "2026年12月7日"
            doc = review_documents.score_sheet_document(session, score["id"])
            assert doc.date_line == "2026年12月7日" and "已提交（2026年12月7日）" in to_html(doc), "the PDF's text"
            _utc_day_absent(text, http.get(f"/notices/{notice.id}").text)


# --- guards --------------------------------------------------------------------------------------------------


def _utc_timestamp_names() -> set[str]:
    """Every stored timestamp column's name (naive UTC), less the wall-clock times entered in Beijing."""
    columns = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime)
    }
    assert columns >= WALL_CLOCK, "the wall-clock columns named here still exist"
    return {name for _, name in columns - WALL_CLOCK} - {name for _, name in WALL_CLOCK}


def _python_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


LOCAL_CLOCK = {
    ("date", "today"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("datetime", "utcfromtimestamp"),
    ("time", "localtime"),
    ("time", "ctime"),
    ("time", "strftime"),
}
DAY_OF = {"date", "strftime", "isoformat", "year", "month", "day", "hour", "timetuple"}


def _offences(tree: ast.AST, stamps: set[str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, name = node.func.value, node.func.attr
            if isinstance(owner, ast.Name) and (owner.id, name) in LOCAL_CLOCK:
                yield node.lineno, f"{owner.id}.{name}(): the server's local clock"
            naive = len(node.args) + len(node.keywords) < (1 if name == "now" else 2)
            if isinstance(owner, ast.Name) and owner.id == "datetime" and name in ("now", "fromtimestamp") and naive:
                yield node.lineno, f"datetime.{name}() without a time zone"
        if isinstance(node, ast.Attribute) and node.attr in DAY_OF:
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr in stamps:
                yield node.lineno, f".{inner.attr}.{node.attr} reads a UTC timestamp's day: use clock.beijing_date"
        if isinstance(node, ast.List | ast.Tuple):
            for item in node.elts:
                if isinstance(item, ast.Attribute) and item.attr in stamps and isinstance(node.ctx, ast.Load):
                    yield item.lineno, f"stored {item.attr} put as is into a row: use clock.beijing_at"
        shown = node.value if isinstance(node, ast.FormattedValue) else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
            shown = node.args[0]
        if isinstance(shown, ast.Attribute) and shown.attr in stamps:
            yield node.lineno, f"stored {shown.attr} written as text in UTC: use clock.beijing"


def test_no_code_reads_the_servers_clock_or_a_utc_timestamps_day():
    stamps = _utc_timestamp_names()
    found = [
        f"{path.relative_to(SRC)}:{line}: {why}"
        for path in _python_files()
        for line, why in _offences(ast.parse(path.read_text(encoding="utf-8")), stamps)
    ]
    names = "|".join(sorted(stamps))
    # .created_at.strftime(...), or {{ x.created_at }} / {{ x.created_at|other }} printed without |beijing
    pattern = re.compile(rf"\.({names})\s*(\.\s*({'|'.join(sorted(DAY_OF))})\b|\}}\}}|\|(?!\s*beijing\b))")
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"templates/{path.relative_to(TEMPLATES)}:{number}: use the |beijing filter")
    assert not found, "\n".join(found)
    sample = "a = date.today()\nb = x.created_at.date()\nc = [u.name, u.last_login_at]\nd = datetime.now()\n"
    sample += "e = f'{x.created_at:%Y}'\nf = str(x.submitted_at)\n"
    sample += "ok = [clock.beijing_at(x.created_at), datetime.now(UTC)]"
    assert len(list(_offences(ast.parse(sample), stamps))) == 6, "the guard sees each kind of offence"
    lines = ["{{ x.created_at }}", "{{ x.decided_at|default('') }}", "{{ x.ts.strftime('%Y') }}", "{{ x.at|beijing }}"]
    assert [bool(pattern.search(line)) for line in lines] == [True, True, True, False]


def _naked_datetimes(annotation, seen: set) -> Iterator[str]:
    """Where a response type holds a datetime without Beijing's serializer (Timestamp or BeijingTime)."""
    if annotation is datetime:
        yield "datetime"
        return
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        if base is datetime and any(isinstance(m, PlainSerializer) for m in meta):
            return
        yield from _naked_datetimes(base, seen)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, hint in typing.get_type_hints(annotation, include_extras=True).items():
            if name in annotation.model_fields:
                yield from (f"{annotation.__name__}.{name}" for _ in _naked_datetimes(hint, seen))
        return
    for arg in typing.get_args(annotation):
        yield from _naked_datetimes(arg, seen)


def test_every_api_datetime_is_written_with_beijings_offset():
    from ipoc.shell.app import _api_routers

    seen: set = set()
    routes = [route for router in _api_routers() for route in router.routes if isinstance(route, APIRoute)]
    models = [route for route in routes if route.response_model is not None]
    assert len(models) > 50, "the walk reaches the API's routes"
    naked = {f"{route.path}: {where}" for route in models for where in _naked_datetimes(route.response_model, seen)}
    assert not naked, naked
    assert list(_naked_datetimes(list[Timestamp | None], set())) == []
    assert list(_naked_datetimes(BeijingTime, set())) == []
    assert list(_naked_datetimes(dict[str, datetime | None], set())) == ["datetime"]
    assert safe_cell(datetime(2026, 12, 6, 16, 30, tzinfo=UTC)) == datetime(2026, 12, 7, 0, 30), "and in a workbook"
