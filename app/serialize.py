"""JSON text of API results. Facility records never change while an index is loaded, so each
one's JSON is encoded once per index and reused; responses are assembled from those pieces."""

from __future__ import annotations

import json
from typing import Any
from weakref import WeakKeyDictionary

from app.search.index import FacilityIndex, Hit
from app.search.model import Facility

_TEXT: WeakKeyDictionary[FacilityIndex, dict[str, str]] = WeakKeyDictionary()
_REPORTED: WeakKeyDictionary[FacilityIndex, dict[str, str]] = WeakKeyDictionary()


def dumps(value: Any) -> str:
    """Compact JSON with Hangul as text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def facility_json(f: Facility) -> dict[str, Any]:
    """The public form of a facility: the registry properties plus lon/lat."""
    props = f.to_feature()["properties"]
    props.pop("source", None)
    props["lon"], props["lat"] = f.lon, f.lat
    return props


def _cache_of(caches: WeakKeyDictionary, index: FacilityIndex) -> dict[str, str]:
    cache = caches.get(index)
    if cache is None:
        cache = caches.setdefault(index, {})
    return cache


def facility_text(index: FacilityIndex, f: Facility) -> str:
    """``facility_json(f)`` as JSON text, encoded once per index."""
    cache = _cache_of(_TEXT, index)
    text = cache.get(f.id)
    if text is None:
        text = cache[f.id] = dumps(facility_json(f))
    return text


def _reported_text(index: FacilityIndex, facility_id: str, reported_at) -> str:
    if reported_at is None:
        return "null"
    cache = _cache_of(_REPORTED, index)
    text = cache.get(facility_id)
    if text is None:
        text = cache[facility_id] = f'"{reported_at.isoformat()}"'
    return text


def hit_text(index: FacilityIndex, h: Hit) -> str:
    """One search result as JSON text. Formatted directly: it runs ten times on every search,
    and every value here is a number, null, a fixed word or an ISO time."""
    a = h.availability
    if h.distance_m is None:
        where = '"distance_m":null,"walking_minutes":null,"comes_to_you":true'
    else:
        where = (f'"distance_m":{round(h.distance_m, 1)!r},'
                 f'"walking_minutes":{h.walking_minutes},"comes_to_you":false')
    detour = "null" if h.detour_m is None else repr(round(h.detour_m, 1))
    places = "null" if a.places is None or a.status == "unknown" else str(a.places)
    reported = _reported_text(index, h.facility.id, a.reported_at)
    age = "null" if a.age_minutes is None else str(a.age_minutes)
    return (
        f'{{"facility":{facility_text(index, h.facility)},{where},"near":"{h.anchor}",'
        f'"detour_m":{detour},"availability":{{"status":"{a.status}","places":{places},'
        f'"reported_at":{reported},"age_minutes":{age}}}}}'
    )


def results_body(items: list[str], meta: dict[str, Any]) -> str:
    """``{"results": [...], **meta}``."""
    return '{"results":[' + ",".join(items) + "]," + dumps(meta)[1:]


def feature_collection_body(features: list[tuple[Facility, str]], meta: dict[str, Any]) -> str:
    """A GeoJSON FeatureCollection whose features carry the given items as properties."""
    parts = [
        '{"type":"Feature","id":' + dumps(f.id)
        + ',"geometry":{"type":"Point","coordinates":[' + repr(f.lon) + "," + repr(f.lat)
        + ']},"properties":' + text + "}"
        for f, text in features
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]," + \
        dumps(meta)[1:]


_COMPACT: WeakKeyDictionary[FacilityIndex, dict[str, str]] = WeakKeyDictionary()


def compact_text(index: FacilityIndex, f: Facility) -> str:
    """Just what a map layer needs: id, name, kind, lon, lat."""
    cache = _cache_of(_COMPACT, index)
    text = cache.get(f.id)
    if text is None:
        text = cache[f.id] = dumps({"id": f.id, "name": f.name, "kind": f.kind,
                                    "lon": f.lon, "lat": f.lat})
    return text
