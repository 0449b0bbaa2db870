"""Lay out a :class:`Document` as PDF (WeasyPrint) or DOCX (python-docx) in the 党政机关公文格式 (GB/T 9704-2012):
each text in the font of its role, the 红头 and red rule, the 发文字号, 主送, 落款 and page numbers "— 1 —"."""

from __future__ import annotations

import functools
import io
import logging
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

from docx import Document as new_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from fastapi import Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy.orm import Session

from ipoc.documents import letterhead
from ipoc.documents.model import Document, Section
from ipoc.errors import InvalidInput

log = logging.getLogger(__name__)

# The standard's font roles (GB/T 9704 §5.2: 小标宋 title, 仿宋 body, 黑体 first-level headings) and the free faces
# Debian packages for them, best first (scripts/setup-system.sh installs fonts-noto-cjk and fonts-arphic-ukai).
# WenQuanYi Zen Hei (fonts-wqy-zenhei) is the last resort of every role and stands behind each family list, so
# a character a face lacks still comes from an installed font rather than printing as a blank box.
FALLBACK_FONT = "WenQuanYi Zen Hei"
PDF_FONT_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "title": ("小标宋", ("Noto Serif CJK SC", "AR PL UMing CN", "AR PL SungtiL GB")),
    "body": ("仿宋/楷体", ("FangSong", "LXGW WenKai", "AR PL UKai CN", "AR PL KaitiM GB", "Noto Serif CJK SC")),
    "heading": ("黑体", ("Noto Sans CJK SC", "WenQuanYi Zen Hei")),
}
# A DOCX names fonts but carries none: these are the names of the official faces on a bureau's Windows machine
# (方正小标宋简体 and the *_GB2312 faces are what bureaus install for 公文); Word substitutes where one is missing.
DOCX_FONTS = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "heading": "黑体", "kai": "楷体_GB2312"}
DOCX_EAST_ASIA_FONT = DOCX_FONTS["body"]
DOCX_LATIN_FONT = "Times New Roman"
RED = RGBColor(0xE6, 0x00, 0x12)
# 3号 (16 pt) body on 22 lines of the 225 mm type area (GB/T 9704 §5.2.2): a line every 28.95 pt.
LINE_PT = 28.95
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "web" / "templates" / "documents"), autoescape=True
)


# --- fonts -----------------------------------------------------------------------------------------------


@functools.cache
def installed_families() -> frozenset[str]:
    """The font families fontconfig (which WeasyPrint uses) knows for Chinese."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(",") if name.strip())


@functools.cache
def pdf_fonts() -> dict[str, str]:
    """The face chosen for each role; a role without any of its faces installed falls back, with a log line."""
    chosen = {}
    for role, (official, faces) in PDF_FONT_ROLES.items():
        face = next((f for f in faces if f in installed_families()), None)
        if face is None:
            log.warning(
                "No %s face for the %s role of GB/T 9704 is installed (%s): documents use %s instead",
                official,
                role,
                ", ".join(faces),
                FALLBACK_FONT,
            )
            face = FALLBACK_FONT
        chosen[role] = face
    return chosen


def _css_families() -> dict[str, Markup]:
    """CSS font-family lists (the names are fontconfig's own, so safe to write into the style sheet)."""
    return {role: Markup(f'"{face}", "{FALLBACK_FONT}"') for role, face in pdf_fonts().items()}


# --- PDF -------------------------------------------------------------------------------------------------


def _closing_split(doc: Document) -> tuple[list[Section], Section | None, list[str]]:
    """The sections before the closing block, the last section if it goes whole into the closing block (a table,
    or a heading with one paragraph), and the last section's paragraphs that do: the last body text is kept on
    the page of the 落款 and date, so that no page holds only the date."""
    if not doc.sections or not (doc.signatures or doc.date_line):
        return list(doc.sections), None, []
    last = doc.sections[-1]
    if last.table is not None or len(last.paragraphs) <= 1:  # a heading goes with its only paragraph
        return list(doc.sections[:-1]), last, []
    head = Section(heading=last.heading, paragraphs=last.paragraphs[:-1])
    return [*doc.sections[:-1], head], None, last.paragraphs[-1:]


def to_html(doc: Document) -> str:
    before, whole, tail = _closing_split(doc)
    return _templates.get_template("document.html").render(
        doc=doc, fonts=_css_families(), before=before, whole=whole, tail=tail, line=LINE_PT
    )


def to_pdf(doc: Document) -> bytes:
    """The PDF; a fetcher allowing only file: URLs keeps rendering offline whatever a template links to."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=to_html(doc), url_fetcher=URLFetcher(allowed_protocols={"file"})).write_pdf()


# --- DOCX ------------------------------------------------------------------------------------------------


def _set_fonts(element, role: str = "body") -> None:
    """Name the Latin and East-Asian fonts explicitly: python-docx's ``font.name`` sets only the Latin ones,
    and Word prefers a theme font over a named one, so the template's theme attributes are removed."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in _THEME_FONTS:
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), DOCX_FONTS[role])


