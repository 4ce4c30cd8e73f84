"""The consolidation page: figures, drill-down links, attainment, refusals."""

import re

import pytest

from lhpn.extensions import db
from tests import consolidation_world as kw
from tests import factories
from tests.conftest import login


@pytest.fixture
def kt(app):
    with app.app_context():
        built = kw.build()
        kw.file_january(built)
        kw.issue_plan(built)
        return built


def _page(client, unit_id, query="template=BC_KT&period=2027-01"):
    response = client.get(f"/units/{unit_id}/consolidation?{query}")
    return response, response.get_data(as_text=True)


def _cell(html, code):
    match = re.search(rf'<tr data-code="{code}">.*?class="num value">([^<]*)<', html, re.S)
    assert match, code
    return match.group(1)


def test_the_province_page_shows_every_figure_the_vietnamese_way(client, kt):
    login(client, "kt.viewer")
    response, html = _page(client, kt.units["KT"])
    assert response.status_code == 200
    assert _cell(html, "SO_LUOT") == "10"
    assert _cell(html, "NHO_NHAT") == "1,25"  # decimal comma
    assert _cell(html, "TY_LE") == "34%"
    assert _cell(html, "CO_KHONG") == "50%"
    assert _cell(html, "GHI_CHU") == "—"
    assert 'id="completeness">4/5 (80%)' in html
    assert "Tháng 01/2027" in html
    # Drill-down: each child links to its own consolidation with the same form and period.
    assert (f'/units/{kt.units["X1"]}/consolidation?template=BC_KT&amp;period=2027-01'
            in html)
    # Attainment: 1 of 2 communes meets SO_LUOT ≥ 3; X2 is named as not meeting it.
    assert re.search(r'class="num met">1/2 \(50%\)', html)
    assert "Hội LHPN xã Bình Minh: 2" in html
    # Exports carry the same query.
    assert f'/units/{kt.units["KT"]}/consolidation.xlsx?template=BC_KT&amp;period=2027-01' in html


def test_drilling_down_to_a_branch_and_a_range(client, kt):
    login(client, "kt.viewer")
    _response, html = _page(client, kt.units["X1"])
    assert _cell(html, "SO_LUOT") == "8"
    assert f'/units/{kt.units["X1A"]}/consolidation' in html
    response, html = _page(client, kt.units["X1A"], "template=BC_KT&from=2027-01&to=2027-03")
    assert response.status_code == 200
    assert _cell(html, "SO_LUOT") == "5"
    assert 'id="completeness">1/3' in html
    assert "Tháng 01/2027 – Tháng 03/2027" in html


def test_without_a_query_the_page_picks_a_form_and_a_period(client, kt):
    login(client, "kt.viewer")
    response, html = _page(client, kt.units["KT"], "")
    assert response.status_code == 200
    assert "Kết quả các chỉ tiêu" in html
    start = client.get("/consolidation?template=BC_KT&period=2027-01&unit_id=9")
    assert start.status_code == 302
    assert start.headers["Location"].endswith(
        f"/units/{kt.units['KT']}/consolidation?template=BC_KT&period=2027-01")


def test_a_bad_period_is_explained_and_nothing_breaks(client, kt):
    login(client, "kt.viewer")
    response, html = _page(client, kt.units["KT"], "template=BC_KT&from=2027-05&to=2027-01")
    assert response.status_code == 422
    assert "Kỳ đầu phải trước hoặc trùng kỳ cuối." in html
    response, _html = _page(client, kt.units["KT"], "template=KHONG_CO&period=2027-01")
    assert response.status_code == 404


def test_who_may_see_which_consolidation(client, kt, app):
    with app.app_context():
        other = factories.tenant("QT", "Hội LHPN tỉnh Quảng Trị", "province,commune,branch")
        db.session.commit()
        from lhpn.units.services import root_of

        other_root = root_of(other.id).id
    assert client.get(f"/units/{kt.units['KT']}/consolidation").status_code == 302  # log in
    login(client, "kt.staff.x1")
    assert _page(client, kt.units["KT"])[0].status_code == 403
    assert _page(client, other_root)[0].status_code == 404
    response, html = _page(client, kt.units["X1"])
    assert response.status_code == 200 and _cell(html, "SO_LUOT") == "8"
    # Its province is shown in the path but not as a link it cannot follow.
    assert f'/units/{kt.units["KT"]}/consolidation' not in html


def test_a_user_without_roles_gets_a_note(client, kt, app):
    with app.app_context():
        from lhpn.tenants.models import Tenant

        tenant = db.session.get(Tenant, kt.tenant_id)
        factories.user(tenant, "kt.norole", None, kt.unit("X1"))
        db.session.commit()
    login(client, "kt.norole")
    response = client.get("/consolidation")
    assert response.status_code == 200
    assert "chưa được giao vai trò" in response.get_data(as_text=True)


def test_the_cached_page_changes_with_every_change_it_shows(client, kt, app):
    """Rendered figures are cached per tenant figures version: an approval, a rename, a closed
    unit or a newly issued plan shows on the next request."""
    from lhpn import tenant_versions
    from lhpn.reports import services as reports
    from lhpn.units import services as units

    login(client, "kt.viewer")
    assert _cell(_page(client, kt.units["KT"])[1], "SO_LUOT") == "10"
    with app.app_context():
        before = tenant_versions.version(kt.tenant_id)
        pending = reports.find_report(kt.unit("X2"), kt.template, kw.JAN)
        reports.approve_report(kt.user("kt.approver.kt"), pending)
        db.session.commit()
        assert tenant_versions.version(kt.tenant_id) > before
    html = _page(client, kt.units["KT"])[1]
    assert _cell(html, "SO_LUOT") == "110" and 'id="completeness">5/5' in html
    with app.app_context():
        units.rename_unit(None, kt.unit("X2"), "Hội LHPN xã Bình Minh Mới")
        db.session.commit()
    assert "Hội LHPN xã Bình Minh Mới" in _page(client, kt.units["KT"])[1]
    with app.app_context():
        units.close_unit(None, kt.unit("X1B"))
        db.session.commit()
    assert "Đã giải thể" in _page(client, kt.units["X1"])[1]
    with app.app_context():
        versions = tenant_versions.version(kt.tenant_id)
        db.session.execute(db.text("SELECT 1"))  # a read changes nothing
        assert tenant_versions.version(kt.tenant_id) == versions


def test_a_second_look_is_served_from_the_cache_and_each_user_has_their_own(client, kt,
                                                                            monkeypatch):
    from lhpn.consolidation import services

    built = []
    real = services.consolidate
    monkeypatch.setattr(services, "consolidate", lambda *a, **k: built.append(a) or real(*a, **k))
    login(client, "kt.viewer")
    first = _page(client, kt.units["KT"])[1]
    second = _page(client, kt.units["KT"])[1]
    assert len(built) == 1 and _cell(first, "SO_LUOT") == _cell(second, "SO_LUOT") == "10"
    other = client.application.test_client()
    login(other, "kt.admin")
    assert _cell(_page(other, kt.units["KT"])[1], "SO_LUOT") == "10"
    assert len(built) == 2  # links in the fragment depend on the user's rights
