"""Dialogues (đối thoại) of a unit with the heads of Party committees and governments, and the
commitments made there, followed up (lhpn/followups)."""
