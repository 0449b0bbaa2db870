"""The state-machine kernel (ipoc.workflow): refusals change nothing, a step leaves its reason for the audit trail
and its row in the timeline, a returned record goes back where it came from, and the CHECK text admits exactly
the machine's states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.exc import IntegrityError

import ipoc
from ipoc.db import NAMING
from ipoc.errors import Conflict, Forbidden, InvalidInput
from ipoc.ops.workflow_docs import MACHINES
from ipoc.workflow import Machine, Step, Transition, check_constraint, check_sql, take


class Doc(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    CHECKED = "checked"
    DONE = "done"
    DROPPED = "dropped"


recorded: list[Step] = []


def _remember(_session: Any, _record: Any, step: Step) -> None:
    recorded.append(step)


DOCS = Machine(
    name="docs",
    title="示例",
    states=Doc,
    labels={
        Doc.DRAFT: "草稿",
        Doc.SUBMITTED: "已提交",
        Doc.RETURNED: "退回",
        Doc.CHECKED: "已审核",
        Doc.DONE: "完成",
        Doc.DROPPED: "终止",
    },
    owners={"author": "作者", "office": "审核处"},
    transitions=(
        Transition("submit", "提交", {Doc.DRAFT}, Doc.SUBMITTED, "author"),
        Transition("return", "退回", {Doc.SUBMITTED, Doc.CHECKED}, Doc.RETURNED, "office", needs_reason=True),
        Transition("resubmit", "重新提交", {Doc.RETURNED}, None, "author"),
        Transition("check", "审核", {Doc.SUBMITTED}, Doc.CHECKED, "office", route="fast"),
        Transition("finish", "完成", {Doc.CHECKED}, Doc.DONE, "office", needs_evidence=True),
        Transition("drop", "终止", {Doc.DRAFT, Doc.SUBMITTED}, Doc.DROPPED, "author", needs_confirmation=True),
    ),
    initial=Doc.DRAFT,
    terminal=frozenset({Doc.DONE, Doc.DROPPED}),
    wrong_state="文件当前为“{state}”，不能“{action}”",
    returned=Doc.RETURNED,
    resume_fallback=Doc.SUBMITTED,
    record_step=_remember,
)


@dataclass
class Record:
    state: str = Doc.DRAFT
    returned_from: str | None = None
    note: str = ""


class FakeSession:
    """What take needs of a session: ``info`` (the audit reason rides there) and ``flush``."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1


@pytest.fixture(autouse=True)
def _fresh_timeline():
    recorded.clear()


def test_a_step_sets_the_state_writes_the_timeline_and_the_audit_reason():
    session, doc = FakeSession(), Record()
    step = take(session, DOCS, doc, "submit", owners={"author"}, actor="alice", changes={"note": "v1"})
    assert (doc.state, doc.note, step.source, step.target, step.actor) == (
        Doc.SUBMITTED,
        "v1",
        "draft",
        "submitted",
        "alice",
    )
    assert recorded == [step]
    assert session.info["ipoc_audit_meta"] == {"reason": "提交", "action": "submit"}  # no reason given: the label
    assert session.flushes == 1


def test_the_reason_given_is_the_audit_reason_trimmed():
    session, doc = FakeSession(), Record(state=Doc.SUBMITTED)
    step = take(session, DOCS, doc, "return", owners={"office"}, reason="  缺材料 ")
    assert step.reason == "缺材料" and session.info["ipoc_audit_meta"]["reason"] == "缺材料"


@pytest.mark.parametrize(
    ("state", "action", "owners", "kwargs", "error", "field"),
    [
        (Doc.DRAFT, "nonsense", {"author"}, {}, InvalidInput, "action"),
        (Doc.DRAFT, "submit", {"office"}, {}, Forbidden, None),  # wrong owner
        (Doc.CHECKED, "submit", {"author"}, {}, Conflict, None),  # wrong state
        (Doc.SUBMITTED, "check", {"office"}, {"route": "slow"}, Conflict, None),  # wrong route
        (Doc.SUBMITTED, "return", {"office"}, {"reason": "  "}, InvalidInput, "reason"),
        (Doc.CHECKED, "finish", {"office"}, {}, InvalidInput, "evidence"),
        (Doc.DRAFT, "drop", {"author"}, {}, InvalidInput, "confirm"),
    ],
)
def test_refusals_change_nothing(state, action, owners, kwargs, error, field):
    session, doc = FakeSession(), Record(state=state)
    with pytest.raises(error) as refused:
        take(session, DOCS, doc, action, owners=owners, **kwargs)
    assert refused.value.field == field
    assert (doc.state, recorded, session.info, session.flushes) == (state, [], {}, 0)


