"""Benchmark: the offline gazetteer's load and 1,000 place searches of what parents type.

Run: .venv/bin/python bench/bench_places.py     (prints figures; not a test)
Issue 14: before the index by name, 1,000 searches took 19–41 s on a busy 2-core machine (each
search scanned all 20,569 places); now about 0.03 s, with the load at about 1 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.geo import gazetteer

QUERIES = ("수원", "판교", "영통구 매탄동", "수원시 영통구", "성남시분당구", "판교역", "동탄구", "Suwon",
           "매탄초등학교", "화성시 동탄구 청계동", "Pangyo Station", "광교중앙역")


def main() -> None:
    start = time.perf_counter()
    gazetteer.search("수원")
    load = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(1000):
        gazetteer.search(QUERIES[i % len(QUERIES)])
    took = time.perf_counter() - start
    print(f"places: {len(gazetteer.places()):,}; load and first search: {load:.2f} s; "
          f"1,000 searches: {took:.3f} s ({took:.3f} ms each)")


if __name__ == "__main__":
    main()
