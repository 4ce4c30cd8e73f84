"""Following up the units below (issue 12, items 7 and 9), through the test client and real
threads: confirmations that say the consequence, reminders of late reports and plans sent once
a day whatever the clicks, and overdue plan requests on the officer's to-do list."""

import threading
from datetime import timedelta

from sqlalchemy import select, update

from lhpn.accounts.models import User
from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.notifications.models import Notification
from lhpn.notifications.reminders import Reminded
from lhpn.plans import services as plans
from lhpn.plans.models import Plan, PlanRequest
from lhpn.reports import reminders
from lhpn.reports import services as reports
from lhpn.reports.models import ReportReminder
from lhpn.tenancy import crossing_tenants
from lhpn.units.models import Unit
from tests.test_plan_pages import (
    Browser,
    add_user,
    asked_on,
    count,
    create,
    text,
    version_on,
)

PERIOD = "2026-03"  # due 20/04/2026: long past
CONSOLIDATION = "/units/{unit}/consolidation?template=BC_THANG&period=" + PERIOD


def _notices(app, user_id: int) -> int:
    return count(app, Notification, Notification.user_id == user_id)


def _communes_with_staff(app, world) -> tuple[int, int]:
    return (add_user(app, world, "staff.c11", "staff", "C11"),
            add_user(app, world, "staff.c12", "staff", "C12"))


def _submit_march(app, world, code: str = "C11") -> None:
    with app.app_context():
        staff = db.session.get(User, world.users[f"staff.{code.lower()}"])
        report = reports.open_report(staff, db.session.get(Unit, world.units[code]),
                                     reports.get_template(world.tenants["TB"], "BC_THANG"),
                                     PERIOD)
        reports.save_report(staff, report, {"TUYEN_TRUYEN": 3}, report.version)
        reports.submit_report(staff, report)
        db.session.commit()


def _remind(browser: Browser, world, back: str = "consolidation"):
    return browser.post("/reports/remind", {"unit": world.units["D1"], "template": "BC_THANG",
                                            "period": PERIOD, "back": back},
                        follow_redirects=True)


# ---- reports: item 9 -------------------------------------------------------------------------

def test_late_units_of_a_report_are_reminded_once_a_day(app, world):
    staff_c11, staff_c12 = _communes_with_staff(app, world)
    _submit_march(app, world, "C11")  # sent: waiting for the district, not late
    chair = Browser(app, "approver.d1")
    page = text(chair.get(CONSOLIDATION.format(unit=world.units["D1"])))
    assert "1 đơn vị trực thuộc chưa gửi Báo cáo kết quả hoạt động tháng · Tháng 03/2026" in page
    assert "Nhắc 1 đơn vị chậm nộp</button>" in page
    assert 'data-confirm="Gửi thông báo nhắc tới 1 đơn vị chưa gửi' in page
    before = (_notices(app, staff_c11), _notices(app, staff_c12))

    page = text(_remind(chair, world))
    assert "Đã nhắc 1 đơn vị." in page
    assert (_notices(app, staff_c11), _notices(app, staff_c12)) == (before[0], before[1] + 1)
    with app.app_context():
        notice = db.session.scalars(select(Notification).where(
            Notification.user_id == staff_c12)).all()[-1]
        assert notice.message.startswith("Nhắc: “Báo cáo kết quả hoạt động tháng” kỳ "
                                         "tháng 03/2026 đã quá hạn nộp 20/04/2026")
        assert notice.link == f"/reports/?unit={world.units['C12']}"
    assert "đã nhắc hôm nay" in page and "chậm nộp</button>" not in page

    # Clicked again (or by the district's officer) the same day: nobody is reminded twice.
    officer = Browser(app, "staff.d1")
    page = text(_remind(officer, world))
    assert "Đã nhắc 0 đơn vị; 1 đơn vị đã được nhắc hôm nay nên không nhắc lại." in page
    assert _notices(app, staff_c12) == before[1] + 1
    assert count(app, ReportReminder) == 1


