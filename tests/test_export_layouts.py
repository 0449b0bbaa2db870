"""The export layouts of tests/export_layouts.py: each writer's file is one the product's reader opens, with every
column of the tool's header and the tool's own name separator."""

from __future__ import annotations

import dataclasses
import random

import pytest

from ipoc.patents.reading import open_rows
from tests.export_layouts import LAYOUTS, VALUES, Layout, make_row, rows, write_export

ROWS = 5


def _read(path) -> tuple[list[str], int]:
    with open_rows(path) as source:
        return source.headers, sum(1 for item in source if isinstance(item, tuple))


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_writer_output_reads_back_as_written(tmp_path, layout: Layout) -> None:
    path = write_export(tmp_path / f"export{layout.suffix}", layout, rows(layout, ROWS))
    headers, count = _read(path)
    assert headers == list(layout.headers)
    assert count == ROWS


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_body_reads_back_below_the_header(tmp_path, layout: Layout) -> None:
    """The same file without its title rows: every header and row arrives (what the title rows hide above)."""
    bare = dataclasses.replace(layout, title_rows=())
    headers, count = _read(write_export(tmp_path / f"bare{layout.suffix}", bare, rows(bare, ROWS)))
    assert headers == list(layout.headers)
    assert count == ROWS


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_header_has_a_value_and_is_listed_once(layout: Layout) -> None:
    assert len(set(layout.headers)) == len(layout.headers)
    assert set(layout.headers) <= set(VALUES)
    assert len(make_row(layout, 0, random.Random(0))) == len(layout.headers)


def test_layout_widths_are_the_tools() -> None:
    widths = {key: len(layout.headers) for key, layout in LAYOUTS.items()}
    assert widths == {"cnipa_csv": 21, "incopat_xlsx": 46, "patsnap_xlsx": 46, "full60_xlsx": 61}


def test_patsnap_joins_names_with_a_bar_and_the_others_with_a_semicolon() -> None:
    def applicants(key: str, header: str) -> list[str]:
        layout = LAYOUTS[key]
        column = layout.headers.index(header)
        return [str(row[column]) for row in rows(layout, ROWS)]

    patsnap = applicants("patsnap_xlsx", "[标]当前申请(专利权)人") + applicants("patsnap_xlsx", "申请(专利权)人")
    assert any(" | " in cell for cell in patsnap)
    assert not any(";" in cell for cell in patsnap)
    for key, header in (("cnipa_csv", "申请(专利权)人"), ("incopat_xlsx", "申请人"), ("full60_xlsx", "申请人")):
        cells = applicants(key, header)
        assert any(";" in cell for cell in cells) and not any("|" in cell for cell in cells)
