"""Rows against their audit trail: what changed in the database behind the application's back.

Every model with ``__audited__`` writes a record per row change (create with the whole row, update with the
changed fields, delete), so replaying a row's records gives the state it must have now. :func:`verify_rows`
replays them for every audited table and compares each current row, reporting rows **edited** (fields that
differ from the replayed state), **inserted** (no create record, or created again after its delete record) and
**deleted** (records say it exists, the table does not have it).

Not compared: ``updated_at`` and each model's ``__audit_ignore__`` fields (written without a record on
purpose, e.g. the last login time), ``__audit_redact__`` fields (the trail holds ``***``, never the value),
and fields no record mentions (a column added after the row's last record). Regions and industries seeded by
the first migration have no create record: they start from the values it seeds (``ipoc.reference.seed``); so do
the advertising phrases migration 0010 seeds.

Tables written in bulk (patents, their applicants and legal events, written by the import with
``insert()``/``update()`` statements) are not ``__audited__`` row by row: each committed import batch writes
one ``import_batch`` record, in the same transaction as its rows, naming the patent ids it inserted and
updated; :func:`uncovered_patents` reports patents that no batch record names.

Tables are streamed in primary-key order in chunks, each chunk's records fetched by entity id, so memory stays
bounded by the chunk (plus one short string per audited entity) on tables of 100,000 rows and more.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_, select, tuple_
from sqlalchemy.orm import Mapper, Session

from ipoc.audit.models import AuditRecord
from ipoc.audit.service import _plain
from ipoc.db import Base
from ipoc.patents.models import Patent
from ipoc.reference import seed

CHUNK = 1000
ROW_ACTIONS = ("create", "update", "delete")
IMPORT_BATCH = "import_batch"
_ROW_ACTION = or_(AuditRecord.action.in_(ROW_ACTIONS), AuditRecord.action.like("transition:%"))
_DELETED = object()


@dataclass(frozen=True)
class RowFinding:
    table: str
    entity_id: str
    kind: str  # edited | inserted | deleted
    fields: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """One line for ``ipoc audit verify``: ``edited tech_deals 3: amount_yuan``."""
        return f"{self.kind} {self.table} {self.entity_id}" + (f": {', '.join(self.fields)}" if self.fields else "")


def audited_mappers() -> list[Mapper]:
    """Every mapped class with ``__audited__``, by table name."""
    mappers = [m for m in Base.registry.mappers if getattr(m.class_, "__audited__", False)]
    return sorted(mappers, key=lambda m: m.class_.__tablename__)


def _normal(value: Any) -> Any:
    """A value as the trail stores it (the same serialisation, read back), so both sides compare alike."""
    plain = _plain(value)
    if plain is None or isinstance(plain, str | int | float):  # JSON gives these back as they are
        return plain
    return json.loads(json.dumps(plain, ensure_ascii=False, sort_keys=True, default=str))


def _compared(mapper: Mapper) -> dict[str, ColumnElement[Any]]:
    cls = mapper.class_
    skipped = {"updated_at", *getattr(cls, "__audit_ignore__", ()), *getattr(cls, "__audit_redact__", ())}
    return {attr.key: attr.columns[0] for attr in mapper.column_attrs if attr.key not in skipped}


def _last_actions(session: Session, table: str) -> dict[str, str]:
    """The last row action recorded for each entity of ``table``: one ordered pass over ids and actions."""
    stmt = (
        select(AuditRecord.entity_id, AuditRecord.action)
        .where(AuditRecord.entity_type == table, _ROW_ACTION)
        .order_by(AuditRecord.id)
        .execution_options(yield_per=5000)
    )
    return {entity_id: action for entity_id, action in session.execute(stmt)}


def _seeded(table: str) -> dict[str, dict[str, Any]]:
    """Rows the first migration seeds (no record: they predate every session), with the values it writes."""
    if table == "regions":
        ids = {code: n for n, (code, *_rest) in enumerate(seed.REGIONS, start=1)}
        return {
            str(n): {"code": code, "name": name, "kind": kind, "parent_id": ids[parent] if parent else None}
            | {"acts_as_recommender": True, "sort_order": n}
            for n, (code, name, kind, parent) in enumerate(seed.REGIONS, start=1)
        }
    if table == "industries":
        return {
            str(n): {"name": name, "naming_term": term, "category": cat, "source": src, "active": True}
            for n, (name, term, cat, src) in enumerate(seed.INDUSTRIES, start=1)
        }
    if table == "advertising_phrases":
        phrases = _migration_constant("0010_offer_rights_and_phrases", "SEED_PHRASES")
        return {str(n): {"phrase": p, "created_by_id": None} for n, p in enumerate(phrases, start=1)}
    return {}


def _migration_constant(revision_file: str, name: str) -> Any:
    """A constant a migration seeds from (a migration's module name starts with a digit: loaded by path)."""
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{revision_file}.py"
    spec = importlib.util.spec_from_file_location(f"ipoc_migration_{revision_file}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _replay(
    session: Session, table: str, ids: list[str], seeded: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any] | object]:
    """Each entity's state by its records: the create's row (or the seeded values), then each update's new
    values; a delete ends it."""
    states: dict[str, Any] = {i: dict(seeded[i]) for i in ids if i in seeded}
    stmt = (
        select(AuditRecord.entity_id, AuditRecord.action, AuditRecord.after_json)
        .where(AuditRecord.entity_type == table, AuditRecord.entity_id.in_(ids), _ROW_ACTION)
        .order_by(AuditRecord.id)
    )
    for entity_id, action, after_json in session.execute(stmt):
        after = json.loads(after_json) if after_json else {}
        if action == "create":
            states[entity_id] = dict(after)
        elif action == "delete":
            states[entity_id] = _DELETED
        elif isinstance(states.get(entity_id), dict):
            states[entity_id].update(after)
        else:  # updates without a create: what they say still holds
            states[entity_id] = {"__no_create__": True, **after}
    return states