def test_a_unit_may_be_reminded_again_the_next_day(app, world):
    _staff_c11, staff_c12 = _communes_with_staff(app, world)
    chair = Browser(app, "approver.d1")
    assert "Đã nhắc 2 đơn vị." in text(_remind(chair, world))
    with app.app_context():
        db.session.execute(update(ReportReminder).values(
            reminded_on=local_today() - timedelta(days=1)))
        db.session.commit()
    assert "Đã nhắc 2 đơn vị." in text(_remind(chair, world))
    assert count(app, ReportReminder) == 4


def test_the_dashboard_offers_to_remind_the_late_children(app, world):
    _staff_c11, staff_c12 = _communes_with_staff(app, world)
    chair = Browser(app, "approver.d1")
    page = text(chair.get("/"))
    assert "Đơn vị chưa gửi báo cáo" in page and "Nhắc 2 đơn vị chậm nộp</button>" in page
    back = chair.post("/reports/remind", {
        "unit": world.units["D1"], "template": "BC_THANG",
        "period": _latest_due(app, world),
        "back": "dashboard"})
    assert back.status_code == 302
    assert back.headers["Location"].startswith(f"/?unit={world.units['D1']}&template=BC_THANG")
    page = text(chair.get(back.headers["Location"]))
    assert "Đã nhắc 2 đơn vị." in page and "đã nhắc hôm nay" in page
    assert "chậm nộp</button>" not in page  # the cached page knows it changed


def _latest_due(app, world) -> str:
    from lhpn.consolidation.services import default_period

    with app.app_context():
        return default_period(reports.get_template(world.tenants["TB"], "BC_THANG"))


def test_only_the_units_approver_and_staff_remind_its_children(app, world):
    _communes_with_staff(app, world)
    for name, status in (("viewer.d1", 403), ("tenant_admin.d1", 403), ("approver.tb", 403),
                         ("staff.c11", 403), ("approver.hy", 404)):
        answer = Browser(app, name).post("/reports/remind", {
            "unit": world.units["D1"], "template": "BC_THANG", "period": PERIOD})
        assert answer.status_code == status, name
    assert count(app, ReportReminder) == 0
    assert "Nhắc" not in text(Browser(app, "viewer.d1").get(
        CONSOLIDATION.format(unit=world.units["D1"])))


def test_a_bad_period_is_refused_with_a_message(app, world):
    _communes_with_staff(app, world)
    page = text(Browser(app, "approver.d1").post("/reports/remind", {
        "unit": world.units["D1"], "template": "BC_THANG", "period": "2026-13"},
        follow_redirects=True))
    assert "không phải một kỳ của biểu mẫu này" in page
    assert count(app, ReportReminder) == 0


