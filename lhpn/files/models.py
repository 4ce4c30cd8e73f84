"""A file attached to a record of any kind, keyed by (object_type, object_id) like the
follow-ups: the record kind is not a foreign key, so every kind uses the same table. The row
holds the display name and what the storage needs; the bytes live outside the web root under
``stored_name`` (lhpn/files/storage.py)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped


class RecordFile(TenantScoped, Model):
    __tablename__ = "record_files"
    __table_args__ = (Index("ix_record_files_object", "tenant_id", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32))  # "supervision", …
    object_id: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the record's unit
    name: Mapped[str] = mapped_column(String(255))  # the user's name, for display only
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
