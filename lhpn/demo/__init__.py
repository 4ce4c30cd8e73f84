"""Demo data and synthetic deployments, apart from the application.

- ``load``: the demo tenants, units, users, plans and reports of ``make run`` (idempotent);
- ``generate``: throw-away deployments at small, province and national scale for the
  benchmark (bench/) and its tests, written in bulk;
- ``names``: the village names both give to branches.

``load`` uses ``generate``'s bulk report writer; ``generate`` needs nothing of ``load``.
"""
