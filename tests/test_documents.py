"""Printable documents: PDF with an embedded Chinese font and nothing fetched, DOCX with East-Asian fonts
named explicitly, and downloads that carry a Chinese file name safely."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from urllib.parse import quote

import docx
import pytest
from docx.oxml.ns import qn

from ipoc.documents.model import Document, Section, Table
from ipoc.documents.render import DOCX_EAST_ASIA_FONT, document_response, to_docx, to_html, to_pdf
from ipoc.errors import InvalidInput

TITLE = "关于拟认定内蒙古自治区稀土新材料产业知识产权运营中心的公示"
INJECTION = '<script>alert("x")</script><img src="http://evil.example/x.png">'
DOC = Document(
    title=TITLE,
    issuer="内蒙古自治区市场监督管理局（知识产权局）",
    reference="内市监知函〔2026〕1号",
    sections=[
        Section(heading="一、公示对象", paragraphs=["经专家评审，拟认定以下单位。", INJECTION]),
        Section(
            heading="二、评审结果",
            table=Table(headers=["序号", "建设单位", "平均分"], rows=[["1", "包头稀土研究院", "88.5"]], caption="名单"),
        ),
    ],
    signatures=[("评审专家（签字）", "")],
    date_line="2026年9月29日",
)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return to_pdf(DOC)


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (fonts, object streams) inflated, to search it as text."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_pdf_embeds_the_wenquanyi_font_and_links_nothing(pdf):
    assert pdf.startswith(b"%PDF")
    text = _inflated(pdf)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+WenQuanYi", text), "the CJK font is embedded as a subset"
    assert b"/FontFile" in text
    assert not re.search(rb"(https?|ftp)://", text), "no external URL: the injected <img> is text, not fetched"


def test_the_pdf_title_is_extractable_text(pdf, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed on this machine")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    assert TITLE in out.stdout.decode("utf-8").replace("\n", "")


def test_text_is_escaped_in_the_html():
    html = to_html(DOC)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="http://evil' not in html
    assert 'font-family: "WenQuanYi Zen Hei"' in html


def test_the_docx_carries_the_text_and_east_asian_fonts():
    reopened = docx.Document(io.BytesIO(to_docx(DOC)))
    paragraphs = [p.text for p in reopened.paragraphs]
    assert paragraphs[0] == TITLE and INJECTION in paragraphs
    cells = [cell.text for row in reopened.tables[0].rows for cell in row.cells]
    assert cells == ["序号", "建设单位", "平均分", "1", "包头稀土研究院", "88.5"]

    def east_asia(rpr) -> str | None:
        return rpr.rFonts.get(qn("w:eastAsia")) if rpr is not None and rpr.rFonts is not None else None

    assert east_asia(reopened.styles["Normal"].element.rPr) == DOCX_EAST_ASIA_FONT
    heading = reopened.styles["Heading 1"].element.rPr
    assert east_asia(heading) == DOCX_EAST_ASIA_FONT and heading.rFonts.get(qn("w:eastAsiaTheme")) is None
    runs = [run for p in reopened.paragraphs for run in p.runs]
    runs += [run for row in reopened.tables[0].rows for cell in row.cells for run in cell.paragraphs[0].runs]
    assert runs and all(east_asia(run._element.rPr) == DOCX_EAST_ASIA_FONT for run in runs)


@pytest.mark.parametrize(
    ("fmt", "media_type", "magic"), [("pdf", "application/pdf", b"%PDF"), ("docx", "wordprocessingml", b"PK")]
)
def test_document_response_is_a_download_with_a_utf8_name(fmt, media_type, magic):
    response = document_response(DOC, fmt, "公示-2026/1")
    assert media_type in response.headers["content-type"]
    assert response.body.startswith(magic)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(f'公示-2026/1.{fmt}', safe='')}" in disposition
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert fallback.isascii() and fallback.endswith(f".{fmt}") and "/" not in fallback


def test_an_unknown_format_is_refused():
    with pytest.raises(InvalidInput):
        document_response(DOC, "html", "x")


def test_a_signature_without_a_label_is_the_name_alone():
    """The recognition decision is signed by the issuer: no dangling "：" before its name."""
    from dataclasses import replace

    doc = replace(DOC, signatures=[("", "内蒙古自治区市场监督管理局（知识产权局）"), ("评审专家（签字）", "")])
    paragraphs = [p.text for p in docx.Document(io.BytesIO(to_docx(doc))).paragraphs]
    assert "内蒙古自治区市场监督管理局（知识产权局）" in paragraphs
    assert not [p for p in paragraphs if p.startswith("：")]
    assert "评审专家（签字）：" + "　" * 8 in paragraphs
    html = to_html(doc)
    assert "<p>内蒙古自治区市场监督管理局（知识产权局）</p>" in html and "<p>：" not in html
