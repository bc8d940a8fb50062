"""Reading and atomically writing registry files.

A registry file is a GeoJSON FeatureCollection (RFC 7946) with one foreign member,
``registry``, holding metadata (name, source, date, whether it is synthetic, and the registry's
settings: ``timezone``, ``holidays``, ``area``, ``area_name``; see ``app.search.locale``).
Features are written one per line in id order so that files diff well and regenerate
byte-identically.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import IO, Any

from app.domain import DomainError
from app.geo.crs import UnknownCRSError, crs_from_geojson_member, same_crs
from app.registry.text import TextRuleError, TextRules
from app.search.locale import REPORT_CLOCK_SKEW, LocaleError, RegistryLocale
from app.search.model import Facility, FacilityFormatError


class RegistryFileError(DomainError):
    """A registry file that cannot be read as a registry."""


@dataclass(frozen=True)
class Registry:
    """Facilities with the metadata of the file they came from."""

    meta: dict[str, Any]
    facilities: tuple[Facility, ...] = field(default_factory=tuple)

    @property
    def synthetic(self) -> bool:
        """True for generated demo data, which must never be taken for the real registry."""
        return bool(self.meta.get("synthetic"))

    @cached_property
    def locale(self) -> RegistryLocale:
        """The registry's time zone, holiday calendar and area (Korean when not set).
        Raises :class:`~app.search.locale.LocaleError` for unusable settings (checked by
        :func:`read_registry`)."""
        return RegistryLocale.from_meta(self.meta)


def registry_locale(meta: dict[str, Any], where: str = "registry") -> RegistryLocale:
    """The settings in registry metadata; :class:`RegistryFileError` naming the bad one."""
    try:
        return RegistryLocale.from_meta(meta)
    except LocaleError as exc:
        raise RegistryFileError(f"{where}: metadata {exc.field}: {exc}") from None


def read_registry(path: str | os.PathLike, now: datetime | None = None,
                  text_rules: TextRules | None = None) -> Registry:
    """Read a registry file; raises :class:`RegistryFileError` naming what is wrong.

    With ``now``, a registry whose metadata sets ``rebase_availability_times`` (the synthetic
    demo) has its availability report times shifted so that its ``generated_at`` becomes
    ``now``: its mix of fresh and stale figures stays a mix whatever the date.

    With ``now``, a record's availability report time lies before ``now`` (give or take
    ``REPORT_CLOCK_SKEW``): a time in the future would read as fresh for as long as it stays there.

    Every record's text meets ``text_rules`` (default: the ``REGISTRY_*`` settings' defaults),
    as an import's would: text is cleaned the same way, and an id that is not allowed, text
    over its limit or a ``crs`` member other than WGS84 refuse the file, naming the feature.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryFileError(f"registry file {path} does not exist") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryFileError(f"registry file {path} is not UTF-8 GeoJSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise RegistryFileError(f"registry file {path} is not a GeoJSON FeatureCollection")
    if "crs" in doc:
        _check_wgs84(path, doc["crs"])
    text_rules = text_rules or TextRules()
    meta = dict(doc.get("registry") or {})
    locale = registry_locale(meta, f"registry file {path}")
    shift = timedelta(0)
    if now is not None and meta.get("rebase_availability_times"):
        try:
            shift = now - locale.parse_time(meta["generated_at"])
        except (KeyError, TypeError, ValueError):
            raise RegistryFileError(f"registry file {path}: rebase_availability_times needs "
                                    "generated_at, an ISO 8601 date-time, got "
                                    f"{meta.get('generated_at')!r}") from None
        meta["availability_times_rebased_to"] = now.isoformat(timespec="seconds")
    facilities = []
    for n, feature in enumerate(doc.get("features", []), start=1):
        try:
            facility = Facility.from_feature(feature, time_shift=shift, tz=locale.tz)
            reported = facility.availability_reported_at
            if now is not None and reported is not None and reported > now + REPORT_CLOCK_SKEW:
                raise FacilityFormatError(f"facility {facility.id!r}: availability_reported_at "
                                          f"{reported.isoformat()} is in the future")
            facilities.append(text_rules.check_facility(facility))
        except (FacilityFormatError, TextRuleError) as exc:
            raise RegistryFileError(f"registry file {path}, feature {n}: {exc}") from exc
    return Registry(meta=meta, facilities=tuple(facilities))


def _check_wgs84(path: Path, member: Any) -> None:
    """A registry file is WGS84 longitude/latitude (RFC 7946): refuse a legacy ``crs`` member
    that says otherwise rather than place every point wrongly."""
    try:
        declared = crs_from_geojson_member(member)
    except UnknownCRSError as exc:
        raise RegistryFileError(f"registry file {path}: {exc}") from None
    if not same_crs(declared, "OGC:CRS84"):
        raise RegistryFileError(
            f"registry file {path} declares its coordinates in {declared}; registry files are "
            "WGS84 longitude/latitude: import it with `flask import-facilities` instead, which "
            "transforms them"
        )


def dumps_registry(meta: dict[str, Any], facilities: Iterable[Facility]) -> str:
    """The registry file text: metadata first, then one feature per line in id order."""
    features = sorted(facilities, key=lambda f: f.id)
    head = json.dumps(
        {"type": "FeatureCollection", "registry": meta}, ensure_ascii=False, sort_keys=True
    )
    lines = [head[:-1] + ', "features": [']
    body = [json.dumps(f.to_feature(), ensure_ascii=False, sort_keys=True) for f in features]
    lines.append(",\n".join(body))
    lines.append("]}\n")
    return "\n".join(lines)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, encoding: str = "utf-8", newline: str | None = "\n",
                binary: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing (text, or bytes when ``binary``); on
    success it is flushed, synced and renamed over ``path``, on any error removed. Readers see
    the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with (os.fdopen(fd, "wb") if binary
              else os.fdopen(fd, "w", encoding=encoding, newline=newline)) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_registry(
    path: str | os.PathLike, meta: dict[str, Any], facilities: Iterable[Facility]
) -> None:
    """Write a registry atomically (see :func:`atomic_open`): if anything fails the previous
    registry is left as it was."""
    text = dumps_registry(meta, facilities)
    with atomic_open(path) as fh:
        fh.write(text)
