"""A record handed to an outside agency, with the union's letter and the legal deadline.

Keyed by (object_type, object_id) like the workflow events: the record kind is not a foreign
key, so every kind uses the same table. A record may be followed with several agencies (one
row each). The row holds agency names and dates only; what the record is about stays with the
record (its subject is given by the caller wherever words are needed)."""

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.extensions import Model
from lhpn.privacy.crypto import EncryptedText
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit

# open: waiting for the agency's answer (the only state that can be overdue); answered: the
# answer is recorded; closed: nothing more to follow (answered and settled, or withdrawn);
# implemented / not_accepted: what a recommendation or a commitment came to (issue 16).
FollowUpStatus = Literal["open", "answered", "closed", "implemented", "not_accepted"]
FOLLOW_UP_STATUSES: tuple[FollowUpStatus, ...] = get_args(FollowUpStatus)
# Nothing more to follow once a follow-up is in one of these.
FINAL_STATUSES: frozenset[str] = frozenset({"closed", "implemented", "not_accepted"})
MAX_AGENCY = 300
MAX_CONTENT = 4000
MAX_LETTER_NUMBER = 50
MAX_ANSWER = 2000


class FollowUp(TenantScoped, Model):
    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_object", "tenant_id", "object_type", "object_id"),
        # The dashboards' question: the open ones past their deadline, in these units.
        Index("ix_follow_ups_unit_status_due", "unit_id", "status", "due_on"),
        CheckConstraint("status IN ('open', 'answered', 'closed', 'implemented', "
                        "'not_accepted')", name="status_known"),
        CheckConstraint("due_on >= written_on", name="due_after_written"),
        CheckConstraint("chase_count >= 0", name="chase_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the unit that follows
    object_type: Mapped[str] = mapped_column(String(32))  # "incident", …
    object_id: Mapped[int]
    agency: Mapped[str] = mapped_column(String(MAX_AGENCY))
    agency_superior: Mapped[str] = mapped_column(String(MAX_AGENCY), default="")
    # What is asked of the agency, where the record holds several asks: a supervision's
    # recommendation, a dialogue's commitment. Empty for an incident's referral (what it is
    # about stays with the case). Never personal data: the kinds that write it say so.
    content: Mapped[str] = mapped_column(Text, default="")
    # The union's letter to the agency: its number (may be unknown) and date.
    letter_number: Mapped[str] = mapped_column(String(MAX_LETTER_NUMBER), default="")
    written_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # the legal deadline, a Vietnamese date
    answered_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(EncryptedText(), default="")  # may name the victim
    status: Mapped[str] = mapped_column(String(16), default="open")
    chase_count: Mapped[int] = mapped_column(default=0)
    last_chased_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]  # naive UTC (lhpn/clock.py)
    updated_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()

    # A stale write (someone changed it meanwhile) raises instead of overwriting.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own mapping)
