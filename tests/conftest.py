"""Test set-up: the real schema from the migrations, on SQLite or on PostgreSQL.

The schema is built once per session by running the Alembic migrations. Tests commit for real
(pages and services commit at the request boundary); every table, the append-only ones too, is
emptied after each test. Set LHPN_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from lhpn import create_app
from lhpn.extensions import db
from tests import factories

# The real-browser fixtures (browser, live_server, open_page): asked for by name.
pytest_plugins = ["tests.browser", "tests.incident_world"]


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Build the .mo when missing or older than the .po (make test does it too), before any
    page is rendered: Flask-Babel caches a locale's catalogue on first use."""
    root = Path(__file__).resolve().parent.parent
    for po in root.glob("lhpn/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            pybabel = str(Path(sys.executable).with_name("pybabel"))
            subprocess.run(["bash", str(root / "scripts" / "i18n.sh"), "compile"], check=True,
                           env={**os.environ, "PYBABEL": pybabel})
            break


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("LHPN_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("LHPN_INSTANCE_PATH", str(instance))
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "LHPN_ARGON2_TIME_COST": 1,
        "LHPN_ARGON2_MEMORY_KIB": 1024,
        "LHPN_UPLOAD_DIR": str(instance / "uploads"),
        # The matrices export every plan and consolidation for every role in one test; the
        # per-user limits are tested in tests/test_throttle.py with their own low values.
        "LHPN_EXPORT_LIMIT": "1000/minute",
        "LHPN_RANGE_LIMIT": "1000/minute",
        # One commit point: a request that ends with changes it did not commit raises.
        "LHPN_FAIL_ON_UNCOMMITTED": True,
    })
    with app.app_context():
        if database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables() -> None:
    """Empty every table, the append-only ones too (sensitive_reads): their triggers, which
    refuse exactly this, are set aside for the clean-up and put back in the same transaction."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            guarded = conn.scalars(text("SELECT DISTINCT CAST(tgrelid AS regclass) "
                                        "FROM pg_trigger WHERE NOT tgisinternal")).all()
            for name in guarded:
                conn.execute(text(f"ALTER TABLE {name} DISABLE TRIGGER USER"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            for name in guarded:
                conn.execute(text(f"ALTER TABLE {name} ENABLE TRIGGER USER"))
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master "
                                         "WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our own table names)
            for _name, sql in triggers:
                conn.execute(text(sql))


@pytest.fixture(autouse=True)
def _operator_crossing():
    """The tests' own set-up and checks (factories, direct service calls) act as the operator,
    for no tenant: inside the named crossing "tests". Requests are not: each starts outside any
    crossing (lhpn.tenancy.enter_request), so pages and the API stay strict."""
    from lhpn.tenancy import crossing_tenants

    with crossing_tenants("tests"):
        yield


@pytest.fixture(autouse=True)
def _clean_database(app):
    yield
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        # Ids start again at 1 after emptying SQLite tables: forget what was cached for them.
        from lhpn.extensions import cache, limiter

        cache.clear()
        limiter.reset()  # rate-limit counters: every test starts with none


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class World:
    """Two tenants; the legacy one has every relation a district can have."""

    units: dict = field(default_factory=dict)   # name -> unit id
    tenants: dict = field(default_factory=dict)  # code -> tenant id
    users: dict = field(default_factory=dict)   # username -> user id


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        w = factories.build_world()
        db.session.commit()
        return w


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = factories.PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def api_token(client, username: str, password: str = factories.PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username,
                                                        "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["token"]
