from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped

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
