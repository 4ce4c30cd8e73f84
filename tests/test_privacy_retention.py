"""Retention of closed incidents and a data subject's requests (issue 15 item 8): the purge on
Vietnam's calendar, idempotent, through the command line; access, correction and erasure
carried out and logged; bad input refused with nothing saved; a viewer 403, another tenant 404."""

import re
from datetime import datetime
from io import BytesIO

from docx import Document
from sqlalchemy import func, select, text

from lhpn import clock
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.extensions import db
from lhpn.incidents import services
from lhpn.incidents.models import Incident
from lhpn.privacy.models import DataRequest, SensitiveRead
from lhpn.privacy.retention import add_months, purge_batches, set_retention
from lhpn.tenants.models import Tenant
from tests.conftest import csrf_token
from tests.test_incidents import ADDRESS, FACTS, NAME, OUTCOME, PHONE, as_user, record_case


def _at_utc(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def closed_case(app, client, world, monkeypatch) -> int:
    """A case recorded, then closed by the commune's chair on 25/11/2026 (Vietnam)."""
    incident_id = record_case(app, client, world)
    _at_utc(monkeypatch, datetime(2026, 11, 25, 3, 0))
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        services.change_status(db.session.get(User, world.users["approver.c11"]), incident,
                               "close", incident.version, OUTCOME)
        db.session.commit()
        assert incident.closed_on.isoformat() == "2026-11-25"
    return incident_id


def _purge_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "incident.purge")) or 0


def test_months_are_added_on_the_calendar():
    from datetime import date

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2031, 11, 26), -60) == date(2026, 11, 26)
    assert add_months(date(2024, 2, 29), -12) == date(2023, 2, 28)


def test_the_purge_waits_for_the_retention_then_removes_identities_once(
        app, client, people, monkeypatch):
    incident_id = closed_case(app, client, people, monkeypatch)
    runner = app.test_cli_runner()
    # 60 months after 25/11/2026 is 25/11/2031: still kept that day (23:00 in Vietnam).
    _at_utc(monkeypatch, datetime(2031, 11, 25, 16, 0))
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "của 0 vụ việc" in result.output
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.purged_at, incident.victims[0].full_name) == (None, NAME)
    # From midnight of 26/11/2031 in Vietnam (17:00 UTC), the identities go.
    _at_utc(monkeypatch, datetime(2031, 11, 25, 17, 0))
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "của 1 vụ việc (1 nạn nhân)" in result.output
    with app.app_context():
        raw = db.session.execute(text(
            "SELECT v.address, v.phone, i.place, i.source, i.responsible, i.victim_state, "
            "i.purged_at FROM incident_victims v JOIN incidents i ON i.id = v.incident_id"
        )).one()
        assert raw[:6] == (None,) * 6 and raw[6] is not None
        stored = db.session.execute(text("SELECT full_name FROM incident_victims")).scalar()
        assert NAME not in stored  # still ciphertext
        incident = db.session.get(Incident, incident_id)
        victim = incident.victims[0]
        assert victim.full_name == "Nạn nhân 1"
        assert FACTS not in incident.facts and OUTCOME not in (incident.outcome or "")
        # Still counts: kind, date, sex, birth year, child.
        assert (incident.kind.code, incident.occurred_on.isoformat(), victim.sex,
                victim.birth_year, victim.is_child) == (
            "domestic_violence", "2026-11-20", "female", 1990, False)
        assert _purge_entries() == 1
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "incident.purge"))
        assert entry.object_id == str(incident_id)
        assert not any(s in entry.summary + str(entry.data) for s in (NAME, PHONE, ADDRESS))
        purged_at = incident.purged_at
    # A second run does nothing.
    _at_utc(monkeypatch, datetime(2031, 12, 30, 3, 0))
    result = runner.invoke(args=["privacy", "purge"])
    assert "của 0 vụ việc" in result.output
    with app.app_context():
        assert _purge_entries() == 1
        assert db.session.get(Incident, incident_id).purged_at == purged_at


