"""A plan in a real browser, by two people: the district's officer writes and submits it, the
province's approver returns it with a comment, the officer corrects and resubmits it, the
approver approves it. Screenshots at desktop and phone widths go to test-artifacts/."""

import re
from datetime import timedelta

import pytest

from lhpn.clock import utcnow
from tests.browser import PHONE, assert_fits_width, confirming, log_in, shot

pytestmark = pytest.mark.browser

TITLE = "Kế hoạch tuyên truyền, giám sát năm 2026 của huyện Hưng Hà"
COMMENT = "Đề nghị nâng chỉ tiêu tuyên truyền lên 3 hoạt động mỗi xã."


def test_write_submit_return_resubmit_approve(open_page, world):  # noqa: F811
    from playwright.sync_api import expect

    staff, staff_problems = open_page()
    log_in(staff, "staff.d1", "plan-desktop")
    staff.get_by_role("link", name="Kế hoạch", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Kế hoạch")
    staff.get_by_role("link", name="Kế hoạch mới").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Kế hoạch mới")

    staff.get_by_label("Số, ký hiệu").fill("21/KH-BTV")
    staff.get_by_label("Địa danh").fill("Hưng Hà")
    staff.get_by_label("Tên kế hoạch").fill(TITLE)
    staff.get_by_label("I. Mục đích, yêu cầu").fill(
        "1. Nâng cao chất lượng **tuyên truyền**.\n2. Bám sát thực tiễn cơ sở.")
    staff.get_by_label("III. Nội dung").fill("## 1. Tuyên truyền\n\n- Hội nghị báo cáo viên")
    # One target: a share of the communes; its threshold appears once the kind asks for it.
    threshold = staff.locator("#targets-0-threshold")
    expect(threshold).to_be_hidden()
    staff.locator("#targets-0-indicator").select_option("TUYEN_TRUYEN")
    staff.locator("#targets-0-level").select_option("commune")
    staff.locator("#targets-0-kind").select_option("share")
    expect(threshold).to_be_visible()
    staff.locator("#targets-0-value").fill("100")
    threshold.fill("2")
    # "Thêm dòng" adds a blank row from the template.
    rows = staff.locator("#target-rows .target-row")
    expect(rows).to_have_count(3)
    staff.locator("[data-add-row=target-rows]").click()
    expect(rows).to_have_count(4)
    # The new row starts at its kind (a measured target or one in words).
    expect(staff.locator("#targets-3-kind")).to_be_focused()
    # One activity, in the first quarter.
    staff.locator("#activities-0-title").fill("Hội nghị tập huấn báo cáo viên cấp xã")
    staff.locator("#activities-0-when").select_option("quarter")
    staff.locator("#activities-0-when_number").fill("1")
    staff.locator("#activities-0-lead").fill("Ban Tuyên giáo")
    staff.locator("#activities-0-budget_source").fill("Ngân sách Hội")
    staff.get_by_label("Nơi nhận (mỗi dòng một nơi)").fill("BTV Hội LHPN tỉnh;\nLưu: VP.")
    staff.get_by_label("Họ tên người ký").fill("Trần Thị Lan")
    # The communes are asked for their implementing plans once this one is issued.
    staff.get_by_label("Xã", exact=True).check()
    staff.get_by_label("Hạn nộp kế hoạch của cấp dưới").fill(
        (utcnow().date() + timedelta(days=30)).isoformat())
    shot(staff, "plan-desktop-form")
    staff.get_by_role("button", name="Lưu kế hoạch").click()

    expect(staff.locator(".flash-success")).to_have_text("Đã tạo kế hoạch dự thảo.")
    expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
    # The page says what the .docx says.
    expect(staff.locator(".targets")).to_contain_text(
        "1. 100% Hội LHPN cấp xã đạt ít nhất 02 hoạt động (số hoạt động tuyên truyền")
    plan_url = staff.url
    shot(staff, "plan-desktop-draft")
    asked = confirming(staff)
    staff.get_by_role("button", name="Gửi duyệt").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã gửi kế hoạch chờ duyệt.")
    assert "để Hội LHPN tỉnh Thái Bình duyệt?" in asked[0]
    expect(staff.locator(".plan-head .badge")).to_have_class(re.compile("status-submitted"))

    # The province's approver, on a phone, returns it with a comment.
    approver, approver_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(approver, "approver.tb", "plan-phone")
    approver.goto(plan_url)
    expect(approver.get_by_role("button", name="Duyệt")).to_be_visible()
    assert_fits_width(approver)
    shot(approver, "plan-phone-to-approve")
    approver.get_by_label("Ý kiến khi trả lại (bắt buộc)").fill(COMMENT)
    approver.get_by_role("button", name="Trả lại với ý kiến").click()
    expect(approver.locator(".flash-success")).to_have_text("Đã trả lại kế hoạch kèm ý kiến.")
    expect(approver.locator(".plan-head .badge")).to_have_class(re.compile("status-returned"))

    # The officer sees the comment in the timeline, corrects the target and resubmits.
    staff.reload()
    expect(staff.locator(".timeline .comment")).to_have_text(COMMENT)
    expect(staff.locator(".plan-head .badge")).to_have_class(re.compile("status-returned"))
    shot(staff, "plan-desktop-returned")
    staff.get_by_role("link", name="Sửa", exact=True).click()
    expect(staff.locator("#targets-0-threshold")).to_have_value("2")
    staff.locator("#targets-0-threshold").fill("3")
    staff.get_by_role("button", name="Lưu kế hoạch").click()
    expect(staff.locator(".flash-success")).to_have_text("Đã lưu kế hoạch.")
    expect(staff.locator(".targets")).to_contain_text(
        "100% Hội LHPN cấp xã đạt ít nhất 03 hoạt động")
    confirming(staff)
    staff.get_by_role("button", name="Gửi duyệt").click()
    expect(staff.locator(".plan-head .badge")).to_have_class(re.compile("status-submitted"))

    approver.reload()
    expect(approver.locator(".targets")).to_contain_text("đạt ít nhất 03 hoạt động")
    asked = confirming(approver)
    approver.get_by_role("button", name="Duyệt").click()
    expect(approver.locator(".flash-success")).to_have_text("Đã duyệt kế hoạch.")
    assert "sẽ gửi yêu cầu tới 2 đơn vị" in asked[0]  # D1's communes C11 and C12
    expect(approver.locator(".plan-head .badge")).to_have_text("Đã duyệt")
    assert_fits_width(approver)
    shot(approver, "plan-phone-approved")

    staff.reload()
    expect(staff.locator(".plan-head .badge")).to_have_text("Đã duyệt")
    steps = staff.locator(".timeline li strong").all_inner_texts()
    assert steps == ["Gửi duyệt", "Trả lại", "Gửi duyệt", "Duyệt"]
    expect(staff.get_by_role("link", name="Sửa", exact=True)).to_have_count(0)
    shot(staff, "plan-desktop-approved")
    staff.get_by_role("link", name="Tiến độ cấp dưới (2)").click()
    expect(staff.locator("table.cascade")).to_contain_text("Hội LHPN xã Tân Lễ")
    expect(staff.locator("table.cascade .state-not_started")).to_have_count(2)
    shot(staff, "plan-desktop-cascade")

    # The officer's pages on a phone: the list, the notices and the form fit the screen.
    phone, phone_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "staff.d1", "plan-phone-staff")
    phone.goto("/plans/")
    expect(phone.get_by_role("link", name=TITLE)).to_be_visible()
    assert_fits_width(phone)
    shot(phone, "plan-phone-list")
    phone.goto("/notifications/")
    expect(phone.locator(".notices")).to_contain_text("đã được duyệt")
    assert_fits_width(phone)
    shot(phone, "plan-phone-notifications")
    phone.goto("/plans/new")
    phone.locator("#targets-0-kind").select_option("share")
    phone.locator("#activities-0-when").select_option("range")
    assert_fits_width(phone)
    shot(phone, "plan-phone-form")
    phone.goto(plan_url)
    assert_fits_width(phone)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", phone.locator(".timeline").inner_text())
    shot(phone, "plan-phone-plan")

    for problems in (staff_problems, approver_problems, phone_problems):
        problems.assert_none()


