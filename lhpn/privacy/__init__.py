"""Sensitive personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): encryption at rest of the
columns that hold it (``crypto.EncryptedText``, keys in ``keys``, every such column found by
``registry``, re-encrypted under a new key by ``flask privacy rotate-key``)."""
