"""A draft the unit critiqued (phản biện xã hội) or commented on (góp ý dự thảo): the draft,
the union's comments sent, and whether they were accepted. No personal data: titles of drafts,
names of bodies, dates and summaries of the union's own comments."""

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit

CritiqueKind = Literal["critique", "comment"]
CRITIQUE_KINDS: tuple[CritiqueKind, ...] = get_args(CritiqueKind)
CritiqueStatus = Literal["received", "sent", "concluded"]
CRITIQUE_STATUSES: tuple[CritiqueStatus, ...] = get_args(CritiqueStatus)
Accepted = Literal["yes", "partly", "no", "unknown"]
ACCEPTED: tuple[Accepted, ...] = get_args(Accepted)
MAX_TITLE, MAX_BODY, MAX_NUMBER, MAX_TEXT = 500, 300, 50, 10000


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


class Critique(TenantScoped, Model):
    __tablename__ = "critiques"
    __table_args__ = (
        Index("ix_critiques_unit_received", "unit_id", "received_on"),
        CheckConstraint(_one_of("kind", CRITIQUE_KINDS), name="critique_kind_known"),
        CheckConstraint(_one_of("status", CRITIQUE_STATUSES), name="critique_status_known"),
        CheckConstraint(_one_of("accepted", ACCEPTED), name="critique_accepted_known"),
        CheckConstraint("comments_due >= received_on", name="critique_due_after_received"),
        CheckConstraint("sent_on IS NULL OR sent_on >= received_on",
                        name="critique_sent_after_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))
    draft_title: Mapped[str] = mapped_column(String(MAX_TITLE))
    issuing_body: Mapped[str] = mapped_column(String(MAX_BODY))
    received_on: Mapped[date]
    comments_due: Mapped[date]
    # The union's comments, once sent: the letter's number and day, what it said in short.
    sent_number: Mapped[str] = mapped_column(String(MAX_NUMBER), default="")
    sent_on: Mapped[date | None]
    sent_summary: Mapped[str] = mapped_column(Text, default="")
    accepted: Mapped[str] = mapped_column(String(8), default="unknown")
    accepted_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="received")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
