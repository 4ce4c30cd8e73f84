"""A critique and a dialogue of commune C11 with an overdue commitment, for the authorization
matrices of critiques and dialogues (pages and API)."""

from datetime import timedelta


def oversight_records(app, world) -> dict[str, int]:
    """C11's critique (received ten days ago, comments due in five) with the union's letter
    attached, its dialogue held twenty days ago, and the dialogue's commitment, due two days
    ago: overdue."""
    import io

    from werkzeug.datastructures import FileStorage

    from lhpn.accounts.models import User
    from lhpn.clock import local_today
    from lhpn.critiques import services as critiques
    from lhpn.dialogues import services as dialogues
    from lhpn.extensions import db
    from lhpn.files import services as files
    from lhpn.units.models import Unit

    today = local_today()
    with app.app_context():
        staff = db.session.get(User, world.users["staff.c11"])
        unit = db.session.get(Unit, world.units["C11"])
        critique = critiques.create(staff, unit, {
            "kind": "critique", "draft_title": "Dự thảo Nghị quyết về y tế cơ sở",
            "issuing_body": "HĐND xã Tân Lễ", "received_on": today - timedelta(days=10),
            "comments_due": today + timedelta(days=5)})
        dialogue = dialogues.create(staff, unit, {
            "held_on": today - timedelta(days=20), "held": True, "leader_name": "Trần Văn Bình",
            "leader_title": "Bí thư Đảng ủy xã", "body": "Đảng ủy xã Tân Lễ"})
        fu = dialogues.add_commitment(staff, dialogue, content="Sửa đường liên thôn",
                                      agency="UBND xã Tân Lễ",
                                      due_on=today - timedelta(days=2))
        letter = files.attach(staff, "critique", critique, unit, FileStorage(
            io.BytesIO(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"),
            filename="Góp ý dự thảo.pdf"))
        db.session.commit()
        return {"critique": critique.id, "dialogue": dialogue.id, "fu": fu.id,
                "file": letter.id, "unit": world.units["C11"]}
