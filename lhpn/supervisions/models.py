"""A supervision (giám sát) held by a unit and the documents of its dossier.

What is supervised is a policy, a programme or the conduct of cadres, at a state agency: none
of it is personal data, so every field is kept in clear. The recommendations made after it are
follow-ups (lhpn/followups, object type "supervision"), each with its text and its agency.
"""

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lhpn.accounts.models import User
from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped
from lhpn.units.models import Unit

SubjectKind = Literal["policy", "programme", "cadre_conduct"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = get_args(SubjectKind)
Method = Literal["team", "documents", "petitions", "observation"]
METHODS: tuple[Method, ...] = get_args(Method)
# proposed: the union's proposal, waiting for its chair to approve the plan; approved: the plan
# approved; in_progress: the team at work; report_submitted: the draft report sent to the chair;
# reported: the final report signed by the chair; closed: nothing more to follow.
SupervisionStatus = Literal["proposed", "approved", "in_progress", "report_submitted",
                            "reported", "closed"]
SUPERVISION_STATUSES: tuple[SupervisionStatus, ...] = get_args(SupervisionStatus)
# The dossier, in the order seed 000 lists it.
DocumentKind = Literal["proposal", "party_agreement", "state_consultation", "plan",
                       "team_decision", "invitation", "draft_report", "final_report"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = get_args(DocumentKind)
MAX_TITLE, MAX_AGENCY, MAX_TEXT, MAX_NUMBER, MAX_NOTE = 300, 300, 4000, 50, 1000


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


class Supervision(TenantScoped, Model):
    __tablename__ = "supervisions"
    __table_args__ = (
        Index("ix_supervisions_unit_status", "unit_id", "status"),
        CheckConstraint(_one_of("status", SUPERVISION_STATUSES),
                        name="supervision_status_known"),
        CheckConstraint(_one_of("subject_kind", SUBJECT_KINDS),
                        name="supervision_subject_kind_known"),
        CheckConstraint(_one_of("method", METHODS), name="supervision_method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text, default="")
    agency: Mapped[str] = mapped_column(String(MAX_AGENCY))
    method: Mapped[str] = mapped_column(String(16))
    team: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    # The day of each step, on Vietnam's calendar: each one not before the one before it.
    proposed_on: Mapped[date] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    report_submitted_on: Mapped[date | None] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)  # the final report's date
    reported_at: Mapped[datetime | None]  # when that was recorded (naive UTC)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Who sent up what waits for the chair: the proposal, then the draft report. Nobody
    # decides on what they sent up (lhpn/authz/signoff.py is_own_submission).
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own mapping)

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    documents: Mapped[list["SupervisionDocument"]] = relationship(
        back_populates="supervision", cascade="all, delete-orphan",
        order_by="(SupervisionDocument.issued_on, SupervisionDocument.id)")


class SupervisionDocument(TenantScoped, Model):
    """One document of the dossier: its kind, number and date."""

    __tablename__ = "supervision_documents"
    __table_args__ = (
        CheckConstraint(_one_of("kind", DOCUMENT_KINDS), name="supervision_document_kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supervision_id: Mapped[int] = mapped_column(
        ForeignKey("supervisions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(MAX_NUMBER), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    supervision: Mapped[Supervision] = relationship(back_populates="documents")

    @property
    def unit(self) -> Unit:
        """The supervision's unit: the files attached to the document are that unit's
        (lhpn/files)."""
        return self.supervision.unit
