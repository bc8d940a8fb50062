"""The canonical facility model: one record per child care provider.

Field-by-field documentation with units is in ``data/facilities/README.md``; the GeoJSON
form (``to_feature`` / ``from_feature``) is the registry file format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .hours import WeeklyHours

KINDS = ("daycare", "community_child_center", "together_care_center", "home_visit_provider")
KIND_NAMES_KO = {
    "daycare": "어린이집",
    "community_child_center": "지역아동센터",
    "together_care_center": "다함께돌봄센터",
    "home_visit_provider": "아이돌봄 서비스제공기관",
}
PROGRAMMES = ("elementary_emergency", "always_daycare", "home_visit_emergency")
ESTABLISHMENT_TYPES = ("국공립", "사회복지법인", "법인·단체등", "민간", "가정", "협동", "직장")
# Daycare service flags: id -> Korean name used in the official registries.
SERVICES = {
    "night": "야간연장",
    "holiday": "휴일보육",
    "24h": "24시간",
    "hourly": "시간제보육",
    "disability_integrated": "장애아통합",
    "infant_only": "영아전담",
}
STATUSES = ("정상", "휴지", "폐지", "재개")
OPEN_STATUSES = ("정상", "재개")
# Vacancy key for places outside any 언제나돌봄 programme (ordinary enrolment).
REGULAR = "regular"


class FacilityFormatError(ValueError):
    """A registry record that does not follow the facility model."""


@dataclass(frozen=True)
class Facility:
    """One child care provider. Coordinates are WGS84 degrees; ages are whole months."""

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    status: str = "정상"
    establishment_type: str | None = None
    services: frozenset[str] = frozenset()
    programmes: frozenset[str] = frozenset()
    age_min_months: int = 0
    age_max_months: int = 155
    hours: WeeklyHours = field(default_factory=lambda: WeeklyHours.from_mapping({}))
    capacity: int | None = None
    enrolment: int | None = None
    vacancies: Mapping[str, int] = field(default_factory=dict)
    availability_reported_at: datetime | None = None
    address: str | None = None
    phone: str | None = None
    sido: str | None = None
    sido_code: str | None = None
    sigungu: str | None = None
    sigungu_code: str | None = None
    emd: str | None = None
    emd_code: str | None = None
    service_area_sigungu_codes: frozenset[str] = frozenset()
    source: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.id:
            problems.append("id is empty")
        if not self.name:
            problems.append("name is empty")
        if self.kind not in KINDS:
            problems.append(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.status not in STATUSES:
            problems.append(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            problems.append(f"lon {self.lon!r} is not a longitude")
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            problems.append(f"lat {self.lat!r} is not a latitude")
        bad = set(self.programmes) - set(PROGRAMMES)
        if bad:
            problems.append(f"programmes {sorted(bad)} not in {', '.join(PROGRAMMES)}")
        bad = set(self.services) - set(SERVICES)
        if bad:
            problems.append(f"services {sorted(bad)} not in {', '.join(SERVICES)}")
        if not 0 <= self.age_min_months <= self.age_max_months:
            problems.append("ages must satisfy 0 <= age_min_months <= age_max_months")
        for key, places in self.vacancies.items():
            if key != REGULAR and key not in PROGRAMMES:
                problems.append(f"vacancy key {key!r} is not {REGULAR} or a programme")
            if not isinstance(places, int) or places < 0:
                problems.append(f"vacancies[{key}] must be a whole number >= 0")
        for name in ("capacity", "enrolment"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                problems.append(f"{name} must be a whole number >= 0")
        if problems:
            raise FacilityFormatError(f"facility {self.id!r}: " + "; ".join(problems))

    @property
    def is_open_status(self) -> bool:
        """True unless the provider is suspended (휴지) or closed (폐지)."""
        return self.status in OPEN_STATUSES

    @property
    def comes_to_family(self) -> bool:
        """True for home-visit providers, whose carers go to the family's home."""
        return self.kind == "home_visit_provider"

    def to_feature(self) -> dict[str, Any]:
        """The GeoJSON Feature of this record (the registry file format)."""
        props: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "establishment_type": self.establishment_type,
            "services": sorted(self.services),
            "programmes": sorted(self.programmes),
            "age_min_months": self.age_min_months,
            "age_max_months": self.age_max_months,
            "hours": self.hours.to_mapping(),
            "capacity": self.capacity,
            "enrolment": self.enrolment,
            "vacancies": dict(sorted(self.vacancies.items())),
            "availability_reported_at": (
                self.availability_reported_at.isoformat()
                if self.availability_reported_at
                else None
            ),
            "address": self.address,
            "phone": self.phone,
            "sido": self.sido,
            "sido_code": self.sido_code,
            "sigungu": self.sigungu,
            "sigungu_code": self.sigungu_code,
            "emd": self.emd,
            "emd_code": self.emd_code,
            "service_area_sigungu_codes": sorted(self.service_area_sigungu_codes),
            "source": self.source,
        }
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": props,
        }

    @classmethod
    def from_feature(
        cls, feature: Mapping[str, Any], time_shift: timedelta = timedelta(0)
    ) -> Facility:
        """Parse a registry GeoJSON Feature; raises :class:`FacilityFormatError`.

        ``time_shift`` is added to the availability report time (see ``read_registry``).
        """
        try:
            props = dict(feature["properties"])
            lon, lat = feature["geometry"]["coordinates"][:2]
            reported = props.get("availability_reported_at")
            return cls(
                id=str(props["id"]),
                name=str(props["name"]),
                kind=props["kind"],
                lon=float(lon),
                lat=float(lat),
                status=props.get("status", "정상"),
                establishment_type=props.get("establishment_type"),
                services=frozenset(props.get("services") or ()),
                programmes=frozenset(props.get("programmes") or ()),
                age_min_months=int(props.get("age_min_months", 0)),
                age_max_months=int(props.get("age_max_months", 155)),
                hours=WeeklyHours.from_mapping(props.get("hours") or {}),
                capacity=props.get("capacity"),
                enrolment=props.get("enrolment"),
                vacancies=dict(props.get("vacancies") or {}),
                availability_reported_at=(
                    datetime.fromisoformat(reported) + time_shift if reported else None
                ),
                address=props.get("address"),
                phone=props.get("phone"),
                sido=props.get("sido"),
                sido_code=props.get("sido_code"),
                sigungu=props.get("sigungu"),
                sigungu_code=props.get("sigungu_code"),
                emd=props.get("emd"),
                emd_code=props.get("emd_code"),
                service_area_sigungu_codes=frozenset(
                    props.get("service_area_sigungu_codes") or ()
                ),
                source=props.get("source"),
            )
        except FacilityFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FacilityFormatError(f"not a facility feature: {exc}") from exc