# ---- issue 12: reading, writing and following up plans as the union does --------------------

WIDE = {"width": 1366, "height": 768}
ASKING_TITLE = "Tham gia xây dựng Đảng, hệ thống chính trị; giám sát, phản biện xã hội"
QUALITATIVE = "100% Hội LHPN cơ sở góp ý ít nhất 01 dự thảo văn bản của cấp ủy, chính quyền"


def _province_asks_the_communes(app, world, *, counted: bool = False) -> int:
    """The province's issued plan (seed 000's shape) asking every commune for its own plan,
    with a share of the communes, a qualitative target and its section III reworded; C11 gets
    an officer."""
    from lhpn.accounts.models import User
    from lhpn.clock import local_today
    from lhpn.extensions import db
    from lhpn.plans import services as plans
    from lhpn.plans.services import ActivityInput, PlanInput, TargetInput
    from lhpn.tenants.models import Tenant
    from lhpn.units.models import Unit
    from tests import factories

    year = local_today().year
    with app.app_context():
        tb = db.session.get(Tenant, world.tenants["TB"])
        for role in ("staff", "approver"):
            factories.user(tb, f"{role}.c11", role, db.session.get(Unit, world.units["C11"]))
        staff = db.session.get(User, world.users["staff.tb"])
        plan = plans.create_plan(staff, db.session.get(Unit, world.units["TB"]), PlanInput(
            title=f"{ASKING_TITLE} năm {year}", year=year, number="68/KH-BTV",
            place="Thái Bình", plan_date=f"{year}-01-15", counted=counted,
            basis="Thực hiện Chương trình làm việc toàn khóa của Ban Chấp hành Hội LHPN tỉnh.",
            purpose="1. Kịp thời tuyên truyền, phổ biến chủ trương của Đảng, chính sách, pháp "
                    "luật của Nhà nước đến cán bộ, hội viên, phụ nữ.\n2. Phát huy vai trò "
                    "giám sát, phản biện xã hội của các cấp Hội.",
            content="1. Đẩy mạnh tuyên truyền, vận động hội viên phụ nữ\n\n- Tuyên truyền Luật "
                    "Bình đẳng giới, Luật Phòng, chống bạo lực gia đình.",
            headings={"content": "Nhiệm vụ trọng tâm"},
            organisation="Hội LHPN các xã xây dựng kế hoạch thực hiện, gửi về Hội LHPN tỉnh.",
            recipients="Hội LHPN các huyện, thành phố;\nLưu: VT.", signer_name="Ngô Thị Huệ",
            child_levels=["commune"], child_deadline=f"{year}-12-31",
            targets=[TargetInput("TUYEN_TRUYEN", "commune", "share", 100, 2),
                     TargetInput(None, "commune", "text", None, text=QUALITATIVE,
                                 deadline=f"{year}-10-30")],
            activities=[ActivityInput("Tập huấn kỹ năng giám sát cho cán bộ cơ sở", "quarter",
                                      3, lead="Ban Tuyên giáo")]))
        plans.submit_plan(staff, plan)
        plans.approve_plan(db.session.get(User, world.users["approver.tb"]), plan)
        db.session.commit()
        return plan.id


