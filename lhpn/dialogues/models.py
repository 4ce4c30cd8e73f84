"""A dialogue (đối thoại) of a unit with the head of a Party committee or a government: when,
with whom, how many women took part, the issues raised. Its commitments are follow-ups
(lhpn/followups, object_type "dialogue"). No personal data beyond the official's name and
title, which the dialogue is public about."""

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit

DialogueStatus = Literal["planned", "held", "closed"]
DIALOGUE_STATUSES: tuple[DialogueStatus, ...] = get_args(DialogueStatus)
MAX_LINE, MAX_TEXT, MAX_WOMEN = 300, 10000, 100000


class Dialogue(TenantScoped, Model):
    __tablename__ = "dialogues"
    __table_args__ = (
        Index("ix_dialogues_unit_held", "unit_id", "held_on"),
        CheckConstraint("status IN ('planned', 'held', 'closed')",
                        name="dialogue_status_known"),
        CheckConstraint("women_count >= 0", name="dialogue_women_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    held_on: Mapped[date]  # planned for, until held
    leader_name: Mapped[str] = mapped_column(String(MAX_LINE))
    leader_title: Mapped[str] = mapped_column(String(MAX_LINE))
    body: Mapped[str] = mapped_column(String(MAX_LINE))  # Đảng ủy xã…, UBND xã…
    women_count: Mapped[int] = mapped_column(default=0)
    issues: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="planned")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
