"""Units read the plans they must implement (issue 12, item 2).

A commune asked by the province for an implementing plan reads the province's plan: the page,
its print view, its .docx and GET /api/v1/plans/ID; every role of a unit reads the issued plans
of the units above it, never their drafts; the request page links to the full plan. The
decisions per role and relation are in tests/test_authz_plan_matrix.py and
tests/test_authz_api_plan_matrix.py; here, what a reader sees and does not see.
"""

from io import BytesIO

import pytest
from docx import Document

from lhpn import authz
from lhpn.accounts.models import User
from lhpn.authz.engine import forget_principal
from lhpn.authz.plans import may_read_plan, readable_plans
from lhpn.extensions import db
from lhpn.plans import services as plans
from lhpn.plans.models import Plan
from lhpn.plans.services import PlanInput, TargetInput
from lhpn.tenants.models import Tenant
from lhpn.units import services as units
from lhpn.units.models import Unit
from tests import factories
from tests.conftest import api_token, login
from tests.test_api import Caller


def _user(world, name) -> User:
    return db.session.get(User, world.users[name])


def _unit(world, code) -> Unit:
    return db.session.get(Unit, world.units[code])


def _province_plan(world, *, issue: bool = True) -> Plan:
    """The province asks its communes for implementing plans (seed 000's shape)."""
    plan = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), PlanInput(
        title="Tham gia xây dựng Đảng, hệ thống chính trị năm 2026", year=2026,
        number="68/KH-BTV", place="Thái Bình", plan_date="2026-01-15",
        purpose="1. Kịp thời tuyên truyền, phổ biến chủ trương của Đảng.",
        content="1. Đẩy mạnh tuyên truyền, vận động hội viên phụ nữ.",
        child_levels=["commune"], child_deadline="2026-02-20",
        targets=[TargetInput("GIAM_SAT", "commune", "count", 1)]))
    plans.submit_plan(_user(world, "staff.tb"), plan)
    if issue:
        plans.approve_plan(_user(world, "approver.tb"), plan)
    db.session.commit()
    return plan


@pytest.fixture
def commune(app, world) -> dict:
    """The province's issued plan, its draft for next year, and C11's three people."""
    with app.app_context():
        tb = db.session.get(Tenant, world.tenants["TB"])
        c11 = _unit(world, "C11")
        for role in ("staff", "approver", "viewer"):
            world.users[f"{role}.c11"] = factories.user(tb, f"{role}.c11", role, c11).id
        issued = _province_plan(world)
        draft = plans.create_plan(_user(world, "staff.tb"), _unit(world, "TB"), PlanInput(
            title="Dự thảo kế hoạch năm 2027", year=2027))
        sibling = plans.create_plan(_user(world, "staff.d1"), _unit(world, "D1"), PlanInput(
            title="Kế hoạch của huyện Hưng Hà", year=2026, purpose="a", content="b"))
        plans.submit_plan(_user(world, "staff.d1"), sibling)
        plans.approve_plan(_user(world, "approver.tb"), sibling)
        db.session.commit()
        return {"issued": issued.id, "draft": draft.id, "district": sibling.id}


