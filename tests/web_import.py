"""A patent import through the web page, as the browser makes it: the upload, then its job's progress fragment
polled until the job has ended, and the counts the finished page shows."""

from __future__ import annotations

import re
import time

from tests.conftest import csrf_of

JOB_TIMEOUT_S = 30


def wait_for_job(client, job_url: str) -> str:
    """Poll the job's progress fragment (as the page's htmx does) until the job has ended."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        fragment = client.get(f"{job_url}/progress")
        assert fragment.status_code == 200, fragment.text
        if re.search(r'data-status="(done|failed|interrupted)"', fragment.text):
            assert "hx-trigger" not in fragment.text, "polling stops once the job has ended"
            return fragment.text
        assert 'hx-trigger="every 1s"' in fragment.text, "an unfinished job keeps polling"
        time.sleep(0.1)
    raise AssertionError(f"{job_url} did not finish within {JOB_TIMEOUT_S} s")


def upload(client, name: str, content: bytes):
    return client.post(
        "/patents/import", data={"csrf_token": csrf_of(client)}, files={"file": (name, content, "text/csv")}
    )


def count_of(page: str, key: str) -> int:
    match = re.search(rf'data-count="{key}">(\d+)<', page)
    assert match, f"no {key} count on the page"
    return int(match.group(1))
