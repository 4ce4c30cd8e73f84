"""Sensitive personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): encryption at rest of the
columns that hold it (``crypto.EncryptedText``, keys in ``keys``, every such column found by
``registry``, re-encrypted by ``flask privacy rotate-key``) and the append-only log of who read
it in clear and why (``access_log.record_read``, ``models.SensitiveRead``)."""
