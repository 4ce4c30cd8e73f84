from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import db
from lhpn.tenancy import TenantScoped

# What a value of the indicator is, and how values of many units add up (DESIGN.md §5).
KINDS = ("count", "decimal", "boolean", "rate", "text")
AGGREGATIONS = ("sum", "share", "min", "max", "none")


class Indicator(TenantScoped, db.Model):
    """A measurable thing in the tenant's catalogue: targets and report values name one."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    aggregation: Mapped[str] = mapped_column(String(16))
    unit_label: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "kind": self.kind,
                "aggregation": self.aggregation, "unit_label": self.unit_label,
                "active": self.active}