def _closed_in_hung_yen(app, world) -> int:
    """A case of the other tenant, closed the same day by its protection officer."""
    from lhpn.units.models import Unit

    with app.app_context():
        officer = db.session.get(User, world.users["protection.hy"])
        kind = services.kinds(world.tenants["HY"])[0]
        incident = services.record_incident(
            officer, db.session.get(Unit, world.units["HC1"]),
            {"kind": str(kind.id), "occurred_on": "2026-11-20", "place": "Phố Hiến",
             "source": "Tổ trưởng tổ phụ nữ", "facts": "Bị đánh"},
            [{"full_name": "Lê Thị Hạnh", "age_or_year": "30", "sex": "female"}])
        services.change_status(officer, incident, "close", incident.version, "Đã hòa giải")
        db.session.commit()
        return incident.id


def test_each_tenant_keeps_its_own_retention(app, client, people, monkeypatch):
    incident_id = closed_case(app, client, people, monkeypatch)
    other_id = _closed_in_hung_yen(app, people)
    with app.app_context():
        tenant = db.session.get(Tenant, people.tenants["TB"])
        set_retention(db.session.get(User, people.users["tenant_admin.tb"]), tenant, "24")
        db.session.commit()
    _at_utc(monkeypatch, datetime(2028, 11, 26, 3, 0))
    with app.app_context():
        batches = list(purge_batches(batch_size=1))
        db.session.commit()
        assert [(b.tenant_code, b.incidents, b.victims) for b in batches] == [("TB", 1, 1)]
        assert db.session.get(Incident, incident_id).purged_at is not None
        other = db.session.get(Incident, other_id)
        assert (other.purged_at, other.victims[0].full_name) == (None, "Lê Thị Hạnh")
        assert list(purge_batches()) == []


def test_a_purged_case_reopened_is_purged_again_once_closed(app, client, people, monkeypatch):
    incident_id = closed_case(app, client, people, monkeypatch)
    _at_utc(monkeypatch, datetime(2032, 1, 5, 3, 0))
    with app.app_context():
        assert len(list(purge_batches())) == 1
        chair = db.session.get(User, people.users["approver.c11"])
        incident = db.session.get(Incident, incident_id)
        services.change_status(chair, incident, "reopen", incident.version)
        assert incident.purged_at is None and incident.victims[0].full_name == "Nạn nhân 1"
        db.session.commit()
        assert list(purge_batches()) == []  # open: kept


def test_an_open_case_is_never_purged(app, client, people, monkeypatch):
    incident_id = record_case(app, client, people)
    _at_utc(monkeypatch, datetime(2040, 1, 1, 3, 0))
    with app.app_context():
        assert list(purge_batches()) == []
        assert db.session.get(Incident, incident_id).victims[0].full_name == NAME


# ---- the retention setting ----------------------------------------------------------------

def test_the_tenant_admin_sets_the_retention(app, people):
    admin = as_user(app, "tenant_admin.tb")
    token = csrf_token(admin, "/privacy/breaches")
    refused = admin.post("/privacy/retention", data={"csrf_token": token,
                                                     "incident_retention_months": "5 năm"})
    assert refused.status_code == 422
    assert "Thời hạn lưu giữ là số tháng" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tenant, people.tenants["TB"]).incident_retention_months == 60
    assert admin.post("/privacy/retention", data={"csrf_token": token,
                                                  "incident_retention_months": "84"}
                      ).status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, people.tenants["TB"]).incident_retention_months == 84
        assert db.session.get(Tenant, people.tenants["HY"]).incident_retention_months == 60
        assert db.session.scalar(select(AuditEntry.summary)
                                 .where(AuditEntry.action == "tenant.retention")) == "60 → 84"
    district = as_user(app, "tenant_admin.d1")
    assert district.post("/privacy/retention", data={
        "csrf_token": csrf_token(district, "/account"),
        "incident_retention_months": "12"}).status_code == 403


# ---- a data subject's requests -------------------------------------------------------------

def _request(app, client, incident_id: int, **values):
    form = {"kind": "access", "requester": "self", "received_on": "2026-11-22",
            "note": "Chị gọi điện xin bản sao"} | values
    return client.post(f"/incidents/{incident_id}/requests",
                       data=form | {"csrf_token": csrf_token(client, "/account")})


def _victim_id(app, incident_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Incident, incident_id).victims[0].id)


def _only_request(app) -> DataRequest:
    return db.session.scalars(select(DataRequest)).one()


