"""Input beyond what the database holds or the parser survives answers 4xx with a message,
never 500: a rate's parts beyond 32 bits, JSON nested thousands deep (the unauthenticated token
endpoint included), huge ?page= and filter ids on the pages, ids beyond 32 bits in page URLs.
These were 500s on PostgreSQL; the suite runs on both databases."""

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from lhpn.errors import MAX_ID, as_id
from lhpn.extensions import db
from lhpn.params import MAX_PAGE
from lhpn.reports.models import ReportValue
from lhpn.web import MAX_JSON_DEPTH
from tests.conftest import api_token
from tests.test_api import Caller
from tests.test_api_reports import ok, open_report
from tests.test_plan_pages import Browser
from tests.test_plan_pages import text as page_text

API = "/api/v1"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# ---- a rate's parts ------------------------------------------------------------------------------

@pytest.fixture
def yearly(app, client, world):
    """D1's yearly report: HV_HOC_TAP and TAP_HOP_18 are rates."""
    staff = Caller(client, api_token(client, "staff.d1"))
    return staff, open_report(staff, world.units["D1"], template="BC_GSPB_NAM", period="2026")


@pytest.mark.parametrize("rate", [
    {"numerator": 1, "denominator": 3_000_000_000},
    {"numerator": 3_000_000_000, "denominator": 3_000_000_000},
])
def test_a_rate_beyond_32_bits_is_refused_with_a_message(app, yearly, rate):
    staff, report = yearly
    response = staff.call("PUT", f"/reports/{report['id']}/values",
                          {"values": {"HV_HOC_TAP": rate}, "version": report["version"]})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "HV_HOC_TAP"
    assert "tối đa 2.147.483.647" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(ReportValue.id)) is None


def test_the_largest_rate_the_column_holds_is_stored(app, yearly):
    staff, report = yearly
    ok(staff.call("PUT", f"/reports/{report['id']}/values", {
        "values": {"HV_HOC_TAP": {"numerator": MAX_ID, "denominator": MAX_ID},
                   "GIAM_SAT": 999_999_999_999},
        # GIAM_SAT counts the reported supervisions: another number needs its reason.
        "override_reasons": {"GIAM_SAT": "Số lớn nhất cột lưu được"},
        "version": report["version"]}))
    with app.app_context():
        assert db.session.scalars(select(ReportValue.denominator).where(
            ReportValue.denominator.is_not(None))).all() == [MAX_ID]


def test_the_page_refuses_it_too(app, world, yearly):
    _staff, report = yearly
    browser = Browser(app, "staff.d1")
    page = page_text(browser.get(f"/reports/{report['id']}/edit"))
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    response = browser.post(f"/reports/{report['id']}/edit", {
        "version": version, "v-HV_HOC_TAP-n": "1", "v-HV_HOC_TAP-d": "3000000000",
        "then": "save"})
    assert response.status_code == 422
    assert "tối đa 2.147.483.647" in page_text(response)


# ---- JSON nested too deep ----------------------------------------------------------------------

@pytest.mark.parametrize("depth", [5000, MAX_JSON_DEPTH + 1])
def test_deep_json_on_the_token_endpoint_is_a_400_with_a_message(client, world, depth):
    body = '{"username": "staff.d1", "password": ' + _nested(depth) + "}"
    response = client.post(f"{API}/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert f"lồng nhau quá sâu (tối đa {MAX_JSON_DEPTH} cấp)" in error["message"]
    english = client.post(f"{API}/auth/token", data=body, content_type="application/json",
                          headers={"Accept-Language": "en"})
    assert "nested too deeply" in english.get_json()["error"]["message"]


def test_deep_json_anywhere_in_the_api_is_a_400(app, yearly):
    staff, report = yearly
    deep = '{"values": {"GIAM_SAT": ' + _nested(5000) + '}, "version": 1}'
    response = staff.call("PUT", f"/reports/{report['id']}/values", raw=deep)
    assert response.status_code == 400
    assert "lồng nhau quá sâu" in response.get_json()["error"]["message"]
    # A body just within the limit still reaches the service (which refuses the value).
    shallow = '{"values": {"GIAM_SAT": ' + _nested(MAX_JSON_DEPTH - 2) + '}, "version": 1}'
    assert staff.call("PUT", f"/reports/{report['id']}/values", raw=shallow).status_code == 422


# ---- ?page= and filters on the pages ------------------------------------------------------------

PAGED = ["/users/", "/audit/", "/plans/", "/reports/", "/notifications/"]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("page", ["9999999999999999999999", str(MAX_PAGE + 1), "0", "-1", "x",
                                  "٣"])
def test_a_page_number_out_of_range_is_refused_with_a_message(app, world, path, page):
    admin = Browser(app, "tenant_admin.tb")
    response = admin.get(f"{path}?page={page}")
    assert response.status_code == 422, path
    assert "Tham số page phải là số nguyên từ 1 đến 100000" in page_text(response)


@pytest.mark.parametrize("path", PAGED)
def test_the_last_page_allowed_is_an_empty_page(app, world, path):
    admin = Browser(app, "tenant_admin.tb")
    assert admin.get(f"{path}?page={MAX_PAGE}").status_code == 200


@pytest.mark.parametrize("query", ["/plans/?unit=99999999999", "/plans/?year=99999999999",
                                   "/reports/?filter_unit=99999999999",
                                   "/reports/?form=99999999999"])
def test_filters_beyond_the_columns_are_refused(app, world, query):
    response = Browser(app, "tenant_admin.tb").get(query)
    assert response.status_code == 422
    assert "phải là số nguyên từ" in page_text(response)


# ---- ids in page URLs ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/units/import/batches/99999999999", f"/units/{MAX_ID + 1}", f"/reports/{MAX_ID + 1}",
    f"/plans/{MAX_ID + 1}", f"/users/{MAX_ID + 1}", f"/plans/{MAX_ID + 1}/export.docx",
    f"/units/{MAX_ID + 1}/consolidation", "/units/٣", "/units/１",
])
def test_ids_beyond_32_bits_are_not_found(app, world, path):
    response = Browser(app, "tenant_admin.tb").get(path)
    assert response.status_code == 404
    assert "Không tìm thấy" in page_text(response)


def test_every_integer_in_a_route_is_bounded_to_32_bits(app):
    bounded = 0
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert converter.max is not None and converter.max <= MAX_ID, (rule, name)
                bounded += 1
    assert bounded > 40


def test_ids_are_ascii_digits():
    assert as_id("12") == 12 and as_id(12) == 12
    for odd in ("٣", "１", " 7", "1_0", "+5", "", str(MAX_ID + 1), "9" * 5000):
        assert as_id(odd) is None, odd
