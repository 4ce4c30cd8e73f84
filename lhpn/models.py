"""Imports every model module, so metadata and migrations see all tables."""

from lhpn.accounts.models import ApiToken, RoleAssignment, User, UserSession
from lhpn.audit.models import AuditEntry
from lhpn.consolidation.models import Rollup, RollupCount
from lhpn.critiques.models import Critique
from lhpn.dialogues.models import Dialogue
from lhpn.files.models import RecordFile
from lhpn.followups.models import FollowUp
from lhpn.incidents.models import (
    Consent,
    Incident,
    IncidentKind,
    Intervention,
    Referral,
    Victim,
)
from lhpn.indicators.models import Indicator
from lhpn.notifications.models import Notification
from lhpn.petitions.models import Petition, PetitionDeadline
from lhpn.plans.models import Plan, PlanActivity, PlanRequest, PlanTarget
from lhpn.privacy.models import Breach, DataRequest, SensitiveRead
from lhpn.reports.models import (
    Attachment,
    Report,
    ReportReminder,
    ReportTemplate,
    ReportValue,
    TemplateItem,
    TemplatePeriod,
)
from lhpn.supervisions.models import Supervision, SupervisionDocument
from lhpn.tenants.models import Tenant
from lhpn.units.imports_models import ImportBatch
from lhpn.units.models import Unit
from lhpn.unsaved.models import UnsavedInput
from lhpn.workflow.models import WorkflowEvent

__all__ = [
    "ApiToken", "Attachment", "AuditEntry", "Breach", "Consent", "Critique", "DataRequest",
    "Dialogue", "FollowUp",
    "ImportBatch", "Incident", "IncidentKind", "Indicator", "Intervention", "Notification",
    "Petition", "PetitionDeadline", "Plan", "PlanActivity",
    "PlanRequest", "PlanTarget", "RecordFile", "Report", "ReportReminder", "ReportTemplate",
    "ReportValue",
    "Referral", "RoleAssignment", "Rollup", "RollupCount", "SensitiveRead", "Supervision",
    "SupervisionDocument", "TemplateItem",
    "TemplatePeriod",
    "Tenant", "Unit", "UnsavedInput", "User", "UserSession", "Victim", "WorkflowEvent",
]
