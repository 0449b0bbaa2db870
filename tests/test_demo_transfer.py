"""`ipoc demo load` fills the technology-transfer side through the services: published demands of the demo
enterprise handled by the demo center (one with a confidential detail) and the demo university's offers of its own
patents; a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.transfer.models import Demand, Offer


def test_demo_load_records_demands_and_offers_once(instance):
    first = CliRunner().invoke(cli, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "demo technology transfer" in first.output
    with session_scope() as session:
        demands = session.scalars(select(Demand).order_by(Demand.id)).all()
        offers = session.scalars(select(Offer).where(Offer.state == "published").order_by(Offer.id)).all()
        assert [d.state for d in demands] == ["published", "published"]
        assert all(d.center_id is not None for d in demands)
        assert demands[0].confidential_detail and not demands[1].confidential_detail
        assert [o.org.name for o in offers] == ["内蒙古示例大学", "内蒙古示例大学"]
        assert [[p.application_no for p in o.patents] for o in offers] == [["202111321720.4"], ["202111416300.4"]]

    second = CliRunner().invoke(cli, ["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "demo technology transfer" not in second.output
    with session_scope() as session:
        assert session.scalar(select(func.count(Demand.id))) == 2
        assert session.scalar(select(func.count(Offer.id)).where(Offer.state == "published")) == 2
