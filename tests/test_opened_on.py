"""A unit owes only the reports of periods due after it opened (issue 12, item 4).

The opening day is set at creation and by the imports, corrected by whoever manages the unit
(page and API), and read by the one rule in lhpn/consolidation/services.py: completeness and
timeliness (numerator and denominator), the late-children list, the dashboard's to-do list and
the calendar. A unit that reported anyway still counts.
"""

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from lhpn.accounts.models import User
from lhpn.clock import local_today
from lhpn.consolidation import services as consolidation
from lhpn.dashboard import services as dashboard
from lhpn.extensions import db
from lhpn.reports import periods as P
from lhpn.reports import services as reports
from lhpn.units import services as units
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import csrf_token, login

OCTOBER = "2026-10"          # BC_THANG: due 20/11/2026
LONG_AGO = date(2026, 1, 1)
IMPORT_DAY = date(2026, 11, 25)  # after October's report was due


def _today(monkeypatch, day: date) -> None:
    """The day the services and pages take for today (Vietnam time)."""
    monkeypatch.setattr("lhpn.units.services.local_today", lambda: day)
    monkeypatch.setattr("lhpn.dashboard.views.local_today", lambda: day)


@pytest.fixture
def commune(app):
    """Tenant MT: root › xã Minh Tân (opened 1/1/2026) › Chi hội thôn Đông (opened 1/1/2026);
    an admin at the root, an approver at the commune, staff at the commune and the branch."""
    with app.app_context():
        tenant = factories.tenant("MT", "Hội LHPN tỉnh Minh Thử", "province,commune,branch")
        root = units.root_of(tenant.id)
        units.set_opened_on(None, root, LONG_AGO)
        xa = factories.unit(root, "Hội LHPN xã Minh Tân", "commune", "XMT", LONG_AGO)
        dong = factories.unit(xa, "Chi hội thôn Đông", "branch", "XMT-01", LONG_AGO)
        factories.user(tenant, "mt.admin", "tenant_admin", root)
        factories.user(tenant, "mt.chutich", "approver", xa)
        factories.user(tenant, "mt.canbo", "staff", xa)
        factories.user(tenant, "mt.dong", "staff", dong)
        db.session.commit()
        return {"tenant": tenant.id, "root": root.id, "xa": xa.id, "dong": dong.id}


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _import_two_branches(client, app, monkeypatch) -> dict[str, int]:
    """Two branches of xã Minh Tân imported from a CSV on IMPORT_DAY, through the pages."""
    _today(monkeypatch, IMPORT_DAY)
    login(client, "mt.admin")
    data = "ma_don_vi_cap_tren,ten\nXMT,Chi hội thôn Đoài\nXMT,Chi hội thôn Nam\n".encode()
    token = csrf_token(client, "/units/import/")
    response = client.post("/units/import/upload", data={
        "csrf_token": token, "file": (io.BytesIO(data), "chi-hoi.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    run = response.headers["Location"] + "/run"
    assert client.post(run, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        made = {u.name: u for u in db.session.scalars(
            select(Unit).where(Unit.name.in_(["Chi hội thôn Đoài", "Chi hội thôn Nam"])))}
        assert {u.opened_on for u in made.values()} == {IMPORT_DAY}
        return {name: u.id for name, u in made.items()}


def _file(unit_id: int, staff: str, period: str = OCTOBER) -> None:
    unit = db.session.get(Unit, unit_id)
    template = reports.get_template(unit.tenant_id, "BC_THANG")
    report = reports.open_report(_user(staff), unit, template, period)
    reports.save_report(_user(staff), report, {"TUYEN_TRUYEN": 3}, report.version)
    reports.submit_report(_user(staff), report)
    reports.approve_report(_user("mt.chutich"), report)
    db.session.commit()


def test_branches_imported_in_november_do_not_owe_october(client, app, commune, monkeypatch):
    imported = _import_two_branches(client, app, monkeypatch)
    with app.app_context():
        _file(commune["dong"], "mt.dong")
        xa = db.session.get(Unit, commune["xa"])
        template = reports.get_template(xa.tenant_id, "BC_THANG")
        result = consolidation.consolidate(xa, template, [OCTOBER])
        rows = {row.unit.name: (row.counts.approved, row.counts.expected)
                for row in result.children}
        # One branch owed October (and sent it); the two imported after its due date owe nothing.
        assert rows == {"Chi hội thôn Đông": (1, 1), "Chi hội thôn Đoài": (0, 0),
                        "Chi hội thôn Nam": (0, 0)}
        # The commune's own report and one branch: 1 of 2, not 1 of 4.
        assert (result.counts.approved, result.counts.expected) == (1, 2)
        # December's report (due 20/01/2027) is owed by all three branches.
        december = consolidation.consolidate(xa, template, ["2026-12"])
        assert sorted(r.counts.expected for r in december.children) == [1, 1, 1]
        # The late list at the province follows the same counts.
        root = db.session.get(Unit, commune["root"])
        late = dashboard.late_children(root, template, date(2026, 12, 3))
        assert late.period == OCTOBER
        assert [(c.unit.name, c.approved, c.expected) for c in late.children] == [
            ("Hội LHPN xã Minh Tân", 1, 2)]
        # A unit that reported anyway counts, in the numerator and the denominator.
        factories.user(db.session.get(Unit, commune["root"]).tenant, "mt.doai", "staff",
                       db.session.get(Unit, imported["Chi hội thôn Đoài"]))
        db.session.commit()
        _file(imported["Chi hội thôn Đoài"], "mt.doai")
        again = consolidation.consolidate(xa, template, [OCTOBER])
        assert (again.counts.approved, again.counts.expected) == (2, 3)
        assert {r.unit.name: r.counts.expected for r in again.children}["Chi hội thôn Đoài"] == 1


@pytest.mark.parametrize(("opened", "owed"), [
    (date(2026, 11, 19), True),    # the day before October's due date: it had a day
    (date(2026, 11, 20), False),   # opened on the due date: nothing was owed yet
    (date(2026, 11, 21), False),
])
def test_the_due_date_is_the_boundary(app, commune, opened, owed):
    with app.app_context():
        xa = db.session.get(Unit, commune["xa"])
        branch = factories.unit(xa, "Chi hội thôn Bắc", "branch", "XMT-09", opened)
        db.session.commit()
        template = reports.get_template(xa.tenant_id, "BC_THANG")
        rows = {r.unit.id: r.counts.expected
                for r in consolidation.consolidate(xa, template, [OCTOBER]).children}
        assert rows[branch.id] == int(owed)
        due = P.period_of(template, OCTOBER)[1]
        assert consolidation.owes_report(opened, False, None, due) is owed


def test_a_range_counts_only_the_months_due_after_the_opening(app, commune):
    with app.app_context():
        xa = db.session.get(Unit, commune["xa"])
        branch = factories.unit(xa, "Chi hội thôn Bắc", "branch", "XMT-09", date(2026, 6, 1))
        db.session.commit()
        template = reports.get_template(xa.tenant_id, "BC_THANG")
        codes = consolidation.resolve_periods(template, None, "2026-01", "2026-12")
        result = consolidation.consolidate(xa, template, codes)
        rows = {r.unit.id: r.counts.expected for r in result.children}
        # May (due 20/06) to December: 8 months; the old branch owes all 12.
        assert rows[branch.id] == 8 and rows[commune["dong"]] == 12


def test_an_officer_of_a_unit_created_in_2026_sees_no_2025_report_overdue(client, app,
                                                                          monkeypatch):
    _today(monkeypatch, date(2026, 12, 3))
    with app.app_context():
        tenant = factories.tenant("NT", "Hội LHPN tỉnh Năm Thử", "province,commune,branch")
        root = units.root_of(tenant.id)
        new = factories.unit(root, "Hội LHPN xã Mới Lập", "commune", "XML", date(2026, 3, 2))
        old = factories.unit(root, "Hội LHPN xã Lâu Năm", "commune", "XLN", date(2025, 1, 1))
        factories.user(tenant, "nt.moi", "staff", new)
        factories.user(tenant, "nt.cu", "staff", old)
        db.session.commit()

    def todo(username: str) -> str:
        login(client, username)
        html = client.get("/").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
        match = re.search(r'<section [^>]*aria-labelledby="todo-heading".*?</section>', html, re.S)
        assert match, html[:500]
        return match.group(0)

    # The annual report of 2025 was due on 15/12/2025, before the new commune opened.
    fresh = todo("nt.moi")
    assert "Năm 2025" not in fresh and "353 ngày" not in fresh
    assert "Tháng 10/2026" in fresh and "Quá hạn 13 ngày" in fresh  # due 20/11/2026: owed
    # A commune that existed in 2025 still owes it.
    assert "Năm 2025" in todo("nt.cu")


def test_the_calendar_lists_what_the_unit_owes(app, commune):
    with app.app_context():
        xa = db.session.get(Unit, commune["xa"])
        branch = factories.unit(xa, "Chi hội thôn Bắc", "branch", "XMT-09", date(2026, 6, 1))
        db.session.commit()
        calendar = reports.calendar_for(branch, 2026)
        # May's report is due on 20/06, after the branch opened on 1/6; April's was due before.
        assert [d.period for d in calendar if d.template.code == "BC_THANG"] == [
            f"2026-{m:02d}" for m in range(5, 13)]
        assert [d.period for d in calendar if d.template.code == "BC_GSPB_6T"] == [
            "2026-H1", "2026-H2"]
        old_branch = db.session.get(Unit, commune["dong"])
        assert len([d for d in reports.calendar_for(old_branch, 2026)
                    if d.template.code == "BC_THANG"]) == 12


def test_an_admin_corrects_the_opening_day_and_the_figures_follow(client, app, commune,
                                                                   monkeypatch):
    """The consolidation page is cached whole; the correction moves the tenant's figures
    version in its own transaction, so the page shows the new counts at once."""
    imported = _import_two_branches(client, app, monkeypatch)
    _today(monkeypatch, date(2026, 12, 3))
    page = f"/units/{commune['xa']}/consolidation?template=BC_THANG&period={OCTOBER}"

    def completeness() -> str:
        html = client.get(page).get_data(as_text=True)
        return re.search(r'id="completeness">([^<]*)<', html).group(1)

    assert completeness() == "0/2 (0%)"
    assert completeness() == "0/2 (0%)"  # served from the cache
    nam = imported["Chi hội thôn Nam"]
    unit_page = f"/units/{nam}"
    assert "25/11/2026" in client.get(unit_page).get_data(as_text=True)
    token = csrf_token(client, unit_page)
    response = client.post(f"/units/{nam}/opened", data={"csrf_token": token,
                                                        "opened_on": "2026-01-01"})
    assert response.status_code == 302
    assert "Đã lưu ngày bắt đầu hoạt động" in client.get(unit_page).get_data(as_text=True)
    assert completeness() == "0/3 (0%)"
    # The page accepts the day as written in Vietnam too; bad input changes nothing.
    client.post(f"/units/{nam}/opened", data={"csrf_token": token, "opened_on": "15/12/2026"})
    html = client.get(unit_page).get_data(as_text=True)
    assert "không được sau hôm nay" in html and "01/01/2026" in html
    assert completeness() == "0/3 (0%)"
    with app.app_context():
        assert db.session.get(Unit, nam).opened_on == date(2026, 1, 1)


def test_the_api_corrects_the_opening_day(client, app, commune):
    from tests.conftest import api_token

    with app.app_context():
        xa = db.session.get(Unit, commune["xa"])
        branch = factories.unit(xa, "Chi hội thôn Bắc", "branch", "XMT-09")
        db.session.commit()
        branch_id = branch.id
    headers = {"Authorization": f"Bearer {api_token(client, 'mt.admin')}"}
    body = client.get(f"/api/v1/units/{branch_id}", headers=headers).get_json()
    assert body["opened_on"] == local_today().isoformat()  # created today
    response = client.patch(f"/api/v1/units/{branch_id}", json={"opened_on": "2026-02-01"},
                            headers=headers)
    assert response.status_code == 200 and response.get_json()["opened_on"] == "2026-02-01"
    consolidated = client.get(f"/api/v1/units/{commune['xa']}/consolidation?template=BC_THANG"
                              f"&period={OCTOBER}", headers=headers).get_json()
    owed = {c["unit_id"]: c["expected"] for c in consolidated["children"]}
    assert owed[branch_id] == 1
    created = client.post("/api/v1/units", json={
        "name": "Chi hội thôn Giữa", "level": "branch", "parent_id": commune["xa"],
        "opened_on": "2026-11-30"}, headers=headers)
    assert created.status_code == 201 and created.get_json()["opened_on"] == "2026-11-30"


def test_a_branch_list_may_give_the_opening_day(client, app, commune):
    login(client, "mt.admin")
    data = ("ma_don_vi_cap_tren,ten,ngay_bat_dau\n"
            "XMT,Chi hội thôn Một,01/03/2026\n"
            "XMT,Chi hội thôn Hai,\n"
            "XMT,Chi hội thôn Ba,31/02/2026\n"
            "XMT,Chi hội thôn Bốn,2099-01-01\n").encode()
    token = csrf_token(client, "/units/import/")
    response = client.post("/units/import/upload", data={
        "csrf_token": token, "file": (io.BytesIO(data), "ds.csv")},
        content_type="multipart/form-data")
    batch = response.headers["Location"]
    html = client.get(batch).get_data(as_text=True)
    assert "ngày/tháng/năm" in html and "không được sau hôm nay" in html
    assert "01/03/2026" in html and "(ngày nhập)" in html
    client.post(batch + "/run", data={"csrf_token": token})
    with app.app_context():
        made = dict(db.session.execute(select(Unit.name, Unit.opened_on).where(
            Unit.name.like("Chi hội thôn %"), Unit.parent_id == commune["xa"],
            Unit.code != "XMT-01")).all())
    assert made == {"Chi hội thôn Một": date(2026, 3, 1),
                    "Chi hội thôn Hai": local_today()}


def test_communes_from_the_package_take_the_day_chosen(client, app, world):
    login(client, "tenant_admin.hy")
    token = csrf_token(client, "/units/import/")
    response = client.post("/units/import/communes", data={
        "csrf_token": token, "province": "33", "opened_on": "2026-01-01"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        days = set(db.session.scalars(select(Unit.opened_on).where(
            Unit.tenant_id == world.tenants["HY"], Unit.level == "commune",
            Unit.admin_code.is_not(None))))
    assert days == {date(2026, 1, 1)}
    refused = client.post("/units/import/communes", data={
        "csrf_token": token, "province": "33", "opened_on": "2999-01-01"})
    assert refused.status_code == 422
