"""What parents actually type into the place search (issue 14): spaces inside names and before
suffixes (판교 역), English names with and without suffixes (Gwanggyo Jungang, Suwon City Hall),
English labels and line names of stations, and over-long queries (JSON 400, also through
gunicorn). Every expected answer is a name read off the committed gazetteer."""

from __future__ import annotations

import json
import os
import re
import runpy
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from cryptography.fernet import Fernet

from app.api.search import PLACE_QUERY_MAX
from app.config import DEMO_REGISTRY_PATH
from app.db.engine import upgrade
from app.geo import gazetteer, landmarks
from app.reference import document
from tests.test_access_logs import ROOT, _gunicorn, _stop

PANGYO = "경기도 성남시 분당구 판교역"
GWANGGYO_JUNGANG = "경기도 수원시 영통구 광교중앙역"
SUWON_CITY_HALL = "경기도 수원시 팔달구 수원시청역"
MAETAN_SCHOOL = "경기도 수원시 영통구 매탄초등학교"


def _first(client, q: str) -> dict:
    r = client.get("/api/v1/places", query_string={"q": q})
    assert r.status_code == 200, r.json
    assert r.json["results"], f"nothing found for {q!r}"
    return r.json["results"][0]


@pytest.mark.parametrize(("q", "name"), [
    ("판교역", PANGYO),  # as written before the fix
    ("판교 역", PANGYO),
    ("판교   역", PANGYO),
    ("판교\u3000역", PANGYO),  # a full-width space (Korean keyboards)
    ("광교 중앙 역", GWANGGYO_JUNGANG),
    ("광교중앙 역", GWANGGYO_JUNGANG),
    ("매탄 초등학교", MAETAN_SCHOOL),
    ("매탄 초", MAETAN_SCHOOL),
    ("수원 시청", SUWON_CITY_HALL),
    ("수원 시청 역", SUWON_CITY_HALL),
    ("매탄 동", "경기도 수원시 영통구 매탄동"),
    ("영통구 매탄 동", "경기도 수원시 영통구 매탄동"),
    ("수원 시 영통 구", "경기도 수원시 영통구"),
    ("수원 역", "경기도 수원시 팔달구 수원역"),
])
def test_spaces_inside_names_and_before_suffixes_do_not_matter(client, q, name):
    assert _first(client, q)["name"] == name


@pytest.mark.parametrize(("q", "name"), [
    ("Gwanggyo Jungang", GWANGGYO_JUNGANG),
    ("gwanggyo-jungang", GWANGGYO_JUNGANG),
    ("GwanggyoJungang Station", GWANGGYO_JUNGANG),
    ("Gwanggyo Jungang Stn", GWANGGYO_JUNGANG),
    ("Suwon City Hall", SUWON_CITY_HALL),
    ("suwon cityhall station", SUWON_CITY_HALL),
    ("Pangyo Stn", PANGYO),
    ("Pangyo Station", PANGYO),  # as before the fix
    ("Maetan Elementary School", MAETAN_SCHOOL),
    ("Maetan Elementary", MAETAN_SCHOOL),
    ("Maetan Elem. School", MAETAN_SCHOOL),
])
def test_english_names_ignore_spaces_hyphens_case_and_optional_suffixes(client, q, name):
    assert _first(client, q)["name"] == name


def test_station_labels_say_station_once(client):
    first = _first(client, "Seoul Station")
    assert first["name"] == "서울특별시 용산구 서울역"
    assert first["name_en"] == "Seoul Station, Yongsan-gu, Seoul"
    doubled = [p.name_en for p in gazetteer.places() if re.search(r"(?i)\bstation\b.*\bstation\b",
                                                                  p.name_en.split(",")[0])]
    assert doubled == []  # seven before the fix (서울역, 용유역, 합동청사역, ...)


@pytest.mark.parametrize(("listed", "label"), [
    ("Pangyo", "Pangyo Station"),
    ("Seoul Station", "Seoul Station"),
    ("Seoul station", "Seoul Station"),
    ("Incheon Airport Terminal 1 Station", "Incheon Airport Terminal 1 Station"),
    ("Costa Stn.", "Costa Station"),
])
def test_generator_adds_station_to_english_names_once(listed, label):
    assert landmarks.english_station(listed) == label


def test_station_lines_in_english(client):
    pangyo = _first(client, "판교역")
    assert (pangyo["detail"], pangyo["detail_en"]) == ("경강선, 신분당선", "Gyeonggang Line, Shinbundang Line")
    city_hall = _first(client, "Suwon City Hall")
    assert (city_hall["detail"], city_hall["detail_en"]) == ("수인분당선", "Suin-Bundang Line")
    # a school's detail is its address: in English, the address romanized (no lines)
    assert "Maetan-ro" in _first(client, "매탄초등학교")["detail_en"]


