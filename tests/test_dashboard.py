"""The dashboard at /: the to-do list, the inbox, late children and the three charts, always
within the user's reach; 403/404 for a unit out of reach or of another tenant; a bounded
number of SQL statements whatever the number of children."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import event

from lhpn.clock import local_today
from lhpn.consolidation import services as consolidation
from lhpn.dashboard import services as dashboard
from lhpn.extensions import db
from lhpn.indicators.services import create_indicator
from lhpn.reports import periods as P
from lhpn.reports import services as reports
from lhpn.reports.models import ReportTemplate, TemplateItem
from lhpn.units import services as units
from tests import consolidation_world as kw
from tests import factories
from tests.conftest import login

X1_NAME, X2_NAME = "Hội LHPN xã An Bình", "Hội LHPN xã Bình Minh"
JAN_QUERY = f"template=BC_KT&period={kw.JAN}"


@pytest.fixture
def kt(app):
    with app.app_context():
        return kw.build()


def _page(client, username: str, query: str = "") -> str:
    login(client, username)
    response = client.get(f"/?{query}" if query else "/")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section [^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def _texts(fragment: str) -> list[str]:
    """The visible text of an SVG's <text> elements, in order."""
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", fragment)]


# ---- the province approver ---------------------------------------------------------------------

def test_completeness_by_child_worst_first(client, kt, app):
    with app.app_context():
        kw.file_january(kt)
    html = _page(client, "kt.approver.kt", JAN_QUERY)
    svg = _svg(html, "chart-completeness")
    assert "<title" in svg and "<desc" in svg and 'viewBox="0 0 360' in svg
    texts = _texts(svg)
    # X2 sent 2 of 2 but only X2A is approved: 50 %, above X1 with 3 of 3 approved.
    assert texts.index(X2_NAME) < texts.index(X1_NAME)
    assert "50%" in texts and "100%" in texts
    assert "1/2 · đúng hạn 50%" in texts and "3/3 · đúng hạn 100%" in texts
    # Each row links to that child's consolidation with the same form and period.
    assert f'href="/units/{kt.units["X2"]}/consolidation?{JAN_QUERY.replace("&", "&amp;")}"' in svg
    table = _section(html, "chart-completeness-h")
    assert re.search(rf"{X2_NAME}</a></td>\s*<td[^>]*>1/2</td>\s*<td[^>]*>50%</td>", table)
    assert re.search(rf"{X1_NAME}</a></td>\s*<td[^>]*>3/3</td>\s*<td[^>]*>100%</td>", table)
    # The province's own line: 4 of 5 reports approved.
    assert re.search(r"Đã duyệt <strong>4/5</strong>", html)
    assert "Đầy đủ <strong>80%</strong>" in html


def test_attainment_after_the_plan_is_issued(client, kt, app):
    with app.app_context():
        kw.file_january(kt)
        kw.issue_plan(kt)
    html = _page(client, "kt.approver.kt", JAN_QUERY)
    texts = _texts(_svg(html, "chart-attainment"))
    # SO_LUOT ≥ 3 at each commune: X1 8, X2 2. Half the branches with SO_LUOT ≥ 1: X1A, X2A
    # of three. TY_LE ≥ 50 % at each branch: X1A 50 %, X2A 90 %, X1B 0 %.
    assert texts[texts.index("Xã: Số lượt hội viên tham gia") + 1] == "1/2 đơn vị · chưa đạt"
    assert texts[texts.index("Chi hội: Số lượt hội viên tham gia") + 1] == "2/3 đơn vị · đạt"
    assert texts[texts.index("Chi hội: Hội viên được tập huấn") + 1] == "2/3 đơn vị · chưa đạt"
    assert texts.count("50%") == 1 and texts.count("66,7%") == 2
    # The share target draws its 50 % line; the others have none.
    assert _svg(html, "chart-attainment").count('class="target-line"') == 1
    table = _section(html, "chart-attainment-h")
    assert "2/3 (66,7%)" in table and "1/2 (50%)" in table


