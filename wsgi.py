"""WSGI entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

import gc

from lhpn import create_app

app = create_app()
# The ~160,000 objects loaded so far (libraries, the app) live as long as the process: keep them
# out of the collector's full passes, which otherwise scan them all every few requests (a
# province's consolidation page took 160 ms, or 260 ms when a full pass fell on it).
gc.freeze()
