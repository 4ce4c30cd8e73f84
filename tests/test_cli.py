"""The system administrator's bootstrap commands."""

import pytest
from sqlalchemy import select

from lhpn.accounts.models import User
from lhpn.extensions import db
from lhpn.tenants.models import Tenant
from lhpn.units.models import Unit


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def test_tenant_and_first_admin(app, cli, client):
    result = cli.invoke(args=["tenant", "create", "NB", "Hội LHPN tỉnh Ninh Bình",
                              "--levels", "province,commune,branch"])
    assert result.exit_code == 0, result.output
    result = cli.invoke(args=["user", "create", "nb.admin", "--tenant", "NB", "--role",
                              "tenant_admin", "--password-stdin"], input="Mat-khau-dai-1\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.code == "NB"))
        root = db.session.scalar(select(Unit).where(Unit.tenant_id == tenant.id))
        assert (root.code, root.level, root.parent_id) == ("NB", "province", None)
        user = db.session.scalar(select(User).where(User.username == "nb.admin"))
        assert [(a.role, a.unit_id) for a in user.assignments] == [("tenant_admin", root.id)]
    from tests.conftest import login

    assert login(client, "nb.admin", "Mat-khau-dai-1").status_code == 302
    assert client.get("/users/").status_code == 200


def test_role_at_a_named_unit(app, cli, world):
    result = cli.invoke(args=["user", "create", "tb.d1.admin", "--tenant", "TB", "--role",
                              "approver", "--unit", "D1", "--password-stdin"],
                        input="Mat-khau-dai-1\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "tb.d1.admin"))
        assert user.assignments[0].unit_id == world.units["D1"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["tenant", "create", "TB", "Trùng mã"], None, "Đã có tỉnh mã TB"),
        (["tenant", "create", "XX", "Tên", "--levels", "province,planet"], None,
         "Cấp không hợp lệ"),
        (["tenant", "create", "XX", "Tên", "--levels", "commune,province"], None,
         "bắt đầu bằng province"),
        (["tenant", "create", "X Y", "Tên"], None, "Mã tỉnh"),
        (["user", "create", "someone", "--tenant", "ZZ", "--role", "staff", "--password-stdin"],
         "Mat-khau-dai-1\n", "Không có tỉnh mã ZZ"),
        (["user", "create", "someone", "--tenant", "TB", "--role", "staff", "--unit", "NOPE",
          "--password-stdin"], "Mat-khau-dai-1\n", "Không có đơn vị mã NOPE"),
        (["user", "create", "staff.d1", "--tenant", "TB", "--role", "staff", "--password-stdin"],
         "Mat-khau-dai-1\n", "đã có người dùng"),
        (["user", "create", "someone", "--tenant", "TB", "--role", "staff", "--password-stdin"],
         "ngan\n", "ít nhất"),
        (["user", "create", "someone", "--role", "staff", "--password-stdin"], "Mat-khau-dai-1\n",
         "--tenant"),
        (["user", "create", "someone", "--tenant", "HY", "--role", "staff", "--unit", "D1",
          "--password-stdin"], "Mat-khau-dai-1\n", "Không có đơn vị mã D1"),
    ],
)
def test_errors_exit_non_zero_and_change_nothing(app, cli, world, args, stdin, message):
    with app.app_context():
        counts = (db.session.scalar(select(db.func.count()).select_from(Tenant)),
                  db.session.scalar(select(db.func.count()).select_from(User)))
    result = cli.invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert counts == (db.session.scalar(select(db.func.count()).select_from(Tenant)),
                          db.session.scalar(select(db.func.count()).select_from(User)))


def test_system_admin(app, cli, client):
    result = cli.invoke(args=["user", "create", "root.ops", "--role", "system_admin",
                              "--password-stdin"], input="Mat-khau-dai-1\n")
    assert result.exit_code == 0, result.output
    from tests.conftest import login

    login(client, "root.ops", "Mat-khau-dai-1")
    assert client.get("/system/tenants").status_code == 200
    assert client.get("/units/").status_code == 200  # an empty tree: no tenant's units
    assert client.get("/users/").status_code == 403