def test_no_plan_says_so(client, kt, app):
    with app.app_context():
        kw.file_january(kt)
    html = _page(client, "kt.approver.kt", JAN_QUERY)
    assert 'id="chart-attainment"' not in html
    assert "Chưa có kế hoạch đã ban hành thuộc chương trình công tác năm" in html


def test_trend_over_the_year(client, kt, app):
    with app.app_context():
        kw.file_january(kt)
        kw.file(kt, "X1A", "2027-03", {"SO_LUOT": 7, "TY_LE": {"numerator": 1, "denominator": 4}})
    html = _page(client, "kt.approver.kt", JAN_QUERY)
    svg = _svg(html, "chart-trend")
    assert 'role="img"' in svg
    texts = _texts(svg)
    ticks = [f"T{m}" for m in range(1, 13)]
    assert [t for t in texts if t in ticks] == ticks
    assert texts[:2] == ["10", "T1"] and "7" in texts  # January 10, March 7, others empty
    assert texts.count("–") == 10
    table = _section(html, "chart-trend-h")
    assert re.search(r"Tháng 01/2027</td><td[^>]*>10</td>", table)
    assert re.search(r"Tháng 02/2027</td><td[^>]*>—</td>", table)

    rate = client.get(f"/?{JAN_QUERY}&indicator=TY_LE").get_data(as_text=True)
    texts = _texts(_svg(rate, "chart-trend"))
    assert texts[0] == "34%" and "25%" in texts  # Σ85/Σ250; March 1/4
    assert "Diễn biến trong năm: Hội viên được tập huấn" in rate


def test_inbox_and_late_children_for_the_approver(client, kt, app):
    with app.app_context():
        waiting_id = kw.file_january(kt)["X2"].id
        template = kt.template
        code = consolidation.default_period(template)
        due = P.period_of(template, code)[1]
    html = _page(client, "kt.approver.kt", "template=BC_KT")
    todo = _section(html, "todo-heading")
    assert "Chờ bạn duyệt" in todo
    assert f'href="/reports/{waiting_id}"' in todo
    days = (local_today() - due).days
    if days > 0:  # the latest due period has nothing filed yet: both communes owe everything
        assert f"Quá hạn {days} ngày" in todo
        assert re.search(rf"{X1_NAME}</a>\s*<span[^>]*>đã duyệt 0/3 báo cáo", todo)
        assert "Thiếu 3 báo cáo" in todo and "Thiếu 2 báo cáo" in todo


def test_only_the_children_furthest_behind_are_listed(client, kt, app, monkeypatch):
    """A province has ~100 communes: the dashboard lists the worst few and links to the rest."""
    from lhpn import clock
    from lhpn.dashboard import views as dashboard_views

    # A fixed day, so the latest period is overdue whatever the date the suite runs on: the
    # February reports (due 20/03/2027), which nobody sent.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2027, 3, 25, 3, 0))
    with app.app_context():
        code = consolidation.default_period(kt.template)
        due = P.period_of(kt.template, code)[1]
    assert (code, due) == ("2027-02", date(2027, 3, 20))
    assert (local_today() - due).days == 5
    monkeypatch.setattr(dashboard_views, "LATE_SHOWN", 1)
    todo = _section(_page(client, "kt.approver.kt", "template=BC_KT"), "todo-heading")
    assert "Thiếu 3 báo cáo" in todo and "Thiếu 2 báo cáo" not in todo  # X1 owes most
    more = re.search(r'<a href="([^"]+)">… và 1 đơn vị khác: xem bảng tổng hợp</a>', todo)
    assert more and more.group(1).startswith(f"/units/{kt.units['KT']}/consolidation?")
    assert f"period={code}" in more.group(1)


def test_late_children_in_a_fixed_number_of_statements(kt, app):
    with app.app_context():
        kw.file_january(kt)
        root, template, later = kt.unit("KT"), kt.template, date(2027, 2, 25)
        late = dashboard.late_children(root, template, later)
        statements = _count_statements(lambda: dashboard.late_children(root, template, later))
    # The consolidation's reads (children, totals, counts, expected units), not one per child.
    assert statements <= 5
    assert (late.period, late.days_late) == (kw.JAN, 5)
    assert [(c.unit.code, c.approved, c.expected) for c in late.children] == [("X2", 1, 2)]


