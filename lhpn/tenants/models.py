from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import String, func, true
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model

Level = Literal["province", "district", "commune", "branch", "group"]
LEVELS: tuple[Level, ...] = get_args(Level)


class Tenant(Model):
    """A province-level union."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Ordered level names, e.g. "province,commune,branch".
    levels_csv: Mapped[str] = mapped_column(String(100))
    # Commune staff may enter reports for branches (whose leaders rarely have accounts).
    allow_on_behalf: Mapped[bool] = mapped_column(default=True, server_default=true())
    # How long a closed incident keeps its victims' identities before the purge
    # (lhpn/privacy/retention.py); the README says why five years.
    incident_retention_months: Mapped[int] = mapped_column(default=60, server_default="60")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Goes up with every change a consolidation shows (approvals, reopenings, units, plans,
    # forms, indicators): cached consolidation pages are keyed by it, so none is ever stale.
    figures_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Goes up with the rest a page around the figures shows (report statuses, role assignments,
    # users, notifications): whole dashboard and consolidation pages are keyed by both.
    activity_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def levels(self) -> list[str]:
        return self.levels_csv.split(",")

    def level_rank(self, level: str) -> int:
        return self.levels.index(level)
