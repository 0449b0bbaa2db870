"""The shipped demo patents: every record parses cleanly, and `ipoc demo load` imports them through the real
importer (on SQLite and PostgreSQL), defines the rare-earth database and changes nothing when run again."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoc.audit import service as audit
from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.jobs.models import Job
from ipoc.ops import demo
from ipoc.patents import service as patents
from ipoc.patents.models import IndustryDatabase
from ipoc.patents.parsing import parse_row
from ipoc.patents.reading import open_rows
from ipoc.patents.records import PatentRecord, RowIssue
from ipoc.search import service as search
from ipoc.search.schemas import SearchRequest


def parsed(path: Path) -> tuple[list[PatentRecord], list[RowIssue]]:
    """Records and every issue (rejections and kept-row warnings alike) of a JSONL file."""
    records: list[PatentRecord] = []
    issues: list[RowIssue] = []
    with open_rows(path) as source:
        unmapped = [h for h in source.headers if h not in source.mapping]
        issues += [RowIssue(0, h, "表头不在同义词表中", "") for h in unmapped]
        for item in source:
            if isinstance(item, RowIssue):
                issues.append(item)
                continue
            result = parse_row(*item, source.headers_by_field)
            if isinstance(result, list):
                issues += result
            else:
                records.append(result)
                issues += result.warnings
    return records, issues


def test_every_demo_record_parses_without_issue_or_warning():
    records, issues = parsed(demo.DEMO_PATENTS)
    assert issues == []
    assert len(records) >= 50
    assert len({r.application_no for r in records}) == len(records)


def test_every_line_has_the_keys_of_the_first():
    """The JSONL reader takes the columns from the first record: a key missing there would be dropped."""
    lines = [json.loads(line) for line in demo.DEMO_PATENTS.read_text(encoding="utf-8").splitlines()]
    assert all(list(line) == list(lines[0]) for line in lines)


def test_demo_records_exercise_search_facets_and_the_detail_page():
    records, _ = parsed(demo.DEMO_PATENTS)
    assert set(Counter(r.kind for r in records)) == {"invention", "utility_model", "design"}
    assert set(Counter(r.status_class for r in records)) == {"valid", "pending", "lapsed"}
    assert len({r.region_name for r in records if r.region_name}) >= 10
    assert {"enterprise", "university", "institute", "individual"} <= {t for r in records for t in r.applicant_types}
    assert all(80 <= len(r.abstract or "") <= 200 for r in records)
    assert sum(1 for r in records if r.first_claim) >= 15
    events = Counter(e.kind for r in records for e in r.legal_events)
    assert {"grant", "lapse", "licence", "pledge", "transfer"} <= set(events)
    licences = [e.detail for r in records for e in r.legal_events if e.kind == "licence"]
    assert all({"type", "term_start", "term_end", "licensee"} <= set(d) for d in licences)
    assert any(r.fee_paid_through for r in records)


def test_demo_load_twice_imports_once_and_defines_the_rare_earth_database(instance):
    expected = len(parsed(demo.DEMO_PATENTS)[0])

    first = CliRunner().invoke(cli, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert f"本次新增 {expected}" in first.output
    with session_scope() as session:
        assert patents.count_patents(session) == expected
        database = session.scalar(select(IndustryDatabase).where(IndustryDatabase.name == demo.DEMO_DATABASE))
        assert database is not None and database.center_id is not None
        in_database = search.search(session, SearchRequest(q="稀土", mode="lexical", database_id=database.id))
        everywhere = search.search(session, SearchRequest(q="钕铁硼", mode="lexical"))
    assert 0 < in_database.total < expected
    assert everywhere.total > 0

    with session_scope() as session:
        audited = audit.verify_chain(session).checked
        jobs = session.scalar(select(func.count()).select_from(Job))
    counts = demo.load_patents()
    assert counts == {
        "patents": expected,
        "imported": 0,
        "updated": 0,
        "unchanged": expected,
        "rejected": 0,
        "databases_created": 0,
    }
    with session_scope() as session:
        assert patents.count_patents(session) == expected
        names = [d.name for d in patents.list_databases(session)]
        assert audit.verify_chain(session).checked == audited  # the second run wrote nothing
        assert session.scalar(select(func.count()).select_from(Job)) == jobs
    assert names.count(demo.DEMO_DATABASE) == 1