def test_every_line_in_the_gazetteer_has_an_english_name():
    lines = Counter(line.strip() for p in gazetteer.places() if p.level == "station"
                    for line in p.detail.split(","))
    assert len(lines) == 25
    missing = sorted(set(lines) - set(document("station_lines.json")["lines"]))
    assert missing == []


def _refused(body: dict) -> None:
    assert body["error"]["field"] == "q"
    assert body["error"]["message"] == "q may be at most 100 characters (it has 2000)"


def test_over_long_q_is_a_json_400_naming_q_and_the_limit(client):
    assert PLACE_QUERY_MAX == 100
    r = client.get("/api/v1/places", query_string={"q": "가" * 2000})
    assert r.status_code == 400
    _refused(r.json)
    assert client.get("/api/v1/places", query_string={"q": "가" * 100}).status_code == 200
    assert client.get("/api/v1/places", query_string={"q": "가" * 101}).status_code == 400


def test_place_inputs_have_the_api_limit_as_maxlength(client):
    for url, inputs in (("/", 2), ("/embed", 1)):
        page = client.get(url).get_data(as_text=True)
        fields = re.findall(r'<input id="[a-z]+-input"[^>]*>', page)
        assert len(fields) == inputs, url
        assert all(f'maxlength="{PLACE_QUERY_MAX}"' in f for f in fields), fields


def _request_line(q: str) -> int:
    """Bytes of the request line of the longest places request with this q."""
    query = urllib.parse.urlencode({"q": q, "limit": "20",
                                    "view": "-179.999999,-89.999999,179.999999,89.999999"})
    return len(f"GET /api/v1/places?{query} HTTP/1.1".encode())


def test_gunicorn_conf_lets_the_longest_valid_query_reach_the_app():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    longest = _request_line("\U0001d11e" * PLACE_QUERY_MAX)  # 4-byte characters: 12 bytes each
    assert longest == 1294
    limit = conf.get("limit_request_line", 4094)  # gunicorn's default when unset
    assert limit == 0 or limit >= longest  # 0: no limit
    # ... and an over-long one too, so that the app, not gunicorn, answers it
    assert limit == 0 or limit >= _request_line("가" * 2000)


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("place-search-gunicorn")
    url = f"sqlite:///{tmp / 'dolbom.sqlite3'}"
    upgrade(url)
    env = {"DOLBOM_DATABASE_URL": url, "DOLBOM_SECRET_KEY": secrets.token_hex(16),
           "DOLBOM_CARE_NOTES_KEYS": Fernet.generate_key().decode(),
           "DOLBOM_REGISTRY_PATH": str(DEMO_REGISTRY_PATH), "DOLBOM_TILE_URL": "/no-tiles/{z}/{x}/{y}.png"}
    return {"tmp": tmp, "env": {**os.environ, **env}}


def test_over_long_q_through_gunicorn_is_our_json(server_env):
    base, proc = _gunicorn(server_env, [])  # started in the project folder: its gunicorn.conf.py
    try:
        url = base + "/api/v1/places?" + urllib.parse.urlencode({"q": "가" * 2000})
        with pytest.raises(urllib.error.HTTPError, match="HTTP Error 400") as caught:
            urllib.request.urlopen(url, timeout=30)
        assert caught.value.headers["Content-Type"] == "application/json"
        _refused(json.loads(caught.value.read()))
    finally:
        _stop(proc)


def test_the_registrys_facilities_come_before_places_outside_its_area(client):
    # The tiny registry lies in 수원·성남·용인; `장안` matches ten places (the list is full) and
    # 장안나무어린이집. Places beyond SEARCH_COVERAGE_MARGIN_M of its providers (부산 기장군
    # 장안읍, 대전 서구 장안동) now come after it; before, the facility was not listed at all.
    names = [r["name"] for r in client.get("/api/v1/places", query_string={"q": "장안", "limit": 10}).json["results"]]
    assert len(names) == 10
    here = names.index("장안나무어린이집")
    assert here < names.index("부산광역시 기장군 장안읍") and names[0] == "경기도 수원시 장안구"
    far = [r for r in client.get("/api/v1/places", query_string={"q": "장안", "limit": 10}).json["results"]
           if r["name"].startswith(("부산", "대전", "충청", "전라", "경상", "강원", "제주"))]
    assert far and all(names.index(r["name"]) > here for r in far)
