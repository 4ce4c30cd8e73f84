"""Incidents of violence (lhpn/incidents), through the pages: recorded at a commune in one
form, the chain of command told at once without the victim's identity, the case masked to
everyone else who may view the unit, every clear read logged with its purpose in the read's
own transaction, the sensitive fields encrypted in the database, bad input refused with
nothing saved, the case handled (victims, interventions, status) with optimistic locking."""

import re

import pytest
from sqlalchemy import func, select, text

from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.incidents.models import Incident, IncidentKind, Intervention, Victim
from lhpn.notifications.models import Notification
from lhpn.privacy.models import SensitiveRead
from lhpn.workflow.models import WorkflowEvent
from tests.conftest import csrf_token, login
from tests.incident_world import ADDRESS, FACTS, NAME, PHONE, SECRETS

OUTCOME = "Công an xã đã xử phạt hành chính người chồng."


def kind_id(app, tenant_id: int, code: str = "domestic_violence") -> int:
    with app.app_context():
        return db.session.scalar(select(IncidentKind.id).where(
            IncidentKind.tenant_id == tenant_id, IncidentKind.code == code))


def case_form(app, world, **overrides) -> dict:
    return {"kind": str(kind_id(app, world.tenants["TB"])), "occurred_on": "2026-11-20",
            "place": "Nhà riêng, thôn Tân Hòa", "source": "Chi hội trưởng báo qua điện thoại",
            "facts": FACTS, "victim_state": "Đang điều trị tại trạm y tế xã",
            "responsible": "Trần Văn Nam", "responsible_relation": "Chồng",
            "victim_full_name": NAME, "victim_age_or_year": "1990", "victim_sex": "female",
            "victim_child": "", "victim_address": ADDRESS, "victim_phone": PHONE} | overrides


def record_case(app, client, world, **overrides) -> int:
    login(client, "staff.c11")
    response = client.post("/incidents/new", data=case_form(app, world, **overrides)
                           | {"csrf_token": csrf_token(client, "/incidents/new")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/incidents/(\d+)", response.headers["Location"]).group(1))


def as_user(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_a_commune_officer_records_a_case_and_the_chain_is_told_without_identity(
        app, client, people):
    incident_id = record_case(app, client, people)
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.unit_id, incident.status, incident.kind.code) == (
            people.units["C11"], "open", "domestic_violence")
        victim = incident.victims[0]
        assert (victim.full_name, victim.phone, victim.birth_year, victim.is_child) == (
            NAME, PHONE, 1990, False)
        told = {db.session.get(User, n.user_id).username: n.message
                for n in db.session.scalars(select(Notification))}
        # The commune's chair, the chairs above it, the province's protection officer; not
        # the recorder, the viewers, the admins nor the sibling commune's protection officer.
        assert set(told) == {"approver.c11", "approver.d1", "approver.tb", "protection.tb"}
        entries = db.session.scalars(select(AuditEntry)
                                     .where(AuditEntry.action.like("incident.%"))).all()
        assert [e.action for e in entries] == ["incident.create"]
        for message in [*told.values(), *(e.summary + str(e.data) for e in entries)]:
            assert f"Vụ việc số {incident_id}: Bạo lực gia đình" in message
            assert not any(secret in message for secret in SECRETS), message


def test_the_database_holds_no_victim_in_clear(app, client, people):
    record_case(app, client, people)
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT v.full_name, v.address, v.phone, i.facts, i.place, i.responsible "
            "FROM incident_victims v JOIN incidents i ON i.id = v.incident_id")).all()
        assert len(rows) == 1
        dumped = " ".join(str(value) for value in rows[0])
        for secret in (*SECRETS, "Trần Văn Nam", "Tân Hòa"):
            assert secret not in dumped


