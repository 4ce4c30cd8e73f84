"""An incident (vụ việc), its victims and the interventions given.

Every field that can identify a victim, or that tells what happened to them, is encrypted at
rest (``EncryptedText``, lhpn/privacy/crypto.py): names, addresses, phones, the place, the
source, the facts, the victim's state, the person responsible, the interventions' notes and
the outcome. What stays in clear is what the masked view shows and the counts need: the kind,
the date, the unit, the status, and each victim's sex, year of birth and child-or-adult.
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

IncidentStatus = Literal["open", "following", "closed"]
INCIDENT_STATUSES: tuple[IncidentStatus, ...] = get_args(IncidentStatus)
Sex = Literal["female", "male", "other"]
SEXES: tuple[Sex, ...] = get_args(Sex)
InterventionKind = Literal["counselling", "shelter", "legal_aid", "health", "police", "court",
                           "other"]
INTERVENTION_KINDS: tuple[InterventionKind, ...] = get_args(InterventionKind)


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


class IncidentKind(TenantScoped, Model):
    """A kind of incident, the tenant's own list (seeded for each tenant)."""

    __tablename__ = "incident_kinds"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class Incident(TenantScoped, Model):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_unit_occurred", "unit_id", "occurred_on"),
        CheckConstraint(_one_of("status", INCIDENT_STATUSES), name="incident_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind_id: Mapped[int] = mapped_column(ForeignKey("incident_kinds.id"))
    occurred_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")
    place: Mapped[str | None] = mapped_column(EncryptedText())
    source: Mapped[str | None] = mapped_column(EncryptedText())
    facts: Mapped[str | None] = mapped_column(EncryptedText())
    victim_state: Mapped[str | None] = mapped_column(EncryptedText())
    responsible: Mapped[str | None] = mapped_column(EncryptedText())
    responsible_relation: Mapped[str | None] = mapped_column(EncryptedText())
    outcome: Mapped[str | None] = mapped_column(EncryptedText())
    closed_on: Mapped[date | None]
    # When the identities were removed (the retention purge or an erasure of the whole case,
    # lhpn/privacy/retention.py): the case still counts, nobody can be named from it.
    purged_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    unit: Mapped[Unit] = relationship()
    kind: Mapped[IncidentKind] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    victims: Mapped[list["Victim"]] = relationship(
        back_populates="incident", order_by="Victim.id", cascade="all, delete-orphan")
    interventions: Mapped[list["Intervention"]] = relationship(
        back_populates="incident", order_by="(Intervention.given_on, Intervention.id)",
        cascade="all, delete-orphan")


class Victim(TenantScoped, Model):
    __tablename__ = "incident_victims"
    __table_args__ = (CheckConstraint(_one_of("sex", SEXES), name="victim_sex_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    full_name: Mapped[str | None] = mapped_column(EncryptedText())
    birth_year: Mapped[int | None]
    sex: Mapped[str] = mapped_column(String(8))
    is_child: Mapped[bool]
    address: Mapped[str | None] = mapped_column(EncryptedText())
    phone: Mapped[str | None] = mapped_column(EncryptedText())

    incident: Mapped[Incident] = relationship(back_populates="victims")


class Intervention(TenantScoped, Model):
    """Support or intervention given: who, when, what (before, during or after)."""

    __tablename__ = "incident_interventions"
    __table_args__ = (
        CheckConstraint(_one_of("kind", INTERVENTION_KINDS), name="intervention_kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    given_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    by_whom: Mapped[str | None] = mapped_column(EncryptedText())
    note: Mapped[str | None] = mapped_column(EncryptedText())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    incident: Mapped[Incident] = relationship(back_populates="interventions")


# Consent (Law 91/2025/QH15 on personal data protection): to processing, and to sharing with
# each kind of agency. "processing" is the consent to keep and handle the case at all.
ConsentScope = Literal["processing", "police", "health", "court", "social"]
CONSENT_SCOPES: tuple[ConsentScope, ...] = get_args(ConsentScope)
AgencyScope = Literal["police", "health", "court", "social"]  # whom a case may be shared with
AGENCY_SCOPES: tuple[AgencyScope, ...] = get_args(AgencyScope)
assert AGENCY_SCOPES == CONSENT_SCOPES[1:]
GivenBy = Literal["victim", "representative"]
GIVEN_BY: tuple[GivenBy, ...] = get_args(GivenBy)
ConsentForm = Literal["written", "oral"]
CONSENT_FORMS: tuple[ConsentForm, ...] = get_args(ConsentForm)
# Sharing without consent needs one of these grounds, explained.
LegalGround = Literal["consent", "life_health", "authority_request", "legal_duty"]
LEGAL_GROUNDS: tuple[LegalGround, ...] = get_args(LegalGround)


class Consent(TenantScoped, Model):
    """One consent given by a victim or their legal representative; withdrawn from a day on."""

    __tablename__ = "incident_consents"
    __table_args__ = (
        CheckConstraint(_one_of("scope", CONSENT_SCOPES), name="consent_scope_known"),
        CheckConstraint(_one_of("given_by", GIVEN_BY), name="consent_given_by_known"),
        CheckConstraint(_one_of("form", CONSENT_FORMS), name="consent_form_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("incident_victims.id",
                                                      ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    given_by: Mapped[str] = mapped_column(String(16))
    representative: Mapped[str | None] = mapped_column(EncryptedText())  # name, relation
    form: Mapped[str] = mapped_column(String(8))
    given_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    withdrawn_on: Mapped[date | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    victim: Mapped[Victim] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class Referral(TenantScoped, Model):
    """A referral letter produced for one victim to one agency, and on what ground."""

    __tablename__ = "incident_referrals"
    __table_args__ = (
        CheckConstraint(_one_of("scope", AGENCY_SCOPES), name="referral_scope_known"),
        CheckConstraint(_one_of("ground", LEGAL_GROUNDS), name="referral_ground_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("incident_victims.id",
                                                      ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(300))  # "Công an xã Tân Lễ": no personal data
    ground: Mapped[str] = mapped_column(String(24))
    ground_note: Mapped[str | None] = mapped_column(EncryptedText())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    created_by: Mapped[User | None] = relationship()
