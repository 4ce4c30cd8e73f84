from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model
from lhpn.tenancy import TenantScoped


class ImportBatch(TenantScoped, Model):
    """An uploaded branch list, parsed and checked, waiting for (or going through) import."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # [{"line", "parent_code", "name", "code", "level", "errors": [...]}]
    rows: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="preview")  # preview|running|done
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    @property
    def valid_rows(self) -> list[dict]:
        return [row for row in self.rows if not row.get("errors")]

    @property
    def error_rows(self) -> list[dict]:
        return [row for row in self.rows if row.get("errors")]