def test_an_access_request_gives_the_victim_their_record_and_is_logged(app, client, people):
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    assert _request(app, chair, incident_id,
                    victim_id=_victim_id(app, incident_id)).status_code == 302
    with app.app_context():
        entry = _only_request(app)
        assert (entry.kind, entry.status, entry.note) == ("access", "received",
                                                          "Chị gọi điện xin bản sao")
        assert "xin bản sao" not in db.session.execute(
            text("SELECT note FROM data_requests")).scalar()
        request_id = entry.id
    answer = chair.post(f"/incidents/{incident_id}/requests/{request_id}/carry-out",
                        data={"csrf_token": csrf_token(chair, "/account")})
    assert answer.status_code == 200 and answer.mimetype.endswith("wordprocessingml.document")
    document = Document(BytesIO(answer.data))
    words = "\n".join([p.text for p in document.paragraphs]
                      + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert NAME in words and PHONE in words and "Trần Văn Nam" not in words
    with app.app_context():
        entry = _only_request(app)
        assert (entry.status, entry.done_by_id) == ("done", people.users["approver.c11"])
        read = db.session.scalars(select(SensitiveRead)
                                  .where(SensitiveRead.channel == "docx")).one()
        assert (read.purpose, read.purpose_note, read.object_id) == (
            "other", "Yêu cầu của chủ thể dữ liệu", incident_id)
        texts = [e.summary + str(e.data) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("data_request.%")))]
        assert len(texts) == 2
        assert not any(s in t for t in texts for s in (NAME, PHONE, "xin bản sao"))


def test_a_correction_is_marked_done_and_a_refusal_keeps_its_reason(app, client, people):
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    _request(app, chair, incident_id, kind="correction")
    _request(app, chair, incident_id, kind="erasure", requester="representative")
    with app.app_context():
        correction, erasure = sorted(db.session.scalars(select(DataRequest)),
                                     key=lambda r: r.id)
        ids = correction.id, erasure.id
    token = csrf_token(chair, "/account")
    base = f"/incidents/{incident_id}/requests"
    assert chair.post(f"{base}/{ids[0]}/carry-out", data={"csrf_token": token}
                      ).status_code == 302
    no_reason = chair.post(f"{base}/{ids[1]}/refuse", data={"csrf_token": token})
    assert no_reason.status_code == 422 and "lý do từ chối" in no_reason.get_data(as_text=True)
    assert chair.post(f"{base}/{ids[1]}/refuse", data={
        "csrf_token": token, "refusal_reason": "Vụ việc đang được cơ quan công an điều tra"}
    ).status_code == 302
    again = chair.post(f"{base}/{ids[1]}/carry-out", data={"csrf_token": token})
    assert again.status_code == 422 and "đã được giải quyết" in again.get_data(as_text=True)
    with app.app_context():
        got = {r.id: (r.status, r.refusal_reason) for r in db.session.scalars(
            select(DataRequest))}
        assert got == {ids[0]: ("done", None),
                       ids[1]: ("refused", "Vụ việc đang được cơ quan công an điều tra")}
        assert db.session.get(Incident, incident_id).victims[0].full_name == NAME


def test_an_erasure_pseudonymises_the_victim(app, client, people):
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    _request(app, chair, incident_id, kind="erasure", victim_id=_victim_id(app, incident_id))
    with app.app_context():
        request_id = _only_request(app).id
    assert chair.post(f"/incidents/{incident_id}/requests/{request_id}/carry-out",
                      data={"csrf_token": csrf_token(chair, "/account")}).status_code == 302
    with app.app_context():
        victim = db.session.get(Incident, incident_id).victims[0]
        assert (victim.full_name, victim.address, victim.phone) == ("Nạn nhân 1", None, None)
        assert _only_request(app).status == "done"
    page = chair.get(f"/incidents/{incident_id}?purpose=handling").get_data(as_text=True)
    assert NAME not in page and "Nạn nhân 1" in page


def test_bad_requests_are_refused_and_nothing_is_saved(app, client, people):
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    for values, message in (({"kind": "forget"}, "Hãy chọn loại yêu cầu"),
                            ({"requester": ""}, "Hãy chọn người yêu cầu"),
                            ({}, "phải nêu nạn nhân nào"),
                            ({"victim_id": "999"}, "Hãy chọn nạn nhân"),
                            ({"kind": "correction", "received_on": "31/02/2026"},
                             "ngày/tháng/năm")):
        answer = _request(app, chair, incident_id, **values)
        assert answer.status_code == 422, values
        assert message in answer.get_data(as_text=True), values
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataRequest)) == 0


