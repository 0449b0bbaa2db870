"""Import every domain's models so that the metadata (and Alembic) sees all tables."""

from ipoc.audit.models import AuditHead, AuditRecord
from ipoc.auth.models import ApiToken, LoginAttempt, User
from ipoc.centers.models import Center
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, OrgType, Region

__all__ = [
    "ApiToken",
    "AuditHead",
    "AuditRecord",
    "Center",
    "Industry",
    "LoginAttempt",
    "OrgType",
    "Organisation",
    "Region",
    "User",
]
