"""Text read from planners' input files (candidate names and ids, demand area names, MOIS row
names) follows the registry's text rules: no raw control, format or bidi characters reach the
output, lengths are bounded, and a CLI error names the line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app.planning.demand import DemandError, mois_demand, read_demand_csv

RLO = "\u202e"


def sites(runner, path):
    return runner.invoke(args=["planning-sites", "--service", "daycare", "--p", "1",
                               "--candidates-file", str(path)])


def test_a_bidi_override_in_a_name_is_removed_and_reported(runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(f"lon,lat,id,name\n127.0286,37.2636,p-1,부지{RLO}txt.exe\n", encoding="utf-8")
    result = sites(runner, path)
    assert result.exit_code == 0, result.output
    assert RLO not in result.output
    assert "candidates: line 2: name 부지\\u202etxt.exe cleaned to 부지txt.exe" in result.output
    [row] = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert (row["id"], row["name"]) == ("p-1", "부지txt.exe")


def test_a_name_of_only_invisible_characters_is_no_name(runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(f"lon,lat,name\n127.0286,37.2636,{RLO}\u200b\n", encoding="utf-8")
    result = sites(runner, path)
    assert result.exit_code == 0, result.output
    [row] = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert (row["id"], row["name"]) == ("line 2", None)


@pytest.mark.parametrize("ident", [f"p{RLO}1", "a/b", "x" * 200, "p 1"])
def test_an_id_that_is_not_a_registry_id_is_an_error_naming_the_line(runner, tmp_path, ident):
    path = tmp_path / "c.csv"
    path.write_text(f"lon,lat,id\n127.0286,37.2636,ok-1\n127.03,37.27,{ident}\n", encoding="utf-8")
    result = sites(runner, path)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert f"{path}: line 3: id " in result.output and "is not allowed" in result.output
    assert RLO not in result.output


def test_a_too_long_name_is_an_error_naming_the_line(runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("lon,lat,name\n127.0286,37.2636," + "가" * 1000 + "\n", encoding="utf-8")
    result = sites(runner, path)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "line 2: name is 1000 characters long" in result.output


def test_demand_area_names_are_cleaned_and_bounded(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(f"area_code,area_name,age_0_9,age_10_19\n41110,수원{RLO}시,10,5\n"
                    f"41130,{RLO},1,1\n", encoding="utf-8")
    table = read_demand_csv(path)
    assert list(table["area_name"]) == ["수원시", "41130"]
    path.write_text("area_code,area_name,age_0_9,age_10_19\n41110,수원,1,1\n41130," + "가" * 500
                    + ",1,1\n", encoding="utf-8")
    with pytest.raises(DemandError, match=r"line\(s\) 3: area_name is longer than"):
        read_demand_csv(path)


def test_mois_notes_show_no_raw_bidi_characters():
    ages = pd.DataFrame({"code10": ["4111000000", "4199900000"],
                         "name": ["수원시", f"가짜{RLO}동"], "age_0_9": [10.0, 3.0],
                         "age_10_19": [5.0, 1.0]})
    _, report = mois_demand(ages)
    assert report.set_aside["unknown_area"] == 1
    [note] = report.notes
    assert RLO not in note and note == "row 4199900000 가짜동: no boundary has this code"
