"""A scenario the server cannot use (a centre clicked outside 경기도) never takes the planner page
away: the page is the baseline, says so in its language, and its data request has no scenario."""

import json
import re
from urllib.parse import quote

import pytest

from app.extensions.db import get_engine
from app.live import tokens

SEOUL_CLICK = json.dumps({"add": [{"lon": 127.111816, "lat": 37.595192, "service": "daycare",
                                   "capacity": 30, "hours_preset": "standard_daycare"}]})


@pytest.fixture
def signed_in(app):
    with app.app_context():
        token = tokens.issue(get_engine(), "admin")
    client = app.test_client()
    assert client.post("/planner/login", data={"token": token}).status_code == 302
    return client


def _page_config(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="page-config">(.*?)</script>', html, re.S)
    return json.loads(block.group(1).replace("<\\/", "</"))


@pytest.mark.parametrize(("lang", "said"), [("ko", "시나리오를 적용할 수 없어"), ("en", "is not in 경기도")])
def test_scenario_outside_the_area_keeps_the_page(signed_in, lang, said):
    r = signed_in.get(f"/planner?lang={lang}&period=night&scenario={quote(SEOUL_CLICK)}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="map_planner"' in html and said in html
    cfg = _page_config(html)
    assert cfg["data_url"] and "scenario" not in cfg["data_url"] and "period=night" in cfg["data_url"]
    assert signed_in.get(cfg["data_url"]).status_code == 200
