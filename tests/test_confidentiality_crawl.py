"""A demand's confidential detail never leaves its circle: on the full demo (demands, matches, events, deals,
stock patents), every role outside the circle walks every page, export and API answer it can reach, and the
detail appears in none of them; the circle (the handling center's staff, the region admin) does read it, so the
walk would notice a leak."""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ipoc.db import session_scope
from ipoc.transfer.models import Demand
from tests.conftest import login

SKIPPED_PREFIXES = ("/static/", "/logout", "/api/docs", "/api/openapi", "/patents/exports/", "/files/")
PER_PATTERN = 2  # pages of one shape (digits folded) visited per role: the same template twice is enough
MAX_PAGES = 400
LINK = re.compile(r'(?:href|hx-get|action|formaction)="(/[^"]*)"')  # a GET form's target too


@pytest.fixture
def secret_demand(full_demo) -> tuple[int, str]:
    """The demo demand with a confidential detail: (its id, the detail)."""
    with session_scope() as session:
        demand = session.scalars(select(Demand).where(Demand.confidential_detail != "")).first()
        return demand.id, demand.confidential_detail


def _text(response) -> str:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    if kind.startswith(("text/", "application/json")):
        return response.text
    return ""


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def _walk(client, starts: list[str]) -> dict[str, str]:
    """Every same-site page reachable by GET from the starts: {url: text}."""
    seen: dict[str, str] = {}
    per_pattern: Counter[str] = Counter()
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.popleft())[0]
        if url in seen or url.startswith(SKIPPED_PREFIXES) or per_pattern[_pattern(url)] >= PER_PATTERN:
            continue
        per_pattern[_pattern(url)] += 1
        response = client.get(url)
        seen[url] = _text(response) if response.status_code == 200 else ""
        queue.extend(LINK.findall(seen[url].replace("&amp;", "&")))
    return seen


def _starts(demand_id: int) -> list[str]:
    api = ["/api/v1/demands", f"/api/v1/demands/{demand_id}", f"/api/v1/demands/{demand_id}/matches"]
    api += ["/api/v1/events", "/api/v1/deals", "/api/v1/contacts", "/api/v1/inbox", "/api/v1/stock/batches"]
    return ["/", "/dashboard", f"/demands/{demand_id}", f"/demands/{demand_id}/matches", *api]


@pytest.mark.parametrize("username", [None, "member", "dairy", "baotou", "chifeng", "expert", "expert2"])
def test_no_one_outside_the_circle_reads_the_detail_anywhere(client, secret_demand, username):
    demand_id, secret = secret_demand
    if username:
        login(client, username)
    pages = _walk(client, _starts(demand_id))
    assert len(pages) > 20, "the walk reached the site"
    leaks = [url for url, text in pages.items() if secret in text]
    assert leaks == []


@pytest.mark.parametrize("username", ["center", "admin"])
def test_the_circle_reads_the_detail(client, secret_demand, username):
    demand_id, secret = secret_demand
    login(client, username)
    assert secret in client.get(f"/demands/{demand_id}").text
