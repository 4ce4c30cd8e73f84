"""E-mail copies of in-app notices, sent after the transaction that made them commits.

Only when an SMTP host is configured and the user has an address; a failure to send is
logged and never reaches the user (the in-app notice is the record).
"""

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _

from lhpn.transaction import after_commit

log = logging.getLogger(__name__)
SUBJECT_MAX = 120


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    sender: str


def smtp_settings() -> SmtpSettings | None:
    config = current_app.config
    host = config.get("LHPN_SMTP_HOST") or ""
    if not host:
        return None
    return SmtpSettings(host, int(config.get("LHPN_SMTP_PORT") or 25),
                        config.get("LHPN_SMTP_USER") or "",
                        config.get("LHPN_SMTP_PASSWORD") or "",
                        bool(config.get("LHPN_SMTP_STARTTLS")),
                        config.get("LHPN_MAIL_FROM") or "lhpn@localhost")


def compose(settings: SmtpSettings, address: str, message: str, link: str) -> EmailMessage:
    mail = EmailMessage()
    one_line = " ".join(message.split())
    if len(one_line) > SUBJECT_MAX:
        one_line = one_line[: SUBJECT_MAX - 1] + "…"
    mail["Subject"] = f"[LHPN] {one_line}"
    mail["From"] = settings.sender
    mail["To"] = address
    body = [message]
    base = (current_app.config.get("LHPN_BASE_URL") or "").rstrip("/")
    if base and link.startswith("/"):
        body += ["", _("Xem chi tiết: %(url)s", url=base + link)]
    body += ["", _("Thư này được gửi tự động từ hệ thống LHPN; xin đừng trả lời.")]
    mail.set_content("\n".join(body))
    return mail


def queue_mail(addresses: list[str], message: str, link: str = "") -> int:
    """Send after the current transaction commits; nothing if SMTP is not configured."""
    settings = smtp_settings()
    addresses = [a for a in addresses if a]
    if settings is None or not addresses:
        return 0
    mails = [compose(settings, address, message, link) for address in addresses]
    after_commit(lambda: send(settings, mails))
    return len(mails)


def send(settings: SmtpSettings, mails: list[EmailMessage]) -> None:
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=10) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.user:
                smtp.login(settings.user, settings.password)
            for mail in mails:
                smtp.send_message(mail)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send notification e-mail to %s",
                      ", ".join(str(m["To"]) for m in mails))
