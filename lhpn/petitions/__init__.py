"""Petitions (đơn thư): complaints, denunciations, recommendations and reflections a unit
receives, handles and answers within the legal deadline of their category."""
