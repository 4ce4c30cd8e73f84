from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped

if TYPE_CHECKING:
    from lhpn.units.models import Unit

# The statuses of a plan or report, one list for the pages, the API and its schemas.
Status = Literal["draft", "submitted", "approved", "returned"]
STATUSES: tuple[Status, ...] = get_args(Status)


class WorkflowEvent(TenantScoped, Model):
    """One transition of a plan or report: who, when, from, to, and the comment."""

    __tablename__ = "workflow_events"
    __table_args__ = (Index("ix_workflow_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    actor: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict:
        return {"action": self.action, "from": self.from_status, "to": self.to_status,
                "actor": self.actor.username if self.actor else None, "comment": self.comment,
                "at": self.created_at.isoformat() + "Z"}


class SignedOff:
    """The columns of a record that a unit writes, sends up and the level above signs off
    (a plan, a report, and the record kinds after them): its state in the workflow, the
    optimistic-locking version, who created, submitted and approved it and when.

    The mapped class also needs ``unit_id``/``unit`` (the unit it belongs to) and a tenant
    (:class:`lhpn.tenancy.TenantScoped`); :class:`lhpn.workflow.signoff.SignOff` moves it.
    A stale write (someone changed the record meanwhile) raises instead of overwriting: the
    version is SQLAlchemy's version counter.
    """

    if TYPE_CHECKING:  # what the mapped class itself declares
        id: Mapped[int]
        tenant_id: Mapped[int]
        unit_id: Mapped[int]
        unit: Mapped[Unit]

    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a class-level directive)
        return {"version_id_col": cls.version}

    @declared_attr
    def submitted_by(cls) -> Mapped[User | None]:  # noqa: N805
        return relationship(User, foreign_keys=f"[{_name(cls)}.submitted_by_id]")

    @declared_attr
    def approved_by(cls) -> Mapped[User | None]:  # noqa: N805
        return relationship(User, foreign_keys=f"[{_name(cls)}.approved_by_id]")

    @property
    def editable(self) -> bool:
        """Its unit may still change it: a draft, or returned with comments."""
        return self.status in ("draft", "returned")


def _name(cls: object) -> str:
    """The mapped class's name, in a declared_attr of the mixin (where mypy types ``cls`` as an
    instance of the mixin, not the class it is)."""
    return cast(type, cls).__name__
