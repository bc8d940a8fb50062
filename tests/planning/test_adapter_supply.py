"""The GeoDataFrame adapter and the supply on reported vacancies."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

import geopandas as gpd
import shapely

from app.planning import adapter
from app.planning.supply import SupplyError, build_supply
from tests.conftest import facility


def test_adapter_projects_and_delegates():
    # Two demand points 0 and 3 km east of a provider, given in WGS84: distances in metres.
    demand = gpd.GeoDataFrame({"kids": [100, 50]}, geometry=[shapely.Point(127.0, 37.3),
                                                             shapely.Point(127.0339, 37.3)],
                               crs="EPSG:4326")
    supply = gpd.GeoDataFrame({"places": [30]}, geometry=[shapely.Point(127.0, 37.3)], crs="EPSG:4326")
    out = adapter.measures_from_geodataframes(demand, "kids", supply, "places")
    assert out["nearest_m"].iloc[0] == pytest.approx(0, abs=0.01)
    assert out["nearest_m"].iloc[1] == pytest.approx(3000, rel=0.01)
    assert list(out["within_500"]) == [True, False]
    assert out["sfca"].iloc[0] == pytest.approx(0.3) and out["sfca"].iloc[1] == 0
    demand["places_here"] = [30, 0]
    out = adapter.measures_from_geodataframes(demand, "kids", supply, "places", places_col="places_here")
    assert list(out["desert"]) == [True, False]  # 100 > 3 x 30; 50 is not more than 50


def test_adapter_names_what_is_wrong():
    demand = gpd.GeoDataFrame({"kids": [1]}, geometry=[shapely.Point(127.0, 37.3)])
    supply = gpd.GeoDataFrame({"places": [1]}, geometry=[shapely.Point(127.0, 37.3)], crs="EPSG:4326")
    with pytest.raises(adapter.AdapterError, match="no CRS"):
        adapter.measures_from_geodataframes(demand, "kids", supply, "places")
    demand = demand.set_crs("EPSG:4326")
    with pytest.raises(adapter.AdapterError, match="no column 'children'"):
        adapter.measures_from_geodataframes(demand, "children", supply, "places")


def test_adapter_site_suggestion():
    demand = gpd.GeoDataFrame({"kids": [10, 20]}, geometry=[shapely.Point(127.0, 37.3),
                                                            shapely.Point(127.1, 37.3)], crs="EPSG:4326")
    existing = gpd.GeoDataFrame(geometry=[shapely.Point(127.0, 37.3)], crs="EPSG:4326")
    candidates = gpd.GeoDataFrame({"parcel": ["a", "b"]}, geometry=[shapely.Point(127.0, 37.3001),
                                                                     shapely.Point(127.1, 37.3001)],
                                  crs="EPSG:4326")
    chosen = adapter.suggest_sites_from_geodataframes(demand, "kids", existing, candidates, 100, 1)
    assert list(chosen["parcel"]) == ["b"] and list(chosen["newly_covered"]) == [20]
    assert chosen.attrs["share_after"] == 1.0


def test_supply_on_vacancies_counts_unknown_as_zero():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    fs = [facility("a", 127.0, 37.3, capacity=40, vacancies={"regular": 5},
                   availability_reported_at=now - timedelta(hours=1)),
          facility("b", 127.0, 37.31, capacity=40)]

    def vacancies(f, service):
        return f.vacancies.get("regular")

    s = build_supply(fs, "daycare", "day", date(2026, 11, 23), "vacancies", vacancies)
    assert list(s.places) == [5, 0] and s.unknown_places == 1
    s = build_supply(fs, "daycare", "day", date(2026, 11, 23), "capacity")
    assert list(s.places) == [40, 40] and s.unknown_places == 0
    assert np.all(np.isfinite(s.x_m))
    with pytest.raises(SupplyError, match="capacity, vacancies"):
        build_supply(fs, "daycare", "day", date(2026, 11, 23), "beds")
