"""The documents a newcomer or an auditor reads stay true: every article has a row, every cited test exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ["1", "2", "3", *[f"4({n})" for n in range(1, 10)], *[str(n) for n in range(5, 21)]]


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]


def _rows(path: Path) -> list[list[str]]:
    return _table_rows(path.read_text())


def _article_rows() -> list[list[str]]:
    """The article table: what precedes the second section (the platform every article relies on)."""
    return _table_rows((ROOT / "docs" / "traceability.md").read_text().split("\n## ", 1)[0])


def test_traceability_has_one_row_per_article_in_order():
    keys = [row[0] for row in _article_rows()]
    assert keys == ARTICLES


def test_every_test_cited_in_the_traceability_table_exists():
    cited = re.findall(r"`(test_\w+\.py)(?:::(\w+))?", (ROOT / "docs" / "traceability.md").read_text())
    assert cited
    for filename, name in cited:
        source = ROOT / "tests" / filename
        assert source.exists(), filename
        if name:
            assert re.search(rf"def {name}\b", source.read_text()), f"{filename}::{name}"


def test_every_code_reference_in_the_traceability_table_exists():
    for module, names in re.findall(r"`([\w/]+\.py): ([\w, .]+)`", (ROOT / "docs" / "traceability.md").read_text()):
        source = (ROOT / "src" / "ipoc" / module).read_text()
        for name in (n.strip().split(".")[-1] for n in names.split(",")):
            assert re.search(rf"\b(def|class) {name}\b|^\s*{name}\b\s*[:=]", source, re.M), f"{module}: {name}"


def test_permissions_table_covers_every_role():
    text = (ROOT / "docs" / "permissions.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| kind of record"))
    for role in ["anonymous", "member", "center_staff", "expert", "bureau_officer", "region_admin"]:
        assert role in header


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text()[:1500]
    assert "make demo" in head and "make test" in head


def test_the_workflow_document_lists_every_state_and_transition():
    from ipoc.applications import flows

    rows = _rows(ROOT / "docs" / "recognition-workflow.md")
    keys = {row[0].strip("`") for row in rows}
    assert set(flows.STATE_LABELS) <= keys
    assert {t.action for t in flows.TRANSITIONS} <= keys
    for t in flows.TRANSITIONS:
        row = next(r for r in rows if r[0] == f"`{t.action}`")
        assert row[1] == t.label and all(f"`{s}`" in row[2] for s in t.sources), t.action


def test_every_state_machine_has_its_generated_page_up_to_date():
    """docs/workflows/ holds exactly the pages `ipoc docs workflows` writes, as it writes them."""
    from ipoc.ops.workflow_docs import pages

    folder = ROOT / "docs" / "workflows"
    committed = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}
    assert committed == pages(), "run `ipoc docs workflows` and commit docs/workflows/"
