"""The authorization matrix for the supervision pages and endpoints: every route × every actor
around commune C11, compared with decisions written by hand (like the incident matrices).

The supervision is C11's, reported (its plan approved and its report signed by C11's chair),
with one recommendation past its deadline. Columns, per actor: the list, the proposal form (at
any unit where the actor writes), the supervision's page, writing it (C11's staff), its chair's
decisions (C11's own approver, not the district's), and a step of either kind. Forms are sent
empty or with a stale version, so an allowed call is refused by validation and changes nothing.
"""

from datetime import date

import pytest

from tests.authz_outcomes import SELF_DECIDE, SUCCESS, VALIDATION, api_outcome, page_outcome, want
from tests.conftest import api_token, csrf_token, login
from tests.test_authz_api_matrix import _call
from tests.test_authz_matrix import _page

PAGES = [
    ("GET", "/supervisions/", "list", None, SUCCESS),
    ("GET", "/supervisions/new", "record", None, SUCCESS),
    ("POST", "/supervisions/new", "record", {}, VALIDATION),
    ("GET", "/supervisions/{s}", "view", None, SUCCESS),
    ("POST", "/supervisions/{s}/edit", "write", {"version": "0"}, VALIDATION),
    ("POST", "/supervisions/{s}/documents", "write", {"version": "0"}, VALIDATION),
    ("POST", "/supervisions/{s}/step", "decide", {"version": "0", "action": "approve_plan"},
     VALIDATION),
    ("POST", "/supervisions/{s}/recommendations", "write", {}, VALIDATION),
    ("POST", "/supervisions/{s}/recommendations/{fu}/settle", "write", {}, VALIDATION),
    ("POST", "/supervisions/{s}/recommendations/{fu}/reopen", "write", {}, VALIDATION),
    ("POST", "/supervisions/{s}/follow-ups/{fu}/update", "write", {}, VALIDATION),
    ("POST", "/supervisions/{s}/follow-ups/{fu}/answer", "write", {}, VALIDATION),
    ("POST", "/supervisions/{s}/follow-ups/{fu}/close", "write", {}, VALIDATION),
    ("POST", "/supervisions/{s}/follow-ups/{fu}/chased", "write", {}, VALIDATION),
    ("GET", "/supervisions/{s}/follow-ups/{fu}/chasing-letter.docx", "write", None, SUCCESS),
    # The files of a dossier document (lhpn/files): an upload without a file (refused, back to
    # the page), the download, and last the deletion.
    ("POST", "/supervisions/documents/{doc}/files", "write", {}, SUCCESS),
    ("GET", "/supervisions/documents/{doc}/files/{file}", "view", None, SUCCESS),
    ("POST", "/supervisions/documents/{doc}/files/{file}/delete", "write", {}, SUCCESS),
]
SUPERVISION_COVERED = [(method, path) for method, path, *_ in PAGES]

