"""The geocoding service adapters (VWorld getcoord, Kakao Local address search) against a local
stand-in HTTP server that replays their documented answers, errors and timeouts. Every failure
gives the offline answer (approximate), is logged without the address or the key, and is never
a 500."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from app import create_app
from app.geo import geocoding
from app.geo.geocoding import AddressGeocoder, KakaoService, VWorldService, make_service
from app.settings_env import SettingError

KEY = "SECRET-KEY-0123456789abcdef"
# 경기도 성남시 분당구 판교역로 235 (에이치스퀘어 N동), as a service would place it
LON, LAT = 127.1086228, 37.4020014


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:  # the stand-in's own access log: not ours
        pass


@dataclass
class StandIn:
    """A tiny HTTP server: ``reply(request) -> Response`` answers; requests are kept."""

    reply: Callable[[Request], Response] = lambda request: Response("{}", 200)
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __call__(self, environ: dict, start_response: Callable) -> object:
        request = Request(environ)
        request.args  # noqa: B018 - read before the response is sent
        self.requests.append(request)
        return self.reply(request)(environ, start_response)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    app = StandIn()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    app.url = f"http://127.0.0.1:{server.server_port}/req/address"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    app.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def vworld_ok(request: Request) -> Response:
    return _json({"response": {
        "service": {"name": "address", "version": "2.0", "operation": "getcoord", "time": "12(ms)"},
        "status": "OK", "input": {"type": request.args["type"], "address": request.args["address"]},
        "refined": {"text": "경기도 성남시 분당구 판교역로 235 (삼평동)",
                    "structure": {"level1": "경기도", "level2": "성남시 분당구", "level4L": "판교역로",
                                  "level5": "235"}},
        "result": {"crs": "EPSG:4326", "point": {"x": str(LON), "y": str(LAT)}}}})


def vworld_not_found(request: Request) -> Response:
    return _json({"response": {"service": {"name": "address"}, "status": "NOT_FOUND"}})


def vworld_error(request: Request) -> Response:
    return _json({"response": {"service": {"name": "address"}, "status": "ERROR",
                               "error": {"level": "1", "code": "INVALID_KEY",
                                         "text": f"등록되지 않은 인증키입니다. {KEY}"}}})


def kakao_ok(request: Request) -> Response:
    road = {"address_name": "경기 성남시 분당구 판교역로 235", "road_name": "판교역로",
            "main_building_no": "235", "sub_building_no": "", "x": str(LON), "y": str(LAT)}
    return _json({"meta": {"total_count": 1, "pageable_count": 1, "is_end": True}, "documents": [
        {"address_name": "경기 성남시 분당구 삼평동 681", "address_type": "ROAD_ADDR",
         "x": str(LON), "y": str(LAT), "address": {"address_name": "경기 성남시 분당구 삼평동 681"},
         "road_address": road}]})


def kakao_region_only(request: Request) -> Response:
    return _json({"meta": {"total_count": 1, "pageable_count": 1, "is_end": True}, "documents": [
        {"address_name": "경기 성남시 분당구", "address_type": "REGION", "x": "127.1", "y": "37.38",
         "address": {"address_name": "경기 성남시 분당구"}, "road_address": None}]})


def kakao_empty(request: Request) -> Response:
    return _json({"meta": {"total_count": 0, "pageable_count": 0, "is_end": True}, "documents": []})


def http(status: int) -> Callable[[Request], Response]:
    def reply(request: Request) -> Response:
        body = {"errorType": "AccessDeniedError", "message": "cannot find appkey"} if status == 401 \
            else {"error": "server"}
        return _json(body, status)
    return reply


def malformed(request: Request) -> Response:
    return Response('{"response": {"status": "OK", "result": ', 200, mimetype="application/json")


def geocoder(provider: str, stand_in: StandIn, timeout_s: float = 2.0) -> AddressGeocoder:
    service = make_service({"GEOCODER_PROVIDER": provider, "GEOCODER_KEY": KEY,
                            "GEOCODER_URL": stand_in.url, "GEOCODER_TIMEOUT_S": timeout_s})
    assert service is not None
    return AddressGeocoder(service)


def _leaks(logged: str, word: str) -> list[str]:
    """The secrets in ``logged``: the key, or ``word`` of the address (as text or in a URL)."""
    return [s for s in (KEY, word, quote(word)) if s in logged]


def _close(g: AddressGeocoder) -> None:
    assert isinstance(g.service, (VWorldService, KakaoService))
    g.service.session.close()


def test_vworld_places_a_road_address_exactly(stand_in):
    stand_in.reply = vworld_ok
    g = geocoder("vworld", stand_in)
    [found] = g.search("분당구 판교역로 235", 5)
    _close(g)
    assert (found.name, found.precision, found.approximate) == \
        ("경기도 성남시 분당구 판교역로 235 (삼평동)", "exact", False)
    assert (found.lon, found.lat) == (LON, LAT)
    args = stand_in.requests[0].args
    assert (args["request"], args["type"], args["crs"], args["key"]) == \
        ("getcoord", "road", "epsg:4326", KEY)
    assert args["address"] == "경기도 성남시 분당구 판교역로 235"  # the area written out in full


def test_vworld_asks_for_a_parcel_for_a_lot_number(stand_in):
    stand_in.reply = vworld_ok
    g = geocoder("vworld", stand_in)
    assert g.search("매탄동 123-4", 5)[0].precision == "exact"
    _close(g)
    args = stand_in.requests[0].args
    assert (args["type"], args["address"]) == ("parcel", "경기도 수원시 영통구 매탄동 123-4")


def test_kakao_places_a_road_address_exactly(stand_in):
    stand_in.reply = kakao_ok
    g = geocoder("kakao", stand_in)
    [found] = g.search("분당구 판교역로 235", 5)
    _close(g)
    assert (found.name, found.precision, found.lon, found.lat) == \
        ("경기 성남시 분당구 판교역로 235", "exact", LON, LAT)
    request = stand_in.requests[0]
    assert request.headers["Authorization"] == f"KakaoAK {KEY}"
    assert request.args["query"] == "경기도 성남시 분당구 판교역로 235" and "key" not in request.args


# (provider, reply, what the log says)
FAILURES = [
    ("vworld", vworld_not_found, "found no such road address"),
    ("vworld", vworld_error, "failed: error INVALID_KEY"),
    ("vworld", http(401), "failed: refused the key (HTTP 401)"),
    ("vworld", http(500), "failed: HTTP 500"),
    ("vworld", malformed, "failed: an answer that is not JSON"),
    ("vworld", lambda r: _json({"response": {"status": "OK", "result": {"point": {"x": "east"}}}}),
     "failed: an answer without numeric coordinates"),
    ("vworld", lambda r: _json([1, 2]), "failed: an answer without 'response'"),
    ("kakao", kakao_region_only, "found no such road address"),
    ("kakao", kakao_empty, "found no such road address"),
    ("kakao", http(401), "failed: refused the key (HTTP 401)"),
    ("kakao", http(500), "failed: HTTP 500"),
    ("kakao", malformed, "failed: an answer that is not JSON"),
    ("kakao", lambda r: _json({"documents": "none"}), "failed: an answer without 'documents'"),
]


@pytest.mark.parametrize(("provider", "reply", "logged"), FAILURES)
def test_every_failure_gives_the_offline_answer(stand_in, caplog, provider, reply, logged):
    stand_in.reply = reply
    g = geocoder(provider, stand_in)
    with caplog.at_level(logging.DEBUG):
        [found] = g.search("분당구 판교역로 235", 5)
    _close(g)
    assert (found.precision, found.approximate, found.area.name) == \
        ("area", True, "경기도 성남시 분당구")
    assert len(stand_in.requests) == 1
    assert f"geocoding service {provider} {logged}" in caplog.text
    assert not _leaks(caplog.text, "판교역로")


def test_a_timeout_gives_the_offline_answer_and_pauses_the_service(stand_in, caplog, monkeypatch):
    def slow(request: Request) -> Response:
        stand_in.release.wait(5)
        return vworld_ok(request)

    stand_in.reply = slow
    g = geocoder("vworld", stand_in, timeout_s=0.3)
    with caplog.at_level(logging.DEBUG):
        [found] = g.search("분당구 판교역로 235", 5)
        assert found.precision == "area"
        assert "geocoding service vworld failed: no answer within 0.3 s" in caplog.text
        # paused: the next address is answered offline without asking the service
        assert g.search("매탄동 123-4", 5)[0].precision == "area"
        assert len(stand_in.requests) == 1
        monkeypatch.setattr(geocoding, "PAUSE_AFTER_FAILURE_S", 0.0)
        g._paused_until = 0.0
        stand_in.release.set()
        stand_in.reply = vworld_ok
        assert g.search("매탄동 123-4", 5)[0].precision == "exact"
    _close(g)
    assert not _leaks(caplog.text, "매탄동")


def test_an_unreachable_service_gives_the_offline_answer(caplog):
    service = make_service({"GEOCODER_PROVIDER": "vworld", "GEOCODER_KEY": KEY,
                            "GEOCODER_URL": "http://127.0.0.1:9/req/address",
                            "GEOCODER_TIMEOUT_S": 1.0})
    g = AddressGeocoder(service)
    with caplog.at_level(logging.DEBUG):
        assert g.search("매탄동 123-4", 5)[0].precision == "area"
    _close(g)
    assert "geocoding service vworld failed: unreachable (ConnectionError)" in caplog.text
    assert not _leaks(caplog.text, "매탄동")


def test_an_unforeseen_error_gives_the_offline_answer(caplog):
    class Broken:
        name = "broken"

        def locate(self, parsed: object, text: str, limit: int) -> list:
            raise KeyError(f"{text} {KEY}")

    with caplog.at_level(logging.DEBUG):
        [found] = AddressGeocoder(Broken()).search("매탄동 123-4", 5)
    assert (found.precision, found.area.name) == ("area", "경기도 수원시 영통구 매탄동")
    assert "geocoding service broken failed: unexpected KeyError" in caplog.text
    assert not _leaks(caplog.text, "매탄동")


def test_text_that_is_no_address_never_asks_the_service(stand_in):
    stand_in.reply = vworld_ok
    g = geocoder("vworld", stand_in)
    assert g.search("수원 영통", 5) == [] and g.search("판교역", 5) == []
    _close(g)
    assert stand_in.requests == []


@pytest.fixture
def service_app(tmp_path, stand_in) -> Iterator:
    app = create_app({"TESTING": True, "GEOCODER_PROVIDER": "kakao", "GEOCODER_KEY": KEY,
                      "GEOCODER_URL": stand_in.url, "GEOCODER_TIMEOUT_S": 1.0},
                     instance_path=str(tmp_path / "instance"))
    yield app
    for g in app.extensions["geocoder"].geocoders:
        if isinstance(g, AddressGeocoder):
            _close(g)


def test_places_api_with_a_service(service_app, stand_in, caplog):
    client = service_app.test_client()
    stand_in.reply = kakao_ok
    with caplog.at_level(logging.DEBUG):
        r = client.get("/api/v1/places", query_string={"q": "분당구 판교역로 235"})
        first = r.json["results"][0]
        assert (first["type"], first["precision"], first["approximate"]) == ("address", "exact", False)
        assert (first["lon"], first["lat"], first["matched"]) == (LON, LAT, "경기 성남시 분당구 판교역로 235")
        stand_in.reply = http(500)
        geocoding_chain = service_app.extensions["geocoder"]
        r = client.get("/api/v1/places", query_string={"q": "분당구 판교역로 235"})
    assert r.status_code == 200 and geocoding_chain is service_app.extensions["geocoder"]
    first = r.json["results"][0]
    assert (first["precision"], first["approximate"], first["matched"]) == \
        ("area", True, "경기도 성남시 분당구")
    assert KEY not in r.get_data(as_text=True) and KEY not in caplog.text


def test_places_api_without_a_key_is_offline(client, stand_in):
    """The default: no service; the stand-in is never asked."""
    first = client.get("/api/v1/places", query_string={"q": "분당구 판교역로 235"}).json["results"][0]
    assert (first["precision"], first["approximate"]) == ("area", True)
    assert stand_in.requests == []


@pytest.mark.parametrize(("settings", "message"), [
    ({"GEOCODER_PROVIDER": "naver", "GEOCODER_KEY": KEY},
     r"GEOCODER_PROVIDER: 'naver' is not a geocoding service; write vworld or kakao"),
    ({"GEOCODER_PROVIDER": "vworld"}, r"GEOCODER_KEY is required with GEOCODER_PROVIDER=vworld"),
    ({"GEOCODER_PROVIDER": "kakao", "GEOCODER_KEY": 12345},
     r"GEOCODER_KEY is required with GEOCODER_PROVIDER=kakao"),
    ({"GEOCODER_PROVIDER": "kakao", "GEOCODER_KEY": KEY, "GEOCODER_URL": "ftp://x"},
     r"GEOCODER_URL must be an http\(s\) URL without a query"),
    ({"GEOCODER_PROVIDER": "kakao", "GEOCODER_KEY": KEY, "GEOCODER_TIMEOUT_S": 0},
     r"GEOCODER_TIMEOUT_S: 0 must be a number of seconds above 0"),
])
def test_settings_that_cannot_work_stop_start_up(tmp_path, settings, message):
    with pytest.raises(SettingError, match=message) as caught:
        create_app({"TESTING": True, **settings}, instance_path=str(tmp_path / "instance"))
    assert KEY not in str(caught.value)


def test_key_from_the_environment_stays_text(tmp_path, monkeypatch):
    monkeypatch.setenv("DOLBOM_GEOCODER_PROVIDER", "kakao")
    monkeypatch.setenv("DOLBOM_GEOCODER_KEY", "12345")
    monkeypatch.setenv("DOLBOM_GEOCODER_TIMEOUT_S", "1.5")
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    [g] = [g for g in app.extensions["geocoder"].geocoders if isinstance(g, AddressGeocoder)]
    assert isinstance(g.service, KakaoService)
    assert (g.service.key, g.service.timeout_s, g.service.url) == \
        ("12345", 1.5, "https://dapi.kakao.com/v2/local/search/address.json")
    _close(g)

