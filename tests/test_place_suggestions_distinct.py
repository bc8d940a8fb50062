"""Tester 25's finding 15: the place search's suggestions never show identical lines. Facilities
of one name (the demo has eight "수원시청직장어린이집" in 수원, three in 권선구) are told apart by
their address (without the 시도), and one place named twice at the same spot is said once."""

from __future__ import annotations

from app.api.search import SAME_PLACE_M, _distinct_places, _facility_detail
from app.search.model import Facility


def test_facilities_of_one_name_read_differently(demo_client):
    r = demo_client.get("/api/v1/places", query_string={"q": "수원시청직장어린이집", "limit": 20})
    assert r.status_code == 200
    lines = [(p["name"], p["detail"]) for p in r.json["results"] if p["type"] == "facility"]
    assert len(lines) >= 3
    assert len(set(lines)) == len(lines), lines  # was "수원시청직장어린이집 수원시 권선구" three times
    gwonseon = [detail for _, detail in lines if detail.startswith("수원시 권선구 ")]
    assert len(gwonseon) == 3 and "수원시 권선구 서둔동 792-18" in gwonseon


def test_the_detail_falls_back_to_the_areas_it_knows():
    def facility(**kw) -> Facility:
        return Facility(id="x", name="어린이집", kind="daycare", lon=127.0, lat=37.3, **kw)

    assert _facility_detail(facility(address="경기도 수원시 권선구 서둔동 792-18", sido="경기도",
                                     sigungu="수원시 권선구")) == "수원시 권선구 서둔동 792-18"
    assert _facility_detail(facility(sigungu="수원시 권선구", emd="서둔동")) == "수원시 권선구 서둔동"
    assert _facility_detail(facility(sigungu="수원시 권선구")) == "수원시 권선구"
    # the registry's address predates 화성's 2026 구: the abolished 동탄면 is left out, not offered
    assert _facility_detail(facility(address="경기도 화성시 동탄면 203-27", sido="경기도",
                                     sigungu="화성시", emd="동탄면")) == "화성시 203-27"
    assert _facility_detail(facility(sigungu="화성시", emd="동탄면")) == "화성시"


def test_one_place_named_twice_is_said_once_but_alike_places_apart_stay():
    here = {"name": "수원시청직장어린이집", "detail": "수원시 권선구", "lon": 127.0, "lat": 37.3}
    near = {**here, "lon": 127.0 + (SAME_PLACE_M / 3) / 88_000}  # ~10 m east
    far = {**here, "lon": 127.01}  # ~880 m east
    other = {**here, "detail": "수원시 장안구"}
    assert _distinct_places([here, near, far, other]) == [here, far, other]
