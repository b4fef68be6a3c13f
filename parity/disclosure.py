"""Disclosure control, checked on what leaves: no visible count of 1..threshold persons, and no
visible complement (total minus count) of that size either.

The dbt model indicator_values_public applies the rule; publishing and reports check it again on
the very tables they send, so a mistake upstream stops them instead of leaking.
"""
# (count, total) column pairs of the public tables: the women counted and the persons they are counted in
COUNT_COLUMNS = (("numerator", "denominator"), ("women_deployed", "persons_deployed"))


class DisclosureError(RuntimeError):
    pass


def small_cell_condition(columns: set[str], limit: int) -> str | None:
    """SQL that holds for a row showing 1..limit persons, for a table with these columns (None: no counts)."""
    conditions = []
    for count, total in COUNT_COLUMNS:
        if count in columns:
            conditions.append(f"{count} BETWEEN 1 AND {limit}")
            if total in columns:
                conditions.append(f"({total} - {count}) BETWEEN 1 AND {limit}")
    return " OR ".join(conditions) or None


def assert_controlled(con, tables: dict[str, set[str]], limit: int) -> None:
    """Raise DisclosureError if any of `tables` ({name: columns}, on a DuckDB connection) shows a small
    cell: 1..limit persons (Settings.disclosure_threshold, the dbt var the marts were built with)."""
    for name, columns in tables.items():
        condition = small_cell_condition(columns, limit)
        if condition is None:
            continue
        found = con.execute(f'SELECT count(*) FROM "{name}" WHERE {condition}').fetchone()[0]
        if found:
            raise DisclosureError(
                f"{name}: {found} row(s) show 1 to {limit} persons ({condition}). Nothing was sent. "
                "Rebuild the marts (dbt build) so that indicator_values_public suppresses them.")


def is_small(count: int | None, total: int | None, limit: int) -> bool:
    """The same rule on one visible pair of numbers."""
    return (count is not None and 1 <= count <= limit) or (
        count is not None and total is not None and 1 <= total - count <= limit)
