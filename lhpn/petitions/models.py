"""A petition (đơn thư) received by a unit, and the tenant's legal deadline per category.

What can name a person is encrypted at rest (``EncryptedText``, lhpn/privacy/crypto.py): the
petitioner's name, address and phone, the subject, the summary and the outcome — a petition
about a cadre names the cadre. What stays in clear is what the register, the counts and the
masked view need: the number, the unit, the dates, the channel, the category, the status and
the mass flag.
"""

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.privacy.crypto import EncryptedText
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit

Category = Literal["complaint", "denunciation", "recommendation", "reflection"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
Channel = Literal["in_person", "letter", "phone", "online", "forwarded"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# received → handling → resolved | forwarded | guided → closed (lhpn/petitions/services.py).
PetitionStatus = Literal["received", "handling", "resolved", "forwarded", "guided", "closed"]
PETITION_STATUSES: tuple[PetitionStatus, ...] = get_args(PetitionStatus)
# Still waiting for the unit: what the petition's own deadline applies to.
PENDING: tuple[str, ...] = ("received", "handling")
MAX_LINE, MAX_TEXT = 300, 10000


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


class PetitionDeadline(TenantScoped, Model):
    """How many days a petition of one category has, counted from the day it was received:
    the tenant's own table, seeded with the defaults of lhpn/petitions/deadlines.py."""

    __tablename__ = "petition_deadlines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "category"),
        CheckConstraint(_one_of("category", CATEGORIES), name="petition_deadline_category"),
        CheckConstraint("days BETWEEN 1 AND 365", name="petition_deadline_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    days: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]


class Petition(TenantScoped, Model):
    __tablename__ = "petitions"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "number"),
        Index("ix_petitions_unit_received", "unit_id", "received_on"),
        CheckConstraint(_one_of("category", CATEGORIES), name="petition_category_known"),
        CheckConstraint(_one_of("channel", CHANNELS), name="petition_channel_known"),
        CheckConstraint(_one_of("status", PETITION_STATUSES), name="petition_status_known"),
        CheckConstraint("due_on >= received_on", name="petition_due_after_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]  # of received_on: the register numbers petitions per unit and year
    number: Mapped[int]
    received_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(16))
    forwarded_from: Mapped[str] = mapped_column(String(MAX_LINE), default="")  # a level, no one
    category: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str | None] = mapped_column(EncryptedText())
    address: Mapped[str | None] = mapped_column(EncryptedText())
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    subject: Mapped[str | None] = mapped_column(EncryptedText())
    summary: Mapped[str | None] = mapped_column(EncryptedText())
    is_mass: Mapped[bool] = mapped_column(default=False)  # khiếu kiện đông người
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="received")
    handled_on: Mapped[date | None]  # resolved, forwarded or guided on
    outcome: Mapped[str | None] = mapped_column(EncryptedText())
    told_on: Mapped[date | None]  # the petitioner was told the outcome
    closed_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
