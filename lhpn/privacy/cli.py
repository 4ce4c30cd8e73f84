"""``flask privacy``: the operator's commands for the data keys (lhpn/privacy/keys.py).

``rotate-key`` commits after each batch of re-encrypted rows, so an interrupted run keeps what
it did and a second run finishes the rest (lhpn/privacy/rotation.py).
"""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import MetaData

from lhpn.extensions import db
from lhpn.privacy.crypto import DecryptionError
from lhpn.privacy.keys import KeyFile, KeyRing, RotationRunning, key_source, new_key
from lhpn.privacy.registry import encrypted_columns
from lhpn.privacy.retention import BATCH_SIZE as PURGE_BATCH
from lhpn.privacy.retention import purge_batches
from lhpn.privacy.rotation import BATCH_SIZE, UNREADABLE, key_usage, keys_in_use, reencrypt
from lhpn.tenancy import crossing_tenants

privacy_cli = AppGroup("privacy", help="Sensitive personal data: the encryption keys, the "
                                       "retention purge.")

ENV_STEPS = (
    "Để thay khóa khi dùng LHPN_DATA_KEY:\n"
    "  1. tạo khóa mới: openssl rand -base64 32\n"
    "  2. đặt khóa mới vào LHPN_DATA_KEY và khóa đang dùng vào LHPN_DATA_KEYS_RETIRED,\n"
    "     rồi khởi động lại ứng dụng;\n"
    "  3. chạy lại lệnh này (mã hóa lại mọi giá trị bằng khóa mới);\n"
    "  4. xóa LHPN_DATA_KEYS_RETIRED và khởi động lại ứng dụng.")


@privacy_cli.command("status")
def status() -> None:
    """How many values each encrypted column holds under each key (no data shown)."""
    ring = key_source().ring()
    click.echo(f"Khóa hiện hành: {ring.current} ({_where(ring)}).")
    if ring.retired:
        click.echo(f"Khóa cũ vẫn đọc được: {', '.join(ring.retired)}.")
    usage = key_usage()
    if not usage:
        click.echo("Chưa có cột nào được mã hóa.")
    for place, counts in usage.items():
        found = ", ".join(f"{kid} {_role(ring, kid)}: {n}" for kid, n in sorted(counts.items()))
        click.echo(f"  {place}: {found or 'không có giá trị'}")


@privacy_cli.command("rotate-key")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=BATCH_SIZE,
              show_default=True, help="Rows re-encrypted (and committed) at a time.")
def rotate_key(batch_size: int) -> None:
    """Put every encrypted value under a new key (instance key file) or under LHPN_DATA_KEY."""
    if not rotate(batch_size=batch_size):
        sys.exit(1)


def rotate(*, metadata: MetaData | None = None, batch_size: int = BATCH_SIZE) -> bool:
    """rotate-key's work on ``metadata``'s encrypted columns (the app's; tests give their own).
    Whether every value ended under the current key."""
    source = key_source()
    if not isinstance(source, KeyFile):
        return _rotate(source, metadata, batch_size)
    try:
        with source.rotating():
            return _rotate(source, metadata, batch_size)
    except RotationRunning:
        click.echo(f"Lỗi: một lệnh privacy rotate-key khác đang chạy trên {source.path}; hãy "
                   "đợi lệnh đó xong.", err=True)
        return False


def _rotate(source, metadata: MetaData | None, batch_size: int) -> bool:
    ring = source.ring()
    if isinstance(source, KeyFile):
        if ring.retired:
            click.echo(f"Tiếp tục lần thay khóa chưa xong: khóa hiện hành {ring.current}, "
                       f"khóa cũ {', '.join(ring.retired)}.")
        else:
            source.replace(ring.with_current(new_key()))
            ring = source.ring()
            click.echo(f"Đã thêm khóa mới {ring.current} vào {source.path}; khóa cũ "
                       f"{', '.join(ring.retired)} vẫn đọc được cho đến khi mọi giá trị được "
                       "mã hóa lại.")
    if not encrypted_columns(metadata):
        click.echo("Không có cột nào được mã hóa: không có gì để mã hóa lại.")
    total = 0
    try:
        for batch in reencrypt(ring, metadata=metadata, batch_size=batch_size):
            db.session.commit()
            total += batch.rows
            click.echo(f"  {batch.table}: đã mã hóa lại {batch.rows} dòng.")
    except DecryptionError as exc:
        db.session.rollback()
        click.echo(f"Lỗi: không giải mã được một giá trị ({exc}). Các lô đã xong vẫn được giữ; "
                   "khôi phục khóa còn thiếu rồi chạy lại lệnh.", err=True)
        return False
    click.echo(f"Đã mã hóa lại {total} dòng bằng khóa {ring.current}.")
    used = keys_in_use(key_usage(metadata)) - {ring.current}
    if isinstance(source, KeyFile):
        unused = [kid for kid in ring.retired if kid not in used]
        if unused:
            source.replace(ring.without(unused))
            click.echo(f"Đã gỡ khóa cũ {', '.join(unused)} khỏi tệp khóa: không còn giá trị nào "
                       "dùng chúng.")
    elif ring.retired and not used:
        click.echo(f"Mọi giá trị đã ở khóa hiện hành {ring.current}. Bây giờ hãy xóa "
                   f"LHPN_DATA_KEYS_RETIRED (khóa {', '.join(ring.retired)}) khỏi cấu hình rồi "
                   "khởi động lại ứng dụng.")
    elif not used:
        click.echo(f"Khóa hiện hành là {ring.current}; không có khóa cũ nào.\n{ENV_STEPS}")
    if used:
        unreadable = " (có giá trị không đúng định dạng mã hóa)" if UNREADABLE in used else ""
        click.echo(f"Vẫn còn giá trị ở khóa {', '.join(sorted(used))}{unreadable}, được ghi "
                   "trong lúc chạy lệnh: hãy chạy lại lệnh.", err=True)
        return False
    return True


@privacy_cli.command("purge")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=PURGE_BATCH,
              show_default=True, help="Incidents pseudonymised (and committed) at a time.")
def purge(batch_size: int) -> None:
    """Remove the identities from every incident closed longer ago than its tenant's retention
    (lhpn/privacy/retention.py). Safe to run daily: a purged incident is never touched again."""
    incidents = victims = 0
    tenants: dict[str, int] = {}
    with crossing_tenants("purge"):
        for batch in purge_batches(batch_size=batch_size):
            db.session.commit()
            incidents += batch.incidents
            victims += batch.victims
            tenants[batch.tenant_code] = tenants.get(batch.tenant_code, 0) + batch.incidents
    for code, count in tenants.items():
        click.echo(f"  {code}: {count} vụ việc.")
    click.echo(f"Đã xóa thông tin định danh của {incidents} vụ việc ({victims} nạn nhân) "
               "đã đóng quá thời hạn lưu giữ.")


def _where(ring: KeyRing) -> str:
    if ring.source == "env":
        return "LHPN_DATA_KEY"
    source = key_source()
    return f"tệp khóa {source.path}" if isinstance(source, KeyFile) else "tệp khóa"


def _role(ring: KeyRing, kid: str) -> str:
    if kid == ring.current:
        return "(hiện hành)"
    if kid in ring.keys:
        return "(khóa cũ)"
    return "(KHÔNG có trong chùm khóa: không đọc được)"