def _race(app, targets: list) -> list:
    """Run each target(user) in its own thread and application context at the same moment;
    each commits; returns what each answered."""
    answers: list = [None] * len(targets)

    def run(index: int, target) -> None:
        # A new thread starts outside the tests' crossing (threads do not inherit contextvars).
        with app.app_context(), crossing_tenants("tests"):
            try:
                answers[index] = target()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported in the assertion)
                db.session.rollback()
                answers[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_report_reminders_at_the_same_moment_send_once(app, world, monkeypatch):
    """A double click in two requests: both find the same late units, then both write; the
    unique key lets one reminder per unit and day through."""
    _staff_c11, staff_c12 = _communes_with_staff(app, world)
    barrier = threading.Barrier(2, timeout=20)
    original = reminders.late_children

    def found_then_wait(*args, **kwargs):
        late = original(*args, **kwargs)
        barrier.wait()  # both have read the same late units before either reminds
        return late

    monkeypatch.setattr(reminders, "late_children", found_then_wait)

    def remind_as(username: str):
        def target():
            user = db.session.get(User, world.users[username])
            template = reports.get_template(world.tenants["TB"], "BC_THANG")
            return reminders.remind_late(user, db.session.get(Unit, world.units["D1"]),
                                         template, PERIOD)
        return target

    before = _notices(app, staff_c12)
    answers = _race(app, [remind_as("approver.d1"), remind_as("staff.d1")])
    assert sorted((a.reminded, a.skipped) for a in answers) == [(0, 2), (2, 0)], answers
    assert _notices(app, staff_c12) == before + 1
    assert count(app, ReportReminder) == 2


# ---- plans: items 7 and 9 ---------------------------------------------------------------------

def _issued_plan(app, world) -> int:
    """D1's plan, approved by the province, asking C11 and C12 by yesterday."""
    staff, approver = Browser(app, "staff.d1"), Browser(app, "approver.tb")
    plan_id = create(staff, world.units["D1"])
    page = text(staff.get(f"/plans/{plan_id}"))
    staff.post(f"/plans/{plan_id}/submit", {"version": version_on(page)})
    page = text(approver.get(f"/plans/{plan_id}"))
    assert approver.post(f"/plans/{plan_id}/approve", {
        "version": version_on(page), "asked": asked_on(page)}).status_code == 302
    return plan_id


def test_approving_a_plan_says_how_many_units_it_asks_and_checks_the_count(app, world):
    staff, approver = Browser(app, "staff.d1"), Browser(app, "approver.tb")
    plan_id = create(staff, world.units["D1"])
    page = text(staff.get(f"/plans/{plan_id}"))
    assert ('data-confirm="Gửi “Kế hoạch tham gia giám sát, phản biện xã hội của '
            'huyện” để Hội LHPN tỉnh Thái Bình duyệt? Sau khi gửi, kế hoạch không sửa được '
            'nữa, trừ khi bị trả lại."') in page
    staff.post(f"/plans/{plan_id}/submit", {"version": version_on(page)})
    page = text(approver.get(f"/plans/{plan_id}"))
    assert "Duyệt và gửi yêu cầu tới 2 đơn vị</button>" in page
    assert "sẽ gửi yêu cầu tới 2 đơn vị và không hoàn tác được" in page  # data-confirm
    assert asked_on(page) == "2"

    # A commune is added after the page was shown: the count on it is no longer true.
    with app.app_context():
        from lhpn.units import services as units

        units.create_unit(None, db.session.get(Unit, world.units["D1"]), "Hội LHPN xã Mới",
                          "commune", "C13")
        db.session.commit()
    answer = approver.post(f"/plans/{plan_id}/approve", {"version": version_on(page),
                                                         "asked": "2"})
    assert answer.status_code == 409
    assert "sẽ gửi yêu cầu tới 3 đơn vị. Hãy xem lại" in text(answer)
    assert "Duyệt và gửi yêu cầu tới 3 đơn vị</button>" in text(answer)
    with app.app_context():
        assert db.session.get(Plan, plan_id).status == "submitted"
    assert count(app, PlanRequest) == 0
    missing = approver.post(f"/plans/{plan_id}/approve", {"version": version_on(page)})
    assert missing.status_code == 409 and count(app, PlanRequest) == 0

    page = text(missing)
    assert approver.post(f"/plans/{plan_id}/approve", {
        "version": version_on(page), "asked": asked_on(page)}).status_code == 302
    assert count(app, PlanRequest) == 3


def test_plan_reminders_clicked_twice_remind_once(app, world):
    staff_c11, staff_c12 = _communes_with_staff(app, world)
    plan_id = _issued_plan(app, world)
    staff = Browser(app, "staff.d1")
    page = text(staff.get(f"/plans/{plan_id}/cascade"))
    assert "Nhắc 2 đơn vị quá hạn</button>" in page
    assert 'data-confirm="Gửi thông báo nhắc tới 2 đơn vị quá hạn nộp kế hoạch' in page
    before = (_notices(app, staff_c11), _notices(app, staff_c12))
    assert "Đã nhắc 2 đơn vị." in text(staff.post(f"/plans/{plan_id}/remind",
                                                 follow_redirects=True))
    page = text(staff.post(f"/plans/{plan_id}/remind", follow_redirects=True))
    assert "Đã nhắc 0 đơn vị; 2 đơn vị đã được nhắc hôm nay nên không nhắc lại." in page
    assert "2 đơn vị quá hạn đã được nhắc hôm nay." in page and "quá hạn</button>" not in page
    assert (_notices(app, staff_c11), _notices(app, staff_c12)) == (before[0] + 1,
                                                                  before[1] + 1)


def test_two_plan_reminders_at_the_same_moment_send_once(app, world, monkeypatch):
    _staff_c11, staff_c12 = _communes_with_staff(app, world)
    plan_id = _issued_plan(app, world)
    barrier = threading.Barrier(2, timeout=20)
    original = plans.cascade_status

    def read_then_wait(*args, **kwargs):
        rows = original(*args, **kwargs)
        barrier.wait()  # both saw the requests not reminded yet
        return rows

    monkeypatch.setattr(plans, "cascade_status", read_then_wait)

    def remind_as(username: str):
        return lambda: plans.remind_late(db.session.get(User, world.users[username]),
                                         db.session.get(Plan, plan_id))

    before = _notices(app, staff_c12)
    answers = _race(app, [remind_as("staff.d1"), remind_as("approver.d1")])
    assert sorted((a.reminded, a.skipped) for a in answers) == [(0, 2), (2, 0)], answers
    assert _notices(app, staff_c12) == before + 1
    assert answers[0] in (Reminded(2, 0), Reminded(0, 2))


def test_an_overdue_plan_request_is_on_the_officers_to_do_list(app, world):
    _communes_with_staff(app, world)
    plan_id = _issued_plan(app, world)
    officer = Browser(app, "staff.c11")
    page = text(officer.get("/"))
    todo = page[page.index("Việc cần làm"):page.index("Đơn vị và vai trò của tôi")]
    assert "Kế hoạch cấp trên yêu cầu" in todo
    assert "Kế hoạch tham gia giám sát, phản biện xã hội của huyện" in todo
    assert "Quá hạn 1 ngày" in todo and "Chưa bắt đầu" in todo
    start = f'action="/plans/requests/{plan_id}/{world.units["C11"]}/start"'
    assert start in todo and "Lập kế hoạch thực hiện</button>" in todo

    started = officer.post(f"/plans/requests/{plan_id}/{world.units['C11']}/start")
    assert started.status_code == 302
    child_id = int(started.headers["Location"].split("/")[2])
    todo = text(officer.get("/"))
    assert f'href="/plans/{child_id}/edit">Tiếp tục soạn' in todo and start not in todo

    # The officer writes the sections a plan cannot be sent without, then sends it up: answered,
    # so off the list.
    with app.app_context():
        child = db.session.get(Plan, child_id)
        child.purpose, child.content = "Mục đích của xã.", "Nội dung của xã."
        db.session.commit()
    page = text(officer.get(f"/plans/{child_id}"))
    assert officer.post(f"/plans/{child_id}/submit", {"version": version_on(page)}
                        ).status_code == 302
    assert "Kế hoạch cấp trên yêu cầu" not in text(officer.get("/"))
    # Each officer sees the requests to their own unit only.
    other = text(Browser(app, "staff.c12").get("/"))
    assert f"/plans/requests/{plan_id}/{world.units['C12']}/start" in other
    assert f"/plans/requests/{plan_id}/{world.units['C11']}" not in other


def test_submitting_a_report_says_where_it_goes_and_that_it_locks(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    officer = Browser(app, "staff.c11")
    answer = officer.post("/reports/open", {"unit": world.units["C11"],
                                            "template": "BC_THANG", "period": PERIOD})
    report_path = answer.headers["Location"].removesuffix("/edit")
    confirm = ('data-confirm="Gửi “Báo cáo kết quả hoạt động tháng” kỳ tháng 03/2026 '
               'của Hội LHPN xã Tân Lễ để Hội LHPN huyện Hưng Hà duyệt? Sau khi gửi, báo cáo '
               'không sửa được nữa, trừ khi bị trả lại."')
    assert confirm in text(officer.get(f"{report_path}/edit"))
    assert confirm in text(officer.get(report_path))