def _set_language(rpr) -> None:
    """zh-CN for the East-Asian text (and the default), so Word proofs and lays it out as Chinese."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    role: str = "body",
    bold: bool = False,
    size: float | None = None,
    color: RGBColor | None = None,
) -> Run:
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size is not None:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color
    _set_fonts(run._element, role)
    return run


def _paragraph(docx, text: str, align: WD_ALIGN_PARAGRAPH | None = None, **run_format) -> Paragraph:
    paragraph = docx.add_paragraph()
    paragraph.alignment = align
    _run(paragraph, text, **run_format)
    return paragraph


def _styles(docx) -> None:
    defaults = docx.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
        _set_language(rpr_default.find(qn("w:rPr")))
    normal = docx.styles["Normal"]
    _set_fonts(normal.element)
    _set_language(normal.element.get_or_add_rPr())
    normal.font.size = Pt(16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(LINE_PT)
    normal.paragraph_format.space_after = Pt(0)
    if "Heading 1" not in [style.name for style in docx.styles]:  # a letterhead made in Word may lack it
        docx.styles.add_style("Heading 1", WD_STYLE_TYPE.PARAGRAPH).base_style = normal
    heading = docx.styles["Heading 1"]
    _set_fonts(heading.element, "heading")
    heading.font.size = Pt(16)
    heading.font.bold = False
    heading.font.color.rgb = RGBColor(0, 0, 0)
    heading.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    heading.paragraph_format.line_spacing = Pt(LINE_PT)
    heading.paragraph_format.space_before = Pt(0)
    heading.paragraph_format.space_after = Pt(0)
    heading.paragraph_format.first_line_indent = Pt(32)


def _page_number(paragraph: Paragraph, align: WD_ALIGN_PARAGRAPH) -> None:
    """ "— 1 —" with a PAGE field, 4号 (14 pt), one character in from the outer edge (GB/T 9704 §7.5)."""
    paragraph.alignment = align
    indent = Pt(14)
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = indent
    else:
        paragraph.paragraph_format.left_indent = indent
    _run(paragraph, "— ", role="title", size=14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    placeholder = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    placeholder.append(text)
    field.append(placeholder)
    paragraph._p.append(field)
    _run(paragraph, " —", role="title", size=14)


def _has_page_field(footer) -> bool:
    return bool(
        footer._element.xpath('.//w:fldSimple[contains(@w:instr, "PAGE")] | .//w:instrText[contains(., "PAGE")]')
    )


def _page(docx, *, keep_layout: bool = False) -> None:
    """A4 with GB/T 9704 margins, as the PDF; odd pages number at the right, even ones at the left. A letterhead
    keeps its own page setup and footers, and gets the page numbers only where it has none."""
    if not keep_layout:
        docx.settings.odd_and_even_pages_header_footer = True
    for section in docx.sections:
        if not keep_layout:
            section.page_width, section.page_height = Mm(210), Mm(297)
            section.top_margin, section.bottom_margin = Mm(37), Mm(35)
            section.left_margin, section.right_margin = Mm(28), Mm(26)
            section.footer_distance = Mm(28)
        footers = [(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)]
        if docx.settings.odd_and_even_pages_header_footer:
            footers.append((section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT))
        for footer, align in footers:
            if not _has_page_field(footer):
                _page_number(footer.add_paragraph() if footer.paragraphs[0].text else footer.paragraphs[0], align)


def _red_rule(paragraph: Paragraph) -> None:
    """The red separator line under the 发文字号, drawn as the paragraph's bottom border."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "8"), ("w:color", str(RED))):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _head(docx, doc: Document, *, issuer_mark: bool = True) -> None:
    """The 版头; a letterhead carries its own 发文机关标志, so the number and red rule follow it directly."""
    if doc.official and doc.issuer:
        if issuer_mark:
            _paragraph(docx, doc.issuer, WD_ALIGN_PARAGRAPH.CENTER, role="title", size=21, color=RED)
            docx.add_paragraph()
        number = _paragraph(docx, doc.number, WD_ALIGN_PARAGRAPH.CENTER)
        _red_rule(number)
        docx.add_paragraph()
        _paragraph(docx, doc.title, WD_ALIGN_PARAGRAPH.CENTER, role="title", size=22)
        docx.add_paragraph()
    else:
        _paragraph(docx, doc.title, WD_ALIGN_PARAGRAPH.CENTER, role="title", size=22)
        for line in (doc.issuer, doc.reference):
            if line:
                _paragraph(docx, line, WD_ALIGN_PARAGRAPH.CENTER, role="kai")
        docx.add_paragraph()
    if doc.official and doc.reference:
        _paragraph(docx, doc.reference, WD_ALIGN_PARAGRAPH.CENTER, role="kai")
    if doc.addressee:
        _paragraph(docx, f"{doc.addressee}：")


