"""For tests that look at search before any vector exists. Every import queues the embedding of its passages
(issue 13, point 6), so a web process started after the import embeds them by itself, racing the test's first
look; replacing the queue's ``embed`` handler leaves that job done with nothing embedded (``ipoc embed run``, which
does not go through the queue, still embeds)."""

from __future__ import annotations

import pytest

from ipoc.jobs import queue


def leave_embedding_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(queue._registered, "embed", lambda _job, _progress: {"embedded": 0})
