from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lhpn.extensions import Model


class UnsavedInput(Model):
    """What one browser posted to a form that could not be accepted (session ended, token
    missing): kept for a few hours, given back once to the person who typed it.

    Not tenant-scoped: when the cookie was lost nobody knows who typed it. It is found only by
    the browser's random token (its SHA-256 is stored) and shown only on the form it was typed
    in, which checks access as usual."""

    __tablename__ = "unsaved_inputs"
    __table_args__ = (UniqueConstraint("token_hash", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by (token_hash, action): the unique constraint's index serves both.
    token_hash: Mapped[str] = mapped_column(String(64))
    # Whose session it was; None when the browser had lost its cookie.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    action: Mapped[str] = mapped_column(String(500))  # the form's path and query
    fields: Mapped[str] = mapped_column(Text)  # JSON: [[name, value], ...]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
