"""Import every domain's models so that the metadata (and Alembic) sees all tables."""

from ipoc.applications.models import Application, ApplicationEvent, Call, ConditionStatement
from ipoc.audit.models import AuditHead, AuditRecord
from ipoc.auth.models import ApiToken, LoginAttempt, User, UserSession
from ipoc.benefits.models import BenefitPolicy
from ipoc.catalogue.models import FundingProject, PlanItem, ServiceItem, WorkPlan
from ipoc.centers.models import (
    Center,
    PerformanceEvaluation,
    Rectification,
    Revocation,
    SelfEvaluation,
)
from ipoc.deals.models import Contact, Deal, DealPatent, DealStep
from ipoc.documents.models import DocumentSequence
from ipoc.events.models import TechEvent, TechEventItem, TechEventSignup
from ipoc.files.models import Attachment
from ipoc.jobs.models import Job
from ipoc.licensing.models import AdvertisingPhrase, EvaluationReport, OpenLicence, OpenLicenceDeclaration
from ipoc.matching.models import Match
from ipoc.messages.models import Notification
from ipoc.notices.models import Objection, PublicNotice
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
from ipoc.reviews.models import Panel, PanelConflict, PanelMember, Score, ScoreSheet
from ipoc.search.models import ChangeCounter, DictionaryTerm, PassageVector, SavedSearch
from ipoc.stock.models import StockBatch, StockIntake, StockPatent
from ipoc.transfer.models import Demand, Offer, OfferPatent
from ipoc.workdays.models import CalendarDay, CalendarYear

__all__ = [
    "AdvertisingPhrase",
    "ApiToken",
    "Applicant",
    "Application",
    "ApplicationEvent",
    "Attachment",
    "AuditHead",
    "AuditRecord",
    "BenefitPolicy",
    "CalendarDay",
    "CalendarYear",
    "Call",
    "Center",
    "ChangeCounter",
    "ConditionStatement",
    "Contact",
    "Deal",
    "DealPatent",
    "DealStep",
    "Demand",
    "DictionaryTerm",
    "DocumentSequence",
    "EvaluationReport",
    "FundingProject",
    "Industry",
    "IndustryDatabase",
    "IndustryDatabasePatent",
    "Job",
    "LegalEvent",
    "LoginAttempt",
    "Match",
    "Notification",
    "Objection",
    "Offer",
    "OfferPatent",
    "OpenLicence",
    "OpenLicenceDeclaration",
    "OrgType",
    "Organisation",
    "Panel",
    "PanelConflict",
    "PanelMember",
    "PassageVector",
    "Patent",
    "PatentApplicant",
    "PerformanceEvaluation",
    "PlanItem",
    "PublicNotice",
    "Rectification",
    "Region",
    "Revocation",
    "SavedSearch",
    "Score",
    "ScoreSheet",
    "SelfEvaluation",
    "ServiceItem",
    "StockBatch",
    "StockIntake",
    "StockPatent",
    "TechEvent",
    "TechEventItem",
    "TechEventSignup",
    "User",
    "UserSession",
    "WorkPlan",
]
