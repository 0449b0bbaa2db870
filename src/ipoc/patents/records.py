"""Plain records passed from file reading to the importer: no database types here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import date

EXTRA = "extra:"  # row keys of the columns kept verbatim with the record: EXTRA + the file's own header
SOURCE_ID = "来源编号"  # the kept key of the export's own id of a record known by no patent number


@dataclass(slots=True)
class RowIssue:
    row: int  # data row, 1 = first row under the header (JSONL: line number)
    field: str  # the column header as written in the file ('' when the row as a whole is bad)
    reason: str  # Chinese, e.g. "申请号校验位错误"
    value: str  # the original cell value (cut to 200 chars)


@dataclass(slots=True)
class LegalEventRecord:
    kind: str  # grant | lapse | transfer | licence | pledge | pledge_release | invalidation | fee
    date: date | None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PatentRecord:
    # The record's key: the canonical CN application number, or, where the export carries none, the normalised
    # publication number of any office (US8271025B2); see patents.numbers.is_application_key.
    application_no: str
    title: str
    office: str = "CN"
    publication_key: str | None = None  # publication (else grant) number without kind code: one document, any stage
    family_key: str | None = None  # the family id the export gives, else the first priority number, else itself
    kind: str | None = None
    publication_no: str | None = None
    grant_no: str | None = None
    abstract: str | None = None
    claims: str | None = None
    first_claim: str | None = None
    ipc_main: str | None = None
    ipc_codes: list[str] = field(default_factory=list)
    ipc_invalid: list[str] = field(default_factory=list)
    applicants: list[str] = field(default_factory=list)
    applicant_types: list[str] = field(default_factory=list)
    patentees: list[str] = field(default_factory=list)  # the export's 当前权利人/专利权人 column
    inventors: list[str] = field(default_factory=list)
    address: str | None = None
    province: str | None = None
    region_name: str | None = None
    application_date: date | None = None
    publication_date: date | None = None
    grant_date: date | None = None
    legal_status: str | None = None
    status_class: str | None = None
    fee_paid_through: date | None = None
    priority: str | None = None
    family: str | None = None
    family_size: int | None = None
    cited_count: int | None = None
    citing_count: int | None = None
    legal_events: list[LegalEventRecord] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)  # columns kept verbatim, by the file's header
    warnings: list[RowIssue] = field(default_factory=list)

    def content_hash(self) -> str:
        """sha256 over every field but the warnings, so a re-import of the same row is recognised."""
        data = [getattr(self, f.name) for f in _HASHED]
        data[_EVENTS] = [(e.kind, e.date, sorted(e.detail.items())) for e in self.legal_events]
        text = json.dumps(data, ensure_ascii=False, default=date.isoformat)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# asdict() deep-copies every field and dominated the import profile; the field order is fixed by the class.
_HASHED = [f for f in fields(PatentRecord) if f.name != "warnings"]
_EVENTS = [f.name for f in _HASHED].index("legal_events")