def _chunks(session: Session, mapper: Mapper, columns: dict[str, ColumnElement[Any]]) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, a chunk at a time (keyset pages: no long-open cursor)."""
    pk = list(mapper.primary_key)
    labelled = [col.label(f"pk{n}") for n, col in enumerate(pk)] + [col.label(key) for key, col in columns.items()]
    last: tuple | None = None
    while True:
        stmt = select(*labelled).order_by(*pk).limit(CHUNK)
        if last is not None:
            stmt = stmt.where(tuple_(*pk) > tuple_(*last) if len(pk) > 1 else pk[0] > last[0])
        rows = [dict(r) for r in session.execute(stmt).mappings()]
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][f"pk{n}"] for n in range(len(pk)))


def _check_row(table: str, entity_id: str, row: dict[str, Any], state: Any, keys: list[str]) -> RowFinding | None:
    if state is None or state is _DELETED or state.get("__no_create__"):
        return RowFinding(table, entity_id, "inserted")
    edited = tuple(k for k in keys if k in state and _normal(row[k]) != state[k])
    return RowFinding(table, entity_id, "edited", edited) if edited else None


def verify_table(session: Session, mapper: Mapper) -> list[RowFinding]:
    table = mapper.class_.__tablename__
    columns = _compared(mapper)
    keys = list(columns)
    pk_count = len(mapper.primary_key)
    seeded = _seeded(table)
    last = _last_actions(session, table)
    alive = {k for k, action in last.items() if action != "delete"} | {k for k in seeded if k not in last}
    findings: list[RowFinding] = []
    for rows in _chunks(session, mapper, columns):
        ids = [",".join(str(r[f"pk{n}"]) for n in range(pk_count)) for r in rows]
        states = _replay(session, table, ids, seeded)
        for entity_id, row in zip(ids, rows, strict=True):
            alive.discard(entity_id)
            finding = _check_row(table, entity_id, row, states.get(entity_id), keys)
            if finding:
                findings.append(finding)
    findings.extend(RowFinding(table, entity_id, "deleted") for entity_id in sorted(alive))
    return findings


def verify_rows(session: Session) -> list[RowFinding]:
    """Every audited table against its trail; an empty list when nothing changed unseen."""
    findings: list[RowFinding] = []
    for mapper in audited_mappers():
        findings.extend(verify_table(session, mapper))
    return findings


# --- tables written in bulk ----------------------------------------------------------------------------


def batch_meta(inserted: list[int], updated: list[int]) -> dict[str, Any]:
    """The ids of one import batch, as runs ``[first, last]`` (inserted ids are mostly consecutive)."""
    return {"inserted": len(inserted), "updated": len(updated), "patent_ids": _runs(sorted({*inserted, *updated}))}


def _runs(ids: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def uncovered_patents(session: Session) -> list[int]:
    """Patent ids that no import batch record names: rows written into the bulk table behind the import.

    Instances upgraded from before batch records existed: a patent last written by an import job that has its
    final ``import`` record but no batch record (a legacy import) counts as covered."""
    covered: list[list[int]] = []
    batch_jobs: set[str] = set()
    stmt = select(AuditRecord.entity_id, AuditRecord.meta_json).where(AuditRecord.action == IMPORT_BATCH)
    for job_id, meta_json in session.execute(stmt.execution_options(yield_per=1000)):
        batch_jobs.add(job_id)
        covered.extend(json.loads(meta_json or "{}").get("patent_ids", []))
    finished = select(AuditRecord.entity_id).where(AuditRecord.action == "import", AuditRecord.entity_type == "Job")
    legacy = {int(job_id) for job_id in session.scalars(finished) if job_id not in batch_jobs and job_id.isdigit()}
    covered.sort()
    missing: list[int] = []
    runs = iter(covered)
    run = next(runs, None)
    rows = select(Patent.id, Patent.last_job_id).order_by(Patent.id).execution_options(yield_per=5000)
    for pid, last_job_id in session.execute(rows):
        while run is not None and run[1] < pid:
            run = next(runs, None)
        if (run is None or pid < run[0]) and last_job_id not in legacy:
            missing.append(pid)
    return missing
