from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped
from lhpn.tenants.models import Tenant


class Unit(TenantScoped, Model):
    """A union unit in a tenant's tree.

    ``path`` is the ancestor path of ids ("/1/7/42/"), so a subtree is one indexed prefix match
    and moving a unit rewrites its subtree's paths in one statement.
    """

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_units_tenant_path", "tenant_id", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # The name the unit signs official documents with, when the name shown in lists is not it
    # (a label such as "(trước 01/7/2025)", a short form): documents use ``document_name``.
    official_name: Mapped[str | None] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[str] = mapped_column(String(16))
    closed: Mapped[bool] = mapped_column(default=False)
    # When it was closed: reports due before then were still expected of it.
    closed_at: Mapped[datetime | None]
    # When it opened (Vietnam date): it owes the reports of periods due after this day only.
    opened_on: Mapped[date]
    path: Mapped[str] = mapped_column(String(400), default="")
    depth: Mapped[int] = mapped_column(default=0)
    # Code of the administrative unit this union unit was imported from, if any.
    admin_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    parent: Mapped["Unit | None"] = relationship(remote_side=[id], lazy="select")

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def document_name(self) -> str:
        """The name an official document's header and text give the unit."""
        return self.official_name or self.name

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "official_name": self.official_name,
            "code": self.code,
            "level": self.level,
            "parent_id": self.parent_id,
            "closed": self.closed,
            "opened_on": self.opened_on.isoformat(),
        }
