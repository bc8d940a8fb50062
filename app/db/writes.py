"""New rows for several tables written in one round trip to the database.

A booking writes four tables (the booking, the places it holds, its events, its message) in
one transaction; on PostgreSQL each ``INSERT`` is a round trip, and under load each round trip
waits for the database's process to be scheduled. PostgreSQL runs data-modifying statements in
``WITH`` (https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING) as
parts of one statement, whose foreign keys are checked at its end: so one statement writes them
all, a row referring to another written by the same statement included. SQLite has no such
``WITH``: there the rows go table by table, in the order given (in-process: no round trip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

Rows = Sequence[Mapping[str, Any]]
Shape = tuple[tuple[sa.Table, tuple[str, ...], int], ...]


def insert_together(conn: sa.Connection, writes: Sequence[tuple[sa.Table, Rows]]) -> None:
    """Insert ``writes`` (each a table and its new rows, every row of one table with the same
    keys) in the caller's transaction: one statement on PostgreSQL, one per table elsewhere.
    Tables without rows are skipped; a table's rows referring to another's (a foreign key) may
    come in the same call, the referred table first. Raises what the database raises
    (``IntegrityError`` for a broken constraint: then none of the rows is written)."""
    given = [(table, list(rows)) for table, rows in writes if rows]
    if conn.dialect.name != "postgresql" or len(given) < 2:
        for table, rows in given:
            conn.execute(table.insert(), rows)
        return
    shape = tuple((table, tuple(rows[0]), len(rows)) for table, rows in given)
    params = {_name(i, j, column): value for i, (_, rows) in enumerate(given) for j, row in enumerate(rows)
              for column, value in row.items()}
    conn.execute(_statement(shape), params)


def _name(part: int, row: int, column: str) -> str:
    return f"w{part}_{row}_{column}"


@lru_cache(maxsize=256)
def _statement(shape: Shape) -> sa.Insert:
    """The one statement for rows of this shape (tables, their columns, how many rows), made
    once: a statement built anew from its values is compiled anew on every call (about 5 ms of
    CPU for a booking's rows, profiled), one made of named parameters is compiled once."""
    parts = [table.insert().values([{c: sa.bindparam(_name(i, j, c), type_=table.c[c].type) for c in columns}
                                    for j in range(n)])
             for i, (table, columns, n) in enumerate(shape)]
    *before, last = parts
    return last.add_cte(*(part.cte(f"write_{i}") for i, part in enumerate(before)))