@pytest.mark.parametrize("role", ["staff", "approver", "viewer"])
def test_a_commune_reads_the_provinces_issued_plan_everywhere(app, client, world, commune,
                                                               role):
    login(client, f"{role}.c11")
    plan_id = commune["issued"]
    page = client.get(f"/plans/{plan_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<li>Kịp thời tuyên truyền, phổ biến chủ trương của Đảng.</li>" in html
    assert "Mỗi Hội LHPN cấp xã đạt ít nhất 01" in html
    # A reader from below sees the document, not the province's history, cascade or buttons.
    assert 'class="timeline"' not in html and "Tiến độ cấp dưới" not in html
    assert "Gửi duyệt</button>" not in html and "chương trình công tác năm</button>" not in html
    printed = client.get(f"/plans/{plan_id}/print")
    assert printed.status_code == 200 and "68/KH-BTV" in printed.get_data(as_text=True)
    word = client.get(f"/plans/{plan_id}/export.docx")
    assert word.status_code == 200
    texts = [p.text for p in Document(BytesIO(word.data)).paragraphs]
    assert "1. Kịp thời tuyên truyền, phổ biến chủ trương của Đảng." in texts
    # Its drafts stay the province's own.
    assert client.get(f"/plans/{commune['draft']}").status_code == 403
    assert client.get(f"/plans/{commune['draft']}/export.docx").status_code == 403
    # The plan list holds what the pages allow: the issued plan, not the draft.
    listing = client.get("/plans/").get_data(as_text=True)
    assert "Tham gia xây dựng Đảng, hệ thống chính trị năm 2026" in listing
    assert "Dự thảo kế hoạch năm 2027" not in listing


def test_the_api_reads_the_same_and_lists_the_same(client, world, commune):
    caller = Caller(client, api_token(client, "viewer.c11"))
    assert caller.get(f"/plans/{commune['issued']}").get_json()["number"] == "68/KH-BTV"
    assert caller.get(f"/plans/{commune['draft']}").status_code == 403
    # History and cascade (other units' progress) stay with those who view the province.
    assert caller.get(f"/plans/{commune['issued']}/history").status_code == 403
    assert caller.get(f"/plans/{commune['issued']}/cascade").status_code == 403
    listed = {p["id"] for p in caller.get("/plans?limit=200").get_json()["items"]}
    # The district above C11 issued a plan too: C11 reads it as well.
    assert listed == {commune["issued"], commune["district"]}
    assert Caller(client, api_token(client, "viewer.hy")).get(
        f"/plans/{commune['issued']}").status_code == 404


def test_a_sibling_district_does_not_read_the_other_districts_plan(client, world, commune,
                                                                   app):
    with app.app_context():
        tb = db.session.get(Tenant, world.tenants["TB"])
        factories.user(tb, "staff.c21", "staff", _unit(world, "C21"))
        db.session.commit()
    login(client, "staff.c21")
    assert client.get(f"/plans/{commune['issued']}").status_code == 200
    assert client.get(f"/plans/{commune['district']}").status_code == 403


def test_the_request_page_links_to_the_full_plan(client, world, commune):
    login(client, "staff.c11")
    html = client.get(f"/plans/requests/{commune['issued']}/{world.units['C11']}"
                      ).get_data(as_text=True)
    assert f'href="/plans/{commune["issued"]}">Đọc toàn văn kế hoạch cấp trên</a>' in html
    assert f'href="/plans/{commune["issued"]}/export.docx"' in html


def test_a_unit_that_moved_still_reads_the_plan_that_asked_it(ctx, world):
    """The request, not the tree, is what gives the right once the unit is elsewhere."""
    tb = db.session.get(Tenant, world.tenants["TB"])
    d1_plan = plans.create_plan(_user(world, "staff.d1"), _unit(world, "D1"), PlanInput(
        title="Kế hoạch thực hiện của huyện", year=2026, purpose="a", content="b",
        child_levels=["commune"], child_deadline="2026-03-01"))
    plans.submit_plan(_user(world, "staff.d1"), d1_plan)
    plans.approve_plan(_user(world, "approver.tb"), d1_plan)
    reader = factories.user(tb, "staff.c12", "staff", _unit(world, "C12"))
    db.session.commit()
    assert may_read_plan(reader, d1_plan)
    units.move_unit(None, _unit(world, "C12"), _unit(world, "D2"))
    db.session.commit()
    db.session.expire_all()
    forget_principal(reader)
    assert not authz.can(reader, "read_issued", d1_plan.unit)  # D1 is no longer above it
    assert may_read_plan(reader, d1_plan)
    assert d1_plan.id in set(db.session.scalars(db.select(Plan.id).where(
        readable_plans(reader))))
    # A draft of D1 (no request) is not readable from C12, before or after.
    other = plans.create_plan(_user(world, "staff.d1"), _unit(world, "D1"), PlanInput(
        title="Dự thảo", year=2026))
    assert not may_read_plan(reader, other)
