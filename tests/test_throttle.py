"""Rate limits (lhpn/throttle.py): failed log-ins per account and address, per address, per
account as a high ceiling; the same answer whoever is asked about; the counters exact under
real threads, in memory and in Redis; X-Forwarded-For only behind trusted proxies; per-user
limits on exports and consolidation ranges."""

import os
import threading
import uuid
from pathlib import Path

import pytest
import redis
from limits.storage import RedisStorage
from sqlalchemy import select

from lhpn import create_app
from lhpn.accounts import services as accounts
from lhpn.accounts.models import User
from lhpn.audit.models import AuditEntry
from lhpn.config import load_config
from lhpn.extensions import db, limiter
from tests import consolidation_world as kw
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

API = "/api/v1"
ATTACKER, OWNER, THIRD = "203.0.113.7", "198.51.100.20", "192.0.2.99"
REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng"
THROTTLED = "Có quá nhiều lần đăng nhập không thành công"


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _page_login(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def _token(client, username: str, password: str, **headers):
    return client.post(f"{API}/auth/token", json={"username": username, "password": password},
                       headers=headers)


def _retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert 0 < value <= 24 * 3600
    return value


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).all()


# ---- per account and address, and the owner elsewhere ---------------------------------------

def test_the_sixth_failure_from_one_address_waits_and_the_owner_elsewhere_gets_in(app, world):
    attacker = _client(app, ATTACKER)
    for _ in range(5):
        response = _page_login(attacker, "staff.d1", "doan-sai-mat-khau")
        assert response.status_code == 401
        assert REFUSED in response.get_data(as_text=True)
    # The right password from that address is not even checked now.
    response = _page_login(attacker, "staff.d1", PASSWORD)
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert "Hãy thử lại sau" in response.get_data(as_text=True)
    assert _retry_after(response) <= 60  # the minute window of 5/minute
    owner = _client(app, OWNER)
    assert _page_login(owner, "staff.d1", PASSWORD).status_code == 302
    assert owner.get("/").status_code == 200