# Who sees the case at C11 how: "clear" (reads it in clear after choosing a purpose), "masked"
# (sees kind, date, commune, sex, age band; asking for clear is 403), "404" (not theirs).
SEES = {
    "staff.c11": "clear", "approver.c11": "clear", "approver.d1": "clear",
    "approver.tb": "clear", "protection.tb": "clear",
    "viewer.d1": "masked", "tenant_admin.tb": "masked", "tenant_admin.d1": "masked",
    "staff.d1": "masked", "viewer.tb": "masked",
    "staff.c12": "404", "protection.c12": "404", "norole.d1": "404", "approver.hy": "404",
    "protection.hy": "404",
}


@pytest.mark.parametrize("username", sorted(SEES))
def test_masked_or_clear_by_the_chain_of_command(app, client, people, username):
    incident_id = record_case(app, client, people)
    reader = as_user(app, username)
    masked = reader.get(f"/incidents/{incident_id}")
    clear = reader.get(f"/incidents/{incident_id}?purpose=handling")
    listing = reader.get("/incidents/").get_data(as_text=True)
    assert not any(secret in listing for secret in SECRETS)
    with app.app_context():
        logged = db.session.scalars(select(SensitiveRead)).all()
    if SEES[username] == "404":
        assert (masked.status_code, clear.status_code) == (404, 404)
        assert f"#{incident_id}" not in listing
        assert logged == []
        return
    page = masked.get_data(as_text=True)
    assert masked.status_code == 200 and "Bạo lực gia đình" in page and "Nữ" in page
    assert "30–44 tuổi" in page and "Hội LHPN xã Tân Lễ" in page
    assert not any(secret in page for secret in SECRETS)
    assert f"#{incident_id}" in listing
    assert masked.headers["Cache-Control"] == "no-store"
    if SEES[username] == "masked":
        assert clear.status_code == 403
        assert not any(secret in clear.get_data(as_text=True) for secret in SECRETS)
        assert logged == []
        return
    assert clear.status_code == 200
    assert all(secret in clear.get_data(as_text=True) for secret in SECRETS)
    [entry] = logged
    assert (entry.user_id, entry.object_type, entry.object_id, entry.purpose, entry.channel) == (
        people.users[username], "incident", incident_id, "handling", "page")
    assert {"victim_name", "victim_phone", "facts"} <= set(entry.field_names)


def test_a_purpose_must_be_chosen_and_other_explained(app, client, people):
    incident_id = record_case(app, client, people)
    reader = as_user(app, "approver.d1")
    token = csrf_token(reader, "/account")
    for form in ({"purpose": ""}, {"purpose": "curiosity"}, {"purpose": "other"}):
        response = reader.post(f"/incidents/{incident_id}", data=form | {"csrf_token": token})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and NAME not in body
    assert "ghi rõ mục đích" in body
    # A note comes by the form only: typed text never lands in a URL (nor an access log).
    response = reader.get(f"/incidents/{incident_id}?purpose=other&purpose_note=Đối chiếu")
    assert response.status_code == 422 and NAME not in response.get_data(as_text=True)
    # Without its CSRF token the form is refused and nothing is read.
    assert reader.post(f"/incidents/{incident_id}", data={"purpose": "handling"}
                       ).status_code in (400, 403)
    response = reader.post(f"/incidents/{incident_id}", data={
        "purpose": "other", "purpose_note": "Đối chiếu", "csrf_token": token})
    assert response.status_code == 200 and NAME in response.get_data(as_text=True)
    with app.app_context():
        [entry] = db.session.scalars(select(SensitiveRead)).all()
        assert (entry.purpose, entry.purpose_note) == ("other", "Đối chiếu")


def test_a_link_from_another_site_reads_nothing(app, client, people):
    incident_id = record_case(app, client, people)
    reader = as_user(app, "approver.d1")
    response = reader.get(f"/incidents/{incident_id}?purpose=handling",
                          headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200 and NAME not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(SensitiveRead)).all() == []


