"""Issue 14, "Pages as people use them", the second tester's findings at the API and page
level: abolished 화성 areas are not places, a road-name address alone gets a hint, every
search parameter error carries a reason the pages translate, a planner link's unknown area
names the code, the builder validates its suggestion with the server's rule, error pages are
the site's own, and English answers carry English names."""

from __future__ import annotations

import ast
import gzip
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.geo import gazetteer

ROOT = Path(__file__).resolve().parents[1]
HOME = {"lat": "37.2636", "lon": "127.0450"}


# --- 1. abolished 화성 areas --------------------------------------------------------------------

def test_no_place_of_the_gazetteer_is_an_abolished_area():
    gone = {a.name for a in gazetteer.abolished()}
    assert "경기도 화성시 동탄면" in gone and "경기도 화성시 남양동" in gone  # 폐지, 2026-09-29 list
    assert [p.name for p in gazetteer.places() if p.name in gone] == []


def test_dongtan_offers_the_current_gu_and_not_the_abolished_myeon():
    names = [p.name for p in gazetteer.search("동탄", 20)]
    assert "경기도 화성시 동탄구" in names
    assert not any("동탄면" in n for n in names), names
    assert [p.name for p in gazetteer.search("동탄구 청계동")] == ["경기도 화성시 동탄구 청계동"]


@pytest.mark.parametrize("q, code", [("화성시 남양동", "4159010100"), ("동탄면", "4159042000"),
                                     ("화성시 동탄면 청계리", "4159042022")])
def test_an_abolished_area_is_answered_as_abolished(client: FlaskClient, q, code):
    body = client.get("/api/v1/places", query_string={"q": q}).get_json()
    assert body["results"] == []
    assert [a["code"] for a in body["abolished"]] == [code]


# --- 2. a road-name address without its area --------------------------------------------------

@pytest.mark.parametrize("q", ["판교역로 235", "판교역로235", "세권로196번길 21", "중부대로 110-1"])
def test_a_road_address_alone_asks_for_its_area(client: FlaskClient, q):
    body = client.get("/api/v1/places", query_string={"q": q}).get_json()
    assert body["results"] == [] and body["suggestions"] == []
    assert body["hint"] == "road_address_needs_area"


@pytest.mark.parametrize("q", ["분당구 판교역로 235", "판교역", "수원 영통", "판교역로"])
def test_other_texts_get_no_road_hint(client: FlaskClient, q):
    assert "hint" not in client.get("/api/v1/places", query_string={"q": q}).get_json()


# --- 3. every search parameter error has a reason ---------------------------------------------

def _raises_without_reason(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "InvalidParameter"
            and not any(k.arg == "reason" for k in n.keywords)]


def test_every_search_parameter_error_says_why_for_the_pages():
    # app/api/params.py: the parameters of the search API the map page sends
    assert _raises_without_reason(ROOT / "app/api/params.py") == []


def test_a_future_birth_date_is_refused_with_its_reason(client: FlaskClient):
    r = client.get("/api/v1/facilities/nearest", query_string={**HOME, "birth_date": "2099-01-01"})
    assert r.status_code == 400
    assert (r.json["error"]["field"], r.json["error"]["reason"]) == ("birth_date", "after_care_day")


def _messages(lang: str) -> dict[str, str]:
    return json.loads((ROOT / f"app/translations/{lang}.json").read_text(encoding="utf-8"))


