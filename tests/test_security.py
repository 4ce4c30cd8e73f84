"""Log-in, sessions, CSRF, headers and limits."""

from datetime import timedelta

import pytest

from lhpn.accounts.models import User, UserSession
from lhpn.extensions import db
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD


def _cookie(client) -> str:
    cookie = client.get_cookie("lhpn_session")
    assert cookie is not None
    return cookie.value


def test_password_is_hashed_with_argon2id(ctx, world):
    user = db.session.get(User, world.users["staff.d1"])
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_logout_and_session_cookie_flags(client, world):
    response = login(client, "staff.d1")
    assert response.status_code == 302
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert client.get("/").status_code == 302


def test_wrong_password_says_so_in_vietnamese(client, world):
    response = login(client, "staff.d1", "sai-mat-khau")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    response = login(client, "nobody-here", "sai-mat-khau")
    assert response.status_code == 401


def test_copied_cookie_stops_working_after_logout(app, client, world):
    login(client, "staff.d1")
    stolen = _cookie(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    thief = app.test_client()
    thief.set_cookie("lhpn_session", stolen)
    assert thief.get("/").status_code == 302


def test_new_session_on_every_login(app, client, world):
    login(client, "staff.d1")
    with app.app_context():
        first = {s.id for s in db.session.scalars(db.select(UserSession))}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, "staff.d1")
    with app.app_context():
        second = {s.id for s in db.session.scalars(db.select(UserSession))}
    assert len(first) == len(second) == 1 and first != second


def test_locking_a_user_ends_their_sessions(app, client, world):
    victim = app.test_client()
    login(victim, "staff.d1")
    assert victim.get("/").status_code == 200
    login(client, "tenant_admin.tb")
    response = client.post(f"/users/{world.users['staff.d1']}/lock",
                           data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert victim.get("/").status_code == 302
    assert login(victim, "staff.d1").status_code == 401
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(UserSession).where(
            UserSession.user_id == world.users["staff.d1"])) == 0


@pytest.mark.parametrize("field", ["last_seen_at", "created_at"])
def test_idle_and_absolute_timeouts(app, client, world, field):
    login(client, "staff.d1")
    with app.app_context():
        row = db.session.scalars(db.select(UserSession)).one()
        minutes = app.config["LHPN_SESSION_IDLE_MINUTES" if field == "last_seen_at"
                             else "LHPN_SESSION_ABSOLUTE_MINUTES"]
        setattr(row, field, getattr(row, field) - timedelta(minutes=minutes + 1))
        if field == "created_at":
            row.last_seen_at = row.created_at + timedelta(minutes=minutes)
        db.session.commit()
    assert client.get("/").status_code == 302


def test_forms_need_a_csrf_token(client, world):
    response = client.post("/login", data={"username": "staff.d1", "password": PASSWORD})
    assert response.status_code == 400
    login(client, "tenant_admin.tb")
    response = client.post(f"/units/{world.units['D1']}/rename", data={"name": "Đổi"})
    assert response.status_code == 400


def test_security_headers_and_csp(client, world):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html


