"""Every CSV the product writes goes through here, so no cell opens as a live formula.

Spreadsheet programs (Excel, LibreOffice, Google Sheets) evaluate a cell whose text starts with
``=``, ``+``, ``-`` or ``@``, and some also after a leading tab or carriage return (CSV
injection, OWASP "CSV Injection"). A registry id ``=HYPERLINK("http://evil.example","x")`` in a
rejects file would become a live link. Such text cells get a leading apostrophe, which the
programs show as text and do not evaluate. Numbers stay numbers: only ``str`` cells change, so
``-3.5`` written from a float is left alone, while the text ``"-3.5"`` is neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any, overload

#: Leading characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text starting with a formula character.

    Non-text values (numbers, ``None``) are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_rows(fh: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]],
               **fmtparams: Any) -> int:
    """Write ``header`` and ``rows`` as CSV to the open text file ``fh``, every cell
    neutralised; returns the number of data rows written. ``fmtparams`` go to
    :func:`csv.writer` (e.g. ``lineterminator="\n"``)."""
    writer = csv.writer(fh, **fmtparams)
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
        count += 1
    return count


@overload
def dataframe_to_csv(df: Any, fh: None = None) -> str: ...
@overload
def dataframe_to_csv(df: Any, fh: IO[str]) -> None: ...
def dataframe_to_csv(df: Any, fh: IO[str] | None = None) -> str | None:
    """``df.to_csv(fh, index=False)`` with every text cell and column name neutralised.

    ``df`` is a pandas DataFrame (a GeoDataFrame's geometry should be dropped first). Returns
    the CSV text when ``fh`` is None, as pandas does.
    """
    safe = df.copy()
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype) in ("string", "str"):
            safe[column] = safe[column].map(neutralise)
    return safe.to_csv(fh, index=False)  # csvsafe: the one place CSV is written from a frame
