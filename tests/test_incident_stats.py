"""Incident statistics (lhpn/incidents/stats.py): counts of the cases a reader sees, by child
unit × kind and by victim sex, age band and status; "< 3" in a row below the province for a
reader who may not read identities there, the totals exact; never a name; another tenant's
cases never counted; the page, its workbook and bad filters."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.incidents import services, stats
from lhpn.incidents.stats import SMALL
from lhpn.privacy.models import SensitiveRead
from lhpn.units.models import Unit
from tests.incident_world import NAME, SECRETS
from tests.test_incidents import as_user

CHILD_NAME = "Lê Thị Bé"


def _record(world, username: str, unit: str, day: str, kind: str = "domestic_violence",
            victims: list[dict] | None = None) -> int:
    actor = db.session.get(User, world.users[username])
    incident = services.record_incident(
        actor, db.session.get(Unit, world.units[unit]),
        {"kind": kind, "occurred_on": day, "source": "Chi hội trưởng báo",
         "facts": "Bị đánh ở nhà."},
        victims or [{"full_name": NAME, "age_or_year": "1990", "sex": "female",
                     "address": "Xóm 3", "phone": "0912 345 678"}])
    return incident.id


@pytest.fixture
def cases(app, people):
    """C11 (district D1): three cases in November 2026, one with a woman and a boy of 10;
    B111 (under C11): one; C21 (district D2): one in March; HC1, another tenant: one."""
    with app.app_context():
        _record(people, "staff.c11", "C11", "2026-11-20")
        _record(people, "staff.c11", "C11", "2026-11-21", victims=[
            {"full_name": NAME, "age_or_year": "1990", "sex": "female"},
            {"full_name": CHILD_NAME, "age_or_year": "10", "sex": "male"}])
        _record(people, "staff.c11", "C11", "2026-11-22", kind="trafficking")
        _record(people, "protection.tb", "B111", "2026-11-23")
        _record(people, "protection.tb", "C21", "2026-03-10", kind="trafficking")
        _record(people, "protection.hy", "HC1", "2026-11-20")
        db.session.commit()
    return people


def _stats(world, username: str, unit: str | None = None, **args) -> stats.IncidentStats:
    from datetime import date

    user = db.session.get(User, world.users[username])
    scope = db.session.get(Unit, world.units[unit]) if unit else stats.default_scope(user)
    return stats.incident_stats(user, scope, stats.parse_period(args, date(2026, 12, 4)))


def _kind(result, code: str) -> int:
    return next(kind.id for kind in result.kinds if kind.code == code)


def _row(result, code: str):
    return next(row for row in result.rows if row.unit.code == code)


def test_counts_by_unit_kind_sex_age_and_status(ctx, cases):
    result = _stats(cases, "approver.tb", year="2026")
    assert result.scope.code == "TB"
    assert (result.incidents, result.victims) == (5, 6)
    dv, tr = _kind(result, "domestic_violence"), _kind(result, "trafficking")
    assert (result.by_kind[dv], result.by_kind[tr]) == (3, 2)
    d1, d2 = _row(result, "D1"), _row(result, "D2")
    assert (d1.incidents, d1.victims, d1.by_kind[dv], d1.by_kind[tr]) == (4, 5, 3, 1)
    # The chain of command above reads identities: the exact small numbers.
    assert (d2.incidents, d2.victims, d2.by_kind[dv], d2.by_kind[tr]) == (1, 1, 0, 1)
    assert result.by_sex == {"female": 5, "male": 1, "other": 0}
    assert result.by_age["6–11 tuổi"] == 1 and result.by_age["30–44 tuổi"] == 5
    assert sum(result.by_age.values()) == 6
    assert result.by_status == {"open": 5, "following": 0, "closed": 0}
    assert not result.hidden


def test_a_province_viewer_reads_less_than_three_below_the_province(ctx, cases):
    result = _stats(cases, "viewer.tb", year="2026")
    dv, tr = _kind(result, "domestic_violence"), _kind(result, "trafficking")
    d1, d2 = _row(result, "D1"), _row(result, "D2")
    assert (d1.incidents, d1.victims, d1.by_kind[dv]) == (4, 5, 3)
    assert (d1.by_kind[tr], d2.incidents, d2.victims, d2.by_kind[tr]) == (SMALL,) * 4
    assert d2.by_kind[dv] == 0  # nothing to hide in a zero
    # The totals stay exact; the province's own breakdowns too.
    assert (result.incidents, result.victims, result.by_kind[tr]) == (5, 6, 2)
    assert result.by_sex["male"] == 1 and result.hidden


@pytest.mark.parametrize(("username", "exact"), [
    ("viewer.tb", False), ("tenant_admin.tb", False), ("viewer.d1", False),
    ("approver.d1", True), ("protection.tb", True)])
def test_a_district_scope_hides_its_small_breakdowns_from_who_may_not_read_identities(
        ctx, cases, username, exact):
    result = _stats(cases, username, "D1", year="2026", month="11")
    c11 = _row(result, "C11")
    assert (c11.incidents, c11.victims) == (4, 5)  # with B111's case, under C11
    male = 1 if exact else SMALL
    assert result.by_sex["male"] == male and result.by_age["6–11 tuổi"] == male
    assert (result.incidents, result.victims) == (4, 5)


def test_the_period_filters_on_the_day_the_case_occurred(ctx, cases):
    assert _stats(cases, "approver.tb", year="2026", month="3").incidents == 1
    assert _stats(cases, "approver.tb", year="2026", month="11").incidents == 4
    assert _stats(cases, "approver.tb", year="2025").incidents == 0
    assert _stats(cases, "approver.tb", **{"from": "21/11/2026", "to": "2026-11-22"}).incidents \
        == 2


def test_another_tenants_cases_are_never_counted(ctx, cases):
    result = _stats(cases, "approver.hy", year="2026")
    assert (result.incidents, result.victims) == (1, 1)
    assert [row.unit.code for row in result.rows] == ["HC1"]
    assert _stats(cases, "approver.tb", year="2026").incidents == 5


def test_the_counts_are_those_the_reader_sees(ctx, cases):
    # The sibling commune's protection officer views C12 only: none of the cases.
    result = _stats(cases, "protection.c12", year="2026")
    assert result.scope.code == "C12" and result.incidents == 0
    # The district's officer views the communes, not the branches: B111's case is not counted.
    result = _stats(cases, "staff.d1", year="2026")
    assert result.scope.code == "D1" and (result.incidents, result.victims) == (3, 4)
    assert _row(result, "C11").incidents == 3


@pytest.mark.parametrize(("args", "field"), [
    ({"year": "abc"}, "year"), ({"year": "1800"}, "year"), ({"month": "13"}, "month"),
    ({"month": "x"}, "month"), ({"from": "2026-01-01"}, "to"),
    ({"from": "32/01/2026", "to": "01/02/2026"}, "from"),
    ({"from": "02/02/2026", "to": "01/02/2026"}, "to"),
    ({"year": "2026", "from": "01/01/2026", "to": "01/02/2026"}, "from")])
def test_bad_periods_are_refused_with_the_field(ctx, args, field):
    from datetime import date

    from lhpn.errors import DomainError

    with pytest.raises(DomainError) as refused:
        stats.parse_period(args, date(2026, 12, 4))
    assert refused.value.field == field


def test_the_page_shows_counts_only_and_logs_no_read(app, cases):
    reader = as_user(app, "viewer.tb")
    response = reader.get("/incidents/stats?year=2026")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Hội LHPN huyện Đông Hưng" in page and "&lt; 3" in page
    assert 'data-total="incidents">5<' in page and 'data-total="victims">6<' in page
    assert not any(secret in page for secret in (*SECRETS, CHILD_NAME))
    exact = as_user(app, "approver.tb").get("/incidents/stats?year=2026").get_data(as_text=True)
    assert "&lt; 3" not in exact
    with app.app_context():
        assert db.session.scalars(select(SensitiveRead)).all() == []
    assert "/incidents/stats" in reader.get("/incidents/").get_data(as_text=True)


def test_the_page_follows_the_unit_and_month_chosen(app, cases):
    reader = as_user(app, "approver.tb")
    page = reader.get(f"/incidents/stats?unit={cases.units['D2']}&year=2026&month=3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Hội LHPN xã Đông Á" in html
    assert 'data-total="incidents">1<' in html and "Tháng 03/2026" in html
    other = reader.get(f"/incidents/stats?unit={cases.units['HC1']}&year=2026")
    assert other.status_code == 404


@pytest.mark.parametrize("query", ["year=abc", "month=13", "from=2026-01-01",
                                   "from=1/1/2026&to=1/1/2025"])
def test_bad_filters_answer_a_message_and_change_nothing(app, cases, query):
    from lhpn.audit.models import AuditEntry

    reader = as_user(app, "viewer.tb")
    with app.app_context():
        before = db.session.scalar(select(db.func.count()).select_from(AuditEntry))
    page = reader.get(f"/incidents/stats?{query}")
    assert page.status_code == 422 and 'class="flash flash-error"' in page.get_data(as_text=True)
    download = reader.get(f"/incidents/stats.xlsx?{query}")
    assert download.status_code == 400
    assert any(word in download.get_data(as_text=True) for word in ("Năm", "Tháng", "ngày"))
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == before


def _sheet_rows(data: bytes, index: int = 0) -> list[tuple]:
    wb = load_workbook(BytesIO(data))
    return [tuple(row) for row in wb.worksheets[index].iter_rows(values_only=True)]


def test_the_workbook_holds_the_same_figures_and_no_identity(app, cases):
    reader = as_user(app, "viewer.tb")
    response = reader.get("/incidents/stats.xlsx?year=2026")
    assert response.status_code == 200 and response.mimetype.endswith("sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _sheet_rows(response.data)
    header = rows[1]
    assert header[0] == "Đơn vị" and header[-2:] == ("Tổng số vụ việc", "Số nạn nhân")
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Hội LHPN huyện Đông Hưng"][-2:] == (SMALL, SMALL)
    assert by_name["Hội LHPN huyện Hưng Hà"][-2:] == (4, 5)
    assert by_name["Tổng cộng"][-2:] == (5, 6)
    breakdown = _sheet_rows(response.data, 1)
    assert ("Giới tính nạn nhân", "Nam", 1) in breakdown
    text = " ".join(str(cell) for index in (0, 1)
                    for row in _sheet_rows(response.data, index) for cell in row)
    assert not any(secret in text for secret in (*SECRETS, CHILD_NAME))
    assert not any(secret.encode() in response.data for secret in (NAME, CHILD_NAME))
    exact = _sheet_rows(as_user(app, "protection.tb").get("/incidents/stats.xlsx?year=2026").data)
    assert {row[0]: row for row in exact[2:]}["Hội LHPN huyện Đông Hưng"][-2:] == (1, 1)
