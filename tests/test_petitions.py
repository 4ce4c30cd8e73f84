"""Petitions (lhpn/petitions), through the services: intake numbered per unit and year with its
legal deadline from the tenant's table, the lifecycle through the workflow engine, forwarding
followed up with a chasing letter, overdue on a fixed clock, the petitioner encrypted at rest
and never in the audit nor the notices, the mass flag reported to the level above, bad input
refused with nothing saved."""

import io
from datetime import date, datetime

import pytest
from docx import Document
from sqlalchemy import func, select, text

from lhpn import clock
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.errors import Conflict, DomainError
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.letter import chasing_letter
from lhpn.followups.models import FollowUp
from lhpn.notifications.models import Notification
from lhpn.petitions import deadlines, services
from lhpn.petitions.models import Petition
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent

NAME, PHONE, ADDRESS = "Lê Thị Mai", "0987 654 321", "Thôn Đông, xã Tân Lễ"
SUMMARY = "Đề nghị xem xét việc cán bộ địa chính Phạm Văn Tú chậm cấp giấy chứng nhận."
SUBJECT = "Khiếu nại việc chậm cấp giấy của ông Phạm Văn Tú"
SECRETS = (NAME, PHONE, ADDRESS, "Phạm Văn Tú")
TODAY = date(2026, 11, 30)


def at(monkeypatch, day: date) -> None:
    """Freeze the clock at noon of ``day`` in Vietnam."""
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(day.year, day.month, day.day, 5))


def form(**overrides) -> dict:
    return {"received_on": "2026-11-02", "category": "complaint", "channel": "in_person",
            "full_name": NAME, "address": ADDRESS, "phone": PHONE, "subject": SUBJECT,
            "summary": SUMMARY} | overrides


def user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def unit(world, code: str) -> Unit:
    return db.session.get(Unit, world.units[code])


@pytest.fixture
def today(monkeypatch):
    at(monkeypatch, TODAY)
    return TODAY


def test_intake_numbers_per_unit_and_year_and_computes_the_deadline(ctx, people, today):
    staff = user(people, "staff.c11")
    first = services.receive(staff, unit(people, "C11"), form())
    second = services.receive(staff, unit(people, "C11"), form(category="reflection",
                                                               received_on="2026-11-20"))
    other = services.receive(user(people, "staff.c12"), unit(people, "C12"), form())
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.year == 2026 and first.status == "received"
    assert first.due_on == date(2026, 12, 2)    # 2/11 + 30 days (Luật Khiếu nại, Điều 28)
    assert second.due_on == date(2026, 11, 30)  # 20/11 + 10 days (Luật Tiếp công dân)
    assert services.title(first) == "Đơn số 1/2026 (khiếu nại)"


def test_the_tenants_deadlines_are_its_own_and_corrected_by_an_admin(ctx, people, today):
    tb = people.tenants["TB"]
    assert {c: row.days for c, row in deadlines.deadlines(tb).items()} == deadlines.DEFAULT_DAYS
    admin = user(people, "tenant_admin.tb")
    deadlines.set_days(admin, tb, {"complaint": "45"})
    petition = services.receive(user(people, "staff.c11"), unit(people, "C11"), form())
    assert petition.due_on == date(2026, 12, 17)
    assert deadlines.days_for(people.tenants["HY"], "complaint") == 30  # the other tenant's
    for bad in ({"complaint": "0"}, {"complaint": "abc"}, {"unknown": "5"}, {}):
        with pytest.raises(DomainError):
            deadlines.set_days(admin, tb, bad)
    assert deadlines.days_for(tb, "complaint") == 45


@pytest.mark.parametrize(("field", "value"), [
    ("category", "gossip"), ("channel", "pigeon"), ("received_on", "2026-12-01"),
    ("received_on", "31/02/2026"), ("summary", ""), ("phone", "call me"),
    ("channel", "forwarded")])  # forwarded without saying from which level
def test_bad_input_is_refused_with_nothing_saved(ctx, people, today, field, value):
    with pytest.raises(DomainError) as refused:
        services.receive(user(people, "staff.c11"), unit(people, "C11"), form(**{field: value}))
    assert refused.value.field in (field, "forwarded_from")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Petition)) == 0


