"""Import every domain's models so that the metadata (and Alembic) sees all tables."""

from ipoc.audit.models import AuditHead, AuditRecord
from ipoc.auth.models import ApiToken, LoginAttempt, User
from ipoc.centers.models import Center
from ipoc.jobs.models import Job
from ipoc.orgs.models import Organisation
from ipoc.patents.models import (
    Applicant,
    IndustryDatabase,
    IndustryDatabasePatent,
    LegalEvent,
    Patent,
    PatentApplicant,
)
from ipoc.reference.models import Industry, OrgType, Region
from ipoc.search.models import ChangeCounter, DictionaryTerm, PassageVector, SavedSearch

__all__ = [
    "ApiToken",
    "Applicant",
    "AuditHead",
    "AuditRecord",
    "Center",
    "ChangeCounter",
    "DictionaryTerm",
    "Industry",
    "IndustryDatabase",
    "IndustryDatabasePatent",
    "Job",
    "LegalEvent",
    "LoginAttempt",
    "OrgType",
    "Organisation",
    "PassageVector",
    "Patent",
    "PatentApplicant",
    "Region",
    "SavedSearch",
    "User",
]
