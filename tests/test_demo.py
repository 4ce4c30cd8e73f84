from sqlalchemy import func, select

from lhpn.accounts.models import User
from lhpn.accounts.passwords import verify_password
from lhpn.demo.load import DEMO_PASSWORD, USERS, load_demo
from lhpn.extensions import db
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit
from tests.conftest import login


def _count(model, *where) -> int:
    stmt = select(func.count()).select_from(model)
    return db.session.scalar(stmt.where(*where))


def _levels(code: str) -> dict[str, int]:
    tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
    rows = db.session.execute(
        select(Unit.level, func.count()).where(Unit.tenant_id == tenant.id).group_by(Unit.level)
    )
    return dict(rows.all())


def test_load_demo_twice_creates_everything_once(ctx):
    lines = list(load_demo())
    units, users = _count(Unit), _count(User)
    assert _levels("HY") == {"province": 1, "commune": 104, "branch": 312}
    assert _levels("TB") == {"province": 1, "district": 8, "commune": 242, "branch": 130}
    assert users == len(USERS)
    assert any("mật khẩu chung: demo12345" in line for line in lines)
    table = "\n".join(lines[lines.index(next(x for x in lines if "mật khẩu chung" in x)):])
    for spec in USERS:
        assert spec.username in table

    again = list(load_demo())
    assert (_count(Unit), _count(User)) == (units, users)
    from lhpn.plans.models import Plan, PlanRequest

    # Per tenant: the issued 2027 plan and the 2026 programme the demo reports are measured by.
    assert _count(Plan) == 4 and {p.status for p in db.session.scalars(select(Plan))} == {
        "approved"}
    # The issued plans asked every commune (and TB's districts) for an implementing plan.
    assert _count(PlanRequest) == 104 + 8 + 242
    assert any("thêm 0 đơn vị, 0 người dùng" in line for line in again)
    assert not any("Lỗi" in line or "Bỏ qua" in line for line in again)
    _demo_reports_are_consolidated()
    _demo_cases_wait_past_a_deadline()
    _demo_supervisions_have_an_overdue_recommendation()
    _demo_petitions_wait_past_a_deadline()
    _demo_oversight_has_an_overdue_commitment()


