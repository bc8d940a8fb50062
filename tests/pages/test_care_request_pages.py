"""The emergency-request pages (app.pages.family: /family/request, /admin/care-requests) without
a browser: who reaches them (signed out: to sign-in and back; the wrong role: the 403 page) and
what they carry for their scripts (what the map or the booking page knew, the 시군 names)."""

from __future__ import annotations

from app.pages import account_sessions as people
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    app,
    clock,
    make_app,
    sign_in,
)
from tests.pages.test_family_pages import DAYCARE, guardian_client, page_config, sends_to_sign_in_and_back, staff_client


def admin_client(app):  # noqa: F811
    people.accounts(app).sign_up("ops@example.kr", PASSWORD, role="admin")
    client = app.test_client()
    assert sign_in(client, "ops@example.kr").status_code == 302
    return client


def test_signed_out_the_request_pages_send_to_sign_in_and_back(app):  # noqa: F811
    sends_to_sign_in_and_back(app.test_client(), "/family/request?lang=en", "/admin/care-requests")


def test_a_guardian_reaches_the_request_page_but_not_the_queue(app):  # noqa: F811
    client = guardian_client(app)
    r = client.get("/family/request?programme=elementary_emergency&start=2026-12-03T15:00&end=2026-12-03T18:00"
                   "&home=37.2636|127.0286|수원시청&child_id=abc&lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="request-form"' in html and "js/family/request.js" in html
    cfg = page_config(html)
    assert (cfg["programme"], cfg["start"], cfg["end"], cfg["home"], cfg["child_id"]) == \
        ("elementary_emergency", "2026-12-03T15:00", "2026-12-03T18:00", "37.2636|127.0286|수원시청", "abc")
    assert cfg["home_only"] == ["home_visit_emergency"]
    assert cfg["messages"]["request_state_unmatched"] == "Passed to our team"
    # what is not shaped as the map sends it is left for the person to type
    odd = page_config(client.get("/family/request?programme=swimming&start=now&home=1,2").get_data(as_text=True))
    assert (odd["programme"], odd["start"], odd["home"]) == (None, None, None)
    # the family page offers the request and lists the requests
    family = client.get("/family?lang=en").get_data(as_text=True)
    assert 'id="care-requests"' in family and "/family/request" in family
    queue = client.get("/admin/care-requests")
    assert queue.status_code == 403
    assert 'id="account-message"' in queue.get_data(as_text=True)


def test_staff_see_offers_in_the_inbox_but_reach_neither_request_page(app):  # noqa: F811
    client = staff_client(app, "desk@dc.kr", DAYCARE)
    for path in ("/family/request", "/admin/care-requests"):
        assert client.get(path).status_code == 403, path
    html = client.get("/provider/inbox").get_data(as_text=True)
    assert 'id="new-offers"' in html and 'id="offers-empty"' in html
    assert page_config(html)["siguns"]["41110"] == "수원시"


def test_an_admin_reaches_the_queue_only(app):  # noqa: F811
    client = admin_client(app)
    r = client.get("/admin/care-requests?lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="queue"' in html and "js/family/queue.js" in html and "<script>" not in html
    cfg = page_config(html)
    assert len(cfg["siguns"]) == 31 and cfg["messages"]["queue_title"] == "Unmatched emergency requests"
    assert client.get("/family/request").status_code == 403
