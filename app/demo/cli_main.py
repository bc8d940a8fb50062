"""Command-line entry for regenerating the demo registry."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from app.demo.generate import generate
from app.registry.io import write_registry

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "facilities" / "gyeonggi-demo.geojson"


def main(argv: list[str]) -> int:
    """Generate the demo registry into PATH (default: the committed demo file)."""
    parser = argparse.ArgumentParser(prog="python -m app.demo", description=__doc__)
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    args = parser.parse_args(argv)
    meta, facilities = generate()
    write_registry(args.path, meta, facilities)
    counts = Counter(f.kind for f in facilities)
    print(f"wrote {len(facilities)} synthetic facilities to {args.path}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0
