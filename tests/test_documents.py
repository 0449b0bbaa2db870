"""Printable documents in the 党政机关公文格式 (GB/T 9704-2012): a PDF embeds a face for each of the standard's
font roles and nothing fetched, prints every character it was given (no .notdef), has the 红头, 发文字号, 主送,
落款 and "— 1 —" page numbers, and never leaves the date alone on a page; a DOCX declares zh-CN, names the
official faces, numbers its pages with a PAGE field and may start from a bureau's letterhead; downloads carry
a Chinese file name safely."""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from dataclasses import replace
from urllib.parse import quote

import docx
import pytest
from docx.oxml.ns import qn

from ipoc.documents import render
from ipoc.documents.model import Document, Section, Table
from ipoc.documents.render import DOCX_FONTS, document_response, to_docx, to_html, to_pdf
from ipoc.errors import InvalidInput
from tests.printed import check_pdf, needs_poppler

ISSUER = "内蒙古自治区市场监督管理局（知识产权局）"
TITLE = "关于拟认定内蒙古自治区稀土新材料产业知识产权运营中心的公示"
INJECTION = '<script>alert("x")</script><img src="http://evil.example/x.png">'
DOC = Document(
    title=TITLE,
    issuer=ISSUER,
    official=True,
    number="内市监知发〔2026〕1号",
    addressee="各盟市市场监督管理局（知识产权局）",
    sections=[
        Section(heading="一、公示对象", paragraphs=["经专家评审，拟认定以下单位。", INJECTION]),
        Section(
            heading="二、评审结果",
            table=Table(headers=["序号", "建设单位", "平均分"], rows=[["1", "包头稀土研究院", "88.5"]], caption="名单"),
        ),
        Section(paragraphs=["公示期间如有异议，请以书面形式向自治区局反映。"]),
    ],
    signatures=[("", ISSUER)],
    date_line="2026年9月29日",
    annexes=[Section(heading="拟认定名单", table=Table(headers=["序号", "名称"], rows=[["1", "稀土新材料"]]))],
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


def test_the_pdf_embeds_a_face_for_each_role_and_links_nothing(pdf):
    assert pdf.startswith(b"%PDF")
    text = _inflated(pdf)
    for face in set(render.pdf_fonts().values()):
        assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+" + face.replace(" ", "-").encode(), text), face
    assert b"/FontFile" in text
    # (Font files carry their licence's URL in their name table: links and fetched images are what is refused.)
    assert b"/URI" not in text and b"evil.example" not in text, "the injected <img> is text, not fetched"


@needs_poppler
def test_the_pdf_prints_every_character_and_its_page_numbers(pdf, tmp_path):
    pages = check_pdf(pdf, DOC, tmp_path)
    joined = "\n".join(pages)
    assert TITLE in joined.replace("\n", "") and "内市监知发〔2026〕1号" in joined
    for n, page in enumerate(pages, start=1):
        assert f"—{n}—" in page.replace(" ", ""), f"page {n} is numbered “— {n} —”"
    assert pages[-1].lstrip().startswith("附件"), "the annex starts its own page"


@needs_poppler
def test_no_page_holds_only_the_date(tmp_path):
    """Body text filling the first page to its last line: the last paragraph moves with the 落款 and date."""
    for n in range(14, 22):
        doc = replace(DOC, sections=[Section(paragraphs=["自治区局组织专家开展绩效评估。" * 2] * n)], annexes=[])
        check_pdf(to_pdf(doc), doc, tmp_path / str(n))
    # A last section of a heading and one paragraph goes with the 落款 whole: the heading is not left behind.
    for n in range(12, 18):
        body = Section(paragraphs=["自治区局组织专家开展绩效评估。" * 2] * n)
        doc = replace(DOC, sections=[body, Section(heading="三、工作要求", paragraphs=["按期报送。"])], annexes=[])
        pages = check_pdf(to_pdf(doc), doc, tmp_path / f"h{n}")
        assert next(p for p in pages if "三、工作要求" in p) is next(p for p in pages if "按期报送" in p)


def test_the_official_head_and_the_closing_are_laid_out():
    html = to_html(DOC)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="http://evil' not in html
    assert '<p class="issuer-mark">' + ISSUER in html and '<hr class="red-rule">' in html
    assert '<p class="number">内市监知发〔2026〕1号</p>' in html
    assert '<p class="addressee">各盟市市场监督管理局（知识产权局）：</p>' in html
    closing = html[html.index('<div class="closing">') :]
    assert closing.index("公示期间如有异议") < closing.index("issuer-sign") < closing.index("2026年9月29日")
    assert "附件：拟认定名单" in closing
    assert 'content: "— " counter(page) " —"' in html
    for role, face in render.pdf_fonts().items():
        assert f'"{face}", "{render.FALLBACK_FONT}"' in html, role


def test_a_missing_face_falls_back_with_a_log_line(monkeypatch, caplog):
    monkeypatch.setattr(render, "installed_families", lambda: frozenset({"WenQuanYi Zen Hei"}))
    render.pdf_fonts.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="ipoc.documents.render"):
            fonts = render.pdf_fonts()
        assert fonts["title"] == fonts["body"] == "WenQuanYi Zen Hei"
        assert any("小标宋" in r.getMessage() and "WenQuanYi Zen Hei" in r.getMessage() for r in caplog.records)
    finally:
        render.pdf_fonts.cache_clear()


def _east_asia(rpr) -> str | None:
    return rpr.rFonts.get(qn("w:eastAsia")) if rpr is not None and rpr.rFonts is not None else None


