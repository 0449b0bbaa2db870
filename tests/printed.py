"""What every printable document's PDF must be (GB/T 9704-2012 as the tests read it): fonts embedded, pages that
rasterise, every character extractable, and the date never alone on a page. Checked with poppler-utils, which
a test marks ``needs_poppler``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ipoc.documents.model import Document

DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
PAGE_NUMBER = re.compile(r"^—\s*\d+\s*—$")

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None, reason="poppler-utils is not installed"
)


def printed_chars(doc: Document) -> set[str]:
    """Every non-space character the document prints (its own text, as the renderers lay it out)."""
    text = [doc.title, doc.issuer, doc.number, doc.reference, doc.addressee, doc.date_line]
    for section in [*doc.sections, *doc.annexes]:
        text += [section.heading, *section.paragraphs]
        if section.table:
            text += [section.table.caption, *section.table.headers, *(c for row in section.table.rows for c in row)]
    text += [f"{label}{value}" for label, value in doc.signatures]
    return {c for c in "".join(text) if not c.isspace()}


def check_pdf(pdf: bytes, doc: Document, tmp_path: Path) -> list[str]:
    """What the test of every document asks of its PDF, returning each page's text: every font embedded, every
    page rasterised to PNG, every character of the source extractable (a character the fonts lack would print as
    .notdef and be missing from the text), and no page that holds only the 落款's date (and page number)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), f"a font is not embedded:\n{fonts}"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    pages = []
    for n in range(1, len(pngs) + 1):
        out = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        )
        pages.append(out.stdout.decode("utf-8"))
    extracted = "".join(pages)
    missing = {c for c in printed_chars(doc) if c not in extracted and c not in "<>\"'&"}
    assert not missing, f"characters not printed (missing glyphs): {sorted(missing)}"
    for n, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip() and not PAGE_NUMBER.match(line.strip())]
        alone = [line for line in lines if not DATE.match(line) and line != doc.issuer]
        assert alone, f"page {n} holds only the date/落款: {lines}"
    return pages
