"""Schemathesis against the running API: the document and the application agree.

A fresh application is started on loopback with its own SQLite database in a temporary folder
and its own small world (two tenants, units, users of every role, forms, plans and reports),
never the demo data. Schemathesis reads /api/v1/openapi.json and sends what the document calls
valid and invalid to every operation, with every check it has (``--checks all``). It must end
with no failure.

Each run has its own bearer token, of a user who reaches its operations (see ADMIN, OFFICER,
APPROVER below); log-out gets a token of its own, so revoking it cannot cut the other runs
short. The fuzzer cannot lock or strip itself (the
API refuses both, 422). Throttling limits are raised for this application only.
"""

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from lhpn import create_app
from lhpn.accounts import services as accounts
from lhpn.extensions import db
from lhpn.tenancy import crossing_tenants
from tests import factories

HERE = Path(__file__).resolve().parent
EXAMPLES = os.environ.get("LHPN_FUZZ_EXAMPLES", "3")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({
        "TESTING": False,
        "SECRET_KEY": "fuzz-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'fuzz.sqlite3'}",
        "LHPN_ARGON2_TIME_COST": 1,
        "LHPN_ARGON2_MEMORY_KIB": 1024,
        "LHPN_UPLOAD_DIR": str(folder / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "LHPN_LOGIN_LIMIT_ACCOUNT_ADDRESS": "100000/minute",
        "LHPN_LOGIN_LIMIT_ADDRESS": "100000/minute",
        "LHPN_LOGIN_LIMIT_ACCOUNT": "100000/minute",
        "LHPN_EXPORT_LIMIT": "100000/minute",
        "LHPN_RANGE_LIMIT": "100000/minute",
    })
    # The module's own world is built as the operator would, inside the tests' named crossing
    # (a module-scoped fixture runs outside the function-scoped one of conftest).
    with app.app_context(), crossing_tenants("tests"):
        upgrade()
        factories.build_world()
        accounts.create_user(None, tenant_id=None, username="root.admin",
                             password=factories.PASSWORD, is_system_admin=True)
        db.session.commit()
    http = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _token(app, username: str) -> str:
    client = app.test_client()
    answer = client.post("/api/v1/auth/token",
                         json={"username": username, "password": factories.PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["token"]


def _schemathesis(base: str, token: str, *select: str) -> subprocess.CompletedProcess:
    st = shutil.which("st", path=str(Path(os.sys.executable).parent))
    assert st, "schemathesis is a dev dependency (pip install -e .[dev])"
    command = [st, "--config-file", str(HERE / "fuzz" / "schemathesis.toml"), "run",
               f"{base}/api/v1/openapi.json", "--url", f"{base}/api/v1",
               "--checks", "all", "--max-examples", EXAMPLES, "--seed", "13",
               # A batch approval of 200 reports takes seconds on a loaded machine.
               "--request-timeout", "60",
               "-H", f"Authorization: Bearer {token}", "--no-color", *select]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


def _clean(result: subprocess.CompletedProcess) -> None:
    tail = (result.stdout + result.stderr)[-12000:]
    assert result.returncode == 0, tail
    assert "FAILURES" not in result.stdout, tail
    assert re.search(r"\b[1-9]\d* generated, [1-9]\d* passed", result.stdout), tail


# Every operation, each run with a token that reaches it: the province administrator the unit
# tree and the users; a provincial officer plans, reports and consolidations; the approver of
# the province the steps only an approver takes; the system administrator the country view;
# a provincial officer the incidents too (a run of their own).
ADMIN = (r"^/(auth/token|me|units|units/\{unit_id\}|units/\{unit_id\}/move|users|users/.*"
         r"|indicators|openapi\.json|privacy/reads)$")
APPROVER = (r"^/(plans/\{plan_id\}/(approve|return)|reports/\{report_id\}/(approve|return|reopen)"
            r"|reports/approve)$")
OFFICER = (r"^/(plans|plans/.*|templates|templates/.*|calendar|reports|reports/.*"
           r"|units/\{unit_id\}/consolidation)$")


def test_the_province_administrator_finds_no_contract_failure(server):
    app, base = server
    token = _token(app, "tenant_admin.tb")
    _clean(_schemathesis(base, token, "--include-path-regex", ADMIN))


def test_an_officer_finds_no_contract_failure(server):
    app, base = server
    _clean(_schemathesis(base, _token(app, "staff.tb"), "--include-path-regex", OFFICER,
                         "--exclude-path-regex", APPROVER))


def test_an_approver_finds_no_contract_failure(server):
    app, base = server
    _clean(_schemathesis(base, _token(app, "approver.tb"), "--include-path-regex", APPROVER))


def test_the_system_administrator_finds_no_contract_failure(server):
    app, base = server
    _clean(_schemathesis(base, _token(app, "root.admin"), "--include-path", "/consolidation"))


def test_logout_with_a_token_of_its_own_finds_no_contract_failure(server):
    app, base = server
    _clean(_schemathesis(base, _token(app, "viewer.d1"), "--include-path", "/auth/logout"))


def test_an_incident_officer_finds_no_contract_failure(server):
    # The province's officer records at the province and reads its cases in clear.
    app, base = server
    _clean(_schemathesis(base, _token(app, "staff.tb"), "--include-path-regex",
                         r"^/incidents(/.*)?$"))
