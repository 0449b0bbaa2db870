"""The schema: migrations agree with the models, SQLite runs with WAL and foreign keys, reference data."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, select, text

import ipoc.models  # noqa: F401
from ipoc.config import Settings
from ipoc.db import Base, get_engine
from ipoc.reference.models import Industry, OrgType, Region


def test_migrations_match_models(instance):
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_migrations_are_at_head(instance):
    from ipoc.ops.migrate import current_heads

    with get_engine().connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    assert {current} == current_heads()


def test_sqlite_runs_with_wal_and_foreign_keys(instance, backend):
    if backend != "sqlite":
        return
    with get_engine().connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_twelve_leagues_and_cities_and_two_separately_addressed(session):
    regions = session.scalars(select(Region)).all()
    top = [r for r in regions if r.parent_id is None]
    assert len(top) == 12
    assert sum(r.kind == "league" for r in top) == 3 and sum(r.kind == "city" for r in top) == 9
    by_name = {r.name: r for r in regions}
    assert by_name["满洲里市"].parent.name == "呼伦贝尔市"
    assert by_name["二连浩特市"].parent.name == "锡林郭勒盟"
    assert by_name["满洲里市"].acts_as_recommender and by_name["二连浩特市"].acts_as_recommender


def test_industries_are_tagged_with_a_source(session):
    industries = session.scalars(select(Industry)).all()
    assert len(industries) >= 10
    assert {i.category for i in industries} == {"重点", "优势特色"}
    assert all(i.source and i.naming_term for i in industries)


def test_organisation_types(session):
    codes = set(session.scalars(select(OrgType.code)))
    assert codes == {
        "enterprise",
        "university",
        "research_institute",
        "industry_association",
        "industrial_park",
        "service_agency",
        "finance",
        "government",
        "individual",
    }


def test_postgres_url_gets_the_installed_driver(tmp_path):
    s = Settings(data_dir=tmp_path, database_url="postgresql://u@h:5432/db", secret_key="k")
    assert s.sqlalchemy_url == "postgresql+psycopg://u@h:5432/db"


def test_defaults_live_in_the_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path / "inst")
    assert s.sqlalchemy_url == f"sqlite:///{(tmp_path / 'inst').resolve() / 'ipoc.sqlite3'}"
    key = s.resolved_secret_key
    assert (tmp_path / "inst" / "secret.key").read_text() == key
    assert Settings(data_dir=tmp_path / "inst").resolved_secret_key == key, "the generated key is kept"
    assert (tmp_path / "inst" / "secret.key").stat().st_mode & 0o077 == 0


def _quoted(sql: str) -> set[str]:
    return set(re.findall(r"'([^']*)'", sql))


def test_the_migrations_hold_the_models_check_constraints(instance):
    """compare_metadata does not compare CHECKs: every named one of the models (the state machines' among them)
    is in the migrated database, admitting the same values."""
    wanted = {
        (table.name, str(c.name)): _quoted(str(c.sqltext))
        for table in Base.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, CheckConstraint) and c.name
    }
    assert ("applications", "ck_applications_state") in wanted
    with get_engine().connect() as conn:
        db = inspect(conn)
        found = {
            (table, c["name"]): _quoted(c["sqltext"])
            for table in {t for t, _ in wanted}
            for c in db.get_check_constraints(table)
        }
    assert {key: found.get(key) for key in wanted} == wanted


def test_the_state_migrations_go_down_and_up_again(instance):
    """0015–0017 renamed columns and added CHECKs: downgrading past them restores the old columns, and upgrading
    again gives back the schema of the models."""
    from alembic import command

    from ipoc.ops.migrate import alembic_config

    config = alembic_config()
    command.downgrade(config, "0014")
    with get_engine().connect() as conn:
        db = inspect(conn)
        assert "status" in {c["name"] for c in db.get_columns("tech_contacts")}
        assert "stage" in {c["name"] for c in db.get_columns("tech_deals")}
        assert db.get_check_constraints("tech_events") == []
    command.upgrade(config, "head")
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
