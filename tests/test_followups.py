"""Following the authorities (lhpn/followups): validation that changes nothing on a refusal,
overdue judged on Vietnam's calendar (and the SQL twin agreeing), the chasing letter, the audit
entries, tenant scoping, and the page routes on a blueprint of this module's own."""

import re
from datetime import date, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace

import pytest
from docx import Document
from flask import Blueprint, render_template_string, url_for
from flask_login import current_user
from sqlalchemy import func, select, text

from lhpn import authz, clock, create_app
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.errors import Conflict, DomainError, NotFound
from lhpn.extensions import db
from lhpn.followups import services as fus
from lhpn.followups.letter import chasing_letter
from lhpn.followups.models import FollowUp
from lhpn.followups.pages import follow_up_routes
from lhpn.privacy.crypto import key_prefix
from lhpn.privacy.keys import data_keys
from lhpn.tenancy import acting_for
from lhpn.units.models import Unit
from lhpn.units.services import get_unit
from tests.conftest import csrf_token, login

WRITTEN, DUE = date(2026, 11, 2), date(2026, 12, 2)
NBSP = "\u00a0"


def _user(world, name: str) -> User:
    return db.session.get(User, world.users[name])


def _unit(world, code: str) -> Unit:
    return db.session.get(Unit, world.units[code])


def _case(unit: Unit, number: int = 12) -> SimpleNamespace:
    """A followed record as the services see it: an id and a tenant (an incident, later)."""
    return SimpleNamespace(id=number, tenant_id=unit.tenant_id, unit=unit)


def _start(world, *, unit="C11", actor="approver.tb", number=12, **changes) -> FollowUp:
    values = {"agency": "Công an huyện Hưng Hà", "written_on": WRITTEN, "due_on": DUE,
              "letter_number": "45/CV-HPN", "agency_superior": "Công an tỉnh Thái Bình"}
    values.update(changes)
    at = _unit(world, unit)
    return fus.start(_user(world, actor), "incident", _case(at, number), at, **values)


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(FollowUp)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)))


