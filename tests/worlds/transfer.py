"""The technology-transfer world: the owner of a demand, the center handling it, another center elsewhere, one
patent a university may offer, and an account for every role around them."""

from __future__ import annotations

from ipoc.audit import service as audit
from ipoc.audit.rows import IMPORT_BATCH, batch_meta
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.orgs.models import Organisation
from ipoc.patents.models import Applicant, Patent, PatentApplicant
from tests.factories import holds_name, make_center, make_org, number, principals


def transfer_world(session) -> tuple[Organisation, Center, dict[str, Principal]]:
    """The owner of a demand, the center handling it, another center elsewhere, one patent, and an account for
    every role around them: (owner, center, principals)."""
    owner = make_org(session, "包头稀土永磁有限公司")
    make_org(session, "鄂尔多斯装备制造有限公司")
    univ = make_org(session, "内蒙古科技大学", type_code="university")
    holds_name(session, univ)  # the patent's applicant and current patentee, so the university may offer it
    make_org(session, "未核验科技有限公司", status="pending")
    center = make_center(session, "稀土产业知识产权运营中心", builder=owner)
    make_center(session, "乳业知识产权运营中心", builder=make_org(session, "赤峰乳业集团", city="赤峰市"))
    hashes = {"content_hash": "x", "passage_hash": "x", "rev": 1}
    patent = Patent(application_no=number(1), kind="invention", title="一种稀土永磁体", **hashes)
    patent.applicant_links = [PatentApplicant(position=0, applicant=Applicant(name=univ.name))]
    session.add(patent)
    session.flush()
    # Patents are only ever written by the import, which records each batch: so does this stand-in.
    audit.log(session, IMPORT_BATCH, "Job", 0, meta=batch_meta([patent.id], []))
    session.commit()
    scopes = {
        "owner": (Role.MEMBER, "包头稀土永磁有限公司"),
        "other": (Role.MEMBER, "鄂尔多斯装备制造有限公司"),
        "univ": (Role.MEMBER, "内蒙古科技大学"),
        "pending": (Role.MEMBER, "未核验科技有限公司"),
        "staff": (Role.CENTER_STAFF, "稀土产业知识产权运营中心"),
        "other_staff": (Role.CENTER_STAFF, "乳业知识产权运营中心"),
        "bureau": (Role.BUREAU_OFFICER, "包头市"),
        "far_bureau": (Role.BUREAU_OFFICER, "赤峰市"),
        "expert": (Role.EXPERT, None),
        "admin": (Role.REGION_ADMIN, None),
    }
    return owner, center, principals(session, scopes)
