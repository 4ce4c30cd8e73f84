from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped

# What a value of the indicator is, and how values of many units add up (DESIGN.md §5).
Kind = Literal["count", "decimal", "boolean", "rate", "text"]
Aggregation = Literal["sum", "share", "min", "max", "none"]
KINDS: tuple[Kind, ...] = get_args(Kind)
AGGREGATIONS: tuple[Aggregation, ...] = get_args(Aggregation)


class Indicator(TenantScoped, Model):
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
    # A code of lhpn/indicators/bindings.py BINDINGS: report values prefilled from records.
    binding: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "kind": self.kind,
                "aggregation": self.aggregation, "unit_label": self.unit_label,
                "active": self.active, "binding": self.binding}
