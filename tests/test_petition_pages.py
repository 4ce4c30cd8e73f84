"""Petitions through the pages: intake on one form, the petitioner in clear for the unit that
handles it and masked to viewers, a read by the level above logged with its purpose, another
tenant's petition answering 404, bad input refused with nothing saved, the handling forms,
the forwarding followed up with its chasing letter, the register as .xlsx (masked, and in
clear as a logged read), the tenant's deadlines corrected by an admin."""

import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from lhpn import clock
from lhpn.extensions import db
from lhpn.followups.models import FollowUp
from lhpn.petitions.models import Petition
from lhpn.privacy.models import SensitiveRead
from tests.conftest import csrf_token, login
from tests.test_petitions import NAME, PHONE, SECRETS, SUMMARY, form


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 30, 5))


def as_user(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def receive(app, username: str = "staff.c11", **overrides) -> int:
    client = as_user(app, username)
    response = client.post("/petitions/new", data=form(**overrides)
                           | {"csrf_token": csrf_token(client, "/petitions/new")})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/petitions/(\d+)", response.headers["Location"]).group(1))


def post(client, path: str, data: dict, page: str):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, page)})


def reads(app) -> list[SensitiveRead]:
    with app.app_context():
        return db.session.scalars(select(SensitiveRead)).all()


def test_intake_then_in_clear_for_the_unit_masked_for_a_viewer(app, people):
    petition_id = receive(app)
    own = as_user(app, "staff.c11").get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert NAME in own and PHONE in own and "02/12/2026" in own
    assert reads(app) == []  # the unit's own handling is not a logged read
    viewer = as_user(app, "viewer.d1")
    for path in (f"/petitions/{petition_id}", "/petitions/", "/petitions/?overdue=1",
                 f"/petitions/{petition_id}?purpose=handling"):
        response = viewer.get(path)
        html = response.get_data(as_text=True)
        assert not any(secret in html for secret in SECRETS), path
    assert viewer.get(f"/petitions/{petition_id}?purpose=handling").status_code == 403
    assert "Đơn số 1/2026" in viewer.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert reads(app) == []


def test_the_level_above_reads_in_clear_with_a_purpose_logged(app, people):
    petition_id = receive(app)
    above = as_user(app, "approver.d1")
    masked = above.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert NAME not in masked and 'name="purpose"' in masked
    clear = post(above, f"/petitions/{petition_id}", {"purpose": "supervision"},
                 f"/petitions/{petition_id}").get_data(as_text=True)
    assert NAME in clear and SUMMARY in clear
    [read] = reads(app)
    assert (read.object_type, read.object_id, read.purpose, read.channel) == \
        ("petition", petition_id, "supervision", "page")
    assert read.user_id == people.users["approver.d1"] and "petitioner_name" in read.fields


def test_another_tenants_or_branchs_petition_answers_404(app, people):
    petition_id = receive(app)
    for username in ("staff.hy", "staff.c12"):
        client = as_user(app, username)
        assert client.get(f"/petitions/{petition_id}").status_code == 404, username
        assert post(client, f"/petitions/{petition_id}/status",
                    {"action": "handle", "version": "1"}, "/petitions/").status_code == 404


@pytest.mark.parametrize(("field", "value", "message"), [
    ("category", "gossip", "Hãy chọn loại đơn"),
    ("received_on", "2026-12-05", "không được sau hôm nay"),
    ("summary", "", "Hãy nhập tóm tắt nội dung đơn")])
def test_bad_input_is_refused_with_nothing_saved(app, people, field, value, message):
    client = as_user(app, "staff.c11")
    response = post(client, "/petitions/new", form(**{field: value}), "/petitions/new")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Petition)) == 0


def test_handling_forward_and_the_chasing_letter(app, people, monkeypatch):
    petition_id = receive(app, received_on="2026-11-02")
    client = as_user(app, "staff.c11")
    page = f"/petitions/{petition_id}"
    assert post(client, f"{page}/status", {"action": "handle", "version": "1"},
                page).status_code == 302
    response = post(client, f"{page}/status",
                    {"action": "forward", "version": "2", "agency": "UBND xã Tân Lễ",
                     "letter_number": "15/CV-HPN", "written_on": "2026-11-03"}, page)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        fu = db.session.scalars(select(FollowUp).where(FollowUp.object_type == "petition")).one()
        fu_id = fu.id
        assert fu.due_on == date(2026, 12, 3)
    html = client.get(page).get_data(as_text=True)
    assert "15/CV-HPN" in html and "Chuyển đơn" in html
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 10, 5))
    assert "Quá hạn" in client.get(page).get_data(as_text=True)
    assert f'/petitions/{petition_id}">1/2026</a>' in as_user(app, "viewer.d1").get(
        "/petitions/?overdue=1").get_data(as_text=True)
    letter = client.get(f"{page}/follow-ups/{fu_id}/chasing-letter.docx")
    assert letter.status_code == 200
    words = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "UBND xã Tân Lễ" in words and "15/CV-HPN" in words
    assert not any(secret in words for secret in SECRETS)
    # a stale version is refused
    assert post(client, f"{page}/tell", {"version": "1", "told_on": "2026-12-05"},
                page).status_code == 409
    assert post(client, f"{page}/tell", {"version": "3", "told_on": "2026-12-05"},
                page).status_code == 302
    assert post(client, f"{page}/status", {"action": "close", "version": "4"},
                page).status_code == 302
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        assert (petition.status, petition.told_on) == ("closed", date(2026, 12, 5))


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_the_register_xlsx_masked_and_in_clear(app, people):
    first = receive(app, received_on="2026-03-02")
    receive(app, received_on="2026-11-02", category="denunciation", is_mass="1")
    with app.app_context():
        unit_id = db.session.get(Petition, first).unit_id
    viewer = as_user(app, "viewer.d1")
    response = post(viewer, "/petitions/register.xlsx", {"unit_id": str(unit_id),
                                                         "year": "2026", "clear": "1"},
                    "/petitions/")
    assert response.status_code == 403
    response = post(viewer, "/petitions/register.xlsx", {"unit_id": str(unit_id),
                                                         "start": "2026-01-01",
                                                         "end": "2026-06-30"}, "/petitions/")
    assert response.status_code == 200
    ws = _sheet(response.data)
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(rows) == 1 and rows[0][0] == "1/2026" and rows[0][3] == "Khiếu nại"
    assert rows[0][1].date() == date(2026, 3, 2)
    assert not any(secret in str(cell) for row in rows for cell in row for secret in SECRETS)
    staff = as_user(app, "staff.c11")
    response = post(staff, "/petitions/register.xlsx", {"unit_id": str(unit_id), "clear": "1",
                                                        "purpose": "handling"}, "/petitions/")
    rows = [[c.value for c in row] for row in _sheet(response.data).iter_rows(min_row=3)]
    assert [r[0] for r in rows] == ["1/2026", "2/2026"]
    assert rows[0][4] == NAME and rows[1][8] == "Có"
    assert {(r.object_id, r.channel) for r in reads(app)} == {(first, "xlsx"),
                                                               (first + 1, "xlsx")}


