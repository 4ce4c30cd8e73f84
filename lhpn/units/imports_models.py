from datetime import datetime
from typing import NotRequired, TypedDict

from sqlalchemy import JSON, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped


class UploadRow(TypedDict):
    """One checked data row of an uploaded list, as the batch keeps it (JSON in
    ``ImportBatch.rows``): the cells it names, read and normalised, the level it resolves to
    ("" when the level is not one of ours) and its Vietnamese error messages (none: valid).
    ``run_error`` is added when creating the unit failed during the import."""

    line: int
    parent_code: str
    name: str
    code: str
    level: str
    opened_on: str          # ISO date once checked; what was typed when it is an error
    official_name: str      # the unit's name on official documents; "" when the list has none
    errors: list[str]
    run_error: NotRequired[str]


class ImportBatch(TenantScoped, Model):
    """An uploaded branch list, parsed and checked, waiting for (or going through) import."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[list[UploadRow]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="preview")  # preview|running|done
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    @property
    def valid_rows(self) -> list[UploadRow]:
        return [row for row in self.rows if not row.get("errors")]

    @property
    def error_rows(self) -> list[UploadRow]:
        return [row for row in self.rows if row.get("errors")]
