"""JSON text of API results. Facility records never change while an index is loaded, so each
one's JSON is encoded once per index and reused; responses are assembled from those pieces."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from app.search.index import FacilityIndex, Hit, walking_minutes
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


_ISO: dict = {}  # report time -> its quoted ISO text; report times repeat across searches
_ISO_MAX = 200_000
_HOME_VISIT = '"distance_m":null,"walking_minutes":null,"comes_to_you":true'


def _iso_text(moment: datetime | None) -> str:
    if moment is None:
        return "null"
    key = (moment, moment.utcoffset())  # equal instants in two offsets print differently
    text = _ISO.get(key)
    if text is None:
        if len(_ISO) >= _ISO_MAX:
            _ISO.clear()
        text = _ISO[key] = f'"{moment.isoformat()}"'
    return text


_ONLINE: dict[frozenset[str], str] = {}  # a set of programmes -> its JSON list (few distinct sets)


def _online_text(online: Mapping[str, frozenset[str]] | None, facility_id: str) -> str:
    if online is None:
        return "null"
    found = online.get(facility_id, frozenset())
    text = _ONLINE.get(found)
    if text is None:
        text = _ONLINE[found] = dumps(sorted(found))
    return text


def hits_text(index: FacilityIndex, hits: list[Hit],
              online: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """Search results as JSON texts. Formatted directly: this runs on every search, and every
    value here is a number, null, a fixed word or an ISO time (keyed by the time itself, so a
    provider's new report shows its new time).

    ``online``: the programmes each provider takes bookings for online now or over the
    search's window (facility id -> programmes, :func:`app.care.bookings.open_online`,
    :func:`app.care.bookings.open_in_window`; a provider missing: none), written as
    each hit's ``books_online`` list; None (not known, the database out of reach): null."""
    cache = _cache_of(_TEXT, index)
    out = []
    for h in hits:
        f = h.facility
        ftext = cache.get(f.id)
        if ftext is None:
            ftext = cache[f.id] = dumps(facility_json(f))
        a = h.availability
        d = h.distance_m
        where = _HOME_VISIT if d is None else \
            f'"distance_m":{d:.1f},"walking_minutes":{walking_minutes(d)},"comes_to_you":false'
        detour = "null" if h.detour_m is None else f"{h.detour_m:.1f}"
        places = "null" if a.places is None or a.status == "unknown" else str(a.places)
        age = "null" if a.age_minutes is None else str(a.age_minutes)
        out.append(
            f'{{"facility":{ftext},{where},"near":"{h.anchor}","detour_m":{detour},'
            f'"availability":{{"status":"{a.status}","places":{places},'
            f'"reported_at":{_iso_text(a.reported_at)},"age_minutes":{age}}},'
            f'"books_online":{_online_text(online, f.id)}}}')
    return out


def hit_text(index: FacilityIndex, h: Hit, online: Mapping[str, frozenset[str]] | None = None) -> str:
    """One search result as JSON text (see :func:`hits_text`)."""
    return hits_text(index, [h], online)[0]


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