def _reasons(path: Path) -> set[str]:
    return set(re.findall(r'reason="([a-z_]+)"', path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_reason_has_words_in_both_languages(lang):
    messages = _messages(lang)
    reasons = _reasons(ROOT / "app/api/params.py") | _reasons(ROOT / "app/api/planning_requests.py")
    missing = [r for r in sorted(reasons) if f"err_reason_{r}" not in messages
               and not any(k.startswith("err_") and k.endswith("_" + r) for k in messages)]
    assert missing == []


# --- 4. a planner link's unknown area ---------------------------------------------------------

def test_an_unknown_area_names_its_code_and_reason(app: Flask):
    from app.api.planning_requests import unknown_area

    exc = unknown_area("99999", "sigungu", False)
    assert (exc.field, exc.reason, exc.extra) == ("area", "unknown_area", {"value": "99999"})
    assert unknown_area("41111", "grid", True).reason == "no_rows_at_level"


# --- 5. the builder checks its suggestion with the server's rule ------------------------------

def test_the_builder_page_carries_the_origin_rule(client: FlaskClient):
    from app.live.embed_origins import origin_pattern

    html = client.get("/embed/builder?lang=en").get_data(as_text=True)
    m = re.search(r'data-origin-pattern="([^"]+)"', html)
    assert m is not None
    import html as h
    rule = re.compile(h.unescape(m.group(1)))
    assert rule.pattern == origin_pattern()
    assert rule.match("https://www.suwon.go.kr")
    assert not rule.match("https://" + "x" * 300)  # a name part over 63 letters
    assert ">English<" in html and '>한국어 (Korean)<' in html  # the language menu, named


# --- 6. the site's own error pages -------------------------------------------------------------

@pytest.mark.parametrize("lang, title, home", [("ko", "페이지를 찾을 수 없습니다", "돌봄지도 첫 화면으로"),
                                               ("en", "Page not found", "Go to the Dolbom Map")])
def test_an_unknown_page_is_the_sites_own(client: FlaskClient, lang, title, home):
    r = client.get(f"/no-such-page?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert title in html and home in html and 'name="viewport"' in html
    assert 'href="/?lang=' + lang in html or f'href="/?lang={lang}"' in html


def test_api_paths_keep_the_json_envelope(client: FlaskClient):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_a_wrong_method_on_a_page_is_the_sites_page(client: FlaskClient):
    r = client.post("/?lang=en")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert "This page cannot be opened this way" in r.get_data(as_text=True)


def test_an_unexpected_error_on_a_page_is_the_sites_page(app: Flask):
    def boom() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = app.test_client().get("/boom-for-test?lang=ko")
    assert r.status_code == 500
    assert "잠시 문제가 생겼습니다" in r.get_data(as_text=True)


# --- 7. joined messages keep one full stop -----------------------------------------------------

@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_clause_joined_before_a_full_stop_has_none_of_its_own(lang):
    assert not _messages(lang)["link_swapped"].endswith(".")


# --- 8. English pages and answers in English --------------------------------------------------

def test_school_addresses_have_an_english_form():
    school = next(p for p in gazetteer.places()
                  if p.level == "school" and p.detail == "경기도 수원시 영통구 대학로 91")
    assert gazetteer.address_en(school) == "91 Daehak-ro, Yeongtong-gu, Suwon-si, Gyeonggi-do"
    by_lane = next(p for p in gazetteer.places() if p.level == "school" and "번길" in p.detail)
    assert re.fullmatch(r"\d+(-\d+)? [A-Z][a-z]+-(ro|gil|daero) \d+beon-gil, .+, Gyeonggi-do",
                        gazetteer.address_en(by_lane))


def test_the_place_answer_gives_a_schools_address_in_english(client: FlaskClient):
    body = client.get("/api/v1/places", query_string={"q": "광교초등학교"}).get_json()
    school = next(r for r in body["results"] if r["name"].endswith("수원시 영통구 광교초등학교"))
    assert school["detail_en"] == "91 Daehak-ro, Yeongtong-gu, Suwon-si, Gyeonggi-do"


def test_the_outside_notice_has_the_area_in_english(client: FlaskClient):
    body = client.get("/api/v1/facilities/nearest",
                      query_string={"lat": "35.1796", "lon": "129.0756"}).get_json()  # 부산
    assert body["coverage_name"] == "경기도" and body["coverage_name_en"] == "Gyeonggi-do"


@pytest.mark.parametrize("key", ["place_placeholder", "programmes_link", "whole_province",
                                 "level_sigungu", "level_emd", "empty_hotline", "results_heading",
                                 "report_hours_label"])
def test_english_messages_lead_with_english(key):
    text = _messages("en")[key]
    assert not re.match(r"[^(]*[가-힣]", text), text  # Korean only in brackets, after English


def test_english_pages_use_one_name_for_the_programmes():
    en = _messages("en")
    assert "All of Gyeonggi" == en["whole_province"] == en["whole_gyeonggi"]
    with_name = [v for v in en.values() if "언제나돌봄" in v]
    assert with_name and all("Eonjena Dolbom (언제나돌봄" in v for v in with_name), with_name


def test_the_committed_gazetteer_file_has_no_abolished_place():
    doc = json.loads(gzip.decompress((ROOT / "app/geo/data/gazetteer.json.gz").read_bytes()))
    gone = {name for _, name, _ in doc["abolished"]}
    assert not [row[0] for row in doc["places"] if row[0] in gone]
