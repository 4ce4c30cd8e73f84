from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model


class Statistics:
    """What running totals keep of one indicator: every statistic an aggregation needs, so
    changing an indicator's aggregation needs no rebuild."""

    # Approved reports that gave a value for the indicator.
    reports: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    # Values that say "yes": a true flag or a number above zero.
    yes: Mapped[int] = mapped_column(default=0)
    minimum: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    maximum: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))


class Rollup(Statistics, Model):
    """Running totals of one indicator over the approved reports of a unit's subtree (the unit
    itself included), for one form and period.

    Kept in the approval's transaction (lhpn/consolidation/rollups.py) and rebuildable from the
    reports at any time. Read and written with explicit tenant and unit
    filters (not the ORM's automatic tenant scoping), so no tenant index is kept on this table.
    """

    __tablename__ = "rollups"
    # Plan attainment reads one form, period and a few indicators for every unit of a level
    # (3,000 branches of a province): without it PostgreSQL scanned the whole table.
    __table_args__ = (Index("ix_rollups_template_period", "template_id", "period",
                            "indicator_id"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("report_templates.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))


class RollupCount(Model):
    """How many reports of a unit's subtree are approved, and how many of those were first
    submitted by their due date, for one form and period."""

    __tablename__ = "rollup_counts"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("report_templates.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    approved: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)


# Forms whose periods split a calendar year: their yearly view is read from RollupYear.
SPLIT_YEAR_TYPES = ("month", "quarter", "half")


class RollupYear(Statistics, Model):
    """The running totals of :class:`Rollup` added up over the periods of one year, for forms
    whose periods split the year (monthly, quarterly, half-yearly): a province's yearly view and
    its plan attainment read one row per unit and indicator instead of twelve. Kept in the same
    statements as the period totals; the year is the one in the period code ("2027-03" → 2027).
    """

    __tablename__ = "rollup_years"
    __table_args__ = (Index("ix_rollup_years_template_year", "template_id", "year",
                            "indicator_id"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("report_templates.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
