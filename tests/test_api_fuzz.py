"""Hostile input, in CI (issue 11, point 5): schemathesis over every API operation, anonymous and with the tokens
of a member, a city bureau officer and the region admin, on SQLite with the whole demo loaded. Not one 5xx and
not one answer outside the OpenAPI document (status, content type, body) is allowed. The full run (≥ 10,000
calls) is benchmarks/api_fuzz.py."""

from __future__ import annotations

import pytest

from tests.api_fuzzing import Principals, demo_instance, fuzz

MIN_CALLS = 2_000


@pytest.fixture
def demo(sqlite_template, tmp_path):
    from ipoc.db import dispose_engine
    from ipoc.search import index_sync

    settings = demo_instance(tmp_path / "var", sqlite_template)
    yield settings
    index_sync.forget_handles()
    dispose_engine(settings.sqlalchemy_url)


def test_every_operation_holds_under_generated_input(demo):
    tally = fuzz(demo, Principals(), examples=2)
    print(tally.summary())
    assert tally.operations >= 150, "the OpenAPI document lost its operations"
    assert tally.calls >= MIN_CALLS, tally.summary()
    assert tally.server_errors == 0 and not tally.violations, tally.summary() + "\n" + "\n".join(tally.violations)