def _demo_cases_wait_past_a_deadline():
    """Each demo tenant has a few cases and one followed past its deadline, added once."""
    from lhpn.followups.models import FollowUp
    from lhpn.incidents import services as incidents
    from lhpn.incidents.models import Incident

    for code in ("HY", "TB"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        ids = list(db.session.scalars(select(Incident.id).where(Incident.tenant_id == tenant.id)))
        assert len(ids) >= 2
        assert len(incidents.overdue_among(ids)) == 1
        assert _count(FollowUp, FollowUp.tenant_id == tenant.id,
                      FollowUp.object_type == "incident") == 1


def _demo_oversight_has_an_overdue_commitment():
    """Each demo tenant has critiques and comments, and dialogues of which one has a commitment
    past its deadline, added once (lhpn/demo/oversight.py)."""
    from lhpn.critiques.models import Critique
    from lhpn.dialogues import services as dialogues
    from lhpn.dialogues.models import Dialogue

    for code in ("HY", "TB"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        assert _count(Critique, Critique.tenant_id == tenant.id) == 3
        ids = list(db.session.scalars(select(Dialogue.id).where(Dialogue.tenant_id == tenant.id)))
        assert len(ids) == 2 and len(dialogues.overdue_among(ids)) == 1



def _demo_reports_are_consolidated():
    """Ten months of monthly reports per tenant, loaded once, with running totals equal to
    the raw approved values and a few reports waiting for the demo approvers."""
    from lhpn.consolidation import rollups
    from lhpn.consolidation import services as consolidation
    from lhpn.reports.models import Report
    from lhpn.reports.services import get_template
    from lhpn.units.services import root_of

    for code in ("HY", "TB"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        template = get_template(tenant.id, "BC_THANG")
        statuses = dict(db.session.execute(
            select(Report.status, func.count()).where(Report.template_id == template.id)
            .group_by(Report.status)).all())
        assert statuses["approved"] > 0.85 * sum(statuses.values())
        assert statuses["submitted"] > 0
        root = root_of(tenant.id)
        months = [f"2026-{m:02d}" for m in range(1, 11)]
        raw = rollups.subtree_values(root, template.id, months)
        result = consolidation.consolidate(root, template, months)
        for indicator_id, stats in raw.items():
            figure = result.own.figures[indicator_id]
            assert figure.reports == stats["reports"]
            assert float(figure.total or 0) == round(float(stats["total"] or 0), 4)
        assert result.counts.approved == statuses["approved"]
        # The province's programme of work is marked counted, qualitative target included.
        assert [plan.number for plan in result.plans] == ["05/CTr-BTV"]
        assert {a.target.kind for a in result.attainment} == {"count", "share", "text"}

def test_demo_users_and_roles(ctx):
    list(load_demo())
    for spec in USERS:
        user = db.session.scalar(select(User).where(User.username == spec.username))
        assert verify_password(user.password_hash, DEMO_PASSWORD), spec.username
        assert user.full_name == spec.full_name
        if spec.tenant is None:
            assert user.is_system_admin and user.tenant_id is None
            continue
        [assignment] = user.assignments
        assert assignment.role == spec.role and user.unit_id == assignment.unit_id
        unit = assignment.unit
        if spec.unit_code == "@root":
            assert unit.parent_id is None
        else:
            assert unit.code == spec.unit_code
    pho_hien_branch = db.session.scalar(select(Unit).where(Unit.code == "X11953-01"))
    assert pho_hien_branch.name == "Chi hội tổ dân phố số 1"
    assert pho_hien_branch.parent.name == "Hội LHPN phường Phố Hiến"
    tan_le = db.session.scalar(select(Unit).where(Unit.code == "X12592"))
    assert (tan_le.name, tan_le.parent.code) == ("Hội LHPN xã Tân Lễ", "H339")


def test_demo_logins_work(app, client):
    with app.app_context():
        list(load_demo())
    for username in ("hy.admin", "tb.hungha.canbo", "sysadmin"):
        response = login(client, username, DEMO_PASSWORD)
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        client.post("/logout", data={"csrf_token": _token(client)})
    login(client, "tb.admin", DEMO_PASSWORD)
    assert client.get("/units/import/").status_code == 200


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def _demo_supervisions_have_an_overdue_recommendation():
    """Each demo tenant has a commune's supervisions in several states, added once, and one
    recommendation past its deadline."""
    from lhpn.followups import services as follow_ups
    from lhpn.followups.models import FollowUp
    from lhpn.supervisions.models import Supervision

    for tenant in db.session.scalars(select(Tenant)):
        statuses = set(db.session.scalars(select(Supervision.status)
                                          .where(Supervision.tenant_id == tenant.id)))
        assert statuses == {"proposed", "in_progress", "reported", "closed"}
        assert _count(Supervision, Supervision.tenant_id == tenant.id) == 4
        assert _count(FollowUp, FollowUp.tenant_id == tenant.id,
                      FollowUp.object_type == "supervision", follow_ups.overdue()) == 1
def _demo_petitions_wait_past_a_deadline():
    """Each demo tenant's register holds a few petitions, added once: one waits past its
    deadline, one forwarded is overdue with the agency, one is a mass petition."""
    from lhpn.petitions import services as petitions
    from lhpn.petitions.models import Petition

    for code in ("HY", "TB"):
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == code))
        found = db.session.scalars(select(Petition).where(Petition.tenant_id == tenant.id)).all()
        assert len(found) >= 3
        late = [p for p in found if petitions.is_overdue(p)]
        assert {p.status for p in late} == {"received", "forwarded"}
        assert any(p.is_mass for p in found)