def test_a_commune_officer_on_a_phone_reads_the_provinces_plan_and_starts_its_own(
        open_page, world, app):  # noqa: F811
    from playwright.sync_api import expect

    plan_id = _province_asks_the_communes(app, world)
    phone, problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "staff.c11", "plan12-phone-commune")
    phone.goto("/plans/")
    requests = phone.locator("section.requests")
    expect(requests).to_contain_text(ASKING_TITLE)
    assert_fits_width(phone)
    shot(phone, "plan12-phone-requests")
    requests.get_by_role("link", name=re.compile(ASKING_TITLE)).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Yêu cầu xây dựng kế hoạch thực hiện")
    assert_fits_width(phone)
    shot(phone, "plan12-phone-request")

    # The full plan: the document as the province issued it, fitting the phone.
    phone.get_by_role("link", name="Đọc toàn văn kế hoạch cấp trên").click()
    expect(phone).to_have_url(re.compile(f"/plans/{plan_id}$"))
    document = phone.locator("article.document")
    expect(document).to_contain_text("Phát huy vai trò giám sát, phản biện xã hội")
    expect(document.locator("h2[data-section=content]")).to_have_text(
        "III. NHIỆM VỤ TRỌNG TÂM")
    expect(document).to_contain_text(QUALITATIVE)
    expect(document.locator("table.activities")).to_contain_text("Quý III")
    expect(phone.locator(".timeline")).to_have_count(0)  # the province's own history
    expect(phone.get_by_role("link", name="Tải về .docx")).to_be_visible()
    assert_fits_width(phone)
    shot(phone, "plan12-phone-provinces-plan")

    # Back to the request: the implementing plan, prefilled in the commune's own voice.
    phone.go_back()
    phone.get_by_role("button", name="Lập kế hoạch thực hiện").click()
    expect(phone.locator(".flash-success")).to_contain_text("điền sẵn")
    basis = phone.get_by_label("Căn cứ (các văn bản khác)")
    expect(basis).to_have_value(re.compile(
        r"^Thực hiện Kế hoạch số 68/KH-BTV ngày 15/01/\d{4} của Ban Thường vụ Hội LHPN tỉnh "
        r"Thái Bình về tham gia xây dựng Đảng.*, Ban Thường vụ Hội LHPN xã Tân Lễ xây dựng kế "
        r"hoạch triển khai thực hiện, cụ thể như sau:$"))
    expect(basis).not_to_have_value(re.compile("Chương trình làm việc toàn khóa"))
    # "100% of communes reach ≥ 2" is the commune's own "≥ 2" here; the qualitative target
    # comes along with its deadline.
    expect(phone.locator("#targets-0-kind")).to_have_value("count")
    expect(phone.locator("#targets-0-value")).to_have_value("2")
    expect(phone.locator("#targets-0-note")).to_have_value(re.compile("theo chỉ tiêu 100%"))
    expect(phone.locator("#targets-1-kind")).to_have_value("text")
    expect(phone.locator("#targets-1-text")).to_have_value(QUALITATIVE)
    expect(phone.locator("#targets-1-indicator")).to_be_hidden()
    assert_fits_width(phone)
    shot(phone, "plan12-phone-implementing-plan")
    problems.assert_none()


