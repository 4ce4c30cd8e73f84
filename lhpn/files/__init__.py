"""Files attached to records, once for every kind (issue 16): the checks and storage every
upload goes through (storage.py), the row that ties a file to any record (models.RecordFile,
keyed by object_type and object_id like the follow-ups), its services, the page routes
(pages.file_routes), the API endpoints (lhpn/api/files.py) and the partial
templates/_files.html. Reports keep their own table (Attachment) over the same storage."""
