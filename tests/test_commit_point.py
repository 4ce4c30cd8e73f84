"""One commit point: the view commits; nothing commits for it at the end of the request, and a
request that ends with changes it did not commit fails loudly in tests (dropped and logged in
production)."""

import logging

import pytest
from sqlalchemy import func, select

from lhpn import create_app
from lhpn.extensions import db
from lhpn.tenants.models import Tenant
from lhpn.web import UncommittedChanges


def _app(database_url: str, *, fail: bool):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI":
                      database_url, "LHPN_FAIL_ON_UNCOMMITTED": fail})

    def _tenant(code: str) -> Tenant:
        return Tenant(code=code, name=f"Tỉnh {code}", levels_csv="province,commune,branch")

    @app.get("/added-only")
    def added_only():
        db.session.add(_tenant("AA"))
        return "ok"

    @app.get("/added-then-read")
    def added_then_read():
        # The add is flushed by the query (autoflush): ``session.new`` is empty again.
        db.session.add(_tenant("BB"))
        db.session.scalar(select(func.count()).select_from(Tenant))
        return "ok"

    @app.get("/committed")
    def committed():
        db.session.add(_tenant("CC"))
        db.session.commit()
        return "ok"

    @app.get("/read-only")
    def read_only():
        return str(db.session.scalar(select(func.count()).select_from(Tenant)))

    return app


@pytest.fixture
def make_app(database_url):
    """Apps of this module's own, with their own engines: closed after the test (a pool left
    to the garbage collector warns, on PostgreSQL, in whichever test comes next)."""
    made = []

    def make(*, fail: bool):
        made.append(_app(database_url, fail=fail))
        return made[-1]

    yield make
    for one in made:
        with one.app_context():
            db.session.remove()
            db.engine.dispose()


def _codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Tenant.code)))


@pytest.mark.parametrize("path", ["/added-only", "/added-then-read"])
def test_a_view_that_does_not_commit_fails_loudly(app, make_app, path):
    guarded = make_app(fail=True)
    with pytest.raises(UncommittedChanges, match=path):
        guarded.test_client().get(path)
    assert _codes(guarded) == set()


def test_a_view_that_commits_or_only_reads_passes(app, make_app):
    guarded = make_app(fail=True)
    client = guarded.test_client()
    assert client.get("/committed").status_code == 200
    assert client.get("/read-only").get_data(as_text=True) == "1"
    assert _codes(guarded) == {"CC"}


@pytest.mark.parametrize("path", ["/added-only", "/added-then-read"])
def test_in_production_nothing_commits_for_the_view(app, make_app, path, caplog):
    """Without the flag the request answers, but its changes are dropped and logged: an add()
    alone is no longer kept by an implicit commit at the end of the request."""
    quiet = make_app(fail=False)
    with caplog.at_level(logging.ERROR):
        assert quiet.test_client().get(path).status_code == 200
    assert _codes(quiet) == set()
    assert any("uncommitted changes dropped" in r.getMessage() for r in caplog.records)
