"""The registry in PostGIS, and nearest search run there (KNN with ``<->``), equivalent to the
in-memory index: same filters, same metric (EPSG:5179 planar, points projected by the same
pyproj code), same order (distance, then id). App servers then need no local data files."""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.geo.crs import to_metric
from app.live.service import LiveOverlay
from app.registry.io import Registry
from app.search.index import UNKNOWN_AGE_MAX, UNKNOWN_AGE_MIN, Criteria, FacilityIndex, has_static_filters
from app.search.locale import KOREA, RegistryLocale
from app.search.model import OPEN_STATUSES, PROGRAMMES, SERVICES, Facility, programme_rules


def _bits(values: Iterable[str], universe: Iterable[str]) -> int:
    return sum(1 << list(universe).index(v) for v in values)


def store_registry(engine: sa.Engine, registry: Registry) -> int:
    """Replace the registry in the database (one transaction); returns the number stored."""
    facilities = registry.facilities
    # In the registry's metric CRS, as the query points (EPSG:5179 for Korea; the column's SRID
    # stays 5179, the planar distances are the registry's own).
    x, y = to_metric([f.lon for f in facilities], [f.lat for f in facilities],
                     registry.locale.metric_crs)
    rows = [{"id": f.id, "kind": f.kind, "status": f.status,
             "pb": _bits(f.programmes, PROGRAMMES), "sb": _bits(f.services, SERVICES),
             # Unknown ages (None) are stored as bounds no age passes, as in the memory index.
             "amin": UNKNOWN_AGE_MIN if f.age_min_months is None else f.age_min_months,
             "amax": UNKNOWN_AGE_MAX if f.age_max_months is None else f.age_max_months,
             "feature": json.dumps(f.to_feature(), ensure_ascii=False),
             "x": float(xi), "y": float(yi)} for f, xi, yi in zip(facilities, x, y, strict=True)]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM facilities"))
        conn.execute(sa.text(
            "INSERT INTO facilities (id, kind, status, programme_bits, service_bits, age_min, "
            "age_max, feature, geom) VALUES (:id, :kind, :status, :pb, :sb, :amin, :amax, "
            "CAST(:feature AS jsonb), ST_SetSRID(ST_MakePoint(:x, :y), 5179))"), rows)
        # stored_at tells every app server that a new registry is here (app.registry.store).
        meta = {**registry.meta, "stored_at": datetime.now(UTC).isoformat()}
        conn.execute(sa.text("INSERT INTO registry_meta (id, meta) VALUES (1, CAST(:m AS jsonb)) "
                             "ON CONFLICT (id) DO UPDATE SET meta = EXCLUDED.meta"),
                     {"m": json.dumps(meta, ensure_ascii=False)})
    return len(rows)