def test_refusal_texts_name_the_state_the_step_and_the_owner():
    with pytest.raises(Conflict, match="文件当前为“已审核”，不能“提交”"):
        take(FakeSession(), DOCS, Record(state=Doc.CHECKED), "submit", owners={"author"})
    with pytest.raises(Forbidden, match="“提交”由作者办理"):
        take(FakeSession(), DOCS, Record(), "submit", owners={"office"})


def test_owners_none_is_the_system_and_skips_the_owner_check_only():
    doc = Record()
    take(FakeSession(), DOCS, doc, "submit", owners=None)
    assert doc.state == Doc.SUBMITTED
    with pytest.raises(Conflict):
        take(FakeSession(), DOCS, doc, "submit", owners=None)


def test_a_returned_record_goes_back_to_where_it_was_returned_from():
    doc = Record(state=Doc.CHECKED)
    take(FakeSession(), DOCS, doc, "return", owners={"office"}, reason="补正")
    assert (doc.state, doc.returned_from) == (Doc.RETURNED, Doc.CHECKED)
    take(FakeSession(), DOCS, doc, "resubmit", owners={"author"})
    assert (doc.state, doc.returned_from) == (Doc.CHECKED, None)
    orphan = Record(state=Doc.RETURNED)  # returned before anyone kept where from: the fallback
    take(FakeSession(), DOCS, orphan, "resubmit", owners={"author"})
    assert orphan.state == Doc.SUBMITTED


def test_evidence_and_confirmation_when_given_let_the_step_through():
    doc = Record(state=Doc.CHECKED)
    take(FakeSession(), DOCS, doc, "finish", owners={"office"}, evidence=["scan.pdf"])
    draft = Record()
    take(FakeSession(), DOCS, draft, "drop", owners={"author"}, confirmed=True)
    assert (doc.state, draft.state) == (Doc.DONE, Doc.DROPPED)


def test_available_lists_the_steps_of_the_state_owner_and_route_in_table_order():
    assert [t.action for t in DOCS.available(Doc.SUBMITTED, {"office"})] == ["return"]
    assert [t.action for t in DOCS.available(Doc.SUBMITTED, {"office"}, route="fast")] == ["return", "check"]
    assert [t.action for t in DOCS.available(Doc.SUBMITTED, None)] == ["return", "drop"]
    assert DOCS.available(Doc.DONE, None) == []


def test_a_table_naming_an_unknown_state_or_owner_fails_at_import():
    with pytest.raises(ValueError, match=r"unknown state 'lost'.*unknown owner 'nobody'"):
        Machine(
            name="bad",
            title="坏",
            states=Doc,
            labels=DOCS.labels,
            owners={"author": "作者"},
            transitions=(Transition("x", "x", {"lost"}, Doc.DONE, "nobody"),),
        )
    with pytest.raises(ValueError, match="no label for state 'dropped'"):
        Machine(name="bad", title="坏", states=Doc, labels={s: s for s in list(Doc)[:-1]}, owners={}, transitions=())


def test_the_check_constraint_admits_exactly_the_states():
    assert check_sql(DOCS.states) == "state IN ('draft', 'submitted', 'returned', 'checked', 'done', 'dropped')"
    metadata = MetaData(naming_convention=NAMING)
    table = Table("docs", metadata, Column("id", Integer, primary_key=True), Column("state", String(20)))
    table.append_constraint(check_constraint(DOCS.states))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table).values(state="done"))
        assert next(iter(table.constraints - {table.primary_key})).name == "ck_docs_state"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(table).values(state="lost"))


# ---- the machines and the code that reads them -------------------------------------------------------------

SRC = Path(ipoc.__file__).parent
# `x.state == "open"`, `x.state != 'open'` and `x.state in ("open", "closed")` in a page
COMPARED_IN_PAGES = re.compile(r"\w\.state\s*(?:==|!=)\s*[\"'](\w+)[\"']|\w\.state\s+(?:not\s+)?in\s+\(([^)]*)\)")


def test_every_state_a_page_compares_with_is_a_state_of_a_machine():
    """A page that shows a button by state would silently never show it after a typo or a renamed state."""
    known = {str(state) for machine in MACHINES for state in machine.states}
    compared: dict[str, set[str]] = {}
    for page in (SRC / "web" / "templates").rglob("*.html"):
        for match in COMPARED_IN_PAGES.finditer(page.read_text(encoding="utf-8")):
            values = [match[1]] if match[1] else re.findall(r"[\"'](\w+)[\"']", match[2])
            for value in values:
                compared.setdefault(value, set()).add(page.name)
    assert len(compared) > 10, "the pattern still finds the pages' comparisons"
    assert {value: pages for value, pages in compared.items() if value not in known} == {}


def test_no_module_compares_a_state_with_a_bare_string():
    """Python code names states by their enum members, so a renamed or removed state fails at import."""
    bare = re.compile(r"\.state\s*(?:==|!=)\s*[\"']|\.state\s+(?:not\s+)?in\s+[({][\"']")
    offending = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if bare.search(line)
    ]
    assert offending == []
