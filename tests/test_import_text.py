"""Registry text is cleaned or rejected on import and on load (issue 12, item 5).

Examples from the issue: a 100,000-character name, NUL and BEL in names, U+202E (right-to-left
override: "어린이집<RLO>cba" shows as "어린이집abc"), an id with "/" (then unreachable by
GET/PUT /api/v1/providers/<id>). Variants: every bidi embedding/override/isolate/mark,
zero-width characters, tabs and line breaks, other blank characters, NFD Hangul, phones.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections import Counter
from urllib.parse import quote

import pytest

from app.ingest.pipeline import ImportRules, import_files
from app.registry.io import RegistryFileError, read_registry, write_registry
from app.registry.text import TextRuleError, TextRules, clean_text, visible

from .conftest import DATA, facility

PORTAL_TINY = DATA / "portal_tiny.csv"
RLO = "\u202e"


def portal_csv(tmp_path, *changes: dict[str, str]):
    """A portal-layout CSV: one row per ``changes``, each the accepted 매탄해님어린이집 row of
    portal_tiny.csv with those columns changed (인가일자 made distinct, so ids differ)."""
    with PORTAL_TINY.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header, template = next(reader), next(reader)
    path = tmp_path / "portal.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for n, change in enumerate(changes):
            row = dict(zip(header, template, strict=True), 인가일자=f"2001-01-{n + 1:02d}")
            row.update(change)
            writer.writerow([row[c] for c in header])
    return path


def geojson(tmp_path, *props: dict):
    features = [{"type": "Feature", "geometry": {"type": "Point",
                                                 "coordinates": [127.0450, 37.2636]},
                 "properties": {"name": "가나다어린이집", **p}} for p in props]
    path = tmp_path / "f.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def accounted(result) -> bool:
    return result.read == len(result.facilities) + len(result.rejects)


# --- the cleaning itself -------------------------------------------------------------------

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", RLO, "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\U000e0041"]


@pytest.mark.parametrize("char", BIDI + INVISIBLE)
def test_format_characters_are_removed(char):
    assert clean_text(f"매탄{char}해님어린이집") == "매탄해님어린이집"


@pytest.mark.parametrize(("raw", "clean"), [
    ("가\x00나\x07다", "가나다"),  # NUL, BEL
    ("\x1b[31m빨강\x1b[0m", "[31m빨강[0m"),  # ESC: no terminal colours in logs or CSVs
    ("가\x7f나\x9b다", "가나다"),  # DEL, a C1 control
    ("매탄\t해님\n어린이집\r\n", "매탄 해님 어린이집"),  # tabs and line breaks are spaces
    ("매탄\u2028해님\u2029어린이집", "매탄 해님 어린이집"),  # Unicode line/paragraph separators
    ("매탄\u00a0해님\u3000어린이집", "매탄 해님 어린이집"),  # no-break and ideographic spaces
    ("  매탄   해님  ", "매탄 해님"),
    ("\u3164", ""),  # HANGUL FILLER: a blank that is a letter
    ("가\u115f\u1160나\uffa0다", "가 나 다"),
    (unicodedata.normalize("NFD", "어린이집"), "어린이집"),  # NFD Hangul (macOS) -> NFC
    ("가\ud800나", "가나"),  # a lone surrogate (from JSON "\\ud800") could not be written
    ("Garderie Éveil ㈜", "Garderie Éveil ㈜"),  # letters and symbols stay
])
def test_cleaning(raw, clean):
    assert clean_text(raw) == clean
    assert clean_text(clean) == clean  # idempotent


def test_visible_escapes_what_cleaning_removes():
    assert visible(f"어린이집{RLO}cba\x00") == "어린이집\\u202ecba\\u0000"
    assert visible("수원시 영통구") == "수원시 영통구"


@pytest.mark.parametrize(("field", "limit"), [("name", 200), ("address", 300), ("phone", 40),
                                              ("sigungu", 100), ("emd", 100),
                                              ("establishment_type", 100)])
def test_length_limits(field, limit):
    rules = TextRules()
    text = "1" * limit
    assert rules.clean(field, text) == text
    with pytest.raises(TextRuleError, match=rf"{field} is {limit + 1} characters long .*at most "
                                            rf"{limit} are allowed \(setting REGISTRY_"):
        rules.clean(field, text + "1")


def test_limit_counts_after_cleaning():
    assert TextRules().clean("name", "가" + "\x00" * 100_000) == "가"


@pytest.mark.parametrize("phone", ["031-111-1111", "02-123-4567", "(416) 394-1234x123",
                                   "+82 31-111-1111", "031-123-4567 내선 2", "1588-1533"])
def test_phones_kept(phone):
    assert TextRules().clean("phone", phone) == phone


@pytest.mark.parametrize("phone", ["--", "-", "없음"])
def test_phone_without_digits_is_no_phone(phone):
    assert TextRules().clean("phone", phone) is None


@pytest.mark.parametrize("phone", ['=HYPERLINK("http://evil.example","1")', "javascript:1",
                                   "031-111-1111<script>", "1 OR 1=1"])
def test_phone_that_is_not_one(phone):
    with pytest.raises(TextRuleError, match="is not a phone number"):
        TextRules().clean("phone", phone)


ALLOWED_IDS = ["kr-cc-0123456789abcdef", "localdata-PHMA219623040033021200001", "toronto-1013",
               "demo-dc-00001", "a.b:c_d-E9", "x" * 64, "7"]


@pytest.mark.parametrize("fid", ALLOWED_IDS)
def test_allowed_ids(fid):
    assert TextRules().check_id(fid) == fid


@pytest.mark.parametrize("fid", ["a/b", "../x", ".x", "..", "-x", "a b", "a?b", "a#b", "a%2Fb",
                                 "어린이집", "é", "", "x" * 65, f"a{RLO}b", "a\x00", "a\\b",
                                 "a\u200bb", " a"])
def test_refused_ids(fid):
    with pytest.raises(TextRuleError, match=r"id .* is not allowed: ids are at most 64 "
                                            r"characters matching"):
        TextRules().check_id(fid)


def test_allowed_ids_are_reachable_by_url(tmp_path):
    """Every id shape the rules allow can be asked for by URL (no '/', no dot segments)."""
    from app import create_app

    path = tmp_path / "r.geojson"
    write_registry(path, {"name": "t"}, [facility(fid, 127.045, 37.2636) for fid in ALLOWED_IDS])
    client = create_app({"TESTING": True, "REGISTRY_PATH": str(path)},
                        instance_path=str(tmp_path / "instance")).test_client()
    for fid in ALLOWED_IDS:
        response = client.get(f"/api/v1/facilities/{quote(fid, safe='')}")
        assert response.status_code == 200, fid
        assert response.json["result"]["id"] == fid


# --- importing -----------------------------------------------------------------------------

def test_issue_examples_on_import(tmp_path):
    path = portal_csv(
        tmp_path,
        {"어린이집명": "가" * 100_000},  # row 2
        {"어린이집명": "매탄\x1b해님\x07어린이집"},  # row 3: ESC, BEL
        {"어린이집명": f"해님어린이집{RLO}cba"},  # row 4: shows as "해님어린이집abc"
        {"어린이집명": "매탄\t해님\n어린이집"},  # row 5
        {"어린이집명": "\u200b\u3164\u202e"},  # row 6: nothing visible
        {"주소": "경기도 " * 100},  # row 7: 400 characters
        {"어린이집전화번호": '=HYPERLINK("http://evil.example","1")'},  # row 8
        {"어린이집전화번호": "--"},  # row 9
    )
    result = import_files([path])
    assert accounted(result) and result.read == 8
    rejects = {r.row: r for r in result.rejects}
    assert {n: r.reason for n, r in rejects.items()} == {
        2: "invalid_text", 6: "unparsable_field", 7: "invalid_text", 8: "invalid_text"}
    assert "name is 100000 characters long" in rejects[2].detail
    assert "at most 200 are allowed (setting REGISTRY_NAME_MAX_CHARS)" in rejects[2].detail
    assert len(rejects[2].detail) < 300  # the detail shows the start, not the whole name
    assert rejects[6].detail == "name is empty"
    assert "address is 399 characters long" in rejects[7].detail
    assert "phone '=HYPERLINK" in rejects[8].detail
    names = sorted(f.name for f in result.facilities)
    assert names == ["매탄 해님 어린이집", "매탄해님어린이집", "매탄해님어린이집", "해님어린이집cba"]
    no_phone = next(f for f in result.facilities if f.source.endswith("row 9"))
    assert no_phone.phone is None


@pytest.mark.parametrize("char", BIDI + INVISIBLE + ["\x07", "\x1b", "\x7f"])
def test_every_invisible_character_leaves_names_and_addresses(tmp_path, char):
    # (A NUL byte makes a CSV file a binary file: the reader refuses the whole file.)
    path = portal_csv(tmp_path, {"어린이집명": f"매탄{char}해님어린이집",
                                 "주소": f"경기도 수원시 영통구{char} 매탄동 1"})
    (f,) = import_files([path]).facilities
    assert (f.name, f.address) == ("매탄해님어린이집", "경기도 수원시 영통구 매탄동 1")


def test_nul_and_bel_in_geojson_names(tmp_path):
    result = import_files([geojson(tmp_path, {"id": "a", "name": "매탄\x00해님\x07어린이집"})])
    assert [f.name for f in result.facilities] == ["매탄해님어린이집"]


@pytest.mark.parametrize("fid", ["a/b", "../x", f"a{RLO}b", "a b", "x" * 65, "a\u200bb"])
def test_bad_ids_are_rejected_on_import(tmp_path, fid):
    result = import_files([geojson(tmp_path, {"id": fid}, {"id": "ok-1"})])
    assert accounted(result)
    assert [f.id for f in result.facilities] == ["ok-1"]
    (reject,) = result.rejects
    assert reject.reason == "invalid_id" and "REGISTRY_ID_PATTERN" in reject.detail


def test_every_text_field_is_held_to_the_rules(tmp_path):
    path = geojson(
        tmp_path,
        {"id": "a", "sido": f"Ontario{RLO}", "sigungu": "Etobicoke\u2066", "emd": "Long\x00Branch",
         "address": "56 Neilson Dr\u200b", "phone": "(416) 394-1234"},
        {"id": "b", "service_area_sigungu_codes": ["41/110"]},
        {"id": "c", "sigungu": "x" * 101},
        {"id": "d", "emd": "=1+1"},  # text, kept (the CSV writer neutralises formulas)
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[source]\nregion = "none"\n[registry]\ntimezone = "America/Toronto"\n'
        'holidays = "none"\n[defaults]\nkind = "daycare"\nstatus = "정상"\n[columns]\n' + "".join(
            f'{c} = "{c}"\n' for c in ("id", "name", "sido", "sigungu", "emd", "address",
                                       "phone", "service_area_sigungu_codes")),
        encoding="utf-8")
    result = import_files([path], mapping_path=mapping)
    assert accounted(result)
    kept = {f.id: f for f in result.facilities}
    assert (kept["a"].sido, kept["a"].sigungu, kept["a"].emd, kept["a"].address) == (
        "Ontario", "Etobicoke", "LongBranch", "56 Neilson Dr")
    assert kept["d"].emd == "=1+1"
    reasons = {r.record["id"]: (r.reason, r.detail) for r in result.rejects}
    assert reasons["b"][0] == "invalid_id" and "service_area_sigungu_codes '41/110'" in \
        reasons["b"][1]
    assert reasons["c"][0] == "invalid_text" and "sigungu is 101 characters" in reasons["c"][1]


def test_limits_are_settings(tmp_path):
    path = portal_csv(tmp_path, {"어린이집명": "가나다라마바사아자차카"})  # 11 characters
    rules = ImportRules(text=TextRules(name_max_chars=10))
    assert Counter(r.reason for r in import_files([path], rules=rules).rejects) == {
        "invalid_text": 1}
    rules = ImportRules(text=TextRules(id_pattern="[a-z-]+"))  # no digits: hashed ids fail
    assert Counter(r.reason for r in import_files([path], rules=rules).rejects) == {
        "invalid_id": 1}


def test_the_cli_uses_the_settings(tmp_path):
    from app import create_app

    path = portal_csv(tmp_path, {"어린이집명": "가나다라마바사아자차카"})
    for limit, accepted in ((10, 0), (11, 1)):
        app = create_app({"TESTING": True, "REGISTRY_NAME_MAX_CHARS": limit},
                         instance_path=str(tmp_path / "instance"))
        result = app.test_cli_runner().invoke(args=["import-facilities", str(path), "--out",
                                                    str(tmp_path / "r.geojson")])
        assert result.exit_code == 0, result.output
        assert f"read 1 = accepted {accepted}" in result.output


# --- loading a hand-edited registry file ---------------------------------------------------

def edited_registry(tmp_path, **props):
    path = tmp_path / "r.geojson"
    write_registry(path, {"name": "t"}, [facility("ok-1", 127.045, 37.2636)])
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"].update(props)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_loader_cleans_text_like_the_import(tmp_path):
    path = edited_registry(tmp_path, name=f"해님\x00어린이집{RLO}cba",
                           address="경기도\t수원시\u2069", phone="--")
    (f,) = read_registry(path).facilities
    assert (f.name, f.address, f.phone) == ("해님어린이집cba", "경기도 수원시", None)


@pytest.mark.parametrize(("props", "message"), [
    ({"id": "a/b"}, r"feature 1: id 'a/b' is not allowed"),
    ({"name": "가" * 100_000}, r"feature 1: name is 100000 characters long"),
    ({"name": "\u200b\x00"}, r"feature 1: name '\\u200b\\x00' is empty once control"),
    ({"phone": "javascript:1"}, r"feature 1: phone 'javascript:1' is not a phone number"),
    ({"service_area_sigungu_codes": ["41110", "../x"]},
     r"feature 1: service_area_sigungu_codes '../x' is not allowed"),
])
def test_loader_refuses_what_cannot_be_cleaned(tmp_path, props, message):
    with pytest.raises(RegistryFileError, match=message):
        read_registry(edited_registry(tmp_path, **props))


def test_loader_limits_are_the_apps_settings(tmp_path):
    from app import create_app
    from app.extensions.registry import get_registry

    path = edited_registry(tmp_path, name="가" * 250)
    with pytest.raises(RegistryFileError, match="name is 250 characters long"):
        read_registry(path)
    app = create_app({"TESTING": True, "REGISTRY_PATH": str(path),
                      "REGISTRY_NAME_MAX_CHARS": 300}, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        assert get_registry().facilities[0].name == "가" * 250


def test_a_bad_id_pattern_setting_stops_start_up(tmp_path):
    from app import create_app

    with pytest.raises(ValueError, match=r"setting REGISTRY_ID_PATTERN '\[a-' is not a regular "
                                         r"expression"):
        create_app({"TESTING": True, "REGISTRY_ID_PATTERN": "[a-"},
                   instance_path=str(tmp_path / "instance"))
