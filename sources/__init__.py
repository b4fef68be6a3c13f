"""Inbound side of parity: one declarative description per MoD dialect and the one reader.

`read_delivery` turns any delivery file into canonical tables; `DIALECTS` holds the four
descriptions loaded from `sources/dialects/*.toml`.
"""
from sources.dialect import DIALECTS, Dialect, dialect_for
from sources.errors import Problem, ReadError
from sources.reader import DeliveryName, ExtractTable, parse_delivery_name, read_delivery

__all__ = [
    "DIALECTS", "Dialect", "dialect_for", "Problem", "ReadError", "DeliveryName",
    "ExtractTable", "parse_delivery_name", "read_delivery",
]
