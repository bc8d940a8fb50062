"""Command-line entry for regenerating the demo registry."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from app.demo.generate import generate
from app.registry.io import write_registry

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEFAULT_PATH = DATA_DIR / "facilities" / "gyeonggi-demo.geojson"
DEFAULT_DEMAND_PATH = DATA_DIR / "demand" / "gyeonggi-demo-demand-emd.csv"


def main(argv: list[str]) -> int:
    """Generate the demo registry into PATH and its demand layer into DEMAND_PATH (defaults:
    the committed files)."""
    parser = argparse.ArgumentParser(prog="python -m app.demo", description=__doc__)
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    parser.add_argument("demand_path", nargs="?", default=None,
                        help="default: the committed demand layer, or beside PATH when PATH is given")
    args = parser.parse_args(argv)
    if args.demand_path is None:
        path = Path(args.path)
        args.demand_path = str(DEFAULT_DEMAND_PATH if path.resolve() == DEFAULT_PATH.resolve()
                               else path.with_name(path.stem + "-demand-emd.csv"))
    meta, facilities = generate()
    write_registry(args.path, meta, facilities)
    counts = Counter(f.kind for f in facilities)
    print(f"wrote {len(facilities)} synthetic facilities to {args.path}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    from app.demo.demand import demand_csv_text

    Path(args.demand_path).parent.mkdir(parents=True, exist_ok=True)
    Path(args.demand_path).write_text(demand_csv_text(), encoding="utf-8")
    print(f"wrote the synthetic demand layer to {args.demand_path}")
    return 0
