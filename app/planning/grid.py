"""The Korean national grid (국가지점번호) in EPSG:5179, and regular square cells over areas.

A cell id is two Hangul letters and two equal runs of digits, e.g. ``다사642368``:
- the first letter is the 100 km column, 가..사 eastward from 700,000 m E;
- the second letter is the 100 km row, 가..아 northward from 1,300,000 m N;
- then the easting digits and the northing digits within that square: 1+1 digits = 10 km,
  2+2 = 1 km, 3+3 = 100 m, 4+4 = 10 m cells. Spaces are ignored (``다사 6423 3680``).
Source: ../shared/DOMAIN.md (국가지점번호).
"""

from __future__ import annotations

import re

import numpy as np

import shapely

from app.domain import DomainError

ORIGIN_E_M = 700_000
ORIGIN_N_M = 1_300_000
SQUARE_M = 100_000
EAST_LETTERS = "가나다라마바사"
NORTH_LETTERS = "가나다라마바사아"
_CELL = re.compile(r"^([가-힣])([가-힣])(\d+)$")


class GridCodeError(DomainError):
    """A 국가지점번호 that cannot be decoded (the message says why)."""


def decode(cell_id: str) -> tuple[float, float, float]:
    """The south-west corner (easting, northing, EPSG:5179 metres) and side length of a cell."""
    text = "".join(str(cell_id).split())
    m = _CELL.match(text)
    if not m:
        raise GridCodeError(f"{cell_id!r} is not a 국가지점번호: two Hangul letters then digits, "
                            "e.g. 다사642368")
    col, row, digits = m.groups()
    if col not in EAST_LETTERS:
        raise GridCodeError(f"{cell_id!r}: the first letter must be one of {EAST_LETTERS}")
    if row not in NORTH_LETTERS:
        raise GridCodeError(f"{cell_id!r}: the second letter must be one of {NORTH_LETTERS}")
    if len(digits) % 2 or not 2 <= len(digits) <= 8:
        raise GridCodeError(f"{cell_id!r}: needs 2, 4, 6 or 8 digits (easting then northing), "
                            f"not {len(digits)}")
    half = len(digits) // 2
    size_m = SQUARE_M / 10**half
    east = ORIGIN_E_M + EAST_LETTERS.index(col) * SQUARE_M + int(digits[:half]) * size_m
    north = ORIGIN_N_M + NORTH_LETTERS.index(row) * SQUARE_M + int(digits[half:]) * size_m
    return east, north, size_m


def encode(x_m: float, y_m: float, digits: int = 3) -> str:
    """The id of the cell holding an EPSG:5179 point, ``digits`` per axis (3 = 100 m cells)."""
    if not 1 <= digits <= 4:
        raise GridCodeError("digits must be 1 (10 km), 2 (1 km), 3 (100 m) or 4 (10 m)")
    col, e = divmod(x_m - ORIGIN_E_M, SQUARE_M)
    row, n = divmod(y_m - ORIGIN_N_M, SQUARE_M)
    if not (0 <= col < len(EAST_LETTERS) and 0 <= row < len(NORTH_LETTERS)):
        raise GridCodeError(f"({x_m:.0f}, {y_m:.0f}) is outside the 국가지점번호 area")
    size_m = SQUARE_M / 10**digits
    return (EAST_LETTERS[int(col)] + NORTH_LETTERS[int(row)]
            + f"{int(e // size_m):0{digits}d}{int(n // size_m):0{digits}d}")


def encode_many(x_m: np.ndarray, y_m: np.ndarray, digits: int = 3) -> np.ndarray:
    """:func:`encode` for arrays of points (the same ids, the arithmetic done on the arrays)."""
    x = np.asarray(x_m, float).ravel()
    y = np.asarray(y_m, float).ravel()
    if len(x) != len(y):
        raise ValueError(f"x_m and y_m differ in length ({len(x)} and {len(y)})")
    if not 1 <= digits <= 4 or len(x) == 0:
        return np.array([encode(a, b, digits) for a, b in zip(x, y, strict=True)], dtype=object)
    col, e = np.divmod(x - ORIGIN_E_M, SQUARE_M)  # numpy's float divmod is Python's
    row, n = np.divmod(y - ORIGIN_N_M, SQUARE_M)
    bad = ~((col >= 0) & (col < len(EAST_LETTERS)) & (row >= 0) & (row < len(NORTH_LETTERS)))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        encode(float(x[k]), float(y[k]), digits)  # raises, naming the point
    size_m = SQUARE_M / 10**digits
    east = np.floor_divide(e, size_m).astype(np.int64).tolist()
    north = np.floor_divide(n, size_m).astype(np.int64).tolist()
    return np.array([f"{EAST_LETTERS[c]}{NORTH_LETTERS[r]}{a:0{digits}d}{b:0{digits}d}"
                     for c, r, a, b in zip(col.astype(np.int64).tolist(), row.astype(np.int64).tolist(),
                                           east, north, strict=True)], dtype=object)


def cell_polygon(cell_id: str) -> shapely.Polygon:
    """The square of a cell in EPSG:5179."""
    east, north, size_m = decode(cell_id)
    return shapely.box(east, north, east + size_m, north + size_m)


def cells_over(geometry_m: shapely.Geometry, cell_m: float,
               with_pieces: bool = False) -> tuple[np.ndarray, ...]:
    """Square cells of side ``cell_m`` aligned to the national grid that meet a polygon
    (EPSG:5179): south-west corners x, y and the area in m² of each cell inside the polygon;
    with ``with_pieces`` also each cell's part inside the polygon (the whole box for a cell
    wholly inside), so callers need not intersect again."""
    if cell_m <= 0 or SQUARE_M % cell_m:
        raise GridCodeError(f"cell size {cell_m} m must divide 100,000 m (e.g. 100, 250, 500, 1000)")
    minx, miny, maxx, maxy = geometry_m.bounds
    xs = np.arange(np.floor(minx / cell_m) * cell_m, maxx, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m, maxy, cell_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(gx, gy, gx + cell_m, gy + cell_m)
    shapely.prepare(geometry_m)
    hit = shapely.intersects(geometry_m, boxes)
    gx, gy, boxes = gx[hit], gy[hit], boxes[hit]
    inside = shapely.contains(geometry_m, boxes)
    area = np.full(len(boxes), float(cell_m) ** 2)
    pieces = boxes.copy()
    if (~inside).any():
        pieces[~inside] = shapely.intersection(boxes[~inside], geometry_m)
        area[~inside] = shapely.area(pieces[~inside])
    keep = area > 0
    if with_pieces:
        return gx[keep], gy[keep], area[keep], pieces[keep]
    return gx[keep], gy[keep], area[keep]