def test_the_docx_names_the_official_faces_declares_zh_cn_and_numbers_its_pages():
    data = to_docx(DOC)
    reopened = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in reopened.paragraphs]
    assert paragraphs[0] == ISSUER and "内市监知发〔2026〕1号" in paragraphs and TITLE in paragraphs
    assert "各盟市市场监督管理局（知识产权局）：" in paragraphs and INJECTION in paragraphs
    cells = [cell.text for row in reopened.tables[0].rows for cell in row.cells]
    assert cells == ["序号", "建设单位", "平均分", "1", "包头稀土研究院", "88.5"]
    assert _east_asia(reopened.styles["Normal"].element.rPr) == "仿宋_GB2312"
    heading = reopened.styles["Heading 1"].element.rPr
    assert _east_asia(heading) == "黑体" and heading.rFonts.get(qn("w:eastAsiaTheme")) is None
    by_text = {p.text: p for p in reopened.paragraphs}
    assert _east_asia(by_text[TITLE].runs[0]._element.rPr) == "方正小标宋简体"
    assert reopened.paragraphs[0].runs[0].font.color.rgb == render.RED
    runs = [run for p in reopened.paragraphs for run in p.runs if run.text]
    assert runs and all(_east_asia(run._element.rPr) in DOCX_FONTS.values() for run in runs)
    styles = zipfile.ZipFile(io.BytesIO(data)).read("word/styles.xml").decode()
    assert 'w:eastAsia="zh-CN"' in styles and "en-US" not in styles
    footers = [s.footer for s in reopened.sections] + [s.even_page_footer for s in reopened.sections]
    for footer in footers:
        assert footer._element.xpath('.//w:fldSimple[contains(@w:instr, "PAGE")]'), "a PAGE field"
        assert footer.paragraphs[0].text.startswith("— ") and footer.paragraphs[0].text.endswith(" —")
    # The last body paragraph keeps with the 落款, which keeps with the date.
    last = paragraphs.index("公示期间如有异议，请以书面形式向自治区局反映。")
    kept = reopened.paragraphs[last : paragraphs.index("2026年9月29日")]
    assert len(kept) > 3 and all(p.paragraph_format.keep_with_next for p in kept)


def test_the_docx_can_start_from_a_bureaus_letterhead():
    """Its header stays; styles a Word-made letterhead may lack (Heading 1, Table Grid) are supplied."""
    letterhead = docx.Document()
    letterhead.sections[0].header.paragraphs[0].text = "自治区局信笺"
    for name in ("Heading 1", "Table Grid"):
        style = letterhead.styles[name].element
        style.getparent().remove(style)
    buffer = io.BytesIO()
    letterhead.save(buffer)
    reopened = docx.Document(io.BytesIO(to_docx(DOC, letterhead=buffer.getvalue())))
    assert reopened.sections[0].header.paragraphs[0].text == "自治区局信笺"
    assert TITLE in [p.text for p in reopened.paragraphs] and "一、公示对象" in [p.text for p in reopened.paragraphs]
    assert reopened.tables[0]._tbl.xpath("./w:tblPr/w:tblBorders/w:insideH")
    assert reopened.sections[0].footer._element.xpath('.//w:fldSimple[contains(@w:instr, "PAGE")]')


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
    doc = replace(DOC, signatures=[("", ISSUER), ("评审专家（签字）", "")])
    paragraphs = [p.text for p in docx.Document(io.BytesIO(to_docx(doc))).paragraphs]
    assert ISSUER in paragraphs
    assert not [p for p in paragraphs if p.startswith("：")]
    assert "评审专家（签字）：" + "　" * 8 in paragraphs
    html = to_html(doc)
    assert f'<p class="issuer-sign">{ISSUER}</p>' in html and "<p>：" not in html


def test_the_region_bureau_sets_the_letterhead_official_docx_start_from(client, session):
    from ipoc.auth.roles import Role
    from ipoc.documents import letterhead
    from tests.conftest import csrf_of, login, make_user
    from tests.factories import recognised_center

    center = recognised_center(session)
    make_user(session, "admin1", Role.REGION_ADMIN)
    make_user(session, "bt", Role.BUREAU_OFFICER, "包头市")
    session.commit()
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "自治区局公文版头"
    buffer = io.BytesIO()
    template.save(buffer)
    login(client, "bt")
    assert client.get("/letterhead").status_code in (403, 404)
    login(client, "admin1")
    page = client.get("/letterhead")
    assert page.status_code == 200 and "未上传" in page.text and 'href="/letterhead"' in page.text  # in the menu

    def post(name: str, content: bytes):
        files = {"file": (name, content, "application/octet-stream")}
        return client.post("/letterhead", data={"csrf_token": csrf_of(client)}, files=files)

    refused = post("版头.pdf", b"%PDF-1.4 x")
    assert refused.status_code == 422 and "docx" in refused.text
    assert post("自治区局版头.docx", buffer.getvalue()).status_code == 303
    assert "自治区局版头.docx" in client.get("/letterhead").text
    reopened = docx.Document(io.BytesIO(client.get(f"/centers/{center.id}/decision.docx").content))
    assert reopened.sections[0].header.paragraphs[0].text == "自治区局公文版头"
    texts = [p.text for p in reopened.paragraphs]
    assert texts.count(ISSUER) == 1, "the letterhead carries the issuer mark: only the 落款 names the issuer"
    assert reopened.sections[0].footer._element.xpath('.//w:fldSimple[contains(@w:instr, "PAGE")]')
    remove = client.post("/letterhead/remove", data={"csrf_token": csrf_of(client)})
    assert remove.status_code == 303
    session.expire_all()
    assert letterhead.current(session) is None
    reopened = docx.Document(io.BytesIO(client.get(f"/centers/{center.id}/decision.docx").content))
    assert reopened.sections[0].header.paragraphs[0].text == ""
