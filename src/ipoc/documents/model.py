"""A printable document as plain data, so that each domain says *what* to print and ``documents.render``
alone knows how to lay it out as PDF (WeasyPrint) and DOCX (python-docx) with Chinese fonts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass(frozen=True)
class Section:
    heading: str = ""
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass(frozen=True)
class Document:
    title: str
    # Issuer and reference line under the title, e.g. "内蒙古自治区市场监督管理局（知识产权局）".
    issuer: str = ""
    reference: str = ""
    sections: list[Section] = field(default_factory=list)
    # Signature block at the end: (label, value) lines, e.g. ("评审专家（签字）", "").
    signatures: list[tuple[str, str]] = field(default_factory=list)
    date_line: str = ""
