import pytest

from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.units import services
from lhpn.units.models import Unit


def test_world_paths(ctx, world):
    b111 = db.session.get(Unit, world.units["B111"])
    assert b111.ancestor_ids == [world.units["TB"], world.units["D1"], world.units["C11"],
                                 world.units["B111"]]
    assert b111.depth == 3


def _u(world, code):
    return db.session.get(Unit, world.units[code])


def _admin(world):
    from lhpn.accounts.models import User

    return db.session.get(User, world.users["tenant_admin.tb"])


def test_create_sets_path_depth_and_audit(ctx, world):
    from lhpn.audit.models import AuditEntry

    unit = services.create_unit(_admin(world), _u(world, "C12"), "Chi hội thôn Đông", "branch")
    assert unit.path == f"{_u(world, 'C12').path}{unit.id}/"
    assert unit.depth == 3 and unit.code.startswith("TB-")
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "unit.create",
                                    AuditEntry.object_id == str(unit.id))
    ).one()
    assert entry.actor_id == _admin(world).id


@pytest.mark.parametrize(
    ("parent", "name", "level", "code", "message"),
    [
        ("D1", "", "commune", None, "không được để trống"),
        ("D1", "x" * 201, "commune", None, "dài quá"),
        ("D1", "Xã mới", "district", None, "không thể trực thuộc"),
        ("C11", "Xã mới", "commune", None, "không thể trực thuộc"),
        ("D1", "Xã mới", "planet", None, "không có trong tổ chức"),
        ("D1", "Xã mới", "commune", "C12", "đã được dùng"),
        ("D1", "Xã mới", "commune", "C 1", "không hợp lệ"),
    ],
)
def test_create_refuses_bad_input(ctx, world, parent, name, level, code, message):
    before = db.session.scalar(db.select(db.func.count()).select_from(Unit))
    with pytest.raises(DomainError) as info:
        services.create_unit(None, _u(world, parent), name, level, code)
    assert message in info.value.message
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == before


def test_group_level_needs_the_tenant_to_have_it(ctx, world):
    with pytest.raises(DomainError):
        services.create_unit(None, _u(world, "B111"), "Tổ 1", "group")


def test_move_rewrites_the_subtree_and_moves_permissions(ctx, world):
    from lhpn import authz
    from lhpn.accounts.models import User

    admin_d1 = db.session.get(User, world.users["tenant_admin.d1"])
    assert authz.can(admin_d1, "manage", _u(world, "B111"))
    services.move_unit(_admin(world), _u(world, "C11"), _u(world, "D2"))
    db.session.commit()
    c11, b111, d2 = _u(world, "C11"), _u(world, "B111"), _u(world, "D2")
    assert c11.parent_id == d2.id
    assert c11.path == f"{d2.path}{c11.id}/" and b111.path == f"{c11.path}{b111.id}/"
    assert (c11.depth, b111.depth) == (2, 3)
    # The district admin of D1 no longer reaches the moved commune or its branch, at once.
    assert not authz.can(admin_d1, "manage", c11)
    assert not authz.can(admin_d1, "view", b111)
    ids = set(db.session.scalars(authz.reachable_unit_ids(admin_d1, "view")))
    assert c11.id not in ids and b111.id not in ids
    admin_tb = _admin(world)
    assert authz.can(admin_tb, "manage", b111)


@pytest.mark.parametrize(
    ("unit", "new_parent", "message"),
    [
        ("D1", "C11", "chính nó hoặc đơn vị cấp dưới"),
        ("D1", "D1", "chính nó hoặc đơn vị cấp dưới"),
        ("C11", "C12", "không thể trực thuộc"),
        ("TB", "D1", "đơn vị gốc"),
    ],
)
def test_move_refuses_cycles_and_level_violations(ctx, world, unit, new_parent, message):
    paths = dict(db.session.execute(db.select(Unit.id, Unit.path)).all())
    with pytest.raises(DomainError) as info:
        services.move_unit(None, _u(world, unit), _u(world, new_parent))
    assert message in info.value.message
    db.session.rollback()
    assert dict(db.session.execute(db.select(Unit.id, Unit.path)).all()) == paths


def test_move_into_another_tenant_is_not_found(ctx, world):
    with pytest.raises(NotFound):
        services.move_unit(None, _u(world, "C11"), _u(world, "HY"))


def test_close_and_reopen(ctx, world):
    with pytest.raises(DomainError, match="đơn vị trực thuộc đang hoạt động"):
        services.close_unit(None, _u(world, "C11"))
    services.close_unit(None, _u(world, "B111"))
    services.close_unit(None, _u(world, "C11"))
    assert _u(world, "C11").closed
    with pytest.raises(DomainError, match="đã giải thể"):
        services.create_unit(None, _u(world, "C11"), "Chi hội mới", "branch")
    with pytest.raises(DomainError, match="cấp trên đã giải thể"):
        services.reopen_unit(None, _u(world, "B111"))
    services.reopen_unit(None, _u(world, "C11"))
    assert not _u(world, "C11").closed
    with pytest.raises(DomainError):
        services.close_unit(None, _u(world, "TB"))


def test_get_unit_is_tenant_scoped(ctx, world):
    assert services.get_unit(world.tenants["TB"], world.units["D1"]).code == "D1"
    for bad in (world.units["HC1"], "abc", None, 10**9):
        with pytest.raises(NotFound):
            services.get_unit(world.tenants["TB"], bad)


def test_search_ignores_case_and_diacritics(ctx, world):
    from sqlalchemy import true

    found = db.session.scalars(services.units_where(true(), q="TAN LE")).all()
    assert [u.code for u in found] == ["C11"]
    found = db.session.scalars(services.units_where(true(), q="đông")).all()
    assert {u.code for u in found} == {"D2", "C21"}


def test_names_are_stored_nfc(ctx, world):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Chi hội Hưng Đạo")
    unit = services.create_unit(None, _u(world, "C12"), decomposed, "branch")
    assert unit.name == unicodedata.normalize("NFC", decomposed)


def test_tree_page_shows_counts_and_search(client, world):
    from tests.conftest import login

    login(client, "viewer.d1")
    html = client.get("/units/").get_data(as_text=True)
    assert "Hội LHPN huyện Hưng Hà" in html and "Chi hội thôn Tân Hòa" in html
    assert "Hội LHPN huyện Đông Hưng" not in html  # the sibling district is out of reach
    assert "Hội LHPN phường Phố Hiến" not in html  # another tenant
    html = client.get("/units/?q=tan hoa").get_data(as_text=True)
    assert "Chi hội thôn Tân Hòa" in html and "1 kết quả" in html
    html = client.get("/units/?q=dong").get_data(as_text=True)
    assert "Đông Hưng" not in html and "Đông Á" not in html
