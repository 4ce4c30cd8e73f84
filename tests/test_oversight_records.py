"""Critiques and dialogues in the list of record kinds (lhpn/records.py): the shared pages'
search finds a unit's records by words without diacritics, the deadlines list the comments due
and the commitments due or overdue, each only for who may see them."""

from datetime import timedelta

from sqlalchemy import select

from lhpn import authz, records
from lhpn.accounts.models import User
from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.text import search_key
from tests.oversight_world import oversight_records


def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def test_both_kinds_are_registered_with_their_pages(app, people):
    ids = oversight_records(app, people)
    with app.test_request_context():
        assert records.url_of("critique", ids["critique"]) == f"/critiques/{ids['critique']}"
        assert records.url_of("dialogue", ids["dialogue"]) == f"/dialogues/{ids['dialogue']}"


def test_search_and_deadlines_follow_the_readers_reach(app, people):
    ids = oversight_records(app, people)
    today = local_today()
    with app.test_request_context():
        critique, dialogue = records.KINDS["critique"], records.KINDS["dialogue"]
        district = _user(people, "staff.d1")
        units = select(authz.reachable_unit_ids(district, "view").subquery().c.id)
        hits = critique.search(district, search_key("nghị quyết Y TẾ"), units)
        assert [(h.object_type, h.id, h.unit_name) for h in hits] == [
            ("critique", ids["critique"], "Hội LHPN xã Tân Lễ")]
        assert [h.id for h in dialogue.search(district, search_key("bi thu"), units)] == \
            [ids["dialogue"]]
        assert critique.search(district, "khong co", units) == []
        # The comments are due in five days; the commitment was due two days ago.
        soon = critique.deadlines(district, today, today + timedelta(days=7))
        assert [(d.object_id, d.overdue) for d in soon] == [(ids["critique"], False)]
        assert critique.deadlines(district, None, today) == []
        assert [d.object_id for d in critique.deadlines(district, None,
                                                        today + timedelta(days=5))] == \
            [ids["critique"]]
        late = dialogue.deadlines(district, None, today)
        assert [(d.object_id, d.overdue, d.due_on) for d in late] == [
            (ids["dialogue"], True, today - timedelta(days=2))]
        assert "Sửa đường liên thôn" in late[0].title
        sibling = _user(people, "staff.c12")
        assert dialogue.deadlines(sibling, None, today) == []
        assert critique.deadlines(sibling, today, today + timedelta(days=7)) == []


def test_the_shared_pages_show_them(app, people):
    """The search of records, the dashboard's deadlines and the calendar (lhpn/agenda) list
    the critique and the dialogue's overdue commitment for a reader above."""
    from tests.conftest import login

    ids = oversight_records(app, people)
    today = local_today()
    reader = app.test_client()
    login(reader, "viewer.d1")
    found = reader.get("/records/search?q=y+te+co+so").get_data(as_text=True)
    assert f'href="/critiques/{ids["critique"]}"' in found
    found = reader.get("/records/search?q=bi+thu&kind=dialogue").get_data(as_text=True)
    assert f'href="/dialogues/{ids["dialogue"]}"' in found
    home = reader.get("/").get_data(as_text=True)
    assert f'/critiques/{ids["critique"]}' in home and f'/dialogues/{ids["dialogue"]}' in home
    assert "Sửa đường liên thôn" in home
    due = today + timedelta(days=5)
    month = reader.get(f"/calendar?month={due:%Y-%m}").get_data(as_text=True)
    assert f'/critiques/{ids["critique"]}' in month
