"""Dialogues with the heads of Party committees and governments (lhpn/dialogues), through the
services: planned → held → closed, commitments followed up like recommendations (overdue on a
fixed clock, chased, settled, reopened), bad input refused with nothing saved."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lhpn import clock
from lhpn.accounts.models import User
from lhpn.dialogues import services
from lhpn.dialogues.models import Dialogue
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.models import FollowUp
from lhpn.units.models import Unit

NOW = datetime(2026, 12, 1, 3, 0)  # 10:00 in Vietnam, 01/12/2026
PLANNED = {"held_on": "2026-11-05", "leader_name": "Trần Văn Bình",
           "leader_title": "Bí thư Đảng ủy xã", "body": "Đảng ủy xã Tân Lễ",
           "women_count": "120", "issues": "Vay vốn cho hộ phụ nữ nghèo; nhà văn hóa thôn."}


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def held_dialogue(world) -> Dialogue:
    dialogue = services.create(_user(world, "staff.c11"),
                               db.session.get(Unit, world.units["C11"]),
                               PLANNED | {"held": True})
    db.session.commit()
    return dialogue


def test_planned_held_closed_and_reopened(ctx, people, frozen):
    staff = _user(people, "staff.c11")
    dialogue = services.create(staff, db.session.get(Unit, people.units["C11"]),
                               PLANNED | {"held_on": "2026-12-20"})  # ahead: planned
    db.session.commit()
    assert dialogue.status == "planned"
    with pytest.raises(DomainError) as refused:  # not held in the future
        services.step(staff, dialogue, "hold", dialogue.version, {})
    assert refused.value.field == "on"
    db.session.rollback()
    services.step(staff, dialogue, "hold", dialogue.version,
                  {"on": "2026-11-28", "women_count": "85"})
    db.session.commit()
    assert (dialogue.status, dialogue.held_on, dialogue.women_count) == \
        ("held", date(2026, 11, 28), 85)
    services.step(staff, dialogue, "close", dialogue.version, {})
    services.step(staff, dialogue, "reopen", dialogue.version, {"comment": "Thêm cam kết."})
    db.session.commit()
    assert [(e.action, e.to_status) for e in services.history(dialogue)] == \
        [("hold", "held"), ("close", "closed"), ("reopen", "held")]


@pytest.mark.parametrize(("changes", "field"), [
    ({"leader_name": ""}, "leader_name"),
    ({"body": " "}, "body"),
    ({"women_count": "-3"}, "women_count"),
    ({"women_count": "nhiều"}, "women_count"),
    ({"held_on": "2026-13-01"}, "held_on"),
    ({"held_on": "2026-12-02", "held": True}, "held_on"),  # held tomorrow
])
def test_bad_input_is_refused_with_nothing_saved(ctx, people, frozen, changes, field):
    with pytest.raises(DomainError) as refused:
        services.create(_user(people, "staff.c11"), db.session.get(Unit, people.units["C11"]),
                        PLANNED | changes)
    db.session.rollback()
    assert refused.value.field == field and _count(Dialogue) == 0


def test_a_commitment_goes_overdue_is_chased_and_settled(ctx, people, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 10, 3, 0))
    staff = _user(people, "staff.c11")
    dialogue = held_dialogue(people)
    fu = services.add_commitment(staff, dialogue, content="Sửa nhà văn hóa thôn Tân Hòa",
                                 agency="UBND xã Tân Lễ", due_on="2026-11-30")
    db.session.commit()
    assert (fu.object_type, fu.written_on, fu.content) == \
        ("dialogue", date(2026, 11, 5), "Sửa nhà văn hóa thôn Tân Hòa")
    assert not follow_ups.is_overdue(fu)
    assert services.overdue_among([dialogue.id]) == set()
    # 00:30 on 01/12 in Vietnam (17:30 UTC on 30/11): one day late.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 30, 17, 30))
    assert follow_ups.days_overdue(fu) == 1
    assert services.overdue_among([dialogue.id]) == {dialogue.id}
    follow_ups.record_chase(staff, fu, fu.version)
    follow_ups.answer(staff, fu, fu.version, answered_on="2026-12-01",
                      answer="Đã bố trí kinh phí quý I/2027.")
    follow_ups.reopen(staff, fu, fu.version)  # not the last word
    follow_ups.settle(staff, fu, fu.version, "implemented")
    db.session.commit()
    assert (fu.status, fu.chase_count) == ("implemented", 1)
    with pytest.raises(DomainError):  # settled: final
        follow_ups.reopen(staff, fu, fu.version)


def test_commitments_only_once_held_and_with_their_text(ctx, people, frozen):
    staff = _user(people, "staff.c11")
    planned = services.create(staff, db.session.get(Unit, people.units["C11"]),
                              PLANNED | {"held_on": "2026-12-20"})
    db.session.commit()
    with pytest.raises(DomainError):
        services.add_commitment(staff, planned, content="x", agency="UBND xã",
                                due_on="2026-12-30")
    held = held_dialogue(people)
    for content, agency, due, field in (("", "UBND xã", "2026-12-30", "text"),
                                        ("Đèn đường", "", "2026-12-30", "agency"),
                                        ("Đèn đường", "UBND xã", "2026-11-01", "due_on")):
        with pytest.raises(DomainError) as refused:
            services.add_commitment(staff, held, content=content, agency=agency, due_on=due)
        db.session.rollback()
        assert refused.value.field == field
    assert _count(FollowUp) == 0


def test_another_tenants_dialogue_is_not_found(ctx, people, frozen):
    dialogue = held_dialogue(people)
    for outsider in ("approver.hy", "staff.c12"):
        with pytest.raises(NotFound):
            services.get_visible(_user(people, outsider), dialogue.id)
    assert services.get_visible(_user(people, "viewer.tb"), dialogue.id) is dialogue