def test_a_viewer_gets_403_and_another_tenant_404(app, client, people):
    incident_id = record_case(app, client, people)
    chair = as_user(app, "approver.c11")
    _request(app, chair, incident_id, kind="correction")
    with app.app_context():
        request_id = _only_request(app).id
    for username, status in (("viewer.d1", 403), ("tenant_admin.tb", 403),
                             ("approver.hy", 404)):
        other = as_user(app, username)
        assert _request(app, other, incident_id, kind="correction").status_code == status
        assert other.post(f"/incidents/{incident_id}/requests/{request_id}/carry-out",
                          data={"csrf_token": csrf_token(other, "/account")}
                          ).status_code == status
    with app.app_context():
        assert [r.status for r in db.session.scalars(select(DataRequest))] == ["received"]


def test_the_purge_blanks_the_follow_up_answers_of_the_case_once(app, client, people,
                                                                 monkeypatch):
    """An agency's answer may name the victim: it goes with the identities; the agency and the
    dates stay. Another case's answer is untouched."""
    from datetime import date

    from lhpn.followups import services as follow_ups
    from lhpn.followups.models import FollowUp

    incident_id = closed_case(app, client, people, monkeypatch)
    open_id = record_case(app, app.test_client(), people)
    answer = "Đã khởi tố, tạm giữ Trần Văn Nam"
    with app.app_context():
        chair = db.session.get(User, people.users["approver.c11"])
        ids = []
        for case_id in (incident_id, open_id):
            case = db.session.get(Incident, case_id)
            fu = follow_ups.start(chair, "incident", case, case.unit, agency="Công an xã",
                                  written_on=date(2026, 11, 20), due_on=date(2026, 12, 20))
            follow_ups.answer(chair, fu, 1, answered_on=date(2026, 11, 24), answer=answer)
            ids.append(fu.id)
        db.session.commit()
    _at_utc(monkeypatch, datetime(2032, 1, 5, 3, 0))
    for _run in range(2):
        result = app.test_cli_runner().invoke(args=["privacy", "purge"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            purged, kept = (db.session.get(FollowUp, i) for i in ids)
            assert (purged.answer, purged.agency, purged.answered_on, purged.status) == (
                "", "Công an xã", date(2026, 11, 24), "answered")
            assert kept.answer == answer


def test_a_purged_case_is_still_edited_without_its_identities(app, client, people,
                                                               monkeypatch):
    """The purge empties the source and the place: the edit form, as the page shows it, and a
    PATCH of one field are accepted without them; the identities are not asked back."""
    from tests.test_api_incidents import caller

    incident_id = closed_case(app, client, people, monkeypatch)
    _at_utc(monkeypatch, datetime(2032, 1, 5, 3, 0))
    with app.app_context():
        assert len(list(purge_batches())) == 1
        db.session.commit()
        incident = db.session.get(Incident, incident_id)
        version, facts, kind = incident.version, incident.facts, incident.kind_id
    chair = as_user(app, "approver.c11")
    page = chair.get(f"/incidents/{incident_id}?purpose=handling").get_data(as_text=True)
    source = re.search(r'<input id="source"[^>]*>', page).group(0)
    assert "required" not in source
    edited = chair.post(f"/incidents/{incident_id}/edit", data={
        "csrf_token": csrf_token(chair, "/account"), "version": str(version),
        "kind": str(kind), "occurred_on": "2026-11-20", "place": "", "source": "",
        "facts": facts, "victim_state": "Đã ổn định", "responsible": "",
        "responsible_relation": ""})
    assert edited.status_code == 302, edited.get_data(as_text=True)[:3000]
    patched = caller(client, "approver.c11").call("PATCH", f"/incidents/{incident_id}", {
        "version": version + 1, "current_state": "Đã đi làm lại"})
    assert patched.status_code == 200, patched.get_json()
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.victim_state, incident.source, incident.place) == (
            "Đã đi làm lại", None, None)
        assert incident.purged_at is not None
