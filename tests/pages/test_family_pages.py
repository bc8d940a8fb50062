"""The family pages and the provider inbox (app.pages.family) without a browser: who reaches
which page (signed out: to sign-in and back; the wrong role: the 403 page), what the pages
carry for their scripts (the CSRF token, the provider, the window, the settings), and the
refusals a family can meet (an unknown provider, one without bookable care) as pages naming it."""

from __future__ import annotations

import copy
import json
import re
from urllib.parse import parse_qs, urlsplit

from app.care.accounts import Roles
from app.pages import account_sessions as people
from app.reference import document
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    app,
    clock,
    make_app,
    sign_in,
    sign_up,
)

DAYCARE = "tiny-dc-07"  # 언제나 어린이집 (always_daycare)
CENTRE = "tiny-cc-01"  # 지역아동센터 (elementary_emergency)


def page_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="page-config">(.*?)</script>', html, re.S)
    assert found is not None, html[:1500]
    return json.loads(found.group(1))


def staff_client(app, email: str, facility_id: str):  # noqa: F811
    people.accounts(app).sign_up(email, PASSWORD, role="provider_staff", facility_id=facility_id)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def guardian_client(app, email: str = "mom@example.com"):  # noqa: F811
    client = app.test_client()
    sign_up(client, email)
    return client


def sends_to_sign_in_and_back(client, *paths: str) -> None:
    """Each of ``paths``, asked for signed out, is a redirect to the sign-in page whose ``next``
    is that path."""
    for path in paths:
        r = client.get(path)
        assert r.status_code == 302, path
        target = urlsplit(r.headers["Location"])
        assert target.path == "/account/sign-in"
        assert parse_qs(target.query)["next"] == [path]


def test_signed_out_every_page_sends_to_sign_in_and_back(app):  # noqa: F811
    sends_to_sign_in_and_back(app.test_client(), "/family?lang=en",
                              f"/family/book?facility_id={DAYCARE}&programme=always_daycare", "/provider/inbox")


def test_a_guardian_reaches_the_family_pages_but_not_the_inbox(app):  # noqa: F811
    client = guardian_client(app)
    family = client.get("/family?lang=en")
    assert family.status_code == 200
    html = family.get_data(as_text=True)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert 'id="child-form"' in html and "/api/v1/me/export" in html
    cfg = page_config(html)
    assert cfg["lang"] == "en" and cfg["messages"]["booking_state_accepted"] == "Confirmed"
    inbox = client.get("/provider/inbox")
    assert inbox.status_code == 403
    assert 'id="account-message"' in inbox.get_data(as_text=True)


def test_staff_reach_the_inbox_but_not_the_family_pages(app):  # noqa: F811
    client = staff_client(app, "desk@dc.kr", DAYCARE)
    for path in ("/family", f"/family/book?facility_id={DAYCARE}&programme=always_daycare"):
        r = client.get(path)
        assert r.status_code == 403, path
    r = client.get("/provider/inbox")
    assert r.status_code == 200
    cfg = page_config(r.get_data(as_text=True))
    assert (cfg["facility_id"], cfg["programmes"], cfg["auto_confirm"]) == (DAYCARE, ["always_daycare"], False)
    assert cfg["poll_ms"] <= 1000  # a new booking shows within 2 s
    assert len(cfg["decline_reasons"]) >= 3
    # another provider's inbox: the 403 page, even named in the URL
    assert client.get(f"/provider/inbox?facility_id={CENTRE}").status_code == 403