def _body(docx, sections: list[Section]) -> list[Paragraph]:
    written = []
    for section in sections:
        if section.heading:
            heading = docx.add_paragraph(style="Heading 1")
            _run(heading, section.heading, role="heading")
            heading.paragraph_format.keep_with_next = True
            written.append(heading)
        for text in section.paragraphs:
            paragraph = _paragraph(docx, text)
            paragraph.paragraph_format.first_line_indent = Pt(32)
            written.append(paragraph)
        if section.table:
            _table(docx, section.table)
    return written


def to_docx(doc: Document, letterhead: bytes | None = None) -> bytes:
    """The DOCX, started from a bureau's own letterhead .docx where one is given (its header, footer, page setup
    and whatever its body holds, e.g. the 发文机关标志, stay; the document follows)."""
    docx = new_docx(io.BytesIO(letterhead)) if letterhead else new_docx()
    _styles(docx)
    _page(docx, keep_layout=letterhead is not None)
    _head(docx, doc, issuer_mark=letterhead is None)
    closing = _body(docx, doc.sections)[-1:]
    if doc.annexes:
        names = [a.heading for a in doc.annexes]
        labels = [f"附件：{names[0]}"] if len(names) == 1 else [f"附件：1. {names[0]}"]
        labels += [f"　　　{n}. {name}" for n, name in enumerate(names[1:], start=2)]
        closing.append(docx.add_paragraph())
        for label in labels:
            closing.append(_paragraph(docx, label))
            closing[-1].paragraph_format.first_line_indent = Pt(32)
    if doc.signatures:
        closing.append(docx.add_paragraph())
        for label, value in doc.signatures:
            if label:
                paragraph = _paragraph(docx, f"{label}：{value or '　' * 8}")
                paragraph.paragraph_format.left_indent = Mm(70)
            else:  # the issuer's name alone: the 落款, four characters in from the right like the date
                paragraph = _paragraph(docx, value, WD_ALIGN_PARAGRAPH.RIGHT)
                paragraph.paragraph_format.right_indent = Pt(64)
            closing.append(paragraph)
    if doc.date_line:
        paragraph = _paragraph(docx, doc.date_line, WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph.paragraph_format.right_indent = Pt(64)
        closing.append(paragraph)
    # The last body text, the signatures and the date stay on one page: no page holds only the date.
    if doc.signatures or doc.date_line:
        for paragraph in closing[:-1]:
            paragraph.paragraph_format.keep_with_next = True
    for annex in doc.annexes:
        docx.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _paragraph(docx, "附件", role="heading")
        _paragraph(docx, annex.heading, WD_ALIGN_PARAGRAPH.CENTER, role="title", size=18)
        _body(docx, [Section(paragraphs=annex.paragraphs, table=annex.table)])
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()


def _table(docx, table) -> None:
    if table.caption:
        _paragraph(docx, table.caption, WD_ALIGN_PARAGRAPH.CENTER, role="heading", size=12)
    grid = docx.add_table(rows=1, cols=len(table.headers))
    if "Table Grid" in [style.name for style in docx.styles]:
        grid.style = "Table Grid"
    else:  # a letterhead without the style: the same single lines, drawn on the table itself
        borders = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            line = OxmlElement(f"w:{edge}")
            for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0"), ("w:color", "000000")):
                line.set(qn(key), value)
            borders.append(line)
        grid._tbl.tblPr.append(borders)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
        _run(cell.paragraphs[0], header, role="heading", size=12)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in table.rows:
        for cell, value in zip(grid.add_row().cells, row, strict=False):
            _run(cell.paragraphs[0], value, size=12)
    for row in grid.rows:
        for cell in row.cells:
            cell.paragraphs[0].paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE


# --- HTTP ------------------------------------------------------------------------------------------------


def content_disposition(filename: str) -> str:
    """``attachment`` with the UTF-8 name (RFC 5987/6266) and a plain-ASCII fallback for old clients."""
    stem, _, ext = filename.rpartition(".")
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-") or "document"
    return f"attachment; filename=\"{fallback}.{ext}\"; filename*=UTF-8''{quote(filename, safe='')}"


def document_response(doc: Document, fmt: str, filename_stem: str, session: Session | None = None) -> Response:
    """The download; an official document's DOCX starts from the bureau's letterhead when one is set (the
    session reads it)."""
    if fmt not in MEDIA_TYPES:
        raise InvalidInput("文档格式应为 pdf 或 docx", field="fmt")
    if fmt == "pdf":
        body = to_pdf(doc)
    else:
        body = to_docx(doc, letterhead.current_bytes(session) if doc.official and session is not None else None)
    headers = {"Content-Disposition": content_disposition(f"{filename_stem}.{fmt}")}
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