def test_only_the_units_people_and_the_chain_above_receive(ctx, people, today):
    from lhpn.authz import Forbidden

    for name in ("staff.c12", "viewer.d1", "staff.d1"):
        with pytest.raises(Forbidden):
            services.receive(user(people, name), unit(people, "C11"), form())
    assert services.receive(user(people, "approver.d1"), unit(people, "C11"), form()).id


def test_the_petitioner_is_encrypted_and_never_in_the_audit_or_history(ctx, people, today):
    petition = services.receive(user(people, "staff.c11"), unit(people, "C11"), form())
    services.conclude(user(people, "staff.c11"), petition, "resolve", petition.version,
                      outcome=f"Đã làm việc với {NAME}.", on="2026-11-10")
    db.session.commit()
    raw = db.session.execute(text("SELECT full_name, address, phone, subject, summary, outcome "
                                  "FROM petitions")).one()
    for value in raw:
        assert value and not any(secret in value for secret in SECRETS)
    logged = " ".join(f"{e.summary} {e.data}" for e in db.session.scalars(select(AuditEntry)))
    logged += " ".join(e.comment for e in db.session.scalars(select(WorkflowEvent)))
    assert "Đơn số 1/2026" in logged
    assert not any(secret in logged for secret in SECRETS)


def test_lifecycle_through_the_workflow_with_versions(ctx, people, today):
    staff = user(people, "staff.c11")
    petition = services.receive(staff, unit(people, "C11"), form())
    with pytest.raises(Conflict):
        services.start_handling(staff, petition, petition.version + 1)
    services.start_handling(staff, petition, petition.version)
    with pytest.raises(DomainError):  # nothing to tell yet
        services.tell(staff, petition, petition.version, "2026-11-20")
    services.conclude(staff, petition, "guide", petition.version,
                      outcome="Hướng dẫn gửi đơn đến UBND xã.", on="2026-11-12")
    with pytest.raises(DomainError):  # told before it was handled
        services.tell(staff, petition, petition.version, "2026-11-11")
    services.tell(staff, petition, petition.version, "2026-11-13")
    services.close(staff, petition, petition.version)
    with pytest.raises(Conflict):
        services.close(staff, petition, petition.version)
    services.reopen(staff, petition, petition.version)
    steps = [(e.action, e.to_status) for e in services.history(petition)]
    assert steps == [("handle", "handling"), ("guide", "guided"), ("close", "closed"),
                     ("reopen", "handling")]
    assert petition.told_on == date(2026, 11, 13) and petition.handled_on == date(2026, 11, 12)


def test_overdue_on_a_fixed_clock_and_forwarding_followed_with_a_chasing_letter(
        ctx, people, monkeypatch):
    at(monkeypatch, date(2026, 11, 5))
    staff = user(people, "staff.c11")
    held = services.receive(staff, unit(people, "C11"), form(category="reflection"))
    sent = services.receive(staff, unit(people, "C11"), form())
    services.forward(staff, sent, sent.version, agency="UBND xã Tân Lễ",
                     letter_number="12/CV-HPN", written_on="2026-11-04")
    db.session.commit()
    fu = db.session.scalars(follow_ups.follow_ups_of("petition", sent.id)).one()
    assert (fu.letter_number, fu.due_on) == ("12/CV-HPN", date(2026, 12, 4))
    assert sent.status == "forwarded" and sent.handled_on == date(2026, 11, 4)
    assert held.due_on == date(2026, 11, 12)
    at(monkeypatch, date(2026, 11, 12))
    assert not services.is_overdue(held)
    at(monkeypatch, date(2026, 11, 13))
    assert services.is_overdue(held) and not services.is_overdue(sent)
    at(monkeypatch, date(2026, 12, 5))
    assert services.is_overdue(sent)
    overdue = set(db.session.scalars(select(Petition.id).where(services.overdue())))
    assert overdue == {held.id, sent.id}
    letter = Document(io.BytesIO(chasing_letter(fu, sender_unit=sent.unit,
                                                subject=services.title(sent))))
    words = "\n".join(p.text for p in letter.paragraphs)
    assert "UBND xã Tân Lễ" in words and "Đơn số 2/2026" in words
    assert not any(secret in words for secret in SECRETS)
    services.conclude(staff, held, "resolve", held.version, outcome="Đã giải quyết.")
    assert not services.is_overdue(held)


