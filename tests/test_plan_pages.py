"""Plan, indicator catalogue and notification pages, through the test client: the whole
journey of a plan, refused input, stale pages, and who may open what."""

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.clock import local_today
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.notifications.models import Notification
from lhpn.plans import services as plans
from lhpn.plans.models import Plan
from lhpn.plans.services import PlanInput, TargetInput
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from lhpn.workflow.engine import status_label
from tests import factories
from tests.conftest import csrf_token, login

# Vietnam's date, as the pages judge deadlines (UTC's is a day behind from 17:00 UTC).
TODAY = local_today()
PLAN_DATE = TODAY - timedelta(days=40)
TITLE = "Kế hoạch tham gia giám sát, phản biện xã hội của huyện"


class Browser:
    """A logged-in user; every POST carries the CSRF token the pages hand out."""

    def __init__(self, app, username: str) -> None:
        self.client = app.test_client()
        assert login(self.client, username).status_code == 302
        self.token = csrf_token(self.client, "/account")

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict | None = None, **options):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **options)


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def label(app, status: str) -> str:
    with app.test_request_context():
        return status_label(status)


def version_on(page: str) -> str:
    match = re.search(r'name="version"[^>]*value="(\d+)"', page)
    assert match, "no version field on the page"
    return match.group(1)


def asked_on(page: str) -> str:
    """The number of units the approve button says approving will ask (its confirmation)."""
    match = re.search(r'name="asked" value="(\d+)"', page)
    assert match, "no asked field on the page"
    return match.group(1)


