"""Command-line set-up for the system administrator: tenants, first users, demo data, and the
data keys of sensitive personal data (lhpn/privacy/cli.py)."""

import functools
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.privacy.cli import privacy_cli
from lhpn.tenancy import crossing_tenants

tenant_cli = AppGroup("tenant", help="Tenants (province-level unions).")
user_cli = AppGroup("user", help="User accounts.")
demo_cli = AppGroup("demo", help="Demo data.")


class RoleName(click.ParamType):
    """A role named in policies/ (read when the command runs, not when the module loads)."""

    name = "role"

    def convert(self, value, param, ctx):
        from lhpn.authz import all_roles

        if value not in all_roles():
            self.fail(f"{value!r} không phải vai trò; chọn một trong: {', '.join(all_roles())}.",
                      param, ctx)
        return value


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    click.echo(f"Lỗi: {exc.message}", err=True)
    sys.exit(1)


@tenant_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--levels", default="province,commune,branch", show_default=True,
              help="Ordered level names, from: province,district,commune,branch,group.")
def tenant_create(code: str, name: str, levels: str) -> None:
    """Create a tenant with its root unit (whose code is the tenant's code)."""
    from lhpn.tenants.services import create_tenant

    try:
        tenant = create_tenant(None, code, name, levels.split(","))
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Đã tạo tỉnh {tenant.code}: {tenant.name} ({' → '.join(tenant.levels)})")


@tenant_cli.command("list")
def tenant_list() -> None:
    from sqlalchemy import select

    from lhpn.tenants.models import Tenant

    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.code)):
        click.echo(f"{tenant.code}\t{tenant.name}\t{tenant.levels_csv}")


@user_cli.command("create")
@click.argument("username")
@click.option("--tenant", "tenant_code", help="Tenant code (none for the system admin).")
@click.option("--role", type=RoleName(), required=True,
              help="A role of policies/policy.csv (the system administrator's, or a tenant's).")
@click.option("--unit", "unit_code", help="Unit code of the role; default: the root unit.")
@click.option("--full-name", default="", help="Full name.")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input.")
def user_create(username, tenant_code, role, unit_code, full_name, password_stdin) -> None:
    """Create a user with one role (the first admin of a tenant, or a system admin)."""
    from lhpn import authz
    from lhpn.accounts.services import assign_role, create_user
    from lhpn.tenants.services import get_tenant_by_code
    from lhpn.units.services import get_unit_by_code, root_of

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        if role == authz.system_role():
            if tenant_code:
                raise DomainError("Quản trị hệ thống không thuộc tỉnh nào; bỏ --tenant.")
            user = create_user(None, tenant_id=None, username=username, password=password,
                               full_name=full_name, is_system_admin=True)
        else:
            if not tenant_code:
                raise DomainError("Hãy chỉ rõ --tenant.")
            tenant = get_tenant_by_code(tenant_code)
            unit = get_unit_by_code(tenant.id, unit_code) if unit_code else root_of(tenant.id)
            user = create_user(None, tenant_id=tenant.id, username=username, password=password,
                               full_name=full_name, unit=unit)
            assign_role(None, user, role, unit)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Đã tạo người dùng {user.username} ({role}).")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo tenants, units and users (idempotent)."""
    from lhpn.demo.load import load_demo

    for line in load_demo():
        click.echo(line)


@demo_cli.command("generate")
@click.option("--scale", type=click.Choice(["small", "province", "national"]), required=True,
              help="small: 16 units; province: ~3,100 units × 12 months; national: 34 tenants, "
                   "~103,000 units × 1 month.")
@click.option("--year", type=int, default=2027, show_default=True, help="Year of the reports.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
def demo_generate(scale: str, year: int, seed: int) -> None:
    """Generate a synthetic deployment for benchmarks and tests (see lhpn/demo/generate.py)."""
    from lhpn.demo.generate import check, generate

    try:
        check(scale, year)
        for line in generate(scale, year, seed):
            click.echo(line)
    except DomainError as exc:
        _fail(exc)


def _crossing_tenants(command: click.Command) -> None:
    """Every command here is the operator's, acting for no tenant or for several: it runs
    inside the named crossing "cli" (lhpn.tenancy)."""
    callback = command.callback
    assert callback is not None

    @functools.wraps(callback)
    def run(*args, **kwargs):
        with crossing_tenants("cli"):
            return callback(*args, **kwargs)

    vars(run)["lhpn_crossing"] = True  # its own attribute (a Callable has none to mypy)
    command.callback = run


def init_cli(app: Flask) -> None:
    for group in (tenant_cli, user_cli, demo_cli, privacy_cli):
        for command in group.commands.values():
            if not getattr(command.callback, "lhpn_crossing", False):
                _crossing_tenants(command)
        app.cli.add_command(group)
