"""Critiques and comments on drafts (lhpn/critiques), through the services on the real
database: the lifecycle received → sent → concluded with its history and audit, the dates
refused with nothing saved, overdue comments, who may write, another tenant's record."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lhpn import authz, clock
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.critiques import services
from lhpn.critiques.models import Critique
from lhpn.errors import Conflict, DomainError, NotFound
from lhpn.extensions import db
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent

# 10:00 in Vietnam, 01/12/2026.
NOW = datetime(2026, 12, 1, 3, 0)
DRAFT = {"kind": "critique", "draft_title": "Dự thảo Nghị quyết về hỗ trợ phụ nữ khởi nghiệp",
         "issuing_body": "HĐND xã Tân Lễ", "received_on": "2026-11-10",
         "comments_due": "2026-11-25"}


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def _unit(world, code: str) -> Unit:
    return db.session.get(Unit, world.units[code])


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def make(world, **changes) -> Critique:
    return services.create(_user(world, "staff.c11"), _unit(world, "C11"), DRAFT | changes)


def test_the_lifecycle_goes_through_the_workflow_with_history_and_audit(ctx, people, frozen):
    staff = _user(people, "staff.c11")
    critique = make(people)
    db.session.commit()
    assert (critique.status, critique.version, critique.accepted) == ("received", 1, "unknown")
    assert services.is_overdue(critique)  # due 25/11, not sent on 01/12
    services.step(staff, critique, "send", critique.version,
                  {"sent_number": "45/CV-HLHPN", "sent_on": "2026-11-24",
                   "sent_summary": "Đề nghị bổ sung tiêu chí hộ nghèo do phụ nữ làm chủ."})
    db.session.commit()
    assert critique.status == "sent" and critique.sent_on == date(2026, 11, 24)
    assert not services.is_overdue(critique)
    services.step(staff, critique, "conclude", critique.version,
                  {"accepted": "partly", "accepted_note": "Tiếp thu ý kiến thứ nhất."})
    db.session.commit()
    assert (critique.status, critique.accepted) == ("concluded", "partly")
    with pytest.raises(DomainError):  # a reopening says why
        services.step(staff, critique, "reopen", critique.version, {"comment": ""})
    db.session.rollback()
    services.step(staff, critique, "reopen", critique.version,
                  {"comment": "HĐND xin thêm ý kiến."})
    db.session.commit()
    assert critique.status == "sent"
    moves = [(e.action, e.from_status, e.to_status) for e in services.history(critique)]
    assert moves == [("send", "received", "sent"), ("conclude", "sent", "concluded"),
                     ("reopen", "concluded", "sent")]
    actions = db.session.scalars(select(AuditEntry.action)
                                 .where(AuditEntry.object_type == "critique")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["critique.create", "critique.send", "critique.conclude",
                       "critique.reopen"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"comments_due": "2026-11-01"}, "comments_due"),      # due before received
    ({"received_on": "2026-12-05"}, "received_on"),        # received in the future
    ({"kind": "opinion"}, "kind"),
    ({"draft_title": "  "}, "draft_title"),
    ({"issuing_body": ""}, "issuing_body"),
    ({"received_on": "31/02/2026"}, "received_on"),
    ({"draft_title": "x" * 501}, "draft_title"),
])
def test_bad_input_is_refused_and_nothing_is_saved(ctx, people, frozen, changes, field):
    audits = _count(AuditEntry)
    with pytest.raises(DomainError) as refused:
        make(people, **changes)
    db.session.rollback()
    assert refused.value.field == field
    assert _count(Critique) == 0 and _count(AuditEntry) == audits


@pytest.mark.parametrize(("sent", "field"), [
    ({"sent_on": "2026-11-01"}, "sent_on"),   # sent before received
    ({"sent_on": "2026-12-02"}, "sent_on"),   # sent tomorrow
    ({"sent_summary": ""}, "sent_summary"),
])
def test_comments_sent_out_of_order_are_refused(ctx, people, frozen, sent, field):
    critique = make(people)
    db.session.commit()
    good = {"sent_on": "2026-11-20", "sent_summary": "Góp ý ba điểm."}
    with pytest.raises(DomainError) as refused:
        services.step(_user(people, "staff.c11"), critique, "send", critique.version,
                      good | sent)
    db.session.rollback()
    assert refused.value.field == field
    critique = db.session.get(Critique, critique.id)
    assert (critique.status, critique.sent_on, critique.version) == ("received", None, 1)
    assert _count(WorkflowEvent) == 0


def test_a_stale_version_and_a_step_from_the_wrong_state_conflict(ctx, people, frozen):
    staff = _user(people, "staff.c11")
    critique = make(people)
    db.session.commit()
    with pytest.raises(Conflict):
        services.update(staff, critique, {"draft_title": "Khác"}, 0)
    with pytest.raises(Conflict):
        services.step(staff, critique, "conclude", critique.version, {"accepted": "yes"})
    db.session.rollback()
    services.update(staff, critique, {"draft_title": "Dự thảo đã sửa"}, critique.version)
    db.session.commit()
    assert (critique.draft_title, critique.version) == ("Dự thảo đã sửa", 2)


def test_who_writes_and_who_reads(ctx, people, frozen):
    critique = make(people)
    db.session.commit()
    # The commune's chair writes too; the district's officer reads, never writes there.
    assert services.may_write(_user(people, "approver.c11"), critique.unit)
    assert not services.may_write(_user(people, "staff.d1"), critique.unit)
    assert services.get_visible(_user(people, "staff.d1"), critique.id) is critique
    with pytest.raises(authz.Forbidden):
        services.update(_user(people, "staff.d1"), critique, {}, critique.version)
    for outsider in ("staff.c12", "approver.hy"):
        with pytest.raises(NotFound):
            services.get_visible(_user(people, outsider), critique.id)