def test_an_admin_corrects_the_deadlines_and_others_may_not(app, people):
    admin = as_user(app, "tenant_admin.tb")
    page = admin.get("/petitions/deadlines").get_data(as_text=True)
    assert "Luật Khiếu nại 2011" in page
    bad = post(admin, "/petitions/deadlines", {"complaint": "0", "denunciation": "30",
                                               "recommendation": "10", "reflection": "10"},
               "/petitions/deadlines")
    assert bad.status_code == 422
    ok = post(admin, "/petitions/deadlines", {"complaint": "45", "denunciation": "30",
                                              "recommendation": "15", "reflection": "10"},
              "/petitions/deadlines")
    assert ok.status_code == 302
    petition_id = receive(app, received_on="2026-11-02")
    with app.app_context():
        assert db.session.get(Petition, petition_id).due_on == date(2026, 12, 17)
    assert as_user(app, "staff.c11").get("/petitions/deadlines").status_code == 403


def test_the_record_kind_searches_clear_fields_only_and_lists_deadlines(app, people):
    from lhpn import authz, records
    from lhpn.accounts.models import User
    from lhpn.text import search_key

    late = receive(app, category="reflection", received_on="2026-11-02")  # due 12/11
    soon = receive(app, received_on="2026-11-25")                        # due 25/12
    with app.test_request_context(), app.app_context():
        kind = records.KINDS["petition"]
        viewer = db.session.get(User, people.users["viewer.d1"])
        units = authz.reachable_unit_ids(viewer, "view")
        assert [h.id for h in kind.search(viewer, search_key("đơn số 1/2026"), units)] == [late]
        assert {h.id for h in kind.search(viewer, search_key("phản ánh"), units)} == {late}
        assert kind.search(viewer, search_key(NAME), units) == []  # never the petitioner
        overdue = kind.deadlines(viewer, None, date(2026, 11, 30))
        assert [(d.object_id, d.overdue) for d in overdue] == [(late, True)]
        december = kind.deadlines(viewer, date(2026, 12, 1), date(2026, 12, 31))
        assert [(d.object_id, d.due_on) for d in december] == [(soon, date(2026, 12, 25))]
        assert records.url_of("petition", late) == f"/petitions/{late}"
        assert not any(secret in d.title for d in overdue + december for secret in SECRETS)


def test_the_list_links_to_the_users_own_register_even_when_empty(app, people):
    with app.app_context():
        from lhpn.units.models import Unit

        c11 = db.session.get(Unit, people.units["C11"])
    page = as_user(app, "staff.c11").get("/petitions/").get_data(as_text=True)
    assert f"/petitions/?unit_id={c11.id}" in page and "Sổ của Hội LHPN xã Tân Lễ" in page
    register = as_user(app, "staff.c11").get(f"/petitions/?unit_id={c11.id}")
    assert "Xuất sổ theo dõi đơn thư" in register.get_data(as_text=True)


def test_the_petitioner_is_kept_by_neither_safety_net_for_typed_input(app, people):
    """No ``data-draft`` on the intake form (the browser's copy), and a post that lost its
    session or CSRF token is not kept on the server (lhpn/unsaved)."""
    from lhpn.unsaved.models import UnsavedInput

    page = as_user(app, "staff.c11").get("/petitions/new").get_data(as_text=True)
    [intake] = re.findall(r'<form[^>]*action="/petitions/new".*?</form>', page, re.S)
    assert "data-draft" not in intake and 'autocomplete="off"' in intake
    for client in (app.test_client(), as_user(app, "staff.c11")):
        answer = client.post("/petitions/new", data=form(),
                             headers={"Origin": "http://localhost"})
        assert answer.status_code == 400
        assert NAME not in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UnsavedInput)) == 0
        assert db.session.scalar(select(func.count()).select_from(Petition)) == 0
