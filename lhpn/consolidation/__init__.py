"""Consolidation (tổng hợp): what the approved reports of a unit's subtree add up to."""
