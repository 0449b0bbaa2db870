"""``ipoc audit verify`` checks every audited row against its trail: rows edited, inserted or deleted behind
the application's back are reported with table, id and fields; the application's own writes never are."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from typer.testing import CliRunner

from ipoc.audit.rows import RowFinding, uncovered_patents, verify_rows
from ipoc.auth.models import User
from ipoc.cli import app as cli_app
from ipoc.db import get_engine
from ipoc.deals.models import Deal
from ipoc.patents.models import Patent
from ipoc.reference.models import Industry
from ipoc.reference.schemas import IndustryIn
from ipoc.reference.service import save_industry


def _verify(instance):
    env = {
        "IPOC_DATA_DIR": str(instance.data_dir),
        "IPOC_DATABASE_URL": instance.database_url,
        "IPOC_SECRET_KEY": instance.secret_key,
    }
    return CliRunner().invoke(cli_app, ["audit", "verify"], env=env)


def _sql(statement: str, **params) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(statement), params)


def test_the_untouched_demo_verifies_clean(instance, demo):
    assert verify_rows(demo) == []
    result = _verify(instance)
    assert result.exit_code == 0, result.output
    assert "audited rows match the audit trail" in result.stdout


def test_application_edits_of_the_demo_verify_clean(instance, demo):
    """Create, update and delete through the application: replayed, they match the rows."""
    data = IndustryIn(name="氢能", naming_term="氢能", category="重点", source="自治区规划文件")
    industry = save_industry(demo, data)
    save_industry(demo, data.model_copy(update={"category": "优势特色"}), industry.id)
    demo.commit()
    admin = demo.scalar(select(User).where(User.username == "admin"))
    admin.display_name = "管理员（改）"
    demo.commit()
    assert verify_rows(demo) == []


@pytest.fixture
def deal_world(full_demo, session):
    return session


def test_direct_sql_edits_inserts_and_deletes_are_reported(instance, deal_world):
    session = deal_world
    assert verify_rows(session) == [] and uncovered_patents(session) == []
    deal_id = session.scalar(select(Deal.id).order_by(Deal.id))
    user_id = session.scalar(select(User.id).where(User.username != "admin").order_by(User.id))
    industry = save_industry(
        session, IndustryIn(name="临时", naming_term="临时", category="重点", source="测试来源文件")
    )
    session.commit()
    industry_id = industry.id

    _sql("UPDATE tech_deals SET amount_yuan = COALESCE(amount_yuan, 0) + 1000000 WHERE id = :id", id=deal_id)
    _sql("UPDATE users SET role = 'region_admin' WHERE id = :id", id=user_id)
    with get_engine().begin() as conn:
        forged = conn.execute(
            insert(Industry).values(name="伪造", naming_term="伪造", category="重点", source="x").returning(Industry.id)
        ).scalar_one()
    _sql("DELETE FROM industries WHERE id = :id", id=industry_id)

    session.expire_all()
    findings = set(verify_rows(session))
    assert findings == {
        RowFinding("tech_deals", str(deal_id), "edited", ("amount_yuan",)),
        RowFinding("users", str(user_id), "edited", ("role",)),
        RowFinding("industries", str(forged), "inserted"),
        RowFinding("industries", str(industry_id), "deleted"),
    }
    result = _verify(instance)
    assert result.exit_code == 1
    assert f"edited tech_deals {deal_id}: amount_yuan" in result.stdout
    assert f"edited users {user_id}: role" in result.stdout
    assert f"inserted industries {forged}" in result.stdout
    assert f"deleted industries {industry_id}" in result.stdout
    assert "audit chain intact" in result.stdout  # the trail itself is intact: only the rows moved


def test_a_patent_written_outside_the_import_is_reported(instance, deal_world):
    session = deal_world
    row = session.execute(select(Patent.__table__).order_by(Patent.id).limit(1)).mappings().one()
    values = {k: v for k, v in row.items() if k != "id"} | {"application_no": "CN999999999999.9"}
    with get_engine().begin() as conn:
        pid = conn.execute(insert(Patent.__table__).values(values).returning(Patent.id)).scalar_one()
    assert uncovered_patents(session) == [pid]
    result = _verify(instance)
    assert result.exit_code == 1 and f"inserted patents {pid}" in result.stdout


def test_the_applications_own_unrecorded_writes_are_not_reported(instance, demo):
    """Writes made without a record on purpose (a token's last use, a user's last login) are not tampering."""
    from ipoc.auth import service as accounts

    admin = demo.scalar(select(User).where(User.username == "admin"))
    _token, plaintext = accounts.create_token(demo, admin, "脚本")
    demo.commit()
    assert accounts.user_for_token(demo, plaintext) is not None
    demo.commit()
    user, _ = accounts.authenticate(demo, "admin", "testPassw0rd")
    assert user is not None
    demo.commit()
    assert verify_rows(demo) == []


def test_patents_of_an_import_from_before_batch_records_are_not_reported(instance, session):
    """An instance upgraded from before batch records: its finished imports' patents count as covered."""
    from ipoc.audit import service as audit
    from ipoc.patents import service as patents

    job = patents.start_import(session, owner_id=None, filename="old.csv").id
    session.commit()
    row = {"application_no": "CN202110000001.0", "kind": "invention", "title": "一种旧导入的专利"}
    hashes = {"content_hash": "x", "passage_hash": "x", "rev": 1, "last_job_id": job}
    with get_engine().begin() as conn:
        pid = conn.execute(insert(Patent.__table__).values(row | hashes).returning(Patent.id)).scalar_one()
    assert uncovered_patents(session) == [pid]
    audit.log(session, "import", "Job", job, meta={"file": "old.csv"})
    session.commit()
    assert uncovered_patents(session) == []