def test_waits_grow_with_the_longer_windows(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_LOGIN_LIMIT_ACCOUNT_ADDRESS", "2/minute;3/hour")
    attacker = _client(app, ATTACKER)
    for _ in range(2):
        assert _token(attacker, "staff.d1", "sai").status_code == 401
    assert _retry_after(_token(attacker, "staff.d1", "sai")) <= 60
    limiter.storage.clear(_minute_key("staff.d1", ATTACKER))  # the minute has passed
    assert _token(attacker, "staff.d1", "sai").status_code == 401
    response = _token(attacker, "staff.d1", "sai")
    assert response.status_code == 429 and 60 < _retry_after(response) <= 3600


def _minute_key(username: str, address: str) -> str:
    from limits import parse

    return parse("2/minute").key_for("lhpn", "login", "account_address", username, address)


def test_only_failures_count(app, world):
    owner = _client(app, OWNER)
    for _ in range(8):  # more successes than the 5 failures allowed
        assert _token(owner, "staff.d1", PASSWORD).status_code == 200
    for _ in range(5):
        assert _token(owner, "staff.d1", "sai").status_code == 401
    assert _token(owner, "staff.d1", "sai").status_code == 429


def test_one_address_across_accounts(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_LOGIN_LIMIT_ADDRESS", "3/minute")
    attacker = _client(app, ATTACKER)
    for username in ("staff.d1", "viewer.d1", "nobody.at.all"):
        assert _token(attacker, username, "sai").status_code == 401
    assert _token(attacker, "approver.d1", PASSWORD).status_code == 429
    assert _token(_client(app, OWNER), "approver.d1", PASSWORD).status_code == 200


def test_the_account_ceiling_counts_checked_failures_only(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_LOGIN_LIMIT_ACCOUNT", "8/hour")
    attacker = _client(app, ATTACKER)
    for _ in range(5):
        assert _token(attacker, "staff.d1", "sai").status_code == 401
    for _ in range(20):  # refused before any check: they use none of the ceiling
        assert _token(attacker, "staff.d1", "sai").status_code == 429
    assert _token(_client(app, OWNER), "staff.d1", PASSWORD).status_code == 200
    second = _client(app, "198.51.100.77")
    for _ in range(3):
        assert _token(second, "staff.d1", "sai").status_code == 401
    # 8 failures from anywhere: now the account waits, whichever address asks.
    response = _token(_client(app, THIRD), "staff.d1", PASSWORD)
    assert response.status_code == 429 and _retry_after(response) > 60
    assert _token(_client(app, THIRD), "viewer.d1", PASSWORD).status_code == 200


# ---- the same answer -------------------------------------------------------------------------

@pytest.fixture
def locked_staff(app, world):
    with app.app_context():
        accounts.set_locked(None, db.session.get(User, world.users["staff.d1"]), True)
        db.session.commit()


@pytest.mark.parametrize("username, password", [
    ("nobody.here", PASSWORD),          # unknown
    ("viewer.d1", "sai-mat-khau"),      # wrong password
    ("staff.d1", "sai-mat-khau"),       # locked, wrong password
    ("staff.d1", PASSWORD),             # locked, right password: not confirmed either
])
def test_unknown_wrong_and_locked_get_the_same_answer(app, locked_staff, username, password):
    page = _page_login(_client(app, ATTACKER), username, password)
    assert page.status_code == 401
    assert REFUSED in page.get_data(as_text=True)
    assert "khóa" not in page.get_data(as_text=True)
    api = _token(_client(app, ATTACKER), username, password)
    assert api.status_code == 401
    assert api.get_json() == {"error": {"code": "unauthorized",
                                        "message": "Tên đăng nhập hoặc mật khẩu không đúng."}}


@pytest.mark.parametrize("username", ["staff.d1", "nobody.here"])
def test_a_locked_account_counts_like_any_failure_and_throttles_alike(app, locked_staff,
                                                                      username):
    attacker = _client(app, ATTACKER)
    for _ in range(5):
        assert _token(attacker, username, PASSWORD).status_code == 401
    response = _token(attacker, username, PASSWORD)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert response.get_json()["error"]["message"].startswith(THROTTLED)


def test_unknown_names_spend_the_same_hashing_as_a_check(app, world, monkeypatch):
    """Every refusal verifies one Argon2 hash made with the configured cost: the cost, not
    a clock, is what is compared (performance is never timed in unit tests)."""
    from argon2 import PasswordHasher

    from lhpn.accounts import passwords

    seen = []
    real = PasswordHasher.verify

    def counting(self, hash_, password):
        seen.append((self.time_cost, self.memory_cost, hash_.split("$")[3]))
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    for username in ("nobody.here", "viewer.d1"):
        assert _token(_client(app, ATTACKER), username, "sai").status_code == 401
    cost = (app.config["LHPN_ARGON2_TIME_COST"], app.config["LHPN_ARGON2_MEMORY_KIB"])
    params = f"m={cost[1]},t={cost[0]},p={PasswordHasher().parallelism}"
    assert seen == [(*cost, params), (*cost, params)]
    assert passwords._DUMMY  # the dummy hash is made once, then only verified


# ---- audit, API and English -------------------------------------------------------------------

def test_a_limit_that_trips_is_audited_once_per_window(app, world):
    attacker = _client(app, ATTACKER)
    for _ in range(5):
        _token(attacker, "staff.d1", "sai")
    for _ in range(4):
        assert _token(attacker, "staff.d1", "sai").status_code == 429
    entries = _audit(app, "auth.throttle")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.tenant_id == world.tenants["TB"] and entry.ip == ATTACKER
    assert entry.object_id == str(world.users["staff.d1"])
    assert entry.data == {"scope": "account_address", "limit": "5 per 1 minute"}
    for _ in range(5):
        _token(attacker, "nobody.here", "sai")
    _token(attacker, "nobody.here", "sai")
    unknown = _audit(app, "auth.throttle")[-1]
    assert unknown.tenant_id is None and unknown.summary.startswith("nobody.here:")


def test_the_token_endpoint_answers_429_in_english_too(app, world):
    attacker = _client(app, ATTACKER)
    for _ in range(5):
        _token(attacker, "viewer.d1", "sai")
    response = _token(attacker, "viewer.d1", PASSWORD, **{"Accept-Language": "en"})
    assert response.status_code == 429
    _retry_after(response)
    error = response.get_json()["error"]
    assert error["code"] == "too_many_requests"
    assert error["message"].startswith("Too many failed log-ins. Try again in")
    assert "token" not in response.get_json()


# ---- the client's address ---------------------------------------------------------------------

def test_x_forwarded_for_is_ignored_without_trusted_proxies(app, world):
    attacker = _client(app, ATTACKER)
    for n in range(5):
        response = _token(attacker, "staff.d1", "sai", **{"X-Forwarded-For": f"10.0.0.{n}"})
        assert response.status_code == 401
    response = _token(attacker, "staff.d1", PASSWORD, **{"X-Forwarded-For": "10.0.0.99"})
    assert response.status_code == 429


@pytest.fixture
def proxied_app(app):
    """The same application behind one trusted reverse proxy (LHPN_TRUSTED_PROXIES=1)."""
    keep = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "LHPN_ARGON2_TIME_COST",
            "LHPN_ARGON2_MEMORY_KIB", "LHPN_UPLOAD_DIR")
    proxied = create_app({name: app.config[name] for name in keep} | {"LHPN_TRUSTED_PROXIES": 1})
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_counts(proxied_app, world):
    proxy = _client(proxied_app, "127.0.0.1")
    for _ in range(5):
        assert _token(proxy, "staff.d1", "sai", **{"X-Forwarded-For": ATTACKER}).status_code \
            == 401
    assert _token(proxy, "staff.d1", PASSWORD,
                  **{"X-Forwarded-For": ATTACKER}).status_code == 429
    # The owner comes through the same proxy from another address, and gets in.
    assert _token(proxy, "staff.d1", PASSWORD, **{"X-Forwarded-For": OWNER}).status_code == 200
    # A client cannot pick its address: only the last hop the proxy added is believed.
    spoofed = {"X-Forwarded-For": f"{OWNER}, {ATTACKER}"}
    assert _token(proxy, "staff.d1", PASSWORD, **spoofed).status_code == 429
    with proxied_app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "auth.throttle")).one()
        assert entry.ip == ATTACKER


