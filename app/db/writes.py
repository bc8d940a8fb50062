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
Shape = tuple[tuple[sa.Table, tuple[str, ...]], ...]


def insert_together(conn: sa.Connection, writes: Sequence[tuple[sa.Table, Rows]]) -> None:
    """Insert ``writes`` (each a table and its new rows) in the caller's transaction: one
    statement on PostgreSQL, one per table elsewhere (there every row of a table needs the
    same keys). Tables without rows are skipped; a table's rows referring to another's (a
    foreign key) may come in the same call, the referred table first. Raises what the database
    raises (``IntegrityError`` for a broken constraint: then none of the rows is written)."""
    given = [(table, list(rows)) for table, rows in writes if rows]
    if conn.dialect.name != "postgresql" or sum(len(rows) for _, rows in given) < 2:
        for table, rows in given:
            conn.execute(table.insert(), rows)
        return
    each = [(table, row) for table, rows in given for row in rows]
    shape = tuple((table, tuple(row)) for table, row in each)
    conn.execute(_statement(shape), {_name(k, column): value for k, (_, row) in enumerate(each)
                                     for column, value in row.items()})


def _name(row: int, column: str) -> str:
    return f"w{row}_{column}"


@lru_cache(maxsize=256)
def _statement(shape: Shape) -> sa.Insert:
    """The one statement for rows of this shape (each row's table and columns), made once and
    compiled once: each row is a single-row ``INSERT`` of named parameters (a multi-row
    ``VALUES`` cannot be cached by SQLAlchemy, and was compiled anew on every call: about 5 ms
    of CPU for a booking's rows, profiled), all but the last in ``WITH``. Each selects its
    values FROM the one before it, so PostgreSQL writes them in the order given (sub-statements
    of ``WITH`` otherwise run in no set order, and a booking's events, read in id order, came
    out confirm before book)."""
    before: list[sa.CTE] = []
    for k, (table, columns) in enumerate(shape):
        values = {c: sa.bindparam(_name(k, c), type_=table.c[c].type) for c in columns}
        insert = (table.insert().values(values) if not before else
                  table.insert().from_select(list(columns), sa.select(*values.values()).select_from(before[-1])))
        if k == len(shape) - 1:
            return insert.add_cte(*before)
        before.append(insert.returning(table.c[columns[0]]).cte(f"write_{k}"))
    raise ValueError("no rows to write")