API = [
    ("GET", "/api/v1/supervisions", "list", None, SUCCESS),
    ("POST", "/api/v1/supervisions", "write", {"unit_id": "{unit}"}, VALIDATION),
    ("GET", "/api/v1/supervisions/{s}", "view", None, SUCCESS),
    ("PATCH", "/api/v1/supervisions/{s}", "write", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/supervisions/{s}/status", "step", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/supervisions/{s}/documents", "write", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/supervisions/{s}/recommendations", "write", {}, VALIDATION),
    ("PATCH", "/api/v1/recommendations/{fu}", "write", {"version": 0}, VALIDATION),
    ("PATCH", "/api/v1/supervisions/{s}/follow-ups/{fu}", "write", {"version": 0}, VALIDATION),
    ("POST", "/api/v1/supervisions/{s}/follow-ups/{fu}/answer", "write", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/supervisions/{s}/follow-ups/{fu}/close", "write", {"version": 0},
     VALIDATION),
    ("POST", "/api/v1/supervisions/{s}/follow-ups/{fu}/chased", "write", {"version": 0},
     VALIDATION),
    ("GET", "/api/v1/supervisions/{s}/follow-ups/{fu}/chasing-letter", "write", None, SUCCESS),
    ("GET", "/api/v1/supervision-documents/{doc}/files", "view", None, SUCCESS),
    ("POST", "/api/v1/supervision-documents/{doc}/files", "write", None, VALIDATION),
    ("GET", "/api/v1/supervision-documents/{doc}/files/{file}", "view", None, SUCCESS),
    ("DELETE", "/api/v1/supervision-documents/{doc}/files/{file}", "write", None, SUCCESS),
]
SUPERVISION_API_COVERED = [(method, path) for method, path, *_ in API]

# Y allowed, N 403, F 404 (C11 is not theirs to view), for the columns list, record (the
# proposal form: any unit where they write), view, write (C11's staff), decide (C11's own
# chair), step (either).
EXPECTED = {
    "staff.c11":       "YYYYNY",   # the commune's officer
    "approver.c11":    "YNYNYY",   # its chair: approves its plan, signs its report
    "approver.d1":     "YNYNNN",   # the district's chair signs C11's reports, not this
    "approver.tb":     "YNYNNN",
    "protection.tb":   "YNYNNN",
    "protection.c12":  "YNFFFF",
    "staff.d1":        "YYYNNN",   # writes D1's own supervisions, sees C11's
    "viewer.d1":       "YNYNNN",
    "viewer.tb":       "YNYNNN",
    "tenant_admin.tb": "YNYNNN",
    "tenant_admin.d1": "YNYNNN",
    "staff.c12":       "YYFFFF",
    "norole.d1":       "YNFFFF",
    "approver.hy":     "YNFFFF",   # another tenant
}
COLUMNS = ("list", "record", "view", "write", "decide", "step")
DECISION = {"Y": "allow", "N": "403", "F": "404"}


def reported_with_overdue(app, world) -> dict[str, int]:
    """C11's supervision, reported on 20/11/2026, its recommendation due on 25/11/2026, its
    plan in the dossier with a PDF attached."""
    import io

    from werkzeug.datastructures import FileStorage

    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.files import services as files
    from lhpn.supervisions import services
    from lhpn.units.models import Unit

    with app.app_context():
        staff = db.session.get(User, world.users["staff.c11"])
        chair = db.session.get(User, world.users["approver.c11"])
        s = services.record_supervision(staff, db.session.get(Unit, world.units["C11"]), {
            "title": "Giám sát chính sách", "subject": "Nghị quyết hỗ trợ phụ nữ",
            "agency": "UBND xã", "method": "team", "proposed_on": "2026-11-01"})
        for who, action, on in ((chair, "approve_plan", "2026-11-02"),
                                (staff, "start", "2026-11-03"),
                                (staff, "submit_report", "2026-11-19"),
                                (chair, "approve_report", "2026-11-20")):
            services.take_step(who, s, action, s.version, on)
        fu = services.recommend(staff, s, text="Công khai danh sách", agency="UBND xã",
                                due_on=date(2026, 11, 25))
        doc = services.add_document(staff, s, {"kind": "plan", "issued_on": "2026-11-02"},
                                    s.version)
        made = files.attach(staff, "supervision_document", doc, doc.unit,
                            FileStorage(io.BytesIO(PDF), filename="ke-hoach.pdf"))
        db.session.commit()
        return {"s": s.id, "fu": fu.id, "doc": doc.id, "file": made.id}


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _fill(template: str, world, ids: dict[str, int]) -> str:
    for key, number in ids.items():
        template = template.replace("{" + key + "}", str(number))
    return template.replace("{unit}", str(world.units["C11"]))


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_supervision_pages(app, people, actor):
    ids = reported_with_overdue(app, people)
    reader = app.test_client()
    assert login(reader, actor).status_code == 302
    token = csrf_token(reader, "/account")
    for method, template, column, data, allowed in PAGES:
        path = _fill(template, people, ids)
        response = _page(reader, method, path, data, token)
        response.get_data()
        response.close()  # a download streams its file: release it
        got = page_outcome(response)
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, allowed), (actor, method, path)


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_supervision_endpoints(app, client, people, actor):
    ids = reported_with_overdue(app, people)
    token = api_token(client, actor)
    for method, template, column, body, allowed in API:
        path = _fill(template, people, ids)
        if isinstance(body, dict):
            body = {key: int(_fill(value, people, ids)) if isinstance(value, str)
                    and value == "{unit}" else value for key, value in body.items()}
        response = _call(client, method, path, body, token)
        response.get_data()
        response.close()  # a download streams its file: release it
        # The chasing letter and a file download are not JSON.
        got = SUCCESS.value if response.status_code == 200 and not response.is_json \
            else api_outcome(response)
        expected = DECISION[EXPECTED[actor][COLUMNS.index(column)]]
        assert got == want(expected, allowed), (actor, method, path)


def test_the_chair_who_proposed_may_not_approve_it(app, people):
    """A unit's chair who also writes its supervisions sent this one up: the rule refuses her
    (422, named), and the other chair of the unit may."""
    from lhpn.accounts import services as accounts
    from lhpn.accounts.models import User
    from lhpn.extensions import db
    from lhpn.supervisions import services
    from lhpn.units.models import Unit

    with app.app_context():
        c11 = db.session.get(Unit, people.units["C11"])
        vice = accounts.create_user(None, tenant_id=c11.tenant_id, username="vice.c11",
                                    password="Mat-khau-2026", unit=c11)
        accounts.assign_role(None, vice, "staff", c11)
        accounts.assign_role(None, vice, "approver", c11)
        made = services.record_supervision(vice, c11, {
            "title": "Giám sát", "subject": "Chính sách", "agency": "UBND xã",
            "method": "documents", "proposed_on": "2026-11-01"})
        db.session.commit()
        sid, version = made.id, made.version
        assert db.session.get(User, vice.id).username == "vice.c11"
    reader = app.test_client()
    assert login(reader, "vice.c11").status_code == 302
    data = {"version": str(version), "action": "approve_plan", "on": "2026-11-02",
            "csrf_token": csrf_token(reader, f"/supervisions/{sid}")}
    got = page_outcome(reader.post(f"/supervisions/{sid}/step", data=data))
    assert got == SELF_DECIDE
    token = api_token(app.test_client(), "vice.c11")
    got = api_outcome(_call(app.test_client(), "POST", f"/api/v1/supervisions/{sid}/status",
                            {"status": "approved", "version": version}, token))
    assert got == SELF_DECIDE
    chair = app.test_client()
    assert login(chair, "approver.c11").status_code == 302
    data["csrf_token"] = csrf_token(chair, f"/supervisions/{sid}")
    assert chair.post(f"/supervisions/{sid}/step", data=data).status_code == 303
