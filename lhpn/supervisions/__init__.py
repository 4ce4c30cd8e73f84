"""Supervisions (giám sát) held by a unit, their dossier and their recommendations."""