def plan_form(**changes) -> dict:
    """What a district officer types: one target, one activity, a blank row of each."""
    data = {
        "number": "15/KH-BTV", "place": "Hưng Hà", "plan_date": PLAN_DATE.isoformat(),
        "title": TITLE, "year": str(PLAN_DATE.year), "parent_plan_id": "",
        "basis": "Thực hiện Chương trình công tác năm của Ban Chấp hành Hội LHPN huyện.",
        "purpose": "1. Nâng cao chất lượng **giám sát**.\n2. Bám sát thực tiễn ở cơ sở.",
        "content": "## 1. Tuyên truyền\n\n- Tổ chức hội nghị báo cáo viên",
        "organisation": "- Các xã báo cáo kết quả trước ngày 15/12.",
        "targets-0-indicator": "TUYEN_TRUYEN", "targets-0-level": "commune",
        "targets-0-kind": "share", "targets-0-value": "100", "targets-0-threshold": "2",
        "targets-0-note": "",
        "targets-1-indicator": "", "targets-1-level": "district", "targets-1-kind": "count",
        "targets-1-value": "", "targets-1-threshold": "", "targets-1-note": "",
        "activities-0-title": "Hội nghị tập huấn kỹ năng giám sát",
        "activities-0-when": "quarter", "activities-0-when_number": "1",
        "activities-0-start_date": "", "activities-0-end_date": "",
        "activities-0-lead": "Ban Tuyên giáo", "activities-0-coordinators": "Ủy ban MTTQ huyện",
        "activities-0-budget_source": "Ngân sách Hội",
        "activities-1-title": "", "activities-1-when": "year", "activities-1-when_number": "",
        "recipients": "Ban Thường vụ Hội LHPN tỉnh;\nHội LHPN các xã;\nLưu: VP.",
        "signer_title": "CHỦ TỊCH", "signer_name": "Trần Thị Lan",
        "child_levels": "commune", "child_deadline": (TODAY - timedelta(days=1)).isoformat(),
        "version": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def add_user(app, world, username: str, role: str, code: str, tenant: str = "TB") -> int:
    with app.app_context():
        user = factories.user(db.session.get(Tenant, world.tenants[tenant]), username, role,
                              db.session.get(Unit, world.units[code]))
        db.session.commit()
        world.users[username] = user.id
        return user.id


def stored(app, plan_id: int) -> Plan:
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        db.session.expunge_all()
        return plan


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def create(browser: Browser, unit_id: int, **changes) -> int:
    response = browser.post(f"/plans/new?unit={unit_id}", plan_form(**changes))
    assert response.status_code == 302, text(response)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# ---- the journey ------------------------------------------------------------------------------

def test_a_plan_from_draft_to_issued_and_down_to_the_communes(app, world):
    d1, c11 = world.units["D1"], world.units["C11"]
    staff_c11 = add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.d1")

    page = staff.get(f"/plans/new?unit={d1}")
    assert page.status_code == 200 and "Kế hoạch mới" in text(page)

    # Refused input: the service's message, the typed input kept, nothing saved.
    for changes, message in [
        ({"targets-0-value": "nhiều"}, "Chỉ tiêu thứ 1, giá trị: “nhiều” không phải là một số."),
        ({"title": "   "}, "Hãy nhập tên kế hoạch."),
        ({"activities-0-when": "month", "activities-0-when_number": "13"},
         "Hoạt động thứ 1: tháng (1–12) hoặc quý (1–4) không hợp lệ."),
        ({"child_deadline": ""}, "Hãy đặt hạn nộp kế hoạch cho cấp dưới."),
        ({"child_deadline": (PLAN_DATE - timedelta(days=1)).isoformat()},
         "Hạn nộp kế hoạch của cấp dưới không được trước ngày kế hoạch."),
        ({"targets-0-indicator": "KHONG_CO"}, "Không có chỉ tiêu mã KHONG_CO"),
    ]:
        refused = staff.post(f"/plans/new?unit={d1}", plan_form(**changes))
        assert refused.status_code == 422, changes
        page = text(refused)
        assert message in page, changes
        assert "Hội nghị tập huấn kỹ năng giám sát" in page and "Ủy ban MTTQ huyện" in page
    assert 'value="nhiều"' in text(staff.post(f"/plans/new?unit={d1}",
                                              plan_form(**{"targets-0-value": "nhiều"})))
    assert count(app, Plan) == 0

    plan_id = create(staff, d1)
    plan_path = f"/plans/{plan_id}"
    page = text(staff.get(plan_path))
    # The page says what the .docx says (lhpn/plans/wording.py): "Quý I", not "Quý 1".
    assert "1. 100% Hội LHPN cấp xã đạt ít nhất 02 hoạt động (số hoạt động tuyên truyền" in page
    assert "Hội nghị tập huấn kỹ năng giám sát" in page and "<td data-label=\"Thời gian\">Quý I<" \
        in page
    assert "<strong>giám sát</strong>" in page  # the section's Markdown, rendered
    assert "Hưng Hà, ngày" in page and "Trần Thị Lan" in page and "Lưu: VP." in page
    assert stored(app, plan_id).status == "draft"

    # The blank rows were ignored; the edit page offers the stored rows and three blank ones.
    edit = text(staff.get(f"{plan_path}/edit"))
    assert "targets-3-indicator" in edit and "targets-4-indicator" not in edit
    assert "activities-3-title" in edit and "activities-4-title" not in edit

    assert staff.post(f"{plan_path}/submit", {"version": version_on(page)}).status_code == 302
    assert stored(app, plan_id).status == "submitted"
    assert "Gửi duyệt</button>" not in text(staff.get(plan_path))

    # The province approves the district's plan; returning needs a comment.
    approver = Browser(app, "approver.tb")
    page = text(approver.get(plan_path))
    # Approving asks the district's two communes for a plan: the button and the page say so.
    assert "Duyệt và gửi yêu cầu tới 2 đơn vị</button>" in page
    assert "gửi yêu cầu tới 2 đơn vị (Hội LHPN xã) xây dựng kế hoạch thực hiện" in page
    assert "Trả lại với ý kiến</button>" in page
    refused = approver.post(f"{plan_path}/return", {"version": version_on(page), "comment": " "})
    assert refused.status_code == 422
    assert "Hãy ghi ý kiến khi trả lại hoặc mở lại." in text(refused)
    assert stored(app, plan_id).status == "submitted"
    comment = "Bổ sung chỉ tiêu đối thoại ở cấp xã."
    returned = approver.post(f"{plan_path}/return", {"version": version_on(page),
                                                      "comment": comment})
    assert returned.status_code == 302
    assert stored(app, plan_id).status == "returned"

    page = text(staff.get(plan_path))
    assert comment in page
    edit = text(staff.get(f"{plan_path}/edit"))
    saved = staff.post(f"{plan_path}/edit", plan_form(**{
        "targets-1-indicator": "DOI_THOAI", "targets-1-level": "commune",
        "targets-1-kind": "count", "targets-1-value": "1", "version": version_on(edit)}))
    assert saved.status_code == 302
    assert len(stored(app, plan_id).targets) == 2
    page = text(staff.get(plan_path))
    assert "2. Mỗi Hội LHPN cấp xã đạt ít nhất 01 cuộc (số cuộc đối thoại" in page
    assert staff.post(f"{plan_path}/submit", {"version": version_on(page)}).status_code == 302

    page = text(approver.get(plan_path))
    approved = approver.post(f"{plan_path}/approve", {"version": version_on(page),
                                                      "asked": asked_on(page)},
                             follow_redirects=True)
    assert "Đã duyệt kế hoạch." in text(approved)
    assert stored(app, plan_id).status == "approved"

    # The timeline: every step, who, when, from → to, and the comment.
    page = text(staff.get(plan_path))
    timeline = page[page.index('class="timeline"'):]
    assert re.findall(r"<strong>([^<]+)</strong>:", timeline) == [
        "Gửi duyệt", "Trả lại", "Gửi duyệt", "Duyệt"]
    submitted, returned, approved = (label(app, s) for s in ("submitted", "returned", "approved"))
    assert f"{submitted} → {returned}" in timeline and f"{submitted} → {approved}" in timeline
    assert comment in timeline and "Approver.Tb" in timeline and "Staff.D1" in timeline
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", timeline)

    # The cascade: both communes of the district were asked; the deadline has passed.
    page = text(approver.get(f"{plan_path}/cascade"))
    assert "Hội LHPN xã Tân Lễ" in page and "Hội LHPN xã Canh Tân" in page
    assert page.count('<span class="badge danger">Quá hạn</span>') == 2
    assert "Chưa bắt đầu: <strong>2</strong>" in page
    assert "remind-box" not in page  # the province's approver is not D1's

    before = count(app, Notification, Notification.user_id == staff_c11)
    reminded = staff.post(f"{plan_path}/remind", follow_redirects=True)
    assert "Đã nhắc 2 đơn vị." in text(reminded)
    assert count(app, Notification, Notification.user_id == staff_c11) == before + 1

    # The commune's officer: the request, the notice, and the prefilled plan.
    child = Browser(app, "staff.c11")
    page = text(child.get("/plans/"))
    assert "Yêu cầu xây dựng kế hoạch" in page and TITLE in page and "Quá hạn" in page
    assert '<span class="count"' in page  # unread notices in the menu
    notices = text(child.get("/notifications/"))
    assert f'href="/plans/requests/{plan_id}/{c11}"' in notices
    assert "Nhắc: kế hoạch thực hiện" in notices
    request_page = text(child.get(f"/plans/requests/{plan_id}/{c11}"))
    assert TITLE in request_page and "Lập kế hoạch thực hiện</button>" in request_page
    started = child.post(f"/plans/requests/{plan_id}/{c11}/start")
    assert started.status_code == 302 and started.headers["Location"].endswith("/edit")
    edit = text(child.get(started.headers["Location"]))
    assert '<option selected value="TUYEN_TRUYEN">' in edit
    assert "Thực hiện Kế hoạch số 15/KH-BTV" in edit
    child_id = int(started.headers["Location"].split("/")[-2])
    assert stored(app, child_id).parent_plan_id == plan_id
    # Started once: the request page now links to the draft.
    assert "Tiếp tục soạn" in text(child.get(f"/plans/requests/{plan_id}/{c11}"))

    # A target weaker than the district's is flagged before submission.
    weaker = child.post(f"/plans/{child_id}/edit", plan_form(**{
        "title": "Kế hoạch thực hiện của xã Tân Lễ", "parent_plan_id": str(plan_id),
        "targets-0-value": "80", "targets-1-level": "commune", "child_levels": None,
        "child_deadline": "", "version": version_on(edit)}))
    assert weaker.status_code == 302
    for path in (f"/plans/{child_id}", f"/plans/{child_id}/edit"):
        page = text(child.get(path))
        assert "Chỉ tiêu thấp hơn yêu cầu của cấp trên" in page
        assert "80% Hội LHPN xã đạt ≥ 2" in page

    # Notices read: the menu count goes away.
    assert child.post("/notifications/read-all").status_code == 302
    assert '<span class="count"' not in text(child.get("/notifications/"))


# ---- stale pages ------------------------------------------------------------------------------

def test_a_stale_edit_keeps_the_typed_input_and_changes_nothing(app, world):
    staff = Browser(app, "staff.d1")
    plan_id = create(staff, world.units["D1"])
    old = version_on(text(staff.get(f"/plans/{plan_id}/edit")))
    # Someone else saved the plan meanwhile.
    first = staff.post(f"/plans/{plan_id}/edit", plan_form(title="Tên đã sửa", version=old))
    assert first.status_code == 302
    late = staff.post(f"/plans/{plan_id}/edit", plan_form(
        title="Tên người đến sau gõ", version=old, **{"targets-0-note": "ghi chú mới"}))
    assert late.status_code == 409
    page = text(late)
    assert "Kế hoạch vừa được người khác thay đổi." in page
    assert 'value="Tên người đến sau gõ"' in page and 'value="ghi chú mới"' in page
    plan = stored(app, plan_id)
    assert plan.title == "Tên đã sửa" and plan.targets[0].note == ""


def test_acting_on_a_stale_plan_page_is_refused(app, world):
    staff, approver = Browser(app, "staff.d1"), Browser(app, "approver.tb")
    plan_id = create(staff, world.units["D1"])
    path = f"/plans/{plan_id}"
    # A page without a version is stale too, never "skip the check".
    assert staff.post(f"{path}/submit").status_code == 409
    assert staff.post(f"{path}/submit", {"version": version_on(text(staff.get(path)))}
                      ).status_code == 302
    shown_page = text(approver.get(path))
    shown, asked = version_on(shown_page), asked_on(shown_page)
    # Meanwhile: returned in another tab, corrected and sent again.
    approver.post(f"{path}/return", {"version": shown, "comment": "Sửa số hiệu."})
    edit = text(staff.get(f"{path}/edit"))
    staff.post(f"{path}/edit", plan_form(number="16/KH-BTV", version=version_on(edit)))
    staff.post(f"{path}/submit", {"version": version_on(text(staff.get(path)))})
    before = stored(app, plan_id)
    assert before.status == "submitted"

    stale = approver.post(f"{path}/approve", {"version": shown, "asked": asked})
    assert stale.status_code == 409
    assert "Kế hoạch vừa được người khác thay đổi." in text(stale)
    after = stored(app, plan_id)
    assert (after.status, after.version, after.approved_by_id) == ("submitted", before.version,
                                                                   None)
    stale = approver.post(f"{path}/return", {"version": shown, "comment": "Vẫn chưa đạt."})
    assert stale.status_code == 409 and "Vẫn chưa đạt." in text(stale)  # the comment is kept
    fresh = version_on(text(approver.get(path)))
    assert approver.post(f"{path}/approve", {"version": fresh, "asked": asked}
                         ).status_code == 302
    assert stored(app, plan_id).status == "approved"


# ---- who may open what ------------------------------------------------------------------------

def _hy_plan_and_request(app, world) -> tuple[int, int]:
    with app.app_context():
        staff = db.session.get(User, world.users["staff.hy"])
        approver = db.session.get(User, world.users["approver.hy"])
        root = db.session.get(Unit, world.units["HY"])
        plan = plans.create_plan(staff, root, PlanInput(
            title="Kế hoạch của Hưng Yên", year=PLAN_DATE.year, plan_date=PLAN_DATE,
            purpose="Mục đích.", content="Nội dung.",
            child_levels=["commune"], child_deadline=TODAY,
            targets=[TargetInput("GIAM_SAT", "commune", "count", 1)]))
        plans.submit_plan(staff, plan)
        plans.approve_plan(approver, plan)
        db.session.commit()
        return plan.id, world.units["HC1"]


def _all_plan_routes(plan_id: int, unit_id: int) -> list[tuple[str, str, dict]]:
    routes = [
        ("GET", f"/plans/{plan_id}", {}),
        ("GET", f"/plans/{plan_id}/edit", {}),
        ("POST", f"/plans/{plan_id}/edit", plan_form(version="1")),
        ("POST", f"/plans/{plan_id}/submit", {"version": "1"}),
        ("POST", f"/plans/{plan_id}/approve", {"version": "1"}),
        ("POST", f"/plans/{plan_id}/return", {"version": "1", "comment": "Không đạt."}),
        ("GET", f"/plans/{plan_id}/cascade", {}),
        ("POST", f"/plans/{plan_id}/remind", {}),
        ("GET", f"/plans/requests/{plan_id}/{unit_id}", {}),
        ("POST", f"/plans/requests/{plan_id}/{unit_id}/start", {}),
        ("GET", f"/plans/new?unit={unit_id}", {}),
        ("POST", f"/plans/new?unit={unit_id}", plan_form()),
    ]
    return routes + [("GET", f"/plans/{plan_id}/print", {}),
                     ("GET", f"/plans/{plan_id}/export.docx", {})]


@pytest.mark.parametrize("username", ["staff.d1", "tenant_admin.tb", "approver.tb"])
def test_another_tenants_plan_is_not_found_on_every_route(app, world, username):
    plan_id, unit_id = _hy_plan_and_request(app, world)
    browser = Browser(app, username)
    for method, path, data in _all_plan_routes(plan_id, unit_id):
        response = browser.get(path) if method == "GET" else browser.post(path, data)
        assert response.status_code == 404, (method, path)
    assert count(app, Plan) == 1


def test_a_viewer_reads_but_may_not_write(app, world):
    staff = Browser(app, "staff.d1")
    plan_id = create(staff, world.units["D1"])
    path = f"/plans/{plan_id}"
    viewer = Browser(app, "viewer.d1")
    page = text(viewer.get(path))
    assert TITLE in page
    for button in ("Sửa</a>", "Gửi duyệt</button>", "Duyệt</button>", "Trả lại với ý kiến"):
        assert button not in page
    version = version_on(text(staff.get(path)))
    for method, target, data in [
        ("GET", f"{path}/edit", {}),
        ("POST", f"{path}/edit", plan_form(title="Người xem sửa", version=version)),
        ("POST", f"{path}/submit", {"version": version}),
        ("POST", f"{path}/approve", {"version": version}),
        ("POST", f"{path}/return", {"version": version, "comment": "Không được."}),
        ("POST", f"{path}/remind", {}),
        ("GET", f"/plans/new?unit={world.units['D1']}", {}),
        ("POST", f"/plans/new?unit={world.units['D1']}", plan_form()),
    ]:
        response = viewer.get(target) if method == "GET" else viewer.post(target, data)
        assert response.status_code == 403, (method, target)
    plan = stored(app, plan_id)
    assert (plan.status, plan.title, plan.version) == ("draft", TITLE, int(version))
    assert count(app, Plan) == 1


def test_the_list_shows_only_plans_the_user_may_view_with_filters(app, world):
    d1_staff = Browser(app, "staff.d1")
    mine = create(d1_staff, world.units["D1"], title="Kế hoạch của Hưng Hà")
    add_user(app, world, "staff.d2", "staff", "D2")
    create(Browser(app, "staff.d2"), world.units["D2"], title="Kế hoạch của Đông Hưng")
    page = text(d1_staff.get("/plans/"))
    assert "Kế hoạch của Hưng Hà" in page and "Kế hoạch của Đông Hưng" not in page
    assert "Kế hoạch mới</a>" in page
    province = text(Browser(app, "viewer.tb").get("/plans/"))
    assert "Kế hoạch của Hưng Hà" in province and "Kế hoạch của Đông Hưng" in province
    assert "Kế hoạch mới" not in province
    filtered = text(Browser(app, "viewer.tb").get(f"/plans/?unit={world.units['D2']}"))
    assert "Kế hoạch của Hưng Hà" not in filtered and "Kế hoạch của Đông Hưng" in filtered
    assert "Kế hoạch của Hưng Hà" not in text(d1_staff.get("/plans/?status=approved"))
    assert f'href="/plans/{mine}"' in text(d1_staff.get(f"/plans/?year={PLAN_DATE.year}"))


# ---- the indicator catalogue ------------------------------------------------------------------

def _indicator_id(app, tenant_id: int, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Indicator.id).where(Indicator.tenant_id == tenant_id,
                                                            Indicator.code == code))


