"""Default settings. Override in ``instance/config.py`` or with ``DOLBOM_*`` environment variables."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_REGISTRY_PATH = PROJECT_ROOT / "data" / "facilities" / "gyeonggi-demo.geojson"

# The registry the service loads. None: instance/registry.geojson when an import has written
# one, else the committed synthetic demo registry.
REGISTRY_PATH = None
# How often (seconds) a server process looks whether the registry changed (an import, or
# `flask registry-to-db`); a change is loaded aside and swapped in without a restart.
REGISTRY_CHECK_SECONDS = 2.0
# A vacancy figure older than this counts as unknown, never as available.
AVAILABILITY_MAX_AGE_HOURS = 24
# Results per search request.
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 100
SEARCH_MAX_RADIUS_M = 100_000
# Bounding-box listing for the map layer of all providers (compact fields only).
BBOX_COMPACT_MAX_LIMIT = 20_000

# Base map tiles: any XYZ template (VWorld works too). When no tile loads (an intranet, our
# tests) the map still shows the 시군구 outlines and the markers.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = "© OpenStreetMap contributors"
TILE_MAX_ZOOM = 19
MAP_CENTER = (37.41, 127.25)  # lat, lon: the middle of 경기도
MAP_ZOOM = 10

# Sites allowed to embed /embed in an iframe (Content-Security-Policy frame-ancestors), e.g.
# ["https://www.suwon.go.kr"]. Every other page refuses to be framed.
EMBED_ALLOWED_ORIGINS: list[str] = []

# Place search: geocoders asked in turn ("module:Class"); the first is the offline gazetteer.
GEOCODERS = ["app.geocoding:GazetteerGeocoder"]

# Where provider reports live: a SQLAlchemy URL such as
# postgresql+psycopg://user:pass@host/dolbom. None: SQLite (WAL) in the instance folder.
DATABASE_URL = None
# Apply pending schema migrations at start-up (turn off to run `flask db-upgrade` yourself).
DATABASE_AUTO_MIGRATE = True

# Where the registry lives and nearest search runs: "memory" (the registry file, loaded into
# every process) or "postgis" (the facilities table of DATABASE_URL, loaded there with
# `flask registry-to-db`; KNN search in the database; no data files on the app servers).
SEARCH_BACKEND = "memory"

# Planners' demand layer: a CSV of children per area code (읍면동 or 시군구; `areas`), per
# 국가지점번호 grid cell (`cells`) or per point (`points`). None: the synthetic demo layer
# (data/demand/). Build one from the MOIS tables with `flask planning-demand`.
PLANNING_DEMAND_PATH = None
PLANNING_DEMAND_FORMAT = "areas"
PLANNING_CELL_M = 500