def test_a_read_that_cannot_be_logged_shows_nothing(app, client, people, monkeypatch):
    incident_id = record_case(app, client, people)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the log is unreachable")

    monkeypatch.setattr("lhpn.incidents.services.record_read", broken)
    response = as_user(app, "approver.d1").get(f"/incidents/{incident_id}?purpose=handling")
    assert response.status_code == 500
    assert not any(secret in response.get_data(as_text=True) for secret in SECRETS)


@pytest.mark.parametrize("overrides, field_message", [
    ({"facts": "  "}, "Hãy nhập diễn biến vụ việc"),
    ({"occurred_on": "2099-01-01"}, "Ngày xảy ra không được sau hôm nay"),
    ({"occurred_on": "31/02/2026"}, "ngày/tháng/năm"),
    ({"victim_full_name": ""}, "Hãy nhập họ và tên nạn nhân"),
    ({"victim_age_or_year": "abc"}, "Năm sinh hoặc tuổi là một số"),
    ({"victim_age_or_year": "9", "victim_child": "0"}, "không khớp"),
    ({"victim_sex": "x"}, "giới tính"),
    ({"victim_phone": "gọi cho tôi"}, "Số điện thoại chỉ gồm chữ số"),
    ({"kind": "999999"}, "loại vụ việc"),
])
def test_bad_input_is_refused_and_nothing_is_saved(app, client, people, overrides,
                                                   field_message):
    login(client, "staff.c11")
    response = client.post("/incidents/new", data=case_form(app, people, **overrides)
                           | {"csrf_token": csrf_token(client, "/incidents/new")})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and field_message in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Incident)) == 0
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_age_and_child_are_read_from_either_form(app, client, people):
    incident_id = record_case(app, client, people, victim_age_or_year="9", victim_child="")
    with app.app_context():
        victim = db.session.get(Incident, incident_id).victims[0]
        assert (victim.birth_year, victim.is_child) == (2017, True)
    page = as_user(app, "viewer.d1").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "6–11 tuổi" in page and "trẻ em" in page


def _post(client, path: str, data: dict):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, "/account")})


def test_the_case_is_handled_by_the_chain(app, client, people):
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    base = f"/incidents/{incident_id}"
    assert _post(chair, f"{base}/interventions", {
        "version": "1", "given_on": "2026-11-21", "kind": "counselling",
        "by_whom": "Chủ tịch Hội LHPN xã", "note": "Tư vấn tâm lý tại nhà"}).status_code == 302
    assert _post(chair, f"{base}/victims", {
        "version": "2", "victim_full_name": "Trần Thị Mai", "victim_age_or_year": "7",
        "victim_sex": "female", "victim_child": "1"}).status_code == 302
    # A stale form (version 1) changes nothing and says why.
    stale = _post(chair, f"{base}/status", {"version": "1", "action": "follow"})
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.get_data(
        as_text=True)
    assert _post(chair, f"{base}/status", {"version": "3", "action": "follow"}).status_code == 302
    refused = _post(chair, f"{base}/status", {"version": "4", "action": "close", "outcome": ""})
    assert refused.status_code == 422 and "kết quả giải quyết" in refused.get_data(as_text=True)
    assert _post(chair, f"{base}/status", {"version": "4", "action": "close",
                                           "outcome": OUTCOME}).status_code == 302
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.status, incident.outcome, len(incident.victims)) == (
            "closed", OUTCOME, 2)
        assert [i.kind for i in incident.interventions] == ["counselling"]
        assert [e.action for e in db.session.scalars(select(WorkflowEvent))] == [
            "follow", "close"]
        texts = [e.summary + str(e.data) for e in db.session.scalars(select(AuditEntry))]
        texts += [e.comment for e in db.session.scalars(select(WorkflowEvent))]
        assert not any(secret in t for t in texts for secret in (*SECRETS, OUTCOME, "Trần Thị Mai"))
        stored = db.session.execute(text("SELECT note FROM incident_interventions")).scalar()
        assert "Tư vấn" not in stored
        assert db.session.scalar(select(func.count()).select_from(Intervention)) == 1
        assert db.session.scalar(select(func.count()).select_from(Victim)) == 2
    # A viewer may not handle it: 403, nothing changed.
    viewer = as_user(app, "viewer.d1")
    assert _post(viewer, f"{base}/status", {"version": "5", "action": "reopen"}).status_code == 403