def test_ipv6_clients_are_counted_by_their_64_network(app, world):
    for n in range(5):
        assert _token(_client(app, f"2001:db8:1:2::{n + 1}"), "staff.d1", "sai").status_code \
            == 401
    assert _token(_client(app, "2001:db8:1:2:ffff::9"), "staff.d1", PASSWORD).status_code == 429
    assert _token(_client(app, "2001:db8:1:3::1"), "staff.d1", PASSWORD).status_code == 200


# ---- concurrency, in memory and in Redis -----------------------------------------------------

@pytest.fixture(params=["memory", "redis"])
def storage(request, app, monkeypatch):
    if request.param == "memory":
        yield "memory"
        return
    yield from _redis_storage(app, monkeypatch)


def _redis_storage(app, monkeypatch):
    """The limiter on Redis as LHPN_REDIS_URL configures it, under a key prefix of its own
    (Redis is shared). Skips without Redis, except under CI, where Redis must answer."""
    url = os.environ.get("LHPN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis must answer at {url} under CI: {exc}")
        pytest.skip(f"no Redis at {url}: {exc}")
    monkeypatch.setenv("LHPN_REDIS_URL", url)
    settings = {name: value for name, value in load_config(Path(app.instance_path)).items()
                if name.startswith("RATELIMIT_")}
    prefix = f"lhpn-test-{uuid.uuid4().hex}"
    settings["RATELIMIT_STORAGE_OPTIONS"] |= {"key_prefix": prefix}
    before = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    limiter.init_app(app)
    assert isinstance(limiter.storage, RedisStorage)
    yield "redis"
    limiter.reset()  # this prefix's keys only
    for name, value in before.items():
        if value is None:
            app.config.pop(name, None)
        else:
            app.config[name] = value
    limiter.init_app(app)


