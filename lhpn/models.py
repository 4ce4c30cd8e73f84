"""Imports every model module, so metadata and migrations see all tables."""

from lhpn.accounts.models import ApiToken, RoleAssignment, User, UserSession
from lhpn.audit.models import AuditEntry
from lhpn.tenants.models import Tenant
from lhpn.units.imports_models import ImportBatch
from lhpn.units.models import Unit

__all__ = ["ApiToken", "AuditEntry", "ImportBatch", "RoleAssignment", "Tenant", "Unit", "User",
           "UserSession"]
