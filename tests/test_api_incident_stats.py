"""Incident statistics over the API (lhpn/api/incident_stats.py): the page's figures, a hidden
cell as null with its row's flag, totals exact, no name, no read logged, bad filters refused
(422) with the field named; answers match the document."""

import pytest
from sqlalchemy import select

from lhpn.extensions import db
from lhpn.privacy.models import SensitiveRead
from tests.conftest import api_token, login
from tests.test_api import Caller
from tests.test_api_incidents import valid
from tests.test_incident_stats import CHILD_NAME, cases  # noqa: F401 (a fixture)
from tests.test_incidents import SECRETS

PATH = "/incidents/stats"


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _get(client, username: str, query: str = ""):
    return Caller(client, api_token(client, username)).get(f"/incidents/stats{query}")


def _row(answer: dict, name: str) -> dict:
    return next(row for row in answer["rows"] if row["name"] == name)


def test_a_province_viewer_reads_null_and_the_flag_below_the_province(
        app, client, cases, document):  # noqa: F811
    response = _get(client, "viewer.tb", "?year=2026")
    assert response.status_code == 200, response.get_json()
    valid(document, "GET", PATH, response)
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert (answer["incidents"], answer["victims"]) == (5, 6)
    assert answer["by_kind"] == {"domestic_violence": 3, "sexual_abuse": 0, "trafficking": 2,
                                 "child_abuse": 0, "other": 0}
    d2 = _row(answer, "Hội LHPN huyện Đông Hưng")
    assert (d2["incidents"], d2["victims"], d2["small_hidden"]) == (None, None, True)
    assert d2["by_kind"]["trafficking"] is None and d2["by_kind"]["domestic_violence"] == 0
    d1 = _row(answer, "Hội LHPN huyện Hưng Hà")
    assert (d1["incidents"], d1["victims"]) == (4, 5) and d1["small_hidden"] is True
    assert answer["by_sex"] == {"female": 5, "male": 1, "other": 0}
    assert not answer["breakdowns_hidden"]
    text = response.get_data(as_text=True)
    assert not any(secret in text for secret in (*SECRETS, CHILD_NAME))
    with app.app_context():
        assert db.session.scalars(select(SensitiveRead)).all() == []


def test_the_chain_reads_exact_numbers(client, cases, document):  # noqa: F811
    response = _get(client, "approver.tb", "?year=2026")
    valid(document, "GET", PATH, response)
    d2 = _row(response.get_json(), "Hội LHPN huyện Đông Hưng")
    assert (d2["incidents"], d2["victims"], d2["small_hidden"]) == (1, 1, False)


def test_a_district_scope_and_a_month(client, cases, document):  # noqa: F811
    d1 = cases.units["D1"]
    viewer = _get(client, "viewer.tb", f"?unit_id={d1}&year=2026&month=11")
    valid(document, "GET", PATH, viewer)
    answer = viewer.get_json()
    assert answer["unit_id"] == d1 and answer["period"]["label"] == "Tháng 11/2026"
    assert (answer["incidents"], answer["victims"]) == (4, 5)
    assert answer["by_sex"]["male"] is None and answer["breakdowns_hidden"] is True
    chair = _get(client, "approver.d1", f"?unit_id={d1}&year=2026&month=11").get_json()
    assert chair["by_sex"]["male"] == 1 and not chair["breakdowns_hidden"]
    march = _get(client, "approver.tb", "?year=2026&month=3").get_json()
    assert march["incidents"] == 1
    span = _get(client, "approver.tb", "?from=2026-11-21&to=2026-11-22").get_json()
    assert span["incidents"] == 2 and span["period"] == {
        "from": "2026-11-21", "to": "2026-11-22", "label": "Từ 21/11/2026 đến 22/11/2026"}


def test_another_tenant_is_neither_counted_nor_found(client, cases):  # noqa: F811
    assert _get(client, "approver.hy", "?year=2026").get_json()["incidents"] == 1
    assert _get(client, "approver.tb", f"?unit_id={cases.units['HC1']}").status_code == 404
    assert _get(client, "staff.c12", f"?unit_id={cases.units['C11']}").status_code == 403


@pytest.mark.parametrize(("query", "field"), [
    ("?year=abc", "year"), ("?year=1800", "year"), ("?month=13", "month"),
    ("?from=2026-01-01", "to"), ("?from=2026-02-30&to=2026-03-01", "from"),
    ("?from=2026-02-02&to=2026-02-01", "to"), ("?year=2026&from=2026-01-01&to=2026-02-01", "from"),
    ("?unit_id=x", "unit_id")])
def test_bad_filters_are_refused_in_vietnamese(client, cases, query, field):  # noqa: F811
    response = _get(client, "viewer.tb", query)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field and error["message"]


def test_a_caller_who_views_no_unit_has_nothing_to_count(app, client, cases):  # noqa: F811
    assert _get(client, "norole.d1").status_code == 403
    page = app.test_client()
    login(page, "norole.d1")
    answer = page.get("/incidents/stats")
    assert answer.status_code == 200 and "chưa có số liệu để thống kê" in answer.get_data(
        as_text=True)
    assert page.get("/incidents/stats.xlsx").status_code == 403