def test_every_tenant_has_the_kinds_of_incident(app, world):
    with app.app_context():
        for tenant_id in world.tenants.values():
            codes = set(db.session.scalars(select(IncidentKind.code)
                                           .where(IncidentKind.tenant_id == tenant_id)))
            assert codes == {"domestic_violence", "sexual_abuse", "trafficking", "child_abuse",
                             "other"}


def test_a_case_followed_with_the_police_goes_overdue_and_the_chasing_letter_drafts(
        app, client, people, monkeypatch):
    import io
    from datetime import datetime

    from docx import Document

    from lhpn import clock
    from lhpn.followups.models import FollowUp

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 25, 3, 0))
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    started = _post(chair, f"/incidents/{incident_id}/follow-ups", {
        "fu-new-agency": "Công an xã Tân Lễ", "fu-new-letter_number": "15/CV-HPN",
        "fu-new-written_on": "2026-11-21", "fu-new-due_on": "2026-11-30"})
    assert started.status_code == 303
    # A deadline before the letter is refused, the case shown again, nothing saved.
    refused = _post(chair, f"/incidents/{incident_id}/follow-ups", {
        "fu-new-agency": "Tòa án huyện", "fu-new-written_on": "2026-11-21",
        "fu-new-due_on": "2026-11-01"})
    assert refused.status_code == 422
    with app.app_context():
        [fu] = db.session.scalars(select(FollowUp)).all()
        fu_id = fu.id
    # A refused answer (before the union's letter) shows the case again with that form open,
    # holding what was typed; the other forms stay folded.
    typed = "Công an đã mời hai bên lên làm việc."
    refused = _post(chair, f"/incidents/{incident_id}/follow-ups/{fu_id}/answer", {
        f"fu{fu_id}-answer-answered_on": "2026-11-01", f"fu{fu_id}-answer-answer": typed,
        f"fu{fu_id}-answer-version": "1"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    opened = re.findall(r"<details open>\s*<summary>([^<]+)</summary>", page)
    assert opened == ["Ghi nhận trả lời của cơ quan"]
    assert typed in page
    with app.app_context():
        assert db.session.get(FollowUp, fu_id).answer == ""
    viewer = as_user(app, "viewer.d1")
    assert "quá hạn giải quyết" not in viewer.get("/").get_data(as_text=True)

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 3, 3, 0))  # 3 days late
    for reader in (viewer, as_user(app, "approver.d1")):
        home = reader.get("/").get_data(as_text=True)
        assert "1 vụ việc quá hạn giải quyết" in home
        assert not any(secret in home for secret in SECRETS)
        listing = reader.get("/incidents/?overdue=1").get_data(as_text=True)
        assert f"#{incident_id}" in listing
    letter_url = f"/incidents/{incident_id}/follow-ups/{fu_id}/chasing-letter.docx"
    assert viewer.get(letter_url).status_code == 403
    response = chair.get(letter_url)
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    words = "\n".join(p.text for p in document.paragraphs)
    words += "\n".join(cell.text for table in document.tables for row in table.rows
                       for cell in row.cells)
    assert "Công an xã Tân Lễ" in words and f"vụ việc số {incident_id}" in words
    assert "15/CV-HPN" in words and "30/11/2026" in words
    assert not any(secret in words for secret in (*SECRETS, "Trần Văn Nam"))


