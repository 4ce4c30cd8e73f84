from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.extensions import Model
from lhpn.indicators.models import Indicator
from lhpn.reports.periods import CODE_CHARACTERS
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit
from lhpn.workflow.models import SignedOff


def canonical_code(column: str) -> str:
    """SQL that holds when ``column`` is a non-empty code of ASCII letters, digits, "-", "_"
    and "." only: one period has one spelling even for a writer that skipped the checks of
    lhpn/reports/periods.py. TRIM(x, characters) strips those characters from both ends and
    reads the same on SQLite and PostgreSQL; anything else in the code is left over."""
    return f"{column} <> '' AND TRIM({column}, '{CODE_CHARACTERS}') = ''"


class ReportTemplate(TenantScoped, Model):
    """A form (biểu mẫu): which indicators, which period type, which levels, when it is due."""

    __tablename__ = "report_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    period_type: Mapped[str] = mapped_column(String(10))
    levels: Mapped[str] = mapped_column(String(100))  # "commune,branch"
    # Due on day ``due_day`` of the month ``due_months_after`` months after the period's end.
    due_day: Mapped[int] = mapped_column(default=20)
    due_months_after: Mapped[int] = mapped_column(default=1)
    # Months cut off on this day (a month runs from day D of the month before to day D-1).
    cutoff_day: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    items: Mapped[list["TemplateItem"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="TemplateItem.position",
        lazy="selectin")
    periods: Mapped[list["TemplatePeriod"]] = relationship(
        back_populates="template", cascade="all, delete-orphan",
        order_by="TemplatePeriod.due_date", lazy="selectin")

    @property
    def level_list(self) -> list[str]:
        return [lv for lv in self.levels.split(",") if lv]


class TemplateItem(Model):
    __tablename__ = "template_items"
    __table_args__ = (UniqueConstraint("template_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("report_templates.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    position: Mapped[int] = mapped_column(default=0)
    group: Mapped[str] = mapped_column(String(200), default="")
    required: Mapped[bool] = mapped_column(default=False)

    template: Mapped[ReportTemplate] = relationship(back_populates="items")
    indicator: Mapped[Indicator] = relationship(lazy="joined")


class TemplatePeriod(Model):
    """A thematic or ad hoc period of a form, with its own code and due date."""

    __tablename__ = "template_periods"
    __table_args__ = (UniqueConstraint("template_id", "code"),
                      CheckConstraint(canonical_code("code"), name="code_canonical"))

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("report_templates.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    due_date: Mapped[date]

    template: Mapped[ReportTemplate] = relationship(back_populates="periods")


class Report(SignedOff, TenantScoped, Model):
    """One unit × one form × one period; signed off by the level above
    (lhpn/workflow/signoff.py)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("unit_id", "template_id", "period"),
        Index("ix_reports_tenant_status", "tenant_id", "status"),
        CheckConstraint(canonical_code("period"), name="period_canonical"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("report_templates.id"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    nothing_to_report: Mapped[bool] = mapped_column(default=False)
    results: Mapped[str] = mapped_column(Text, default="")
    shortcomings: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None]
    # Entered by the commune for a branch without accounts (recorded as such).
    on_behalf: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit] = relationship(lazy="joined")
    template: Mapped[ReportTemplate] = relationship(lazy="joined")
    values: Mapped[list["ReportValue"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin")
    # Read-only: files are added and removed through lhpn/reports/attachments.py.
    attachments: Mapped[list["Attachment"]] = relationship(
        viewonly=True, order_by="Attachment.id", lazy="select")


class ReportValue(Model):
    __tablename__ = "report_values"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    number: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    numerator: Mapped[int | None]
    denominator: Mapped[int | None]
    flag: Mapped[bool | None]
    text: Mapped[str | None] = mapped_column(Text)
    # A bound indicator (lhpn/indicators/bindings.py): the count of the unit's records the
    # value was checked against (frozen when the report is sent), and why the officer sent
    # another number.
    from_records: Mapped[int | None]
    override_reason: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship(back_populates="values")
    indicator: Mapped[Indicator] = relationship(lazy="joined")


class Attachment(TenantScoped, Model):
    """A file attached to a report, stored outside the web root under a random name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReportReminder(TenantScoped, Model):
    """A unit reminded of its report of a form and period on one day (Vietnam date): the
    unique key is what makes a second reminder the same day a no-op, even from two requests
    at once."""

    __tablename__ = "report_reminders"
    __table_args__ = (UniqueConstraint("unit_id", "template_id", "period", "reminded_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    template_id: Mapped[int] = mapped_column(
        ForeignKey("report_templates.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    reminded_on: Mapped[date]
    reminded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
