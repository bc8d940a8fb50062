"""Provider ids stay the same across releases (issue 12, item 24).

Tokens, reports, links and the audit log refer to providers by id, so an id must keep naming
the same provider when the demo is regenerated or a registry is imported again by a newer
release. The other tests compare ids only within one run; these pin them to values written
down once: a sample of the demo registry (tests/data/demo_ids.json) and the ids an import
derives from a row (the recipe: SHA-1 of the mapping's ``id_from`` fields joined by ``|``,
coordinates to 7 decimals, first 16 hex digits, after the mapping's prefix)."""

from __future__ import annotations

import hashlib
import json

import pytest

from app.ingest.pipeline import import_files

from .conftest import DATA, demo_registry

PINNED = json.loads((DATA / "demo_ids.json").read_text(encoding="utf-8"))["facilities"]

PORTAL_ROWS = [
    ["시도", "시군구", "어린이집명", "어린이집유형구분", "운영현황", "우편번호", "주소", "어린이집전화번호",
     "어린이집팩스번호", "보육실수", "보육실면적", "놀이터수", "보육교직원수", "정원수", "현원수", "위도", "경도",
     "통학차량운영여부", "홈페이지주소", "인가일자", "휴지시작일자", "휴지종료일자", "폐지일자"],
    ["경기도", "수원시 영통구", "매탄해님어린이집", "민간", "정상", "16500", "경기도 수원시 영통구 매탄동 1",
     "031-111-1111", "", "5", "100", "1", "8", "40", "30", "37.2636", "127.0450", "미운영", "",
     "2001-01-01", "", "", ""],
    ["경기도", "수원시 팔달구", "행궁별빛어린이집", "국공립", "정상", "16490", "경기도 수원시 팔달구 남창동 14",
     "031-222-3333", "", "4", "80", "1", "6", "30", "20", "37.2813", "127.0138", "미운영", "",
     "2015-03-01", "", "", ""],
]
PORTAL = "".join(",".join(row) + "\n" for row in PORTAL_ROWS)
CANONICAL = "name,lon,lat,kind\n매탄해님어린이집,127.0450,37.2636,daycare\n행궁별빛어린이집,127.0138,37.2813,daycare\n"


@pytest.fixture(scope="module")
def demo():
    return {f.id: f for f in demo_registry().facilities}


def test_pinned_sample_is_broad():
    kinds = {row["kind"] for row in PINNED}
    assert kinds == {"daycare", "community_child_center", "together_care_center",
                     "home_visit_provider"}
    assert len(PINNED) >= 30


@pytest.mark.parametrize("row", PINNED, ids=[row["id"] for row in PINNED])
def test_demo_ids_name_the_same_provider_at_the_same_place(demo, row):
    f = demo.get(row["id"])
    assert f is not None, f"demo id {row['id']} disappeared"
    assert (f.name, f.kind, f.sigungu_code) == (row["name"], row["kind"], row["sigungu_code"])
    assert (f.lon, f.lat) == pytest.approx((row["lon"], row["lat"]), abs=1e-7)


def test_demo_id_scheme(demo):
    prefixes = {fid.rsplit("-", 1)[0] for fid in demo}
    assert prefixes == {"demo-dc", "demo-cc", "demo-tc", "demo-hv"}
    assert all(len(fid.rsplit("-", 1)[1]) == 5 for fid in demo)


def recipe(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def test_portal_ids(tmp_path):
    path = tmp_path / "portal.csv"
    path.write_text(PORTAL, encoding="utf-8")
    ids = {f.name: f.id for f in import_files([path]).facilities}
    assert ids == {"매탄해님어린이집": "kr-cc-339869c59449a4d3",
                   "행궁별빛어린이집": "kr-cc-781e174982ff5f8d"}
    assert ids["매탄해님어린이집"] == recipe(
        "kr-cc-", "경기도", "수원시 영통구", "매탄해님어린이집", "2001-01-01",
        "경기도 수원시 영통구 매탄동 1")


def test_own_field_names_ids(tmp_path):
    path = tmp_path / "canonical.csv"
    path.write_text(CANONICAL, encoding="utf-8")
    ids = {f.name: f.id for f in import_files([path]).facilities}
    assert ids == {"매탄해님어린이집": "imp-ba7d13d649c16f16",
                   "행궁별빛어린이집": "imp-07e58482156683f3"}
    assert ids["매탄해님어린이집"] == recipe("imp-", "매탄해님어린이집", "127.0450000", "37.2636000")
