"""The synthetic demand layer of the demo: children per 경기도 읍면동, consistent with the demo
registry.

Each 시군구's real child count (``children_by_area.csv``, MOIS 2023-12) is shared among its
읍면동 with the same urban weighting the registry's providers were placed with, times a seeded
random factor (log-normal, σ = ``noise_sigma``) so that some places have more children than
providers and some fewer: the gaps a planner looks for. 0-year-olds are the 경기도 share of the
0–9 band (MOIS 2023: 68,030 of 989,550). Deterministic: the same file every time.
"""

from __future__ import annotations

import io

import numpy as np

from app import csvsafe
from app.demo.generate import PlaceSampler, load_settings

ZERO_YEAR_SHARE_OF_0_9 = 68_030 / 989_550
NOTICE = ("# SYNTHETIC DEMO DATA: children per 읍면동 invented from 2023-12 시군구 totals; "
          "not official statistics. 합성 데모 데이터.")


def demand_rows(noise_sigma: float = 0.35) -> list[dict]:
    """One row per 읍면동: ``area_code, area_name, age_0_9, age_10_19, age_0``."""
    seed = load_settings()["seed"] + 1
    rng = np.random.default_rng(seed)
    sampler = PlaceSampler(rng)
    rows: dict[str, dict] = {}
    for code in sorted(sampler.children):
        idx = sampler.emds_of_area[code]
        w = sampler.weights[idx] * rng.lognormal(0.0, noise_sigma, len(idx))
        w = w / w.sum()
        band = {b: rng.multinomial(sampler.children[code][b], w) for b in ("0_9", "10_19")}
        zero = rng.binomial(band["0_9"], ZERO_YEAR_SHARE_OF_0_9)
        for k, i in enumerate(idx):
            emd = sampler.emds[i]
            rows[emd.emd_code] = {"area_code": emd.emd_code,
                                  "area_name": f"{emd.sigungu} {emd.emd}",
                                  "age_0_9": int(band["0_9"][k]), "age_10_19": int(band["10_19"][k]),
                                  "age_0": int(zero[k])}
    return [rows[c] for c in sorted(rows)]


def demand_csv_text() -> str:
    """The demand layer as CSV text, its first line the synthetic notice."""
    buf = io.StringIO()
    buf.write(NOTICE + "\n")
    fields = ["area_code", "area_name", "age_0_9", "age_10_19", "age_0"]
    csvsafe.write_rows(buf, fields, ([r[k] for k in fields] for r in demand_rows()),
                       lineterminator="\n")
    return buf.getvalue()
