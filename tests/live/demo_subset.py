"""The demo registry cut down to the providers the live tests touch, written once per run.

The live tests write availability for demo providers near 수원시청 and search around it; each
app or server reading the whole 9.3 MB demo took 2.4 s, most of the live tests' time. The
subset keeps the demo's metadata (so availability times are rebased as in the demo) and every
feature within ``RADIUS_KM`` of 수원시청 plus the ids the tests name elsewhere.
"""

from __future__ import annotations

import atexit
import functools
import json
import math
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "facilities" / "gyeonggi-demo.geojson"
SUWON_LON, SUWON_LAT = 127.045, 37.2636
RADIUS_KM = 3.0
NAMED_IDS = frozenset({"demo-dc-09396", "demo-hv-00001", "demo-hv-00002",
                       *(f"demo-dc-{n:05d}" for n in range(1, 11))})
KM_PER_DEGREE_LAT = 111.0
KM_PER_DEGREE_LON = 88.4  # at 37.3°N; a rough disc is enough to choose features


def _near_suwon(feature: dict) -> bool:
    if feature["id"] in NAMED_IDS:
        return True
    geometry = feature.get("geometry")
    if not geometry:
        return False
    lon, lat = geometry["coordinates"]
    return math.hypot((lon - SUWON_LON) * KM_PER_DEGREE_LON,
                      (lat - SUWON_LAT) * KM_PER_DEGREE_LAT) <= RADIUS_KM


@functools.cache
def live_registry() -> Path:
    """Path of the subset GeoJSON (a temporary file, removed when the run ends)."""
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if _near_suwon(f)]
    folder = Path(tempfile.mkdtemp(prefix="dolbom-live-registry-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "live-demo.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path