def test_request_size_limit(app, client, world):
    login(client, "tenant_admin.tb")
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post(f"/units/{world.units['D1']}/rename",
                           data={"name": big, "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 413


# What a browser makes of a `next` value: tabs and line breaks vanish, a backslash is a slash,
# controls and spaces at the ends are dropped. Each of these lands on another host, or is not
# a plain path of this site.
HOSTILE_NEXT = [
    "//evil.example/x",
    "/\t/evil.example/phish",          # the issue's /%09/evil.example/phish, decoded
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x01//evil.example",
    "//evil.example\x1f",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "evil.example",
    "///evil.example",
    "/\x7f/evil.example",
    "",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_open_redirect_after_login_is_refused(client, world, target):
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target}, data={
        "username": "staff.d1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_issue_s_encoded_tab_is_refused(client, world):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/%09/evil.example/phish", data={
        "username": "staff.d1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target, landing", [
    ("/units/3", "/units/3"),
    ("/consolidation?template=BC&from=2027-01&to=2027-03",
     "/consolidation?template=BC&from=2027-01&to=2027-03"),
    ("  /reports\t/inbox ", "/reports/inbox"),  # what the browser would have read
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a path segment here, not a host
])
def test_a_path_on_this_site_is_followed(client, world, target, landing):
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target}, data={
        "username": "staff.d1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == landing


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_refuses_other_hosts_too(client, world, target):
    token = csrf_token(client, "/login")
    response = client.post("/lang/en", data={"next": target, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_reset_password_forces_a_change(app, client, world):
    login(client, "tenant_admin.tb")
    client.post(f"/users/{world.users['staff.d1']}/password",
                data={"password": "Mot-mat-khau-moi", "csrf_token": csrf_token(client, "/account")})
    other = app.test_client()
    response = login(other, "staff.d1", "Mot-mat-khau-moi")
    assert response.headers["Location"].endswith("/account/password")
    token = csrf_token(other, "/account/password")
    response = other.post("/account/password", data={
        "old_password": "Mot-mat-khau-moi", "new_password": "ngan", "confirm": "ngan",
        "csrf_token": token})
    assert response.status_code == 422 and "ít nhất" in response.get_data(as_text=True)
    response = other.post("/account/password", data={
        "old_password": "Mot-mat-khau-moi", "new_password": "Mat-khau-cua-toi",
        "confirm": "Mat-khau-cua-toi", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, world.users["staff.d1"]).must_change_password


def test_secret_key_file_is_created_outside_the_repo(tmp_path, monkeypatch):
    from lhpn.config import load_config

    monkeypatch.delenv("LHPN_SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert load_config(tmp_path)["SECRET_KEY"] == first


@pytest.mark.parametrize("path", ["/units/99999999999999999999", "/users/4294967296",
                                  "/units/0", "/users/-1"])
def test_absurd_ids_are_not_found(client, world, path):
    login(client, "tenant_admin.tb")
    assert client.get(path).status_code == 404


def test_nul_characters_are_refused_and_change_nothing(app, client, world):
    login(client, "tenant_admin.tb")
    response = client.post(f"/units/{world.units['D1']}/rename", data={
        "name": "Tên\x00mới", "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.get_data(as_text=True)
    with app.app_context():
        from lhpn.units.models import Unit

        assert db.session.get(Unit, world.units["D1"]).name == "Hội LHPN huyện Hưng Hà"


def test_user_search_treats_wildcards_literally(client, world):
    login(client, "tenant_admin.tb")
    html = client.get("/users/?q=%25").get_data(as_text=True)
    assert "Không có người dùng nào" in html
    html = client.get("/users/?q=member.c11").get_data(as_text=True)
    assert "member.c11" in html and "member.b111" not in html


def test_no_new_user_at_a_closed_unit(ctx, world):
    from lhpn.accounts.services import create_user
    from lhpn.errors import DomainError
    from lhpn.units.models import Unit
    from lhpn.units.services import close_unit

    unit = db.session.get(Unit, world.units["C12"])
    close_unit(None, unit)
    with pytest.raises(DomainError, match="đã giải thể"):
        create_user(None, tenant_id=unit.tenant_id, username="new.person", password=PASSWORD,
                    unit=unit)


# ---- password changes end the other sessions; a forced change comes first ------------------------

def _change_password(client, old: str, new: str):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "old_password": old, "new_password": new, "confirm": new, "csrf_token": token})


def _sessions_of(app, user_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.select(UserSession.id).where(
            UserSession.user_id == user_id)))


def test_changing_one_s_password_ends_every_other_session_and_token(app, world):
    phone, laptop, script = app.test_client(), app.test_client(), app.test_client()
    login(phone, "staff.d1")
    login(laptop, "staff.d1")
    token = api_token(script, "staff.d1")
    other = app.test_client()
    login(other, "viewer.d1")
    assert _change_password(laptop, PASSWORD, "Mat-khau-moi-2027").status_code == 302
    assert laptop.get("/").status_code == 200  # the session that changed it goes on
    assert phone.get("/").status_code == 302
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/v1/me", headers=bearer).status_code == 401
    assert len(_sessions_of(app, world.users["staff.d1"])) == 1
    assert other.get("/").status_code == 200  # someone else's session is not touched
    assert login(phone, "staff.d1", "Mat-khau-moi-2027").status_code == 302


def _reset_by_admin(app, client, world) -> None:
    login(client, "tenant_admin.tb")
    response = client.post(f"/users/{world.users['staff.d1']}/password",
                           data={"password": "Mot-mat-khau-moi",
                                 "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302


def test_until_the_forced_change_only_the_change_page_and_log_out_open(app, client, world):
    _reset_by_admin(app, client, world)
    user = app.test_client()
    assert login(user, "staff.d1", "Mot-mat-khau-moi").headers["Location"].endswith(
        "/account/password")
    for path in ("/", "/account", f"/units/{world.units['D1']}", "/consolidation",
                 "/reports/", "/no-such-page"):
        response = user.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/account/password"), path
    token = csrf_token(user, "/account/password")
    response = user.post(f"/units/{world.units['C11']}/rename",
                         data={"name": "Đổi tên lén", "csrf_token": token})
    assert response.headers["Location"].endswith("/account/password")
    with app.app_context():
        from lhpn.units.models import Unit

        assert db.session.get(Unit, world.units["C11"]).name != "Đổi tên lén"
    with user.get("/static/app.css") as static:
        assert static.status_code == 200
    assert user.post("/lang/en", data={"next": "/account/password", "csrf_token": token}
                     ).headers["Location"] == "/account/password"
    assert _change_password(user, "Mot-mat-khau-moi", "Mat-khau-cua-toi").status_code == 302
    assert user.get("/").status_code == 200


def test_log_out_stays_open_during_a_forced_change(app, client, world):
    _reset_by_admin(app, client, world)
    user = app.test_client()
    login(user, "staff.d1", "Mot-mat-khau-moi")
    response = user.post("/logout", data={"csrf_token": csrf_token(user, "/account/password")})
    assert response.headers["Location"].endswith("/login")
    assert _sessions_of(app, world.users["staff.d1"]) == set()


def test_until_the_forced_change_the_api_gives_no_token_and_honours_none(app, client, world):
    script = app.test_client()
    old_token = api_token(script, "staff.d1")
    _reset_by_admin(app, client, world)
    response = script.post("/api/v1/auth/token", json={"username": "staff.d1",
                                                        "password": "Mot-mat-khau-moi"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "password_change_required"
    assert "on the web" in response.get_json()["error"]["message"]
    assert "token" not in response.get_json()
    assert script.get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}
                      ).status_code == 401  # the reset ended it
    # A token that outlived the flag (set directly here) is refused too, except to log out.
    with app.app_context():
        user = db.session.get(User, world.users["viewer.d1"])
        user.must_change_password = False
        db.session.commit()
    live = api_token(script, "viewer.d1")
    with app.app_context():
        db.session.get(User, world.users["viewer.d1"]).must_change_password = True
        db.session.commit()
    bearer = {"Authorization": f"Bearer {live}"}
    refused = script.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "password_change_required"
    assert script.get(f"/api/v1/units/{world.units['D1']}", headers=bearer).status_code == 403
    assert script.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    assert script.get("/api/v1/me", headers=bearer).status_code == 401


def test_guessing_the_current_password_on_the_change_page_is_throttled(app, client, world):
    login(client, "staff.d1")
    for _ in range(5):
        assert _change_password(client, "doan-sai", "Mat-khau-moi-2027").status_code == 422
    response = _change_password(client, PASSWORD, "Mat-khau-moi-2027")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Hãy thử lại sau" in response.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert login(elsewhere, "staff.d1", PASSWORD).status_code == 302  # unchanged