def test_tasks_are_the_current_and_previous_period(kt, app):
    with app.app_context():
        kw.file(kt, "X1A", kw.JAN, kw.VALUES["X1A"], approve=False)
        later = date(2027, 2, 25)

        def mine(name):
            return [(t.unit.code, t.period, t.state, t.days_late)
                    for t in dashboard.tasks(kt.user(name), later) if t.template.code == "BC_KT"]

        assert mine("kt.staff.x1a") == [("X1A", "2027-02", "not_started", -23)]  # Jan is sent
        assert mine("kt.staff.x1b") == [("X1B", kw.JAN, "not_started", 5),
                                        ("X1B", "2027-02", "not_started", -23)]
        assert mine("kt.approver.kt") == []


# ---- a branch officer ---------------------------------------------------------------------------

def test_branch_staff_sees_their_reports_and_nothing_above(client, kt, app):
    with app.app_context():
        kw.file_january(kt)
        today = local_today()
        due = dashboard.current_and_previous(kt.template, today)
    html = _page(client, "kt.staff.x1b")
    todo = _section(html, "todo-heading")
    (prev_code, prev_label, prev_due), (cur_code, cur_label, _cur_due) = due
    assert f"Báo cáo kiểm thử</strong> · {prev_label}" in todo
    assert f"Báo cáo kiểm thử</strong> · {cur_label}" in todo
    assert f"Quá hạn {(today - prev_due).days} ngày" in todo
    assert f'name="period" value="{prev_code}"' in todo  # one tap opens the report
    assert "Chờ bạn duyệt" not in todo
    # Their own branch only: no commune, no province, no sibling.
    for name in (X1_NAME, X2_NAME, "Chi hội thôn Đông", "Chi hội thôn Nam"):
        assert name not in html, name
    for code in ("KT", "X1", "X2", "X1A"):
        assert f"/units/{kt.units[code]}/consolidation" not in html
        assert f'option value="{kt.units[code]}"' not in html
    assert "Tình hình báo cáo</a>" not in html
    assert "Tình hình báo cáo: Chi hội thôn Tây" in html

    jan = client.get(f"/?{JAN_QUERY}").get_data(as_text=True)
    assert "Đã duyệt <strong>1/1</strong>" in jan
    assert "Không có đơn vị trực thuộc nào phải nộp biểu mẫu này." in jan


@pytest.mark.parametrize(("username", "unit", "status"), [
    ("kt.staff.x1a", "X2", 403),
    ("kt.staff.x1a", "KT", 403),
    ("kt.staff.x1a", "X1", 403),
    ("kt.approver.x1", "X2", 403),
    ("kt.approver.x1", "X1A", 200),
    ("kt.viewer", "X2A", 200),
])
def test_unit_outside_reach_is_forbidden(client, kt, username, unit, status):
    login(client, username)
    response = client.get(f"/?unit={kt.units[unit]}&{JAN_QUERY}")
    assert response.status_code == status
    if status == 403:
        assert X2_NAME not in response.get_data(as_text=True) or unit != "X2"


def test_another_tenants_unit_is_not_found(client, kt, app):
    with app.app_context():
        other = factories.tenant("KX", "Hội LHPN tỉnh Khác", "province,commune")
        other_root = units.root_of(other.id).id
        db.session.commit()
    login(client, "kt.admin")
    for wanted in (other_root, 999_999, "abc", -1):
        assert client.get(f"/?unit={wanted}").status_code == 404, wanted