def test_a_province_officer_writes_a_qualitative_target_and_a_heading_of_its_own(
        open_page, world, app, tmp_path):  # noqa: F811
    from io import BytesIO

    import docx
    from playwright.sync_api import expect

    page, problems = open_page(WIDE)
    log_in(page, "staff.tb", "plan12-wide")
    page.goto(f"/plans/new?unit={world.units['TB']}")
    page.get_by_label("Số, ký hiệu").fill("460/KH-BTV")
    page.get_by_label("Địa danh").fill("Thái Bình")
    page.get_by_label("Tên kế hoạch").fill("Tham gia xây dựng Đảng, thực hiện giám sát, "
                                           "phản biện xã hội")
    page.get_by_label("I. Mục đích, yêu cầu").fill("1. Làm tốt công tác giám sát, phản biện.")
    page.get_by_label("Tiêu đề phần nội dung").fill("Nhiệm vụ trọng tâm")
    page.get_by_label("III. Nội dung").fill("1. Tham mưu thực hiện Quyết định 217-QĐ/TW")
    # A qualitative target: the words and the deadline appear, the indicator goes away.
    page.locator("#targets-0-kind").select_option("text")
    expect(page.locator("#targets-0-indicator")).to_be_hidden()
    expect(page.locator("#targets-0-value")).to_be_hidden()
    page.locator("#targets-0-level").select_option("commune")
    page.locator("#targets-0-text").fill(QUALITATIVE)
    page.locator("#targets-0-deadline").fill("2026-10-30")
    page.locator("#targets-1-indicator").select_option("GIAM_SAT")
    page.locator("#targets-1-level").select_option("province")
    page.locator("#targets-1-value").fill("1")
    page.locator("#activities-0-title").fill("Đoàn giám sát tiêu chí số 18")
    page.locator("#activities-0-when").select_option("quarter")
    page.locator("#activities-0-when_number").fill("3")
    page.get_by_label("Kinh phí (không bắt buộc)").fill("Ngân sách Hội cấp; vận động xã hội "
                                                      "hóa.")
    page.get_by_label("IV. Tổ chức thực hiện").fill("Ban Tuyên giáo theo dõi, tổng hợp.")
    shot(page, "plan12-wide-form")
    page.get_by_role("button", name="Lưu kế hoạch").click()
    expect(page.locator(".flash-success")).to_have_text("Đã tạo kế hoạch dự thảo.")
    headings = page.locator("article.document h2")
    expect(headings).to_have_text(["I. MỤC ĐÍCH, YÊU CẦU", "II. CHỈ TIÊU",
                                   "III. NHIỆM VỤ TRỌNG TÂM", "IV. KINH PHÍ THỰC HIỆN",
                                   "V. TỔ CHỨC THỰC HIỆN"])
    expect(page.locator("article.document .targets")).to_contain_text(
        f"1. {QUALITATIVE} (thời hạn: 30/10/2026).")
    expect(page.locator("article.document table.activities")).to_contain_text("Quý III")
    shot(page, "plan12-wide-plan")

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về .docx").click()
    path = tmp_path / "plan.docx"
    download.value.save_as(path)
    document = docx.Document(BytesIO(path.read_bytes()))
    texts = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    on_page = headings.all_inner_texts()
    assert [t for t in texts if t in on_page] == on_page
    assert f"1. {QUALITATIVE} (thời hạn: 30/10/2026)." in texts
    assert "Ngân sách Hội cấp; vận động xã hội hóa." in texts
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Quý III" in cells
    problems.assert_none()