class PostgisSource:
    """The registry stored in PostGIS (``flask registry-to-db``), searched there with KNN; its
    signature is the time it was stored. See :class:`app.registry.sources.RegistrySource`."""

    def __init__(self, engine: sa.Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("a PostGIS registry needs DATABASE_URL to be PostgreSQL")
        self.engine = engine

    def signature(self) -> Hashable:
        """When the registry in the database was stored (None: never)."""
        return stored_at(self.engine)

    def load(self, now: datetime) -> Registry:
        """The registry in the database (:func:`load_registry`)."""
        return load_registry(self.engine, now)

    def index(self, registry: Registry, max_age: timedelta, live: LiveOverlay) -> FacilityIndex:
        """The index that runs nearest and within searches as SQL (:class:`PostgisIndex`)."""
        return PostgisIndex(registry.facilities, max_age, self.engine, live=live,
                            locale=registry.locale)


def stored_at(engine: sa.Engine) -> str | None:
    """When the registry in the database was stored (None: never)."""
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT meta->>'stored_at' FROM registry_meta WHERE id = 1")).scalar()


def load_registry(engine: sa.Engine, now: datetime) -> Registry:
    """The registry stored in the database (demo report times rebased as in read_registry)."""
    # One snapshot: a registry stored meanwhile cannot mix with this one.
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        meta = conn.execute(sa.text("SELECT meta FROM registry_meta WHERE id = 1")).scalar()
        if meta is None:
            raise LookupError("no registry in the database: run `flask registry-to-db` first")
        locale = RegistryLocale.from_meta(meta)  # naive times are in the registry's zone
        shift = timedelta(0)
        if meta.get("rebase_availability_times"):
            shift = now - locale.parse_time(meta["generated_at"])
        rows = conn.execute(sa.text("SELECT feature FROM facilities ORDER BY id")).scalars()
        facilities = tuple(Facility.from_feature(r, time_shift=shift, tz=locale.tz) for r in rows)
    return Registry(meta=dict(meta), facilities=facilities)


# A provider's 시군구 code, and its 시군 (app.search.model.sigun_code: 41113 -> 41110).
_SIGUNGU = "(feature->'properties'->>'sigungu_code')"
_SIGUN = f"(CASE WHEN {_SIGUNGU} ~ '^[0-9]{{5}}$' THEN left({_SIGUNGU}, 4) || '0' END)"


def _programme_sql(c: Criteria, params: dict) -> str:
    """The programme filter with its eligibility rules, as in memory (``_Columns.mask``): the
    provider offers one of the programmes this family may use, is of that programme's kinds and,
    for programmes at a centre, lies in a 시군 that runs it."""
    rules = programme_rules()
    alternatives = []
    for n, pid in enumerate(sorted(c.usable_programmes)):
        rule = rules[pid]
        params[f"pb{n}"], params[f"pk{n}"] = _bits([pid], PROGRAMMES), sorted(rule.kinds)
        term = f"(programme_bits & :pb{n}) <> 0 AND kind = ANY(:pk{n})"
        if rule.where == "centre":
            params[f"ps{n}"] = sorted(rule.sigun_codes)
            term += f" AND {_SIGUN} = ANY(:ps{n})"
        alternatives.append(f"({term})")
    return f"({' OR '.join(alternatives)})" if alternatives else "FALSE"


class PostgisIndex(FacilityIndex):
    """A :class:`FacilityIndex` whose candidate walk is a KNN query in PostGIS."""

    walks_in_memory = False

    def __init__(self, facilities: Sequence[Facility], max_age: timedelta, engine: sa.Engine,
                 live: LiveOverlay | None = None, locale: RegistryLocale = KOREA) -> None:
        super().__init__(facilities, max_age, live=live, locale=locale)
        self.engine = engine
        self._position = {f.id: i for i, f in enumerate(self.facilities)}

    def walk_candidates(self, x: float, y: float, c: Criteria, now: datetime, limit: int,
                        radius_m: float | None) -> Iterator[list[tuple[int, float]]]:
        """:meth:`FacilityIndex.walk_candidates` as one KNN query per batch."""
        where = ["status = ANY(:open)", "kind <> 'home_visit_provider'"]
        params: dict = {"x": x, "y": y, "open": list(OPEN_STATUSES)}
        if c.kinds is not None:
            where.append("kind = ANY(:kinds)")
            params["kinds"] = sorted(c.kinds)
        if c.programmes:
            where.append(_programme_sql(c, params))
        if c.region is not None:
            where.append(f"({_SIGUNGU} = :region OR {_SIGUN} = :region)")
            params["region"] = c.region
        if c.services:
            where.append("(service_bits & :sb) = :sb")
            params["sb"] = _bits(c.services, SERVICES)
        if c.age_months is not None:
            where.append("age_min <= :age AND age_max >= :age")
            params["age"] = c.age_months
        if radius_m is not None:
            where.append("ST_DWithin(geom, ST_SetSRID(ST_MakePoint(:x, :y), 5179), :r)")
            params["r"] = radius_m
        sql = sa.text(
            "SELECT id, geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 5179) AS d FROM facilities "
            # Ties by id in code-point order, as in memory, whatever the database's collation.
            f"WHERE {' AND '.join(where)} ORDER BY d, id COLLATE \"C\" LIMIT :k OFFSET :o")
        dynamic = c.start is not None or c.available_only
        k = max(32, limit * 4) if dynamic or has_static_filters(c) else limit + 6
        offset = 0
        position = self._position
        with self.engine.connect() as conn:
            while True:
                rows = conn.execute(sql, {**params, "k": k, "o": offset}).all()
                batch = []
                for fid, d in rows:
                    i = position.get(fid)
                    if i is None:
                        continue  # stored after this index was loaded; the reload is coming
                    if not dynamic or self.dynamic_ok(self.facilities[i], c, now):
                        batch.append((i, float(d)))
                if batch:
                    yield batch
                if len(rows) < k:
                    return
                offset += k
                k *= 4