def test_bad_choices_are_refused_on_the_page(client, kt):
    login(client, "kt.approver.kt")
    bad_period = client.get("/?template=BC_KT&period=2027-13")
    assert bad_period.status_code == 422
    assert "Việc cần làm" in bad_period.get_data(as_text=True)  # the rest of the page stays
    assert client.get("/?template=NOPE").status_code == 404
    adhoc = client.get("/?template=BC_NHANH_VU_VIEC")  # a starter form with no calendar
    assert adhoc.status_code == 422
    assert "Báo cáo đột xuất không có kỳ" in adhoc.get_data(as_text=True)
    assert client.get(f"/?{JAN_QUERY}&indicator=GHI_CHU").status_code == 404  # text: no chart
    # The selector changed the form: the old form's period and indicator are dropped.
    assert client.get("/?template=BC_KT&shown=BC_QUY&period=2027-Q1&indicator=X").status_code \
        == 200


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_user_without_roles_gets_a_friendly_note(client, kt, app):
    with app.app_context():
        tenant = kt.unit("KT").tenant
        factories.user(tenant, "kt.norole", None, kt.unit("KT"))
        db.session.commit()
    html = _page(client, "kt.norole")
    assert "Chưa có gì để hiển thị." in html
    assert "Hãy liên hệ quản trị viên của tỉnh" in html
    assert "<svg" not in html


# ---- the number of statements ------------------------------------------------------------------

def _count_statements(action) -> int:
    seen = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def _tree(code: str, children: int) -> None:
    """A province with ``children`` communes, each with a branch; every commune sends its
    January report and half of them are approved (the rest wait in the province approver's
    inbox); an issued plan with a target per level."""
    from decimal import Decimal

    from lhpn.plans.models import Plan, PlanTarget

    tenant = factories.tenant(code, f"Hội LHPN tỉnh {code}", "province,commune,branch")
    root = units.root_of(tenant.id)
    approver = factories.user(tenant, f"{code.lower()}.approver", "approver", root)
    indicator = create_indicator(None, tenant.id, code="SO", name="Số lượt", kind="count",
                                 aggregation="sum")
    template = ReportTemplate(tenant_id=tenant.id, code="BC", name="Báo cáo", period_type="month",
                              levels="commune,branch", due_day=20, due_months_after=1,
                              items=[TemplateItem(indicator_id=indicator.id, position=0)])
    db.session.add(template)
    db.session.add(Plan(tenant_id=tenant.id, unit_id=root.id, year=2027, title="Kế hoạch",
                        status="approved", counted=True, targets=[
                            PlanTarget(position=0, indicator_id=indicator.id, level="commune",
                                       kind="count", value=Decimal(2)),
                            PlanTarget(position=1, indicator_id=indicator.id, level="branch",
                                       kind="share", value=Decimal(50), threshold=Decimal(1))]))
    db.session.flush()
    for i in range(children):
        commune = factories.unit(root, f"Hội LHPN xã Số {i:02d}", "commune", f"{code}X{i}")
        factories.unit(commune, f"Chi hội {i:02d}", "branch", f"{code}B{i}")
        staff = factories.user(tenant, f"{code.lower()}.staff{i}", "staff", commune)
        report = reports.open_report(staff, commune, template, kw.JAN)
        reports.save_report(staff, report, {"SO": i}, report.version)
        reports.submit_report(staff, report)
        if i % 2 == 0:  # half approved, half waiting in the province approver's inbox
            reports.approve_report(approver, report)
    db.session.commit()


def test_statements_do_not_grow_with_the_children(client, app):
    with app.app_context():
        _tree("QA", 2)
        _tree("QB", 20)
    counts = {}
    for code in ("qa", "qb"):
        login(client, f"{code}.approver")
        query = f"/?template=BC&period={kw.JAN}"
        client.get(query)  # the first page after logging in also records the session
        with app.app_context():
            counts[code] = _count_statements(
                lambda q=query: _ok(client.get(q)))
        client.post("/logout", data={"csrf_token": _token(client)})
    assert counts["qa"] == counts["qb"], counts
    assert counts["qb"] <= 45, counts


def _ok(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    assert 'id="chart-completeness"' in html and 'id="chart-attainment"' in html
    return response


def _token(client) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/").get_data(
        as_text=True))
    return match.group(1)
