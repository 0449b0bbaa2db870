"""A printable document as plain data, so that each domain says *what* to print and ``documents.render``
alone knows how to lay it out as PDF (WeasyPrint) and DOCX (python-docx) in the 党政机关公文格式
(GB/T 9704-2012)."""

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
    # Issuer, e.g. "内蒙古自治区市场监督管理局（知识产权局）": the 红头 of an official document, else a line
    # under the title.
    issuer: str = ""
    # A line under the title (a report's deadline and status, a score sheet's panel).
    reference: str = ""
    sections: list[Section] = field(default_factory=list)
    # Signature block at the end: (label, value) lines, e.g. ("评审专家（签字）", ""); ("", issuer) is the 落款.
    signatures: list[tuple[str, str]] = field(default_factory=list)
    date_line: str = ""
    # 公文 (notices, decisions): printed with the 红头 (issuer in red and the red rule) and the 发文字号.
    official: bool = False
    number: str = ""  # 发文字号, e.g. 内市监知发〔2026〕12号, allocated once when the decision is issued
    addressee: str = ""  # 主送机关/单位, printed at the left margin before the body, ending with "："
    # 附件: printed after the 落款, each from a new page, and listed under the body ("附件：1. …").
    annexes: list[Section] = field(default_factory=list)
