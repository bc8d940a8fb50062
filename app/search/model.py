"""The canonical facility model: one record per child care provider.

Field-by-field documentation with units is in ``data/facilities/README.md``; the GeoJSON
form (``to_feature`` / ``from_feature``) is the registry file format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, overload

from app.domain import DomainError

from .hours import WeeklyHours
from .locale import DEFAULT_TIMEZONE, parse_local_time, zone

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


class FacilityFormatError(DomainError):
    """A registry record that does not follow the facility model."""


@dataclass(frozen=True)
class Facility:
    """One child care provider. Coordinates are WGS84 degrees; ages are whole months.

    ``hours`` and the age bounds are ``None`` when unknown (a registry that does not give
    them): unknown hours never match a time filter and unknown ages never match an age
    filter, so a provider is never presented as open or eligible on a guess.
    ``availability_reported_at`` carries its time zone (a naive time is refused).
    """

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    status: str = "정상"
    establishment_type: str | None = None
    services: frozenset[str] = frozenset()
    programmes: frozenset[str] = frozenset()
    age_min_months: int | None = 0
    age_max_months: int | None = 155
    hours: WeeklyHours | None = field(default_factory=lambda: WeeklyHours.from_mapping({}))
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
        known_ages = [a for a in (self.age_min_months, self.age_max_months) if a is not None]
        if any(isinstance(a, bool) or not isinstance(a, int) or a < 0 for a in known_ages) or \
                (len(known_ages) == 2 and known_ages[0] > known_ages[1]):
            problems.append("ages must be whole numbers (or unknown) with "
                            "0 <= age_min_months <= age_max_months")
        if self.hours is not None and not isinstance(self.hours, WeeklyHours):
            problems.append("hours must be weekly hours or unknown")
        reported = self.availability_reported_at
        if reported is not None and (not isinstance(reported, datetime) or reported.tzinfo is None):
            problems.append("availability_reported_at must be a time with its zone (a naive "
                            "time would be read in the server's zone)")
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
            "hours": self.hours.to_mapping() if self.hours is not None else None,
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
        cls, feature: Mapping[str, Any], time_shift: timedelta = timedelta(0),
        tz: tzinfo | None = None,
    ) -> Facility:
        """Parse a registry GeoJSON Feature; raises :class:`FacilityFormatError`.

        ``time_shift`` is added to the availability report time (see ``read_registry``); a
        report time without an offset is read in ``tz``, the registry's zone (Asia/Seoul when
        not given). Missing or null ``hours`` and ages are unknown.
        """
        try:
            props = dict(feature["properties"])
            lon, lat = feature["geometry"]["coordinates"][:2]
            reported = props.get("availability_reported_at")
            hours = props.get("hours")
            age_min, age_max = props.get("age_min_months"), props.get("age_max_months")
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
                age_min_months=None if age_min is None else int(age_min),
                age_max_months=None if age_max is None else int(age_max),
                hours=None if hours is None else WeeklyHours.from_mapping(hours),
                capacity=props.get("capacity"),
                enrolment=props.get("enrolment"),
                vacancies=dict(props.get("vacancies") or {}),
                availability_reported_at=(
                    parse_local_time(reported, tz or zone(DEFAULT_TIMEZONE)) + time_shift
                    if reported else None
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


# --- who may use a 언제나돌봄 programme (rules kept as data in app/reference/programmes.json) ---
@overload
def sigun_code(sigungu_code: str) -> str: ...
@overload
def sigun_code(sigungu_code: None) -> None: ...
def sigun_code(sigungu_code: str | None) -> str | None:
    """The 시군 code of a 5-digit 시군구 code: a 일반구 shares its city's first four digits and
    the city's code ends in 0 (41113 수원시 권선구 -> 41110 수원시; 41590 화성시 -> 41590).
    Codes that are not five digits are returned as they are; ``None`` stays ``None``."""
    if sigungu_code is None or len(sigungu_code) != 5 or not sigungu_code.isdigit():
        return sigungu_code
    return sigungu_code[:4] + "0"


def in_region(sigungu_code: str | None, region: str) -> bool:
    """True when a 시군구 code lies in ``region``: that 시군구 itself, or (for a 시군 code such as
    41110) any of its 일반구 (41111 … 41117)."""
    return sigungu_code is not None and (sigungu_code == region or sigun_code(sigungu_code) == region)


@dataclass(frozen=True)
class ProgrammeRule:
    """Who may use a programme and who may offer it (see ``programmes.json``'s
    ``eligibility``). Ages are whole months, inclusive; codes are 2-digit 시도 or 5-digit 시군."""

    id: str
    age_min_months: int
    age_max_months: int
    where: str  # "centre": the child goes to the provider; "home": a carer comes to the home
    kinds: frozenset[str]
    sigun_codes: frozenset[str]
    residents_of: frozenset[str]

    def family_may_use(self, age_months: int | None, home_sigungu_code: str | None) -> bool:
        """The family-side rules: the age (unchecked when ``None``), where the family lives and,
        for programmes at home, whether the home's 시군 runs the programme.

        ``home_sigungu_code``: the 시군구 of the home, ``""`` when the home lies in no known
        시군구 (then no residence rule is met), ``None`` when the caller does not apply the
        residence rules (the API always gives the home's)."""
        if age_months is not None and not self.age_min_months <= age_months <= self.age_max_months:
            return False
        if home_sigungu_code is None:
            return True
        if self.where == "home" and sigun_code(home_sigungu_code) not in self.sigun_codes:
            return False
        return any(home_sigungu_code.startswith(r) if len(r) == 2 else in_region(home_sigungu_code, r)
                   for r in self.residents_of)

    def offered_by(self, f: Facility) -> bool:
        """The provider-side rules: it takes part in the programme, is of one of its kinds and,
        for programmes at a centre, lies in a 시군 that runs the programme."""
        return (self.id in f.programmes and f.kind in self.kinds
                and (self.where != "centre" or sigun_code(f.sigungu_code) in self.sigun_codes))


@lru_cache(maxsize=1)
def programme_rules() -> dict[str, ProgrammeRule]:
    """The eligibility rule of every programme in ``PROGRAMMES``, from ``programmes.json``."""
    from app.reference import programmes

    out = {}
    for pid, spec in programmes().items():
        sigun_codes = frozenset(spec["sigun_codes"])
        residents = spec.get("residents_of", [])
        out[pid] = ProgrammeRule(
            id=pid, age_min_months=int(spec["age_min_months"]),
            age_max_months=int(spec["age_max_months"]), where=spec["where"],
            kinds=frozenset(spec["kinds"]), sigun_codes=sigun_codes,
            residents_of=sigun_codes if residents == "sigun_codes" else frozenset(residents))
    missing = set(PROGRAMMES) - set(out)
    if missing:
        raise RuntimeError(f"programmes.json has no rule for {sorted(missing)}")
    return out


def usable_programmes(programmes: frozenset[str] | None, age_months: int | None,
                      home_sigungu_code: str | None) -> frozenset[str]:
    """Of the requested ``programmes``, those this family may use (age, residence, and the
    home's 시군 for programmes at home); see :meth:`ProgrammeRule.family_may_use`."""
    rules = programme_rules()
    return frozenset(p for p in programmes or () if rules[p].family_may_use(age_months, home_sigungu_code))
