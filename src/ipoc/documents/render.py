"""Lay out a :class:`Document` as PDF (WeasyPrint) or DOCX (python-docx), with Chinese fonts that work offline."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from fastapi import Response
from jinja2 import Environment, FileSystemLoader

from ipoc.documents.model import Document
from ipoc.errors import InvalidInput

# Installed system-wide (fonts-wqy-zenhei) and embedded into every PDF, so a PDF reads the same anywhere.
PDF_FONT = "WenQuanYi Zen Hei"
# A DOCX names fonts but carries none: the reader's machine supplies them. 宋体 (SimSun) is on every
# Chinese Windows and in WPS, and LibreOffice maps it to an installed CJK font; WenQuanYi would be missing
# on most readers' machines, and 仿宋 (FangSong), the official body font, is absent from many WPS/Linux
# installs, where Word would fall back to a font without Chinese glyphs.
DOCX_EAST_ASIA_FONT = "宋体"
DOCX_LATIN_FONT = "Times New Roman"
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "web" / "templates" / "documents"), autoescape=True
)


# --- PDF -------------------------------------------------------------------------------------------------


def to_html(doc: Document) -> str:
    return _templates.get_template("document.html").render(doc=doc, font=PDF_FONT)


def to_pdf(doc: Document) -> bytes:
    """The PDF; a fetcher allowing only file: URLs keeps rendering offline whatever a template links to."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=to_html(doc), url_fetcher=URLFetcher(allowed_protocols={"file"})).write_pdf()


# --- DOCX ------------------------------------------------------------------------------------------------


def _set_fonts(element) -> None:
    """Name the Latin and East-Asian fonts explicitly: python-docx's ``font.name`` sets only the Latin ones,
    and Word prefers a theme font over a named one, so the template's theme attributes are removed."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in _THEME_FONTS:
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), DOCX_EAST_ASIA_FONT)


def _run(paragraph: Paragraph, text: str, *, bold: bool = False, size: float | None = None) -> Run:
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size is not None:
        run.font.size = Pt(size)
    _set_fonts(run._element)
    return run


def _paragraph(docx, text: str, align: WD_ALIGN_PARAGRAPH | None = None, **run_format) -> Paragraph:
    paragraph = docx.add_paragraph()
    paragraph.alignment = align
    _run(paragraph, text, **run_format)
    return paragraph


def _styles(docx) -> None:
    normal = docx.styles["Normal"]
    _set_fonts(normal.element)
    normal.font.size = Pt(14)
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    heading = docx.styles["Heading 1"]
    _set_fonts(heading.element)
    heading.font.size = Pt(15)
    heading.font.color.rgb = RGBColor(0, 0, 0)
    heading.paragraph_format.space_before = Pt(12)
    heading.paragraph_format.space_after = Pt(6)


def _page(docx) -> None:
    """A4 with GB/T 9704 margins, as the PDF."""
    for section in docx.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)


def to_docx(doc: Document) -> bytes:
    docx = new_docx()
    _styles(docx)
    _page(docx)
    _paragraph(docx, doc.title, WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=20)
    for line in (doc.issuer, doc.reference):
        if line:
            _paragraph(docx, line, WD_ALIGN_PARAGRAPH.CENTER)
    for section in doc.sections:
        if section.heading:
            _run(docx.add_paragraph(style="Heading 1"), section.heading)
        for text in section.paragraphs:
            _paragraph(docx, text).paragraph_format.first_line_indent = Pt(28)
        if section.table:
            _table(docx, section.table)
    if doc.signatures:
        docx.add_paragraph()
        for label, value in doc.signatures:
            text = f"{label}：{value or '　' * 8}" if label else value  # no label: the issuer's name alone
            _paragraph(docx, text).paragraph_format.left_indent = Mm(78)
    if doc.date_line:
        _paragraph(docx, doc.date_line, WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()


def _table(docx, table) -> None:
    if table.caption:
        _paragraph(docx, table.caption, WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    grid = docx.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
        _run(cell.paragraphs[0], header, bold=True, size=11)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in table.rows:
        for cell, value in zip(grid.add_row().cells, row, strict=False):
            _run(cell.paragraphs[0], value, size=11)


# --- HTTP ------------------------------------------------------------------------------------------------


def content_disposition(filename: str) -> str:
    """``attachment`` with the UTF-8 name (RFC 5987/6266) and a plain-ASCII fallback for old clients."""
    stem, _, ext = filename.rpartition(".")
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-") or "document"
    return f"attachment; filename=\"{fallback}.{ext}\"; filename*=UTF-8''{quote(filename, safe='')}"


def document_response(doc: Document, fmt: str, filename_stem: str) -> Response:
    if fmt not in MEDIA_TYPES:
        raise InvalidInput("文档格式应为 pdf 或 docx", field="fmt")
    body = to_pdf(doc) if fmt == "pdf" else to_docx(doc)
    headers = {"Content-Disposition": content_disposition(f"{filename_stem}.{fmt}")}
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