NEW_INDICATOR = {"code": "cau_lac_bo", "name": "Câu lạc bộ phụ nữ được duy trì",
                 "kind": "count", "aggregation": "sum", "unit_label": "câu lạc bộ",
                 "description": ""}


@pytest.mark.parametrize("username", ["staff.d1", "tenant_admin.d1", "approver.tb", "viewer.tb"])
def test_only_the_provinces_admin_edits_the_catalogue(app, world, username):
    giam_sat = _indicator_id(app, world.tenants["TB"], "GIAM_SAT")
    browser = Browser(app, username)
    page = text(browser.get("/indicators/"))
    assert "Số chính sách, chương trình được giám sát" in page
    assert "Thêm chỉ tiêu" not in page
    assert browser.get("/indicators/new").status_code == 403
    assert browser.post("/indicators/new", NEW_INDICATOR).status_code == 403
    assert browser.get(f"/indicators/{giam_sat}/edit").status_code == 403
    assert browser.post(f"/indicators/{giam_sat}/edit", NEW_INDICATOR).status_code == 403
    assert _indicator_id(app, world.tenants["TB"], "CAU_LAC_BO") is None


def test_the_provinces_admin_adds_and_edits_indicators(app, world):
    admin = Browser(app, "tenant_admin.tb")
    assert "Thêm chỉ tiêu" in text(admin.get("/indicators/"))
    assert admin.post("/indicators/new", NEW_INDICATOR).status_code == 302
    new_id = _indicator_id(app, world.tenants["TB"], "CAU_LAC_BO")
    assert new_id is not None

    duplicate = admin.post("/indicators/new", dict(NEW_INDICATOR, code="GIAM_SAT",
                                                   name="Một tên khác"))
    assert duplicate.status_code == 409
    page = text(duplicate)
    assert "Mã chỉ tiêu GIAM_SAT đã có." in page and 'value="Một tên khác"' in page
    refused = admin.post("/indicators/new", dict(NEW_INDICATOR, code="X Y"))
    assert refused.status_code == 422 and "Mã chỉ tiêu gồm" in text(refused)
    refused = admin.post(f"/indicators/{new_id}/edit", dict(NEW_INDICATOR, name=" "))
    assert refused.status_code == 422 and "Tên chỉ tiêu không được để trống." in text(refused)

    # Deactivated (the checkbox left unticked): the plan form no longer offers it.
    edited = admin.post(f"/indicators/{new_id}/edit", dict(NEW_INDICATOR,
                                                           name="Câu lạc bộ (cũ)"))
    assert edited.status_code == 302
    with app.app_context():
        indicator = db.session.get(Indicator, new_id)
        assert (indicator.name, indicator.active, indicator.code) == (
            "Câu lạc bộ (cũ)", False, "CAU_LAC_BO")
    form = text(Browser(app, "staff.d1").get(f"/plans/new?unit={world.units['D1']}"))
    assert 'value="GIAM_SAT"' in form and 'value="CAU_LAC_BO"' not in form
    assert admin.post(f"/indicators/{new_id}/edit", dict(NEW_INDICATOR, active="y")
                      ).status_code == 302
    with app.app_context():
        assert db.session.get(Indicator, new_id).active is True

    other = _indicator_id(app, world.tenants["HY"], "GIAM_SAT")
    assert admin.get(f"/indicators/{other}/edit").status_code == 404
    assert admin.post(f"/indicators/{other}/edit", NEW_INDICATOR).status_code == 404
