"""app.csvsafe: no CSV cell the product writes opens as a live formula (issue 12, item 4)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from app.csvsafe import dataframe_to_csv, neutralise, write_rows


@pytest.mark.parametrize(("cell", "written"), [
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("@SUM(1)", "'@SUM(1)"),
    ("+1+1", "'+1+1"),
    ("-3.5", "'-3.5"),  # text that looks like a number is still text: neutralised
    ("-", "'-"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("수원시 영통구", "수원시 영통구"),
    ("a=b", "a=b"),  # only the first character matters
    (" =1", " =1"),  # a leading space is not a formula in Excel or LibreOffice
    ("", ""),
    (-3.5, -3.5),  # numbers stay numbers
    (0, 0),
    (None, None),
])
def test_neutralise(cell, written):
    assert neutralise(cell) == written


def test_write_rows_neutralises_header_and_cells_and_keeps_numbers():
    buf = io.StringIO()
    count = write_rows(buf, ["id", "=total"], [["=cmd|' /C calc'!A0", -3.5], ["@x", 12]])
    assert count == 2
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [
        ["id", "'=total"], ["'=cmd|' /C calc'!A0", "-3.5"], ["'@x", "12"],
    ]


def test_write_rows_passes_csv_format():
    buf = io.StringIO()
    write_rows(buf, ["a"], [["-1"]], lineterminator="\n")
    assert buf.getvalue() == "a\n'-1\n"


def test_dataframe_to_csv():
    frame = pd.DataFrame({"=name": ["+evil", "plain"], "share": [-0.25, 1.0],
                          "code": ["-41110", "41110"]})
    rows = list(csv.reader(io.StringIO(dataframe_to_csv(frame))))
    assert rows == [["'=name", "share", "code"], ["'+evil", "-0.25", "'-41110"],
                    ["plain", "1.0", "41110"]]
