"""follow-up answers encrypted at rest (an agency's answer may name the victim)

Revision ID: d9a4c6e2f1b7
Revises: b4e7d2c91a05
Create Date: 2026-12-04 14:30:00.000000

The column stays TEXT; its values become what lhpn/privacy/crypto.py stores (bound to
"follow_ups.answer", under the key ring in force), as the model now declares it EncryptedText.
A value already in that format is left alone, so a rerun after a failure finishes the rest.
Downgrade writes the answers back in clear (it needs the key they are under).
"""
from alembic import op
import sqlalchemy as sa

from lhpn.privacy.crypto import DecryptionError, decrypt, encrypt
from lhpn.privacy.keys import data_keys


revision = 'd9a4c6e2f1b7'
down_revision = 'b4e7d2c91a05'
branch_labels = None
depends_on = None

PLACE = "follow_ups.answer"
follow_ups = sa.table("follow_ups", sa.column("id", sa.Integer), sa.column("answer", sa.Text))


def _sealed(value: str, ring) -> bool:
    try:
        decrypt(value, PLACE, ring)
    except DecryptionError:
        return False
    return True


def upgrade():
    conn, ring = op.get_bind(), data_keys()
    for row_id, answer in conn.execute(sa.select(follow_ups.c.id, follow_ups.c.answer)).all():
        if answer is not None and not _sealed(answer, ring):
            conn.execute(follow_ups.update().where(follow_ups.c.id == row_id)
                         .values(answer=encrypt(answer, PLACE, ring)))


def downgrade():
    conn, ring = op.get_bind(), data_keys()
    for row_id, answer in conn.execute(sa.select(follow_ups.c.id, follow_ups.c.answer)).all():
        if answer is not None:
            conn.execute(follow_ups.update().where(follow_ups.c.id == row_id)
                         .values(answer=decrypt(answer, PLACE, ring)))
