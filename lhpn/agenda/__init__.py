"""The pages every record kind shares: the search of a unit's records, the deadlines on the
dashboard and the calendar (lhpn/records.py lists the kinds)."""
