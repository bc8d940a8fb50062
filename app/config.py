"""Default settings. Override in ``instance/config.py`` or with ``DOLBOM_*`` environment variables."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_REGISTRY_PATH = PROJECT_ROOT / "data" / "facilities" / "gyeonggi-demo.geojson"

# The registry the service loads. None: instance/registry.geojson when an import has written
# one, else the committed synthetic demo registry.
REGISTRY_PATH = None
# A vacancy figure older than this counts as unknown, never as available.
AVAILABILITY_MAX_AGE_HOURS = 24
# Results per search request.
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 100
SEARCH_MAX_RADIUS_M = 100_000
