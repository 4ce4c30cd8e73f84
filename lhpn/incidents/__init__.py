"""Incidents of violence against women and children (vụ việc): recorded by a commune or branch,
reported at once up the chain of command, their victims' identities protected (issue 15)."""
