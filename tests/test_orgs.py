"""Organisation registration (USCC with its check character) and verification by the right bureau."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ipoc.auth.roles import Role
from ipoc.auth.service import principal_for
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.orgs import service as orgs
from ipoc.orgs.schemas import OrgRegistration
from ipoc.orgs.uscc import uscc_problem
from ipoc.reference.service import find_region
from tests.conftest import make_user

VALID = "91110000600037341L"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91110000600037341L", None),
        ("91110000600037341l", None),
        ("９１１１００００６０００３７３４１Ｌ", None),
        ("9111 0000 6000 3734 1L", None),
        ("91110000600037341X", "校验位"),
        ("9111000060003734", "18 位"),
        ("91110000600O37341L", "字符"),
        ("", "请填写"),
    ],
)
def test_uscc_rules(code, problem):
    found = uscc_problem(code)
    assert (found is None) if problem is None else (problem in found)


def _registration(session, **over) -> OrgRegistration:
    data = {
        "name": "包头测试稀土有限公司",
        "type_code": "enterprise",
        "uscc": VALID,
        "region_id": find_region(session, "包头市").id,
        "contact_name": "张三",
        "contact_phone": "0472-1234567",
        "username": "bt_rare",
        "password": "Rare2026earth",
    }
    return OrgRegistration(**{**data, **over})


def test_registration_normalises_the_code(session):
    org, user = orgs.register(session, _registration(session, uscc="91110000600037341l"))
    assert org.uscc == VALID and org.state == "pending"
    assert user.role == Role.MEMBER and user.org_id == org.id and not user.must_change_password


def test_registration_refuses_a_bad_code_with_a_chinese_reason(session):
    with pytest.raises(ValidationError, match="校验位不正确"):
        _registration(session, uscc="91110000600037341X")


def test_registration_refuses_a_duplicate_code(session):
    orgs.register(session, _registration(session))
    with pytest.raises(Conflict) as exc:
        orgs.register(session, _registration(session, username="other_user"))
    assert exc.value.field == "uscc"


def test_only_the_bureau_of_the_area_verifies(session):
    org, _ = orgs.register(session, _registration(session))
    session.commit()
    chifeng = principal_for(session, make_user(session, "cf", Role.BUREAU_OFFICER, "赤峰市"))
    baotou = principal_for(session, make_user(session, "bt", Role.BUREAU_OFFICER, "包头市"))
    with pytest.raises(NotFound):
        orgs.review(session, chifeng, org.id, approve=True, note="")
    with pytest.raises(InvalidInput):
        orgs.review(session, baotou, org.id, approve=False, note=" ")
    orgs.review(session, baotou, org.id, approve=True, note="")
    assert org.state == "verified" and org.reviewed_by_id == baotou.user_id
    with pytest.raises(Conflict):
        orgs.review(session, baotou, org.id, approve=True, note="")


def test_an_unverified_organisation_cannot_apply_or_publish(session):
    org, _ = orgs.register(session, _registration(session))
    with pytest.raises(Forbidden):
        orgs.require_verified(org)
    org.state = "verified"
    assert orgs.require_verified(org) is org


def test_the_league_bureau_also_oversees_its_separately_addressed_city(session):
    org, _ = orgs.register(session, _registration(session, region_id=find_region(session, "满洲里市").id))
    session.commit()
    hulunbuir = principal_for(session, make_user(session, "hlbe", Role.BUREAU_OFFICER, "呼伦贝尔市"))
    manzhouli = principal_for(session, make_user(session, "mzl", Role.BUREAU_OFFICER, "满洲里市"))
    assert org in orgs.pending_for(session, hulunbuir)
    assert org in orgs.pending_for(session, manzhouli)
    # ... but not the other way round: 满洲里 sees nothing of 呼伦贝尔 proper.
    hlbe_region = find_region(session, "呼伦贝尔市").id
    other, _ = orgs.register(
        session, _registration(session, uscc="91150700MA00000092", username="hlbe_org", region_id=hlbe_region)
    )
    session.commit()
    assert orgs.get_org(session, hulunbuir, other.id) is other
    with pytest.raises(NotFound):
        orgs.get_org(session, manzhouli, other.id)
