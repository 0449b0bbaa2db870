"""No input makes the app answer 500: every route gets hostile paths, queries and bodies."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.conftest import csrf_of, login

HOSTILE_IDS = ["0", "-1", "99999999999999999999", "abc", "1.5", "%00", "%E4%B8%AD"]
HOSTILE_QUERIES = [
    "?page=-5",
    "?page=99999999999999999999",
    "?region_id=abc",
    "?region_id=99999999999",
    "?status=%00",
    "?entity_type=%00&entity_id=%00",
    "?next=//evil.example",
    "?edit=99999999999",
]
HOSTILE_BODIES = [
    {"content": b"{not json", "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "\\u0000", "uscc": 1}', "headers": {"content-type": "application/json"}},
    {"content": b"[]", "headers": {"content-type": "application/json"}},
    {"content": ("x" * 300_000).encode(), "headers": {"content-type": "application/x-www-form-urlencoded"}},
    {
        "content": b"name=%00&username=%00&password=%00&uscc=%00",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    },
    {"content": b"\xff\xfe\x00garbage", "headers": {"content-type": "multipart/form-data; boundary=x"}},
]


def _paths() -> list[tuple[str, str]]:
    """Every route of the app's routers, with the prefix each is mounted under."""
    from ipoc.shell.app import _api_routers, _web_routers

    mounted = [("", r) for r in _web_routers()] + [("/api/v1", r) for r in _api_routers()]
    routes = []
    for prefix, router in mounted:
        for route in router.routes:
            if not isinstance(route, APIRoute) or route.path == "/logout":
                continue  # /logout ends the session the other requests run in
            routes.extend((method, prefix + route.path) for method in route.methods - {"HEAD"})
    assert len(routes) > 30
    return routes


def _fill(path: str, value: str) -> str:
    import re

    return re.sub(r"{[^}]+}", value, path)


def _requests(method: str, path: str) -> list[tuple[str, dict | None]]:
    """Each hostile id and each hostile query on its own, and each hostile body on a plausible path: every
    input reaches every route without multiplying them all together (which took minutes, not seconds)."""
    ids = sorted({_fill(path, v) for v in HOSTILE_IDS})
    if method == "GET":
        return [(t, None) for t in ids] + [(_fill(path, "1") + q, None) for q in HOSTILE_QUERIES]
    return [(t, HOSTILE_BODIES[-2]) for t in ids] + [(_fill(path, "1"), body) for body in HOSTILE_BODIES]


@pytest.mark.parametrize("who", [None, "admin"])
def test_no_input_makes_the_app_answer_500(client, demo, who):
    if who:
        login(client, who)
    token = csrf_of(client)
    failures, checked = [], 0
    for method, path in _paths():
        for target, body in _requests(method, path):
            if body is None:
                response = client.get(target)
                if response.status_code >= 500:
                    failures.append((method, target, response.status_code))
                continue
            headers = {**body["headers"], "x-csrf-token": token}
            response = client.request(method, target, content=body["content"], headers=headers)
            checked += response.status_code != 403
            if response.status_code >= 500:
                failures.append((method, target, body["content"][:30], response.status_code))
    assert failures == []
    assert checked > 100, "the hostile requests got past the CSRF check to the handlers"
