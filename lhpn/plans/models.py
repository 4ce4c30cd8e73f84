from datetime import date, datetime
from decimal import Decimal
from typing import Literal, get_args

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.indicators.models import Indicator
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit
from lhpn.workflow.models import SignedOff

# count, share and rate are measured on an indicator; text is a qualitative target (most of
# the seeds' targets) followed up by each unit's "done / not done".
MeasuredKind = Literal["count", "share", "rate"]
TargetKind = Literal[MeasuredKind, "text"]
TARGET_KINDS: tuple[TargetKind, ...] = get_args(TargetKind)
MEASURED_KINDS: tuple[MeasuredKind, ...] = get_args(MeasuredKind)
# The parts of a plan whose heading a unit may reword (seed 003 says "NHIỆM VỤ TRỌNG TÂM").
SECTION_KEYS = ("purpose", "targets", "content", "budget", "organisation")


class Plan(SignedOff, TenantScoped, Model):
    """A unit's plan (kế hoạch) for a year or a theme; sections are Markdown source; signed
    off by the level above (lhpn/workflow/signoff.py)."""

    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_unit_year", "unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    number: Mapped[str] = mapped_column(String(60), default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    plan_date: Mapped[date | None]
    parent_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    basis: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str] = mapped_column(Text, default="")
    # Section V (kinh phí), shown only when filled.
    budget: Mapped[str] = mapped_column(Text, default="")
    # section key → the unit's own heading (without its numeral); missing: the default.
    headings: Mapped[dict | None] = mapped_column(JSON)
    recipients: Mapped[str] = mapped_column(Text, default="")
    signer_title: Mapped[str] = mapped_column(String(80), default="CHỦ TỊCH")
    signer_name: Mapped[str] = mapped_column(String(120), default="")
    # Cascade: the levels asked for an implementing plan, and by when.
    child_levels: Mapped[str] = mapped_column(String(100), default="")
    child_deadline: Mapped[date | None]
    # Part of the unit's programme of work for the year (chương trình công tác năm): only such
    # plans, once approved, count for target attainment (lhpn/consolidation/services.py).
    counted: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit] = relationship(lazy="joined")
    parent_plan: Mapped["Plan | None"] = relationship(remote_side=[id])
    targets: Mapped[list["PlanTarget"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanTarget.position",
        lazy="selectin")
    activities: Mapped[list["PlanActivity"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanActivity.position",
        lazy="selectin")

    @property
    def child_level_list(self) -> list[str]:
        return [lv for lv in self.child_levels.split(",") if lv]

    @property
    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]

    def heading(self, key: str) -> str:
        """The unit's own wording of a section heading, or "" for the default."""
        return (self.headings or {}).get(key, "")


class PlanTarget(Model):
    """A target (chỉ tiêu) for the units of ``level``.

    count: each unit of ``level`` reaches ≥ value of the indicator;
    share: value % of the units of ``level`` reach ≥ threshold;
    rate:  the indicator's rate reaches ≥ value % at each unit of ``level``;
    text:  a qualitative target written as ``text`` (no indicator, no value), with an optional
           deadline; each unit of ``level`` says whether it was done (:class:`TargetCheck`).
    """

    __tablename__ = "plan_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None]

    plan: Mapped[Plan] = relationship(back_populates="targets")
    indicator: Mapped[Indicator | None] = relationship(lazy="joined")

    @property
    def measured(self) -> bool:
        return self.kind != "text"

    @property
    def measured_indicator(self) -> Indicator:
        """A measured target's indicator (the services never save one without)."""
        if self.indicator is None:
            raise ValueError(f"plan target {self.id} has no indicator: a text target")
        return self.indicator

    @property
    def measured_value(self) -> Decimal:
        """A measured target's value (the services never save one without)."""
        if self.value is None:
            raise ValueError(f"plan target {self.id} has no value: a text target")
        return self.value

    def to_dict(self) -> dict:
        data: dict = {"id": self.id, "level": self.level, "kind": self.kind}
        if not self.measured:
            data["text"] = self.text
            data["deadline"] = self.deadline.isoformat() if self.deadline else None
            return data
        data.update(indicator=self.measured_indicator.code, value=_number(self.measured_value))
        if self.threshold is not None:
            data["threshold"] = _number(self.threshold)
        if self.note:
            data["note"] = self.note
        return data


class TargetCheck(TenantScoped, Model):
    """One unit's follow-up of a qualitative target: done or not, with a note."""

    __tablename__ = "plan_target_checks"
    __table_args__ = (UniqueConstraint("target_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("plan_targets.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    done: Mapped[bool]
    note: Mapped[str] = mapped_column(String(1000), default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="joined")
    checked_by: Mapped[User | None] = relationship()

    def to_dict(self) -> dict:
        return {"target_id": self.target_id, "unit_id": self.unit_id, "done": self.done,
                "note": self.note,
                "checked_at": self.checked_at.isoformat() if self.checked_at else None}


class PlanActivity(Model):
    """An activity of the plan's content: what, when, who leads, who coordinates, budget."""

    __tablename__ = "plan_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(500))
    # when: a month (1–12), a quarter (1–4) or a date range of the plan's year
    when_kind: Mapped[str] = mapped_column(String(8), default="year")
    when_number: Mapped[int | None]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    lead: Mapped[str] = mapped_column(String(200), default="")
    coordinators: Mapped[str] = mapped_column(String(300), default="")
    budget_source: Mapped[str] = mapped_column(String(200), default="")

    plan: Mapped[Plan] = relationship(back_populates="activities")

    def to_dict(self) -> dict:
        return {"title": self.title, "when": self.when_kind, "when_number": self.when_number,
                "start_date": self.start_date.isoformat() if self.start_date else None,
                "end_date": self.end_date.isoformat() if self.end_date else None,
                "lead": self.lead, "coordinators": self.coordinators,
                "budget_source": self.budget_source}


class PlanRequest(TenantScoped, Model):
    """An issued plan asks a unit below for its implementing plan by a deadline."""

    __tablename__ = "plan_requests"
    __table_args__ = (UniqueConstraint("parent_plan_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    deadline: Mapped[date]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    unit: Mapped[Unit] = relationship(lazy="joined")
    parent_plan: Mapped[Plan] = relationship()


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
