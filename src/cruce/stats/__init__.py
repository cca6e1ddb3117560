"""Aggregate statistics: border encounters, movement flows, counter-trafficking counts.

Only aggregate counts live here and only aggregate counts leave a node: no statistic holds or
links back to a person. Anything published goes through disclosure control (`suppress`).
"""
