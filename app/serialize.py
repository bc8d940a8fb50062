"""JSON text of API results. Facility records never change while an index is loaded, so each
one's JSON is encoded once per index and reused; responses are assembled from those pieces."""

from __future__ import annotations

import json
from typing import Any
from weakref import WeakKeyDictionary

from app.search.index import FacilityIndex, Hit
from app.search.model import Facility

_TEXT: WeakKeyDictionary[FacilityIndex, dict[str, str]] = WeakKeyDictionary()


def dumps(value: Any) -> str:
    """Compact JSON with Hangul as text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def facility_json(f: Facility) -> dict[str, Any]:
    """The public form of a facility: the registry properties plus lon/lat."""
    props = f.to_feature()["properties"]
    props.pop("source", None)
    props["lon"], props["lat"] = f.lon, f.lat
    return props


def facility_text(index: FacilityIndex, f: Facility) -> str:
    """``facility_json(f)`` as JSON text, encoded once per index."""
    cache = _TEXT.setdefault(index, {})
    text = cache.get(f.id)
    if text is None:
        text = cache[f.id] = dumps(facility_json(f))
    return text


def _number(value: float | int | None) -> str:
    return "null" if value is None else repr(value)


def hit_text(index: FacilityIndex, h: Hit) -> str:
    """One search result as JSON text (formatted directly: it is on every search's hot path,
    and every value here is a number, null, an enum word or an ISO time)."""
    a = h.availability
    distance = None if h.distance_m is None else round(h.distance_m, 1)
    detour = None if h.detour_m is None else round(h.detour_m, 1)
    places = a.places if a.status != "unknown" else None
    reported = f'"{a.reported_at.isoformat()}"' if a.reported_at else "null"
    return (
        f'{{"facility":{facility_text(index, h.facility)},"distance_m":{_number(distance)},'
        f'"walking_minutes":{_number(h.walking_minutes)},'
        f'"comes_to_you":{"true" if h.distance_m is None else "false"},'
        f'"near":"{h.anchor}","detour_m":{_number(detour)},'
        f'"availability":{{"status":"{a.status}","places":{_number(places)},'
        f'"reported_at":{reported},"age_minutes":{_number(a.age_minutes)}}}}}'
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
