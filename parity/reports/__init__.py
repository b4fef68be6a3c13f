"""Quarterly reports per country and for the region, from the public side of the warehouse."""