def test_a_mass_petition_is_reported_at_once_to_the_level_above(ctx, people, today):
    staff = user(people, "staff.c11")
    petition = services.receive(staff, unit(people, "C11"), form(is_mass="1"))
    db.session.commit()
    notices = db.session.scalars(select(Notification)).all()
    told = {n.user_id for n in notices}
    assert people.users["approver.d1"] in told
    assert people.users["approver.c11"] not in told  # its own level is not "above"
    for notice in notices:
        assert "Khiếu kiện đông người" in notice.message and f"/petitions/{petition.id}" in \
            notice.link
        assert not any(secret in notice.message for secret in SECRETS)
    later = services.receive(staff, unit(people, "C11"), form())
    services.flag_mass(staff, later, later.version)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2 * len(notices)
    with pytest.raises(Conflict):
        services.flag_mass(staff, later, later.version)


def test_a_new_tenant_gets_the_default_deadlines_and_review_names_the_fields(ctx, world):
    from lhpn.petitions.models import PetitionDeadline
    from lhpn.privacy.review import fields_label, object_label
    from lhpn.tenants.services import create_tenant

    tenant = create_tenant(None, "QN", "Hội LHPN tỉnh Quảng Ninh", ["province", "commune"])
    rows = db.session.scalars(select(PetitionDeadline)
                              .where(PetitionDeadline.tenant_id == tenant.id)).all()
    assert {row.category: row.days for row in rows} == deadlines.DEFAULT_DAYS
    assert object_label("petition") == "Đơn thư"
    assert fields_label(list(services.CLEAR_FIELDS)).startswith("họ tên người gửi đơn")


def test_the_privacy_registry_lists_the_petitioner_and_the_content():
    from lhpn.privacy.registry import encrypted_columns

    found = {str(column) for column in encrypted_columns() if column.table.name == "petitions"}
    assert found == {f"petitions.{name}" for name in ("full_name", "address", "phone", "subject",
                                                      "summary", "outcome")}


@pytest.mark.parametrize(("change", "field"), [
    ({"due_on": "2026-11-01"}, "due_on"),       # the agency's deadline before the letter
    ({"due_on": "soon"}, "due_on"),
    ({"written_on": "2026-10-30"}, "written_on"),  # a letter before the petition came in
    ({"agency": ""}, "agency")])
def test_a_forwarding_refused_leaves_the_petition_as_it_was(ctx, people, today, change, field):
    staff = user(people, "staff.c11")
    petition = services.receive(staff, unit(people, "C11"), form())
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.forward(staff, petition, petition.version, **({
            "agency": "UBND xã Tân Lễ", "written_on": "2026-11-05"} | change))
    assert refused.value.field == field
    db.session.rollback()
    assert (petition.status, petition.version) == ("received", 1)
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_the_deadlines_name_a_forwarded_petition_by_its_register_number(ctx, people,
                                                                       monkeypatch):
    """The shared deadlines (lhpn/agenda) name the forwarding's follow-up as the petitions
    name the petition: its register number and category, never the row's id nor a person."""
    from flask import current_app

    from lhpn.agenda.services import deadlines

    at(monkeypatch, date(2026, 11, 5))
    staff = user(people, "staff.c11")
    services.receive(staff, unit(people, "C11"), form(category="reflection"))
    sent = services.receive(staff, unit(people, "C11"), form())
    services.forward(staff, sent, sent.version, agency="UBND xã Tân Lễ",
                     letter_number="12/CV-HPN", written_on="2026-11-04")
    db.session.commit()
    at(monkeypatch, date(2026, 12, 10))
    with current_app.test_request_context():
        found = deadlines(user(people, "approver.c11"), date(2026, 12, 10), date(2026, 12, 31))
    titles = {d.title for d in found if d.object_id == sent.id}
    assert "Đơn số 2/2026 (khiếu nại) — UBND xã Tân Lễ" in titles
    assert not any(f"số {sent.id} " in t or secret in t for t in titles for secret in SECRETS)