def _at_utc(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


# ---- starting, and refusals that change nothing -------------------------------------------------

def test_starting_a_follow_up_keeps_the_letter_and_the_deadline(ctx, world):
    fu = _start(world)
    db.session.commit()
    assert (fu.agency, fu.letter_number, fu.written_on, fu.due_on, fu.status, fu.chase_count,
            fu.version) == ("Công an huyện Hưng Hà", "45/CV-HPN", WRITTEN, DUE, "open", 0, 1)
    assert (fu.object_type, fu.object_id, fu.unit_id) == ("incident", 12, world.units["C11"])
    assert fu.tenant_id == world.tenants["TB"]


REFUSED = {
    "no agency": ({"agency": "  "}, "agency"),
    "agency too long": ({"agency": "C" * 301}, "agency"),
    "agency not text": ({"agency": 7}, "agency"),
    "control character": ({"agency": "Công an\x07"}, "agency"),
    "superior too long": ({"agency_superior": "C" * 301}, "agency_superior"),
    "letter number too long": ({"letter_number": "4" * 51}, "letter_number"),
    "no letter date": ({"written_on": ""}, "written_on"),
    "letter date unreadable": ({"written_on": "02/11/2026"}, "written_on"),
    "letter in the future": ({"written_on": date(2099, 1, 1), "due_on": date(2099, 2, 1)},
                             "written_on"),
    "no deadline": ({"due_on": None}, "due_on"),
    "deadline before the letter": ({"due_on": WRITTEN - timedelta(days=1)}, "due_on"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_input_is_refused_and_changes_nothing(ctx, world, case):
    changes, field = REFUSED[case]
    before = _counts()
    with pytest.raises(DomainError) as refused:
        _start(world, **changes)
    assert refused.value.field == field and refused.value.status == 422
    db.session.rollback()
    assert _counts() == before


def test_a_follow_up_is_started_only_at_a_reachable_unit_of_the_actors_tenant(ctx, world):
    with pytest.raises(authz.Forbidden):
        _start(world, unit="C21", actor="staff.d1")  # D2's commune: not in D1's reach
    with pytest.raises(authz.Forbidden):
        _start(world, unit="HC1", actor="approver.tb")  # another tenant's unit


def test_refused_changes_leave_the_follow_up_as_it_was(ctx, world):
    fu = _start(world)
    db.session.commit()
    staff = _user(world, "approver.tb")
    before = (fu.agency, fu.due_on, fu.status, fu.version, _counts())
    attempts = [
        lambda: fus.update(staff, fu, 1, agency="Tòa án", written_on=WRITTEN,
                           due_on=WRITTEN - timedelta(days=3)),
        lambda: fus.update(staff, fu, 0, agency="Tòa án", written_on=WRITTEN, due_on=DUE),
        lambda: fus.answer(staff, fu, 1, answered_on=WRITTEN - timedelta(days=1),
                           answer="Đã xử lý"),
        lambda: fus.answer(staff, fu, 1, answered_on=date(2099, 1, 1), answer="Đã xử lý"),
        lambda: fus.answer(staff, fu, 1, answered_on=DUE, answer="   "),
        lambda: fus.close(staff, fu, "stale"),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError):
            attempt()
        db.session.rollback()
        assert (fu.agency, fu.due_on, fu.status, fu.version, _counts()) == before


def test_the_version_the_page_showed_must_be_current(ctx, world):
    fu = _start(world)
    db.session.commit()
    with pytest.raises(Conflict):
        fus.close(_user(world, "approver.tb"), fu, 2)


def test_answer_then_close_and_a_closed_one_changes_no_more(ctx, world):
    staff = _user(world, "approver.tb")
    fu = _start(world)
    fus.answer(staff, fu, 1, answered_on=date(2026, 11, 20), answer="Đã khởi tố vụ án.")
    assert (fu.status, fu.answered_on, fu.version) == ("answered", date(2026, 11, 20), 2)
    fus.close(staff, fu, 2)
    db.session.commit()
    assert fu.status == "closed"
    with pytest.raises(DomainError):
        fus.update(staff, fu, 3, agency="Tòa án", written_on=WRITTEN, due_on=DUE)


def test_what_is_asked_and_what_it_came_to(ctx, world):
    """A recommendation: its text is kept; answered, reopened, then implemented, which is
    final; an unknown outcome or a final one changes nothing."""
    staff = _user(world, "approver.tb")
    fu = _start(world, content="Bố trí kinh phí cho mô hình phòng chống bạo lực gia đình.")
    assert fu.content.startswith("Bố trí kinh phí")
    with pytest.raises(DomainError) as refused:
        fus.reopen(staff, fu, 1)
    assert refused.value.field == "status" and fu.status == "open"
    fus.answer(staff, fu, 1, answered_on=date(2026, 11, 20), answer="Sẽ bố trí năm 2027.")
    fus.reopen(staff, fu, 2)
    assert (fu.status, fu.answer) == ("open", "Sẽ bố trí năm 2027.")
    with pytest.raises(DomainError) as unknown:
        fus.settle(staff, fu, 3, "done")
    assert unknown.value.field == "status" and fu.status == "open"
    fus.settle(staff, fu, 3, "implemented")
    db.session.commit()
    assert fu.status == "implemented" and not fus.is_overdue(fu, date(2027, 6, 1))
    for change in (lambda: fus.settle(staff, fu, 4, "not_accepted"),
                   lambda: fus.update(staff, fu, 4, agency="UBND xã", written_on=WRITTEN,
                                      due_on=DUE, content="Khác")):
        with pytest.raises(DomainError):
            change()
    db.session.rollback()
    assert (fu.status, fu.content[:6]) == ("implemented", "Bố trí")
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "follow_up", AuditEntry.object_id == str(fu.id))).all()
    assert actions.count("follow_up.reopen") == 1 and actions.count("follow_up.settle") == 1


def test_content_too_long_is_refused_before_anything_is_written(ctx, world):
    before = _counts()
    with pytest.raises(DomainError) as refused:
        _start(world, content="x" * 4001)
    assert refused.value.field == "content"
    db.session.rollback()
    assert _counts() == before


def test_the_answer_is_encrypted_at_rest_and_rotated_with_the_other_columns(app, world,
                                                                          tmp_path, monkeypatch):
    """An agency's answer may name the victim: the column holds no plaintext, reads back in
    clear, and ``privacy status`` / ``rotate-key`` cover it."""
    monkeypatch.setitem(app.config, "LHPN_DATA_KEY", "")
    monkeypatch.setitem(app.config, "LHPN_DATA_KEYS_RETIRED", "")
    monkeypatch.setitem(app.config, "LHPN_DATA_KEY_FILE", str(tmp_path / "data_keys"))
    answer = "Đã khởi tố, tạm giữ Trần Văn Nam; nạn nhân Nguyễn Thị Hoa ở thôn Đông"
    raw = text("SELECT answer FROM follow_ups WHERE id = :id")
    with app.app_context():
        fu = _start(world)
        fus.answer(_user(world, "approver.tb"), fu, 1, answered_on=date(2026, 11, 20),
                   answer=answer)
        db.session.commit()
        fu_id, old = fu.id, data_keys().current
        stored = db.session.scalar(raw, {"id": fu_id})
        assert "Nam" not in stored and "Hoa" not in stored
        assert stored.startswith(key_prefix(old))
        db.session.expire_all()
        assert db.session.get(FollowUp, fu_id).answer == answer
    runner = app.test_cli_runner()
    status = runner.invoke(args=["privacy", "status"])
    assert f"follow_ups.answer: {old}" in status.output, status.output
    rotated = runner.invoke(args=["privacy", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        new = data_keys().current
        assert new != old and db.session.scalar(raw, {"id": fu_id}).startswith(key_prefix(new))
        assert db.session.get(FollowUp, fu_id).answer == answer


def test_every_change_writes_an_audit_entry_with_the_agency_and_dates_only(ctx, world):
    staff = _user(world, "approver.tb")
    fu = _start(world)
    fus.update(staff, fu, 1, agency="Công an huyện Hưng Hà", written_on=WRITTEN,
               due_on=DUE + timedelta(days=10), letter_number="45/CV-HPN")
    fus.record_chase(staff, fu, 2, today=date(2026, 12, 20))
    fus.answer(staff, fu, 3, answered_on=date(2026, 12, 1), answer="Nguyễn Thị A đã được bảo vệ")
    fus.close(staff, fu, 4)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "follow_up")
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["follow_up.start", "follow_up.update",
                                          "follow_up.chase", "follow_up.answer",
                                          "follow_up.close"]
    for entry in entries:
        assert entry.object_id == str(fu.id) and entry.actor_id == staff.id
        assert entry.tenant_id == world.tenants["TB"]
        assert entry.summary.startswith("incident #12 → Công an huyện Hưng Hà (")
        # The answer may name people: it never reaches the log.
        assert "Nguyễn" not in entry.summary and "Nguyễn" not in str(entry.data)
    assert entries[1].data["old_due_on"] == "2026-12-02"
    assert entries[2].data == {"object_type": "incident", "object_id": 12, "chase": 1,
                               "days_overdue": 8}


# ---- overdue on Vietnam's calendar ---------------------------------------------------------------

def test_overdue_turns_at_midnight_in_vietnam_which_is_1700_utc(ctx, world, monkeypatch):
    fu = _start(world)
    db.session.commit()
    unit_ids = select(Unit.id)
    _at_utc(monkeypatch, datetime(2026, 12, 2, 16, 59))  # 23:59 on the 2nd in Vietnam
    assert not fus.is_overdue(fu) and fus.days_overdue(fu) == 0
    assert fus.count_overdue_in(unit_ids) == 0
    _at_utc(monkeypatch, datetime(2026, 12, 2, 17, 0))  # 00:00 on the 3rd: UTC still says 2nd
    assert fus.is_overdue(fu) and fus.days_overdue(fu) == 1
    assert db.session.scalars(fus.overdue_in(unit_ids)).all() == [fu]
    _at_utc(monkeypatch, datetime(2026, 12, 9, 3, 0))
    assert fus.days_overdue(fu) == 7


def test_an_answered_or_closed_follow_up_is_never_overdue(ctx, world):
    staff = _user(world, "approver.tb")
    answered, closed = _start(world), _start(world, number=13)
    fus.answer(staff, answered, 1, answered_on=DUE, answer="Đã giải quyết.")
    fus.close(staff, closed, 1)
    late = date(2026, 12, 31)
    assert not fus.is_overdue(answered, late) and not fus.is_overdue(closed, late)


def test_the_sql_condition_agrees_with_is_overdue(ctx, world):
    staff = _user(world, "approver.tb")
    made = []
    for offset, unit in enumerate(("C11", "C12", "C21", "D1", "B111")):
        for number, status in enumerate(("open", "answered", "closed")):
            fu = _start(world, unit=unit, number=100 * offset + number + 1,
                        due_on=DUE + timedelta(days=offset * 3))
            if status == "answered":
                fus.answer(staff, fu, 1, answered_on=DUE, answer="Đã trả lời.")
            elif status == "closed":
                fus.close(staff, fu, 1)
            made.append(fu)
    db.session.commit()
    everyone = select(Unit.id)
    for today in (DUE - timedelta(days=1), DUE, DUE + timedelta(days=1), DUE + timedelta(days=7),
                  DUE + timedelta(days=30)):
        expected = {fu.id for fu in made if fus.is_overdue(fu, today)}
        found = set(db.session.scalars(select(FollowUp.id).where(fus.overdue(today))))
        listed = [fu.id for fu in db.session.scalars(fus.overdue_in(everyone, today))]
        assert found == expected == set(listed)
        assert fus.count_overdue_in(everyone, today) == len(expected)
        # Longest overdue first.
        dues = [db.session.get(FollowUp, i).due_on for i in listed]
        assert dues == sorted(dues)


def test_the_dashboard_list_follows_the_readers_reach(ctx, world):
    at_c11, at_c21 = _start(world, unit="C11"), _start(world, unit="C21", number=13)
    db.session.commit()
    today = DUE + timedelta(days=2)

    def seen(name: str) -> set[int]:
        reach = authz.reachable_unit_ids(_user(world, name), "view")
        return {fu.id for fu in db.session.scalars(fus.overdue_in(reach, today))}

    assert seen("viewer.tb") == {at_c11.id, at_c21.id}   # the province sees its chain below
    assert seen("approver.d1") == {at_c11.id}             # D1 reaches C11, not D2's C21
    assert seen("viewer.hy") == set()


# ---- tenant scoping ------------------------------------------------------------------------------

def test_another_tenants_follow_ups_are_invisible(ctx, world):
    ours = _start(world, unit="C11")
    theirs = _start(world, unit="HC1", actor="staff.hy", number=12)
    db.session.commit()
    with acting_for(world.tenants["TB"]):
        assert db.session.scalars(select(FollowUp.id)).all() == [ours.id]
        assert db.session.scalars(fus.follow_ups_of("incident", 12)).all() == [ours]
        assert db.session.scalars(fus.overdue_in(select(Unit.id), DUE + timedelta(1))).all() \
            == [ours]
        assert db.session.get(FollowUp, theirs.id) is None
        with pytest.raises(NotFound):
            fus.get_follow_up(world.tenants["TB"], theirs.id)
    assert fus.get_follow_up(world.tenants["HY"], theirs.id) is theirs


# ---- the chasing letter --------------------------------------------------------------------------

def _texts(data: bytes) -> list[str]:
    doc = Document(BytesIO(data))
    found = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                found += [p.text for p in cell.paragraphs]
    for section in doc.sections:
        found += [p.text for p in section.header.paragraphs]
    return sorted(text for text in found if text.strip())


HEADER = ["HỘI LHPN HUYỆN HƯNG HÀ", "BAN THƯỜNG VỤ HỘI LHPN XÃ TÂN LỄ",
          "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
          f"Số:{NBSP * 6}/CV-HLHPN", "V/v đôn đốc giải quyết vụ việc số 12",
          "Tân Lễ, ngày 08 tháng 12 năm 2026"]
BTV = "Ban Thường vụ Hội LHPN xã Tân Lễ"
EARLIER = (f"Ngày 02/11/2026, {BTV} đã có Công văn số 45/CV-HPN gửi Công an huyện Hưng Hà đề "
           "nghị xem xét, giải quyết vụ việc số 12 theo thẩm quyền. Theo quy định, thời hạn "
           "giải quyết và trả lời là ngày 02/12/2026.")
SIGNATURE = ["Nơi nhận:", "- Như trên;", "- Lưu: VT.", "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"]


def test_the_chasing_letter_says_what_it_was_given_and_nothing_else(ctx, world):
    fu = _start(world)
    data = chasing_letter(fu, sender_unit=fu.unit, subject="vụ việc số 12", place="Tân Lễ",
                          today=date(2026, 12, 8))
    assert _texts(data) == sorted(HEADER + SIGNATURE + [
        "Kính gửi: Công an huyện Hưng Hà",
        EARLIER,
        f"Đến nay đã quá thời hạn 6 ngày nhưng {BTV} chưa nhận được văn bản trả lời kết quả "
        "giải quyết.",
        f"{BTV} đề nghị Công an huyện Hưng Hà khẩn trương xem xét, giải quyết vụ việc số 12 "
        f"và trả lời bằng văn bản cho {BTV} theo quy định.",
        "Trân trọng./.",
    ])


def test_the_letter_to_the_superior_after_a_first_chase(ctx, world):
    fu = _start(world)
    fus.record_chase(_user(world, "approver.tb"), fu, 1, today=date(2026, 12, 5))
    assert (fu.chase_count, fu.last_chased_on) == (1, date(2026, 12, 5))
    data = chasing_letter(fu, sender_unit=fu.unit, subject="vụ việc số 12", place="Tân Lễ",
                          to_superior=True, signer_title="Phó Chủ tịch",
                          today=date(2026, 12, 8))
    assert _texts(data) == sorted(
        list(HEADER) + ["Nơi nhận:", "- Như trên;", "- Công an huyện Hưng Hà;",
                                     "- Lưu: VT.", "TM. BAN THƯỜNG VỤ", "PHÓ CHỦ TỊCH"] + [
            "Kính gửi: Công an tỉnh Thái Bình",
            EARLIER,
            f"Đến nay đã quá thời hạn 6 ngày nhưng {BTV} chưa nhận được văn bản trả lời kết "
            "quả giải quyết. Đây là lần đôn đốc thứ 2.",
            f"{BTV} kính đề nghị Công an tỉnh Thái Bình quan tâm, chỉ đạo Công an huyện Hưng Hà "
            f"khẩn trương xem xét, giải quyết vụ việc số 12 và trả lời bằng văn bản cho {BTV} "
            "theo quy định.",
            "Trân trọng./.",
        ])


def test_no_letter_before_the_deadline_or_to_a_superior_not_named(ctx, world):
    fu = _start(world, agency_superior="")
    with pytest.raises(DomainError):
        chasing_letter(fu, sender_unit=fu.unit, subject="vụ việc số 12", today=DUE)
    with pytest.raises(DomainError):
        chasing_letter(fu, sender_unit=fu.unit, subject="vụ việc số 12", to_superior=True,
                       today=DUE + timedelta(days=1))
    with pytest.raises(DomainError):
        fus.record_chase(_user(world, "approver.tb"), fu, 1, today=DUE)
    assert fu.chase_count == 0


# ---- the page routes, on a blueprint of this module's own ---------------------------------------

PAGE = """{% from "_follow_up.html" import follow_ups %}
{% for category, message in get_flashed_messages(with_categories=true) %}
<p class="flash {{ category }}">{{ message }}</p>{% endfor %}
{{ follow_ups(panel) }}"""


def _load_case(case_id: int) -> SimpleNamespace:
    """The test kind: a "case" per unit, read by who may view the unit."""
    unit = get_unit(current_user.tenant_id, case_id)
    authz.require(current_user, "view", unit)
    return _case(unit, unit.id)


def _app_with_cases(app, page: str = PAGE, **options):
    """The application with one more blueprint, a record kind that exists only here."""
    keep = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "LHPN_ARGON2_TIME_COST",
            "LHPN_ARGON2_MEMORY_KIB", "LHPN_UPLOAD_DIR", "LHPN_FAIL_ON_UNCOMMITTED")
    made = create_app({name: app.config[name] for name in keep})
    bp = Blueprint("cases", __name__, url_prefix="/test-cases")
    routes = follow_up_routes(
        bp, "case", id_name="case_id", load=_load_case,
        may_edit=lambda user, case: authz.can(user, "record_incident", case.unit),
        done=lambda case: url_for("cases.view", case_id=case.id),
        subject=lambda case: f"vụ việc số {case.id}", **options)

    @bp.get("/<int:case_id>")
    def view(case_id: int):
        return render_template_string(page, panel=routes.panel(current_user,
                                                               _load_case(case_id)))

    made.register_blueprint(bp)
    return made


@pytest.fixture
def pages_app(app):
    made = _app_with_cases(app)
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


ASKS_PAGE = """{% from "_follow_up.html" import follow_ups %}
{% for category, message in get_flashed_messages(with_categories=true) %}
<p class="flash {{ category }}">{{ message }}</p>{% endfor %}
{% call follow_ups(panel, title='Kiến nghị của vụ việc', empty='Chưa có kiến nghị.',
                   agency_label='Cơ quan nhận kiến nghị', not_accepted='Không thực hiện') %}
<p>Form riêng để thêm kiến nghị</p>{% endcall %}"""


@pytest.fixture
def asks_app(app):
    """The same kind whose follow-ups are things asked: started by its own form, settled or
    reopened at /test-cases/<id>/asks/<follow_up_id>/settle|reopen."""
    made = _app_with_cases(app, ASKS_PAGE, start=False, outcomes=True, outcomes_under="asks")
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def _page(client, case_id: int) -> str:
    return client.get(f"/test-cases/{case_id}").get_data(as_text=True)


def test_the_pages_start_answer_and_close_a_follow_up(pages_app, world):
    client = pages_app.test_client()
    login(client, "staff.d1")
    d1 = world.units["D1"]
    html = _page(client, d1)
    assert "Chưa chuyển cơ quan chức năng nào." in html and 'name="fu-new-agency"' in html
    token = csrf_token(client, f"/test-cases/{d1}")
    form = {"csrf_token": token, "fu-new-agency": "Công an huyện Hưng Hà",
            "fu-new-letter_number": "45/CV-HPN", "fu-new-written_on": "2025-10-01",
            "fu-new-due_on": "2025-09-30"}
    refused = client.post(f"/test-cases/{d1}/follow-ups", data=form)
    assert refused.status_code == 303
    assert "không được trước ngày gửi văn bản" in _page(client, d1)
    with pages_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0

    form["fu-new-due_on"] = "2025-10-31"
    assert client.post(f"/test-cases/{d1}/follow-ups", data=form).status_code == 303
    with pages_app.app_context():
        fu = db.session.scalars(select(FollowUp)).one()
        fu_id, version = fu.id, fu.version
        assert (fu.object_type, fu.object_id, fu.unit_id) == ("case", d1, d1)
    html = _page(client, d1)
    assert "Công an huyện Hưng Hà" in html and "Quá hạn" in html

    letter = client.get(f"/test-cases/{d1}/follow-ups/{fu_id}/chasing-letter.docx")
    assert letter.status_code == 200
    assert "Kính gửi: Công an huyện Hưng Hà" in _texts(letter.data)
    assert "V/v đôn đốc giải quyết vụ việc số " + str(d1) in _texts(letter.data)

    # Every action of the follow-up, by the forms the page shows.
    base = f"/test-cases/{d1}/follow-ups/{fu_id}"
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', html))
    assert actions == {f"/test-cases/{d1}/follow-ups"} | {
        f"{base}/{step}" for step in ("chased", "answer", "update", "close")}
    chased = client.post(f"{base}/chased", data={"csrf_token": token,
                                                 f"fu{fu_id}-chase-version": version})
    assert chased.status_code == 303
    extended = client.post(f"{base}/update", data={
        "csrf_token": token, f"fu{fu_id}-edit-agency": "Công an huyện Hưng Hà",
        f"fu{fu_id}-edit-written_on": "2025-10-01", f"fu{fu_id}-edit-due_on": "2025-11-10",
        f"fu{fu_id}-edit-version": version + 1})
    assert extended.status_code == 303
    version += 1
    answered = client.post(f"{base}/answer", data={
        "csrf_token": token, f"fu{fu_id}-answer-answered_on": "2025-11-05",
        f"fu{fu_id}-answer-answer": "Đã xử lý vi phạm hành chính.",
        f"fu{fu_id}-answer-version": version + 1})
    assert answered.status_code == 303
    closed = client.post(f"{base}/close", data={"csrf_token": token,
                                                f"fu{fu_id}-close-version": version + 2})
    assert closed.status_code == 303
    with pages_app.app_context():
        fu = db.session.get(FollowUp, fu_id)
        assert (fu.status, fu.chase_count, fu.answered_on, fu.due_on, fu.letter_number) == (
            "closed", 1, date(2025, 11, 5), date(2025, 11, 10), "")
    assert "Đã kết thúc" in _page(client, d1)


def test_the_pages_refuse_who_may_not_follow_up_and_hide_other_tenants(pages_app, world):
    with pages_app.app_context(), acting_for(world.tenants["HY"]):
        hc1 = db.session.get(Unit, world.units["HC1"])
        theirs = fus.start(db.session.get(User, world.users["staff.hy"]), "case",
                           _case(hc1, hc1.id), hc1, agency="Công an phường",
                           written_on=WRITTEN - timedelta(days=400), due_on=WRITTEN)
        db.session.commit()
        theirs_id = theirs.id
    d1 = world.units["D1"]
    viewer = pages_app.test_client()
    login(viewer, "viewer.d1")  # sees D1, may not follow up
    html = _page(viewer, d1)
    assert "fu-new-agency" not in html
    token = csrf_token(viewer, "/")
    post = viewer.post(f"/test-cases/{d1}/follow-ups",
                       data={"csrf_token": token, "fu-new-agency": "Công an"})
    assert post.status_code == 403
    staff = pages_app.test_client()
    login(staff, "staff.d1")
    hc1_id = world.units["HC1"]
    assert staff.get(f"/test-cases/{hc1_id}").status_code == 404
    # Another tenant's follow-up under one of our records: not found either.
    assert staff.get(f"/test-cases/{d1}/follow-ups/{theirs_id}/chasing-letter.docx"
                     ).status_code == 404
    assert staff.post(f"/test-cases/{d1}/follow-ups/{theirs_id}/close",
                      data={"csrf_token": csrf_token(staff, f"/test-cases/{d1}"),
                            f"fu{theirs_id}-close-version": 1}).status_code == 404


def test_outcomes_one_argument_gives_the_settle_and_reopen_pages(asks_app, world):
    """outcomes=True: the partial leads with what was asked, in the kind's words, offers the
    outcomes and, once answered, waiting for a further answer; the routes settle and reopen
    with the services' checks (a stale version changes nothing)."""
    client = asks_app.test_client()
    login(client, "staff.d1")
    d1 = world.units["D1"]
    path = f"/test-cases/{d1}"
    html = _page(client, d1)
    assert "Kiến nghị của vụ việc" in html and "Chưa có kiến nghị." in html
    assert "Form riêng để thêm kiến nghị" in html and "fu-new-agency" not in html
    with asks_app.app_context():
        at = db.session.get(Unit, d1)
        fu = fus.start(db.session.get(User, world.users["staff.d1"]), "case", _case(at, d1), at,
                       agency="UBND huyện Hưng Hà", written_on=WRITTEN, due_on=DUE,
                       content="Công khai danh sách hộ nghèo")
        db.session.commit()
        fu_id = fu.id
    html = _page(client, d1)
    assert "Công khai danh sách hộ nghèo" in html and "Cơ quan nhận kiến nghị" in html
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', html))
    assert f"{path}/asks/{fu_id}/settle" in actions
    assert f"{path}/asks/{fu_id}/reopen" not in actions  # still waiting: nothing to reopen
    token = csrf_token(client, path)
    with asks_app.app_context():
        fus.answer(db.session.get(User, world.users["staff.d1"]),
                   db.session.get(FollowUp, fu_id), 1, answered_on=WRITTEN + timedelta(days=3),
                   answer="Đã niêm yết tại trụ sở.")
        db.session.commit()
    assert f"{path}/asks/{fu_id}/reopen" in _page(client, d1)
    # Refused (a stale version, an outcome that is none): back to the page, nothing changed.
    for refused in ({"version": "1", "status": "implemented"},
                    {"version": "2", "status": "done"}):
        assert client.post(f"{path}/asks/{fu_id}/settle",
                           data={"csrf_token": token} | refused).status_code == 303
        with asks_app.app_context():
            assert db.session.get(FollowUp, fu_id).status == "answered"
    assert "Kết quả không hợp lệ" in _page(client, d1)
    assert client.post(f"{path}/asks/{fu_id}/reopen",
                       data={"csrf_token": token, "version": "2"}).status_code == 303
    assert client.post(f"{path}/asks/{fu_id}/settle", data={
        "csrf_token": token, "version": "3", "status": "not_accepted"}).status_code == 303
    with asks_app.app_context():
        assert db.session.get(FollowUp, fu_id).status == "not_accepted"
    html = _page(client, d1)
    assert "Không thực hiện" in html and f"{path}/asks/{fu_id}/settle" not in html
    # Only who may follow the record up.
    viewer = asks_app.test_client()
    login(viewer, "viewer.d1")
    assert viewer.post(f"{path}/asks/{fu_id}/reopen", data={
        "csrf_token": csrf_token(viewer, "/"), "version": "4"}).status_code == 403
