"""Times the unit tree page and the reachable-units query on a synthetic province.

    .venv/bin/python bench/tree_page.py [communes] [branches-per-commune]

Builds a throw-away SQLite database (or LHPN_DATABASE_URL), one province with the given
communes and branches, and prints median timings of the pieces a province admin waits for.
"""

import os
import statistics
import sys
import tempfile
import time


def main() -> None:
    communes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per_commune = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    tmp = tempfile.mkdtemp()
    os.environ.setdefault("LHPN_INSTANCE_PATH", tmp)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from lhpn import authz, create_app
    from lhpn.accounts import services as accounts
    from lhpn.extensions import db
    from lhpn.tenants.services import create_tenant
    from lhpn.units.models import Unit
    from lhpn.units.services import create_unit, root_of

    app = create_app({"LHPN_ARGON2_TIME_COST": 1, "LHPN_ARGON2_MEMORY_KIB": 1024,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        tenant = create_tenant(None, "BENCH", "Hội LHPN tỉnh Thử", ["province", "commune",
                                                                  "branch"])
        root = root_of(tenant.id)
        for c in range(communes):
            commune = create_unit(None, root, f"Hội LHPN xã Số {c}", "commune", f"X{c}")
            for b in range(per_commune):
                create_unit(None, commune, f"Chi hội thôn {c}-{b}", "branch", f"B{c}-{b}")
        admin = accounts.create_user(None, tenant_id=tenant.id, username="bench.admin",
                                     password="Mat-khau-dai-1", unit=root)
        accounts.assign_role(None, admin, "tenant_admin", root)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Unit))
        print(f"units: {total}")

        def timed(label, fn, runs=15):
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - start) * 1000)
            print(f"{label}: median {statistics.median(samples):.1f} ms, "
                  f"max {max(samples):.1f} ms")

        timed("reachable(view) ids", lambda: db.session.scalars(
            authz.reachable_unit_ids(admin, "view")).all())
        leaf = db.session.scalar(select(Unit).where(Unit.code == "B0-0"))
        timed("can(manage, branch) x100", lambda: [authz.can(admin, "manage", leaf)
                                                  for _ in range(100)])

    client = app.test_client()
    client.post("/login", data={"username": "bench.admin", "password": "Mat-khau-dai-1"})
    response = client.get("/units/")
    print(f"tree page: {len(response.data) / 1024:.0f} KiB, status {response.status_code}")
    timed_client = [client.get("/units/") for _ in range(2)]  # warm
    samples = []
    for _ in range(10):
        start = time.perf_counter()
        client.get("/units/")
        samples.append((time.perf_counter() - start) * 1000)
    print(f"tree page (GET /units/): median {statistics.median(samples):.1f} ms")
    samples = []
    for _ in range(10):
        start = time.perf_counter()
        client.get("/units/?q=thon 5-1")
        samples.append((time.perf_counter() - start) * 1000)
    print(f"search page (GET /units/?q=…): median {statistics.median(samples):.1f} ms")
    del timed_client


if __name__ == "__main__":
    main()
