"""The floor for the HTTP benchmark: a bare Flask app over a scipy cKDTree of the same registry.

``/nearest?lat=&lon=`` returns the 10 nearest points (id, distance in metres);
``/bbox?bbox=minlon,minlat,maxlon,maxlat`` returns the points in the box (first 100), found
in the box's band of a longitude-sorted array (as the API does; a full scan at 1,000,000
points would make a floor nothing needs to stand on).
No filters, no checks beyond float parsing: what this stack costs at the least.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from flask import Flask, jsonify, request
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config import DEMO_REGISTRY_PATH
from app.geo.crs import to_metric
from app.registry.io import read_registry

# The API's registry when the benchmark serves a bigger one (bench_http.py [seconds] [providers]).
facilities = read_registry(os.environ.get("FLOOR_REGISTRY_PATH") or DEMO_REGISTRY_PATH).facilities
ids = [f.id for f in facilities]
lon = np.array([f.lon for f in facilities])
lat = np.array([f.lat for f in facilities])
tree = cKDTree(np.column_stack(to_metric(lon, lat)))
by_lon = np.argsort(lon, kind="stable")  # the bbox looks only at the box's band of longitudes
lon_sorted = lon[by_lon]
app = Flask(__name__)


@app.get("/nearest")
def nearest():
    x, y = to_metric(float(request.args["lon"]), float(request.args["lat"]))
    dist, idx = tree.query([float(x), float(y)], k=10)
    return jsonify([{"id": ids[i], "distance_m": float(d), "lon": float(lon[i]),
                     "lat": float(lat[i])} for d, i in zip(dist, idx, strict=True)])


@app.get("/bbox")
def bbox():
    a, b, c, d = (float(v) for v in request.args["bbox"].split(","))
    band = by_lon[np.searchsorted(lon_sorted, a):np.searchsorted(lon_sorted, c, side="right")]
    inside = np.sort(band[(lat[band] >= b) & (lat[band] <= d)])[:100]
    return jsonify([{"id": ids[i], "lon": float(lon[i]), "lat": float(lat[i])} for i in inside])