def _together(app, count: int, username: str, password: str, address: str) -> list[int]:
    """count log-ins at once, on real threads, each with its own client."""
    start = threading.Barrier(count)
    statuses: list[int] = []

    def attempt():
        client = _client(app, address)
        start.wait()
        statuses.append(_token(client, username, password).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_forty_guesses_at_once_get_five_checks(app, world, storage):
    statuses = _together(app, 40, "staff.d1", "sai", ATTACKER)
    assert statuses == [401] * 5 + [429] * 35
    assert _token(_client(app, ATTACKER), "staff.d1", PASSWORD).status_code == 429
    assert _token(_client(app, OWNER), "staff.d1", PASSWORD).status_code == 200
    if storage == "redis":
        keys = redis.Redis(connection_pool=limiter.storage.storage.connection_pool).keys(
            f"{limiter.storage.key_prefix}:*")
        assert any(b"staff.d1" in key for key in keys)


def test_concurrent_failures_are_each_counted_once(app, world, storage, monkeypatch):
    tries = 24
    monkeypatch.setitem(app.config, "LHPN_LOGIN_LIMIT_ACCOUNT_ADDRESS", f"{tries + 1}/minute")
    assert _together(app, tries, "staff.d1", "sai", ATTACKER) == [401] * tries
    attacker = _client(app, ATTACKER)
    assert _token(attacker, "staff.d1", "sai").status_code == 401  # the 25th: room for one
    assert _token(attacker, "staff.d1", "sai").status_code == 429  # counted exactly


# ---- costly reads per user -------------------------------------------------------------------

@pytest.fixture
def kt(app):
    with app.app_context():
        built = kw.build()
        kw.file_january(built)
        built.plan_id = kw.issue_plan(built).id
        db.session.commit()
        return built


def test_exports_are_limited_per_user_and_share_one_budget(app, kt, monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_EXPORT_LIMIT", "3/minute")
    viewer = app.test_client()
    login(viewer, "kt.viewer")
    unit = kt.units["KT"]
    query = f"?template=BC_KT&period={kw.JAN}"
    for path in (f"/units/{unit}/consolidation.xlsx{query}",
                 f"/units/{unit}/consolidation.docx{query}",
                 f"/plans/{kt.plan_id}/export.docx"):
        assert viewer.get(path).status_code == 200
    for path in (f"/units/{unit}/consolidation.xlsx{query}", f"/plans/{kt.plan_id}/export.docx"):
        response = viewer.get(path)
        assert response.status_code == 429
        assert 0 < _retry_after(response) <= 60
        html = response.get_data(as_text=True)
        assert "tải xuống quá nhiều tệp" in html and "Hãy thử lại sau" in html
    other = app.test_client()
    login(other, "kt.approver.kt")
    assert other.get(f"/units/{unit}/consolidation.xlsx{query}").status_code == 200
    trips = _audit(app, "rate_limit.trip")
    assert len(trips) == 1 and trips[0].actor.username == "kt.viewer"


def test_consolidation_ranges_are_limited_per_user_on_the_page_and_the_api(app, kt,
                                                                           monkeypatch):
    monkeypatch.setitem(app.config, "LHPN_RANGE_LIMIT", "2/minute")
    viewer = app.test_client()
    login(viewer, "kt.viewer")
    unit = kt.units["KT"]
    ranged = "?template=BC_KT&from=2027-01&to=2027-02"
    for _ in range(4):  # one period at a time is not limited
        assert viewer.get(f"/units/{unit}/consolidation?template=BC_KT&period={kw.JAN}"
                          ).status_code == 200
    assert viewer.get(f"/units/{unit}/consolidation{ranged}").status_code == 200
    token = viewer.post(f"{API}/auth/token", json={"username": "kt.viewer",
                                                   "password": PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert viewer.get(f"{API}/units/{unit}/consolidation{ranged}", headers=bearer
                      ).status_code == 200
    page = viewer.get(f"/units/{unit}/consolidation{ranged}")
    assert page.status_code == 429 and "khoảng kỳ" in page.get_data(as_text=True)
    api = viewer.get(f"{API}/units/{unit}/consolidation{ranged}",
                     headers=bearer | {"Accept-Language": "en"})
    assert api.status_code == 429
    _retry_after(api)
    assert api.get_json()["error"]["code"] == "too_many_requests"
    assert "Try again in" in api.get_json()["error"]["message"]
