"""发文字号: numbered per issuer and per year from 1, given once when a decision is issued and kept with its record
(printing again shows the same number), never shared by two concurrent decisions; the 整改通知书 and the
取消资格决定 download from the pages that show them."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import select

from ipoc.auth.roles import Role
from ipoc.centers import service as centers
from ipoc.centers.models import Rectification
from ipoc.centers.schemas import EvaluationIn
from ipoc.db import session_factory
from ipoc.documents.numbering import document_number, next_number
from ipoc.lifecycle import cycle, decisions
from tests.conftest import login, make_user
from tests.factories import recognised_center, revoke, who

BUREAU = "内蒙古自治区市场监督管理局（知识产权局）"
TODAY = date(2026, 6, 1)


def test_one_issuers_decisions_of_a_year_take_consecutive_numbers_and_a_new_year_restarts(session):
    assert [next_number(session, BUREAU, 2026) for _ in range(3)] == [1, 2, 3]
    assert next_number(session, "包头市市场监督管理局", 2026) == 1, "each issuer has its own sequence"
    assert next_number(session, BUREAU, 2027) == 1, "a new year starts again from 1"
    assert document_number(session, BUREAU, 2026) == "内市监知发〔2026〕4号"


def test_concurrent_decisions_never_share_a_number(instance):
    """Threads, each with its own connection and transaction, take numbers at once: all differ, none is lost."""
    taken: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def take() -> None:
        try:
            start.wait()
            for _ in range(5):
                with session_factory()() as s:
                    number = next_number(s, BUREAU, 2030)
                    s.commit()
                taken.append(number)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and sorted(taken) == list(range(1, 21))


def test_a_rolled_back_decision_gives_its_number_back(session):
    assert next_number(session, BUREAU, 2031) == 1
    session.rollback()
    assert next_number(session, BUREAU, 2031) == 1


def test_each_decision_keeps_the_number_it_was_issued_with(session):
    center = recognised_center(session)
    assert center.decision_number == "内市监知发〔2026〕1号"
    assert decisions.recognition_document(session, center.id).number == center.decision_number
    admin = who(session, "admin1", Role.REGION_ADMIN)
    data = EvaluationIn(year=2026, outcome="rectify", requirements="补齐人才队伍", deadline=date(2026, 9, 1))
    cycle.evaluate(session, admin, center.id, data, TODAY)
    rect = session.scalar(select(Rectification))
    assert rect.notice_number == "内市监知发〔2026〕2号" and rect.issued_on == TODAY
    printed = [decisions.rectification_notice_document(session, rect.id).number for _ in range(2)]
    assert printed == ["内市监知发〔2026〕2号"] * 2, "printing again shows the same number"
    centers.decide_rectification(session, admin, rect.id, passed=False, note="逾期未整改", today=date(2026, 9, 2))
    revocation = centers.revocation_of(session, center)
    assert revocation.decision_number == "内市监知发〔2026〕3号"
    other = recognised_center(session, term="乳业")
    assert other.decision_number == "内市监知发〔2026〕4号"
    assert revoke(session, admin, other, today=date(2027, 1, 5)).decision_number == "内市监知发〔2027〕1号"


def test_the_notice_and_the_decision_download_from_their_pages(client, session):
    center = recognised_center(session)
    admin = who(session, "admin1", Role.REGION_ADMIN)
    data = EvaluationIn(year=2026, outcome="rectify", requirements="补齐人才队伍", deadline=date(2026, 9, 1))
    cycle.evaluate(session, admin, center.id, data, TODAY)
    rect = session.scalar(select(Rectification))
    session.commit()
    make_user(session, "admin1x", Role.REGION_ADMIN)
    make_user(session, "cf", Role.BUREAU_OFFICER, "赤峰市")
    login(client, "admin1x")
    page = client.get(f"/rectifications/{rect.id}")
    assert f'href="/rectifications/{rect.id}/notice.pdf"' in page.text and rect.notice_number in page.text
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK")):
        response = client.get(f"/rectifications/{rect.id}/notice.{fmt}")
        assert response.status_code == 200 and response.content.startswith(magic), fmt
    centers.decide_rectification(session, admin, rect.id, passed=False, note="逾期未整改", today=date(2026, 9, 2))
    session.commit()
    page = client.get(f"/centers/{center.id}")
    assert f'href="/centers/{center.id}/revocation.docx"' in page.text
    assert 'data-testid="revocation-number">内市监知发〔2026〕3号' in page.text
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK")):
        response = client.get(f"/centers/{center.id}/revocation.{fmt}")
        assert response.status_code == 200 and response.content.startswith(magic), fmt
    login(client, "cf")
    assert client.get(f"/rectifications/{rect.id}/notice.pdf").status_code == 404, "an internal record"
    assert client.get(f"/centers/{recognised_center(session, term='乳业').id}/revocation.pdf").status_code == 404
