"""Recording reads of sensitive personal data, with their purpose (lhpn/privacy/models.py).

``record_read`` adds the entry to the caller's own transaction and flushes it at once, so a
read that cannot be logged fails before anything is shown, and a read whose transaction rolls
back leaves no entry behind it: the page, API endpoint or export calls it before it renders
the fields in clear, then commits as it always does. No second session, nothing deferred.

The purpose is the user's choice (a form field, an API parameter), so a wrong one is refused
with a message for them; the rest (object, fields, channel) comes from the code, and a wrong
value there is a bug (``ValueError``).
"""

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from lhpn.clock import utcnow
from lhpn.errors import DomainError, as_id
from lhpn.extensions import db
from lhpn.privacy.models import CHANNELS, MAX_FIELDS, MAX_NOTE, SensitiveRead
from lhpn.text import clean_text

# Why someone reads a victim's details, as the union's officers say it; "other" needs a note.
PURPOSES = {
    "handling": _l("Xử lý vụ việc"),
    "support": _l("Hỗ trợ nạn nhân"),
    "referral": _l("Chuyển gửi cơ quan chức năng"),
    "supervision": _l("Kiểm tra, giám sát"),
    "other": _l("Mục đích khác (ghi rõ)"),
}
# PURPOSE_CODES (the CHECK constraint) lists the same codes; tests/test_privacy_access_log.py
# checks it.

# An object type or a field name: a lower-case code ("incident", "victim_phone").
CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def record_read(actor, *, object_type: str, object_id: int, tenant_id: int,
                fields: Iterable[str] | str, purpose: str, purpose_note: str | None = "",
                channel: str) -> SensitiveRead:
    """Log that ``actor`` is reading ``fields`` of one record in clear, and why; flushed in the
    caller's transaction (it commits or rolls back with the read)."""
    if actor is None or actor.id is None or actor.tenant_id != tenant_id:
        raise ValueError("a sensitive read is logged by a user of the record's own tenant")
    if not isinstance(object_type, str) or not CODE.fullmatch(object_type):
        raise ValueError(f"object_type {object_type!r}: a lower-case code such as 'incident'")
    if as_id(object_id) is None:
        raise ValueError(f"object_id {object_id!r}: a record id")
    if channel not in CHANNELS:
        raise ValueError(f"channel {channel!r}: one of {', '.join(CHANNELS)}")
    names = _field_names(fields)
    if not isinstance(purpose, str) or purpose not in PURPOSES:
        raise DomainError(_("Hãy chọn mục đích truy cập trong danh sách."), "purpose")
    if purpose_note is not None and not isinstance(purpose_note, str):
        raise DomainError(_("Ghi chú mục đích phải là văn bản."), "purpose_note")
    note = clean_text(purpose_note, _("ghi chú mục đích"), "purpose_note")
    if len(note) > MAX_NOTE:
        raise DomainError(_("Ghi chú mục đích dài quá %(n)d ký tự.", n=MAX_NOTE), "purpose_note")
    if purpose == "other" and not note:
        raise DomainError(_("Chọn “Mục đích khác” thì hãy ghi rõ mục đích."), "purpose_note")
    entry = SensitiveRead(tenant_id=tenant_id, user_id=actor.id, at=utcnow(),
                          object_type=object_type, object_id=int(object_id), fields=names,
                          purpose=purpose, purpose_note=note, channel=channel)
    db.session.add(entry)
    db.session.flush()
    return entry


def _field_names(fields: Iterable[str] | str) -> str:
    """The field names, comma-separated, each once, in the order given."""
    if isinstance(fields, str):
        fields = fields.split(",")
    names = list(dict.fromkeys(str(name).strip() for name in fields))
    if not names or not all(CODE.fullmatch(name) for name in names):
        raise ValueError(f"fields {names!r}: one or more lower-case field names")
    joined = ",".join(names)
    if len(joined) > MAX_FIELDS:
        raise ValueError(f"fields: more than {MAX_FIELDS} characters of names")
    return joined


def reads_of(object_type: str, object_id: int) -> Select:
    """Who read one record's sensitive fields, newest first (scoped to the tenant like every
    read of a tenant's table)."""
    return (select(SensitiveRead)
            .where(SensitiveRead.object_type == object_type,
                   SensitiveRead.object_id == object_id)
            .order_by(SensitiveRead.at.desc(), SensitiveRead.id.desc()))
