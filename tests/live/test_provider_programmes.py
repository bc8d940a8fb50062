"""A provider reports places only for the programmes it runs (issue 12, item 16), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from ..conftest import next_weekday
from .test_availability import SUWON, nearest_daycare, url

DAY = next_weekday(1)


def _nearest(client, **query) -> dict:
    return client.get("/api/v1/facilities/nearest",
                      query_string={**SUWON, "limit": "1", **query}).json["results"][0]["facility"]


@pytest.mark.parametrize(("body", "field"), [
    ({"version": 0, "vacancies": {"home_visit_emergency": 4}}, "vacancies.home_visit_emergency"),
    ({"version": 0, "vacancies": {"regular": 2, "always_daycare": 1}}, "vacancies.always_daycare"),
    ({"version": 0, "slots": {"elementary_emergency": [
        {"start": f"{DAY}T19:00", "end": f"{DAY}T22:00", "places": 1}]}},
     "slots.elementary_emergency"),
])
def test_a_plain_daycare_cannot_report_a_programme(live_client, issue, body, field):
    f = nearest_daycare(live_client)["facility"]
    assert f["programmes"] == []
    for who in (issue("provider", f["id"]), issue("admin")):
        r = live_client.put(url(f["id"]), json=body, headers=who)
        assert r.status_code == 400, r.json
        assert r.json["error"]["field"] == field
        assert "does not run the programme" in r.json["error"]["message"]
    assert live_client.get(url(f["id"])).json["version"] == 0


def test_programmes_it_runs_are_accepted(live_client, issue):
    plain = nearest_daycare(live_client)["facility"]
    r = live_client.put(url(plain["id"]), json={"version": 0, "vacancies": {"regular": 2}},
                        headers=issue("provider", plain["id"]))
    assert r.status_code == 200
    always = _nearest(live_client, programme="always_daycare")
    r = live_client.put(url(always["id"]), json={"version": 0, "vacancies": {
        "regular": 1, "always_daycare": 3}}, headers=issue("provider", always["id"]))
    assert r.status_code == 200 and r.json["vacancies"] == {"always_daycare": 3, "regular": 1}
    centre = _nearest(live_client, programme="elementary_emergency", age_months="100")
    r = live_client.put(url(centre["id"]), json={"version": 0, "vacancies": {
        "elementary_emergency": 2}}, headers=issue("provider", centre["id"]))
    assert r.status_code == 200