def test_staff_of_two_providers_pick_one(app):  # noqa: F811
    # One grant per role (user_roles' key): a second provider comes with a second
    # provider-scoped role, a new entry of roles.json (here: a hub centre's staff).
    spec = copy.deepcopy(document("roles.json")["roles"])
    spec["hub_staff"] = {**spec["provider_staff"], "label": {"ko": "거점 담당자", "en": "Hub staff"}}
    app.extensions[people._STORE]["roles"] = Roles(spec)
    store = people.accounts(app)
    user = store.sign_up("hub@both.kr", PASSWORD, role="provider_staff", facility_id=DAYCARE)
    store.grant(user.id, "hub_staff", CENTRE)
    client = app.test_client()
    assert sign_in(client, "hub@both.kr").status_code == 302
    html = client.get("/provider/inbox").get_data(as_text=True)
    assert f"facility_id={DAYCARE}" in html and f"facility_id={CENTRE}" in html
    assert "facility_id" not in page_config(html)  # nothing is polled before one is picked
    picked = client.get(f"/provider/inbox?facility_id={CENTRE}")
    assert page_config(picked.get_data(as_text=True))["programmes"] == ["elementary_emergency"]
    assert client.get("/provider/inbox?facility_id=tiny-dc-01").status_code == 403


def test_the_auto_confirm_setting_shows_as_saved(app):  # noqa: F811
    client = staff_client(app, "desk@cc.kr", CENTRE)
    html = client.get("/provider/inbox").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    r = client.put(f"/api/v1/providers/{CENTRE}/booking-settings", json={"auto_confirm": True},
                   headers={"X-CSRFToken": token})
    assert r.status_code == 200, r.json
    assert page_config(client.get("/provider/inbox").get_data(as_text=True))["auto_confirm"] is True


def test_the_booking_page_carries_the_provider_and_the_window(app):  # noqa: F811
    client = guardian_client(app)
    r = client.get(f"/family/book?facility_id={DAYCARE}&programme=always_daycare&start=2026-12-03T19:00"
                   "&end=2026-12-03T23:00&home=37.63|127.21|남양주&lang=en")
    assert r.status_code == 200
    cfg = page_config(r.get_data(as_text=True))
    assert (cfg["facility_id"], cfg["programme"], cfg["start"], cfg["end"]) == \
        (DAYCARE, "always_daycare", "2026-12-03T19:00", "2026-12-03T23:00")
    assert cfg["home"] == "37.63|127.21|남양주"
    assert cfg["confirms_at_once"] is True  # 언제나 어린이집 is booked in real time
    centre = page_config(client.get(f"/family/book?facility_id={CENTRE}").get_data(as_text=True))
    assert (centre["programme"], centre["confirms_at_once"], centre["hold_minutes"]) == \
        ("elementary_emergency", False, app.config["CARE_BOOKING_HOLD_MINUTES"])
    # a window or home not shaped as the map sends them is left for the person to type
    odd = page_config(client.get(f"/family/book?facility_id={DAYCARE}&start=tonight&end=x&home=1,2")
                      .get_data(as_text=True))
    assert (odd["start"], odd["end"], odd["home"]) == (None, None, None)


def test_a_provider_that_cannot_be_booked_is_a_page_naming_it(app):  # noqa: F811
    client = guardian_client(app)
    unknown = client.get("/family/book?facility_id=nope-000&programme=always_daycare&lang=en")
    assert unknown.status_code == 404
    # tester 25 (finding 12): a sentence a parent can act on, never the raw id or an empty name
    main = unknown.get_data(as_text=True).split("<main", 1)[-1]
    assert "cannot be found" in main and "nope-000" not in main
    for query, status, said in (("", 400, "No provider was chosen"), ("?lang=ko", 400, "기관을 고른 뒤"),
                                ("?facility_id=nope&lang=ko", 404, "예약 링크의 기관을 찾을 수 없습니다")):
        page = client.get("/family/book" + query + ("&" if "?" in query else "?") + "programme=always_daycare"
                          + ("" if "lang" in query else "&lang=en"))
        text = page.get_data(as_text=True)
        assert page.status_code == status and said in text, text[-1500:]
        assert "을(를)" not in text and "nope" not in text.split("<main", 1)[-1]
    wrong = client.get(f"/family/book?facility_id={CENTRE}&programme=always_daycare&lang=en")
    assert wrong.status_code == 404
    text = wrong.get_data(as_text=True)
    # one sentence: what was asked, and what can be booked there (not "runs none … runs: X")
    assert "cannot be booked at" in text and "Elementary emergency care" in text and "초등" not in text
