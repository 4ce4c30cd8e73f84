"""The log of reads of sensitive personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP).

Who saw which fields of which record in clear, when, for what purpose and through which
channel (a page, the API, a Word or Excel file, a print view). Written by
``lhpn/privacy/access_log.record_read`` in the transaction of the read itself.

Append-only, and the database holds it so, not only the code: revision a189293d5a0c adds
triggers that refuse every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE). A later migration
that alters this table on SQLite through Alembic's batch mode recreates the table and with it
loses the triggers: such a migration must create them again.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.extensions import Model
from lhpn.privacy.crypto import EncryptedText
from lhpn.tenancy import TenantScoped

if TYPE_CHECKING:
    from lhpn.accounts.models import User

PURPOSE_CODES = ("handling", "support", "referral", "supervision", "other")
CHANNELS = ("page", "api", "docx", "xlsx", "print")
MAX_NOTE = 500
MAX_FIELDS = 500


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


class SensitiveRead(TenantScoped, Model):
    """One read of sensitive fields of one record by one user."""

    __tablename__ = "sensitive_reads"
    __table_args__ = (
        Index("ix_sensitive_reads_object", "tenant_id", "object_type", "object_id"),
        Index("ix_sensitive_reads_user_at", "user_id", "at"),
        CheckConstraint(_one_of("purpose", PURPOSE_CODES), name="purpose_known"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel_known"),
        CheckConstraint("purpose <> 'other' OR purpose_note <> ''", name="other_explained"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No ON DELETE: the log outlives nothing it names (users are locked, never deleted).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]  # naive UTC (lhpn/clock.py)
    object_type: Mapped[str] = mapped_column(String(32))  # "incident", …
    object_id: Mapped[int]
    fields: Mapped[str] = mapped_column(String(MAX_FIELDS))  # "victim_name,victim_phone"
    purpose: Mapped[str] = mapped_column(String(16))
    purpose_note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")
    channel: Mapped[str] = mapped_column(String(8))

    # Who read: for the review of the log (lhpn/privacy/review.py); never written through.
    user: Mapped["User"] = relationship(viewonly=True)

    @property
    def field_names(self) -> list[str]:
        return self.fields.split(",")


# --- A data subject's requests, and breaches (Law 91/2025/QH15; Decree 356/2025/NĐ-CP) ------

REQUEST_KINDS = ("access", "correction", "erasure")
REQUEST_STATUSES = ("received", "done", "refused")
REQUESTERS = ("self", "representative")
BREACH_STATUSES = ("open", "notified", "closed")


class DataRequest(TenantScoped, Model):
    """A victim's request (or their legal representative's) about the data a case holds on
    them: to see it, correct it or erase it. Carried out by lhpn/privacy/subject_requests.py."""

    __tablename__ = "data_requests"
    __table_args__ = (
        CheckConstraint(_one_of("kind", REQUEST_KINDS), name="request_kind_known"),
        CheckConstraint(_one_of("status", REQUEST_STATUSES), name="request_status_known"),
        CheckConstraint(_one_of("requester", REQUESTERS), name="requester_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    victim_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident_victims.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date]
    requester: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText())
    status: Mapped[str] = mapped_column(String(16), default="received")
    done_on: Mapped[date | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refusal_reason: Mapped[str | None] = mapped_column(EncryptedText())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    done_by: Mapped["User | None"] = relationship(foreign_keys=[done_by_id], viewonly=True)


class Breach(TenantScoped, Model):
    """A suspected breach of personal data, recorded by the tenant's admin, with the 72-hour
    notification to the Ministry of Public Security (lhpn/privacy/breaches.py)."""

    __tablename__ = "breaches"
    __table_args__ = (
        CheckConstraint(_one_of("status", BREACH_STATUSES), name="breach_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    detected_at: Mapped[datetime]  # naive UTC (lhpn/clock.py)
    description: Mapped[str | None] = mapped_column(EncryptedText())
    data_kinds: Mapped[str] = mapped_column(String(500), default="")
    subjects_estimate: Mapped[int | None]
    measures: Mapped[str | None] = mapped_column(EncryptedText())
    status: Mapped[str] = mapped_column(String(16), default="open")
    notified_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
