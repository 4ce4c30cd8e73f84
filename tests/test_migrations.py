"""The migrations and the models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from lhpn.extensions import db


def test_models_match_the_migrated_schema(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_consolidation_revision_fills_totals_from_reports_approved_before_it(app):
    """Upgrading a database that already has approved reports gives the same running totals
    as approving them live: nothing is lost across the migration."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from lhpn.consolidation.models import Rollup, RollupCount, RollupYear
    from tests import consolidation_world as kw

    def snapshot():
        values = db.session.execute(select(
            Rollup.unit_id, Rollup.template_id, Rollup.period, Rollup.indicator_id,
            Rollup.reports, Rollup.total, Rollup.numerator, Rollup.denominator, Rollup.yes,
            Rollup.minimum, Rollup.maximum)).all()
        counts = db.session.execute(select(
            RollupCount.unit_id, RollupCount.template_id, RollupCount.period,
            RollupCount.approved, RollupCount.on_time)).all()
        years = db.session.execute(select(
            RollupYear.unit_id, RollupYear.template_id, RollupYear.year,
            RollupYear.indicator_id, RollupYear.reports, RollupYear.total,
            RollupYear.numerator, RollupYear.denominator, RollupYear.yes, RollupYear.minimum,
            RollupYear.maximum)).all()
        return (sorted(tuple(str(v) for v in row) for row in values), sorted(counts),
                sorted(tuple(str(v) for v in row) for row in years))

    with app.app_context():
        kt = kw.build()
        kw.file_january(kt)
        live = snapshot()
        assert live[0] and live[1] and live[2]
        db.session.remove()
        downgrade(revision="c0b77f446ae3")
        upgrade()
        db.session.remove()
        assert snapshot() == live


def test_the_opening_day_of_existing_units_is_the_day_they_were_created(app):
    """Units from before the opened_on revision open on their creation day, Vietnam time."""
    from datetime import date, datetime

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, update

    from lhpn.units.models import Unit
    from tests import factories

    with app.app_context():
        world = factories.build_world()
        db.session.commit()
        c11, d1 = world.units["C11"], world.units["D1"]
        db.session.execute(update(Unit).where(Unit.id == c11)
                           .values(created_at=datetime(2026, 11, 24, 20, 30)))
        db.session.execute(update(Unit).where(Unit.id == d1)
                           .values(created_at=datetime(2025, 3, 1, 9, 0)))
        db.session.commit()
        db.session.remove()
        downgrade(revision="c3d8e1f5a7b2")
        upgrade()
        db.session.remove()
        opened = dict(db.session.execute(select(Unit.id, Unit.opened_on)).all())
        # 20:30 UTC on the 24th is 03:30 on the 25th in Vietnam.
        assert (opened[c11], opened[d1]) == (date(2026, 11, 25), date(2025, 3, 1))
        assert None not in opened.values()


def test_follow_up_answers_written_in_clear_are_encrypted_and_decrypted_back(app):
    """Answers stored before the column was encrypted end encrypted (and read back); downgrade
    writes them back in clear."""
    from datetime import date

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from lhpn.accounts.models import User
    from lhpn.followups import services as fus
    from lhpn.followups.models import FollowUp
    from lhpn.units.models import Unit
    from tests import factories

    answer = "Đã khởi tố, tạm giữ Trần Văn Nam"
    raw = text("SELECT answer FROM follow_ups ORDER BY id")
    with app.app_context():
        world = factories.build_world()
        unit = db.session.get(Unit, world.units["C11"])
        case = type("Case", (), {"id": 7, "tenant_id": unit.tenant_id, "unit": unit})()
        actor = db.session.get(User, world.users["approver.tb"])
        fu = fus.start(actor, "incident", case, unit, agency="Công an xã",
                       written_on=date(2026, 11, 2), due_on=date(2026, 12, 2))
        fus.answer(actor, fu, 1, answered_on=date(2026, 11, 20), answer=answer)
        db.session.commit()
        db.session.remove()
        downgrade(revision="b4e7d2c91a05")
        assert db.session.scalars(raw).all() == [answer]
        db.session.remove()
        upgrade()
        db.session.remove()
        [stored] = db.session.scalars(raw).all()
        assert "Nam" not in stored
        assert [f.answer for f in db.session.scalars(select(FollowUp))] == [answer]