def test_a_protection_officer_picks_the_unit_and_only_one_of_hers(app, people):
    officer = as_user(app, "protection.tb")
    form = case_form(app, people) | {"csrf_token": csrf_token(officer, "/incidents/new")}
    page = officer.get("/incidents/new").get_data(as_text=True)
    assert "data-unit-picker" in page
    # Searching without script comes back with the matches and what was typed, saving nothing.
    found = officer.post("/incidents/new", data=form | {"find": "unit_id", "unit_id_q": "tân lễ"})
    assert found.status_code == 200 and "Hội LHPN xã Tân Lễ" in found.get_data(as_text=True)
    for wrong in ("", str(people.units["HC1"]), "abc"):
        refused = officer.post("/incidents/new", data=form | {"unit_id": wrong})
        assert refused.status_code == 422
        assert "Hãy chọn đơn vị ghi nhận vụ việc" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Incident)) == 0
    made = officer.post("/incidents/new", data=form | {"unit_id": str(people.units["C11"])})
    assert made.status_code == 302
    with app.app_context():
        [incident] = db.session.scalars(select(Incident)).all()
        assert incident.unit_id == people.units["C11"]


def test_the_cached_dashboard_counts_a_new_case_at_once(app, client, people):
    """The dashboard page is cached per user and day (lhpn/tenant_versions.py): recording a
    case, or closing one, moves the tenant's activity version, so the count is never stale."""
    first = record_case(app, client, people)
    viewer = as_user(app, "viewer.d1")
    assert "1 vụ việc đang theo dõi" in viewer.get("/").get_data(as_text=True)
    record_case(app, app.test_client(), people)
    assert "2 vụ việc đang theo dõi" in viewer.get("/").get_data(as_text=True)
    chair = as_user(app, "approver.c11")
    assert _post(chair, f"/incidents/{first}/status", {
        "version": "1", "action": "close", "outcome": OUTCOME}).status_code == 302
    assert "1 vụ việc đang theo dõi" in viewer.get("/").get_data(as_text=True)


EDIT, VICTIM = "Sửa thông tin vụ việc", "Thêm nạn nhân"
HELP, CONSENT = "Ghi thêm hoạt động hỗ trợ, can thiệp", "Ghi nhận sự đồng ý"
REFER, REQUEST = "Lập văn bản chuyển gửi", "Ghi nhận yêu cầu mới"


@pytest.mark.parametrize("path, data, opened", [
    ("/edit", {"section": "case", "version": "1", "kind": "khong-co",
               "occurred_on": "2026-11-20", "source": "Chi hội trưởng", "facts": FACTS}, EDIT),
    ("/victims", {"section": "victim", "version": "1", "victim_full_name": "",
                  "victim_sex": "female"}, VICTIM),
    ("/interventions", {"section": "intervention", "version": "1", "given_on": "2026-11-21",
                        "kind": "khong-co", "by_whom": "Chủ tịch Hội LHPN xã",
                        "note": "Tư vấn"}, HELP),
    ("/consents", {"section": "consent", "victim_id": "0", "scope": "police",
                   "given_by": "victim", "form": "written", "given_on": "2026-11-22"}, CONSENT),
    ("/referrals", {"section": "referral", "victim_id": "0", "scope": "police",
                    "agency": "Công an xã", "ground": "consent"}, REFER),
    ("/requests", {"section": "data_request", "kind": "khong-co", "requester": "victim",
                   "received_on": "2026-11-22", "note": "Xin xem hồ sơ"}, REQUEST),
])
def test_a_refused_form_opens_alone_with_what_was_typed(app, client, people, path, data,
                                                         opened):
    """A refusal reopens the form that was sent, with its errors, and no other: two forms
    asking for a field of one name (kind, victim_id, note) are not opened together, and what
    was typed in one does not land in another (the case's kind stays chosen)."""
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    page = chair.get(f"/incidents/{incident_id}?purpose=handling").get_data(as_text=True)
    assert f'name="section" value="{data["section"]}"' in page  # as the page's form sends it
    refused = _post(chair, f"/incidents/{incident_id}{path}", data)
    assert refused.status_code == 422, refused.status_code
    html = refused.get_data(as_text=True)
    assert re.findall(r"<details open>\s*<summary>([^<]*)</summary>", html) == [opened]
    own = kind_id(app, people.tenants["TB"])
    if path != "/edit":
        assert f'<option value="{own}" selected>' in html