def test_a_commune_marks_not_done_and_the_provinces_attainment_shows_it(
        open_page, world, app):  # noqa: F811
    from playwright.sync_api import expect

    plan_id = _province_asks_the_communes(app, world, counted=True)
    phone, phone_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(phone, "staff.c11", "plan12-phone-check")
    phone.goto(f"/plans/{plan_id}")
    form = phone.locator("form.target-check")
    expect(form).to_contain_text(QUALITATIVE)
    form.get_by_label("Chưa thực hiện", exact=True).check()
    form.get_by_label("Ghi chú (bắt buộc khi chưa thực hiện)").fill(
        "Xã chưa nhận được dự thảo văn bản nào để góp ý.")
    assert_fits_width(phone)
    shot(phone, "plan12-phone-check-form")
    form.get_by_role("button", name="Lưu kết quả").click()
    expect(phone.locator(".flash-success")).to_have_text(
        "Đã lưu kết quả thực hiện của Hội LHPN xã Tân Lễ.")
    expect(phone.locator("form.target-check")).to_contain_text("Đã báo: chưa thực hiện")
    assert_fits_width(phone)
    shot(phone, "plan12-phone-check-saved")

    wide, wide_problems = open_page(WIDE)
    log_in(wide, "approver.tb", "plan12-wide-attainment")
    wide.goto(f"/units/{world.units['TB']}/consolidation")
    card = wide.locator("#attainment")
    expect(card.locator("h3.plan-name")).to_contain_text("Kế hoạch số 68/KH-BTV")
    expect(card.locator(".attainment-basis")).to_contain_text("lũy kế từ đầu năm")
    row = card.locator("tr.text-target")
    expect(row).to_contain_text("0/3 đã thực hiện")
    row.locator("summary").click()
    expect(row).to_contain_text(
        "Hội LHPN xã Tân Lễ: chưa thực hiện — Xã chưa nhận được dự thảo văn bản nào để góp ý.")
    expect(row).to_contain_text("Hội LHPN xã Canh Tân: chưa báo")
    shot(wide, "plan12-wide-attainment")
    # The province's own plan page sums the answers up too.
    wide.goto(f"/plans/{plan_id}")
    expect(wide.locator("table.follow-up .done")).to_have_text("0/3")
    shot(wide, "plan12-wide-follow-up")
    # The same on the approver's phone.
    chair, chair_problems = open_page(PHONE, is_mobile=True, has_touch=True)
    log_in(chair, "approver.tb", "plan12-phone-attainment")
    chair.goto(f"/units/{world.units['TB']}/consolidation")
    expect(chair.locator("#attainment tr.text-target")).to_contain_text("0/3 đã thực hiện")
    assert_fits_width(chair)
    shot(chair, "plan12-phone-attainment")
    for problems in (phone_problems, wide_problems, chair_problems):
        problems.assert_none()
