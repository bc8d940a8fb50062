"""The authorisation matrix of the care API: every care path of the OpenAPI document × every
role (signed out, another guardian, staff of another provider, and — for the admin-free paths —
the admin) on the objects of one family and one provider. Anything not allowed is a 401, 403
or 404, and changes nothing (every care table is compared before and after). The rightful
readers get their 200s. A care path added to the document without a row here fails the test."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.pages import account_sessions as people
from tests.care.test_api_bookings import Person, guardian, staff
from tests.care.test_api_requests import admin, next_weekday
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    app,
    clock,
    make_app,
    sign_in,
)

CENTRE = "tiny-cc-01"  # 초등 시설형 긴급돌봄: the family's booking and the offer are here
OTHER = "tiny-dc-07"
CARE_PATTERNS = (r"^/api/v1/(children|consents|me|bookings|care-requests|offers|notifications)(/|$)",
                 r"^/api/v1/providers/\{facility_id\}/(slots|booking-settings)$")
TABLES = ("children", "consents", "bookings", "booking_events", "booking_capacity", "care_requests", "offers",
          "users", "user_roles", "provider_booking_settings", "outbox", "child_access_log", "notifications")


def snapshot(app) -> dict[str, list[tuple]]:  # noqa: F811
    with app.extensions["dolbom_db"].connect() as conn:
        return {t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")).all()), key=repr) for t in TABLES}


def care_operations(app) -> set[tuple[str, str]]:  # noqa: F811
    doc = app.test_client().get("/api/v1/openapi.json").json
    return {(m.upper(), p) for p, item in doc["paths"].items() for m in item
            if any(re.match(rx, p) for rx in CARE_PATTERNS)}


def test_every_care_path_for_every_role(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date="2017-05-05")
    other_parent, _ = guardian(app, "other@example.kr", birth_date="2017-05-05")
    desk = staff(app, "desk@centre.kr", CENTRE)
    elsewhere = staff(app, "desk@elsewhere.kr", OTHER)
    ops = admin(app)
    assert desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                     {"programme": "elementary_emergency", "derive": {"days": 7, "places": 2}}).status_code == 200
    booking = mother.send("POST", "/api/v1/bookings", {
        "child_id": child_id, "facility_id": CENTRE, "programme": "elementary_emergency",
        "start": next_weekday(18), "end": next_weekday(19)}).json
    # The request's window follows the booking's (a child has one live booking at a time).
    request = mother.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "elementary_emergency", "start": next_weekday(19),
        "end": next_weekday(21), "place": "home", "point": {"lat": 37.2636, "lon": 127.0286}}).json
    offer = desk.get("/api/v1/offers").json["offers"][0]
    # The centre accepts: the child is booked there too (the booking an offer made, checked as
    # every booking below).
    matched = desk.send("POST", f"/api/v1/offers/{offer['id']}/accept", {}).json["booking_id"]
    assert matched
    ids = {"child_id": child_id, "booking_id": booking["id"], "request_id": request["id"], "offer_id": offer["id"],
           "facility_id": CENTRE, "purpose": "share_with_provider", "action": None}
    # Each operation with the actions it takes and a body that would be valid for its owner.
    bodies: dict[str, Any] = {
        "POST /api/v1/children": {"given_name": "x", "family_name": "y", "birth_date": "2020-01-01",
                                  "relation": "mother", "emergency_contact_name": "z",
                                  "emergency_contact_phone": "010-1111-2222"},
        "PATCH /api/v1/children/{child_id}": {"given_name": "바뀜"},
        "POST /api/v1/consents": {"purpose": "share_with_provider", "version": "2026-12-01"},
        "POST /api/v1/bookings": {"child_id": child_id, "facility_id": CENTRE, "programme": "elementary_emergency",
                                  "start": next_weekday(19), "end": next_weekday(20)},
        "POST /api/v1/bookings/quote": {"child_id": child_id, "facility_id": CENTRE,
                                        "programme": "elementary_emergency", "start": next_weekday(19),
                                        "end": next_weekday(20)},
        "POST /api/v1/care-requests": {"child_id": child_id, "programme": "elementary_emergency",
                                       "start": next_weekday(18), "end": next_weekday(21), "place": "home",
                                       "point": {"lat": 37.2636, "lon": 127.0286}},
        "POST /api/v1/providers/{facility_id}/slots": {"programme": "elementary_emergency",
                                                       "derive": {"days": 1, "places": 9}},
        "PUT /api/v1/providers/{facility_id}/booking-settings": {"auto_confirm": True},
        # The caller's own notices only (tests/care/test_api_notifications.py: another's ids change nothing).
        "POST /api/v1/notifications/read": {"all": True},
    }
    actions = {"/api/v1/bookings/{booking_id}/{action}": ["confirm", "decline", "cancel", "check_in", "check_out",
                                                          "mark_no_show"],
               "/api/v1/offers/{offer_id}/{action}": ["accept", "decline"]}
    # Who may reach the family's and the centre's objects at all (2xx possible); everyone
    # else must be refused. Admin rows: the admin reads bookings and requests, not children.
    outsiders = {"signed out": Person.__new__(Person), "another guardian": other_parent,
                 "staff of another provider": elsewhere}
    anonymous = outsiders["signed out"]
    anonymous.client, anonymous.token = app.test_client(), ""
    family_only = {"/api/v1/children/{child_id}", "/api/v1/bookings/{booking_id}/child"}
    covered = set()
    operations = care_operations(app)
    assert len(operations) >= 20, sorted(operations)
    for method, path in sorted(operations):
        covered.add((method, path))
        concrete = [path]
        for name, choices in ((n, actions.get(path)) for n in re.findall(r"\{(\w+)\}", path)):
            if name == "action":
                concrete = [c.replace("{action}", a) for c in concrete for a in choices or []]
            elif name == "booking_id":
                concrete = [c.replace("{booking_id}", b) for c in concrete for b in (booking["id"], matched)]
            else:
                concrete = [c.replace("{" + name + "}", ids[name]) for c in concrete]
        body = bodies.get(f"{method} {path}")
        # A path naming another's object (a child, booking, request, offer, provider); the
        # consents' {purpose} is the caller's own consent.
        object_path = any(f"{{{n}}}" in path for n in ("child_id", "booking_id", "request_id", "offer_id",
                                                       "facility_id"))
        for url in concrete:
            for who, person in outsiders.items():
                if who != "signed out" and not object_path:
                    continue  # the caller's own collections (their children, bookings…): no object of another
                before = snapshot(app)
                r = person.send(method, url, body) if method != "GET" else person.get(url)
                expected = {401} if who == "signed out" else {403, 404}
                assert r.status_code in expected, (who, method, url, r.status_code, r.get_json())
                assert snapshot(app) == before, (who, method, url)
        if path in family_only and method == "GET":  # the admin has no business in a child's record
            before = snapshot(app)
            assert ops.get(concrete[0]).status_code in {403, 404}
            assert snapshot(app) == before
    assert covered == operations
    # The admin sees a family's contact only while its request is unmatched: this one is matched.
    before = snapshot(app)
    assert ops.get(f"/api/v1/care-requests/{request['id']}/contact").status_code == 409
    assert snapshot(app) == before
    # The rightful readers.
    assert mother.get(f"/api/v1/bookings/{booking['id']}").status_code == 200
    assert desk.get(f"/api/v1/bookings/{booking['id']}").status_code == 200
    assert ops.get(f"/api/v1/bookings/{booking['id']}").status_code == 200
    assert mother.get(f"/api/v1/care-requests/{request['id']}").status_code == 200
    assert ops.get(f"/api/v1/care-requests/{request['id']}").status_code == 200
    assert desk.get(f"/api/v1/offers/{offer['id']}").status_code == 200
    assert desk.get(f"/api/v1/bookings/{booking['id']}/child").status_code == 200
    for reader in (mother, desk, ops):
        assert reader.get(f"/api/v1/bookings/{matched}").json["status"] == "accepted"
    assert desk.get(f"/api/v1/bookings/{matched}/child").status_code == 200
    assert mother.get(f"/api/v1/care-requests/{request['id']}").json["booking_id"] == matched
    assert desk.get(f"/api/v1/offers/{offer['id']}").json["booking_id"] == matched
    assert [b["id"] for b in elsewhere.get("/api/v1/bookings").json["bookings"]] == []
    assert [b["id"] for b in other_parent.get("/api/v1/bookings").json["bookings"]] == []
    # What withdrawing a consent would affect: about the caller's own family only (the mother
    # hears of her live bookings, another guardian of none); staff, even the bookings' own, and
    # the admin are refused; asking changes nothing.
    preview = "/api/v1/consents/share_with_provider/withdrawal"
    assert ("GET", "/api/v1/consents/{purpose}/withdrawal") in operations
    before = snapshot(app)
    assert [b["id"] for b in mother.get(preview).json["affected_bookings"]] == [booking["id"], matched]
    assert other_parent.get(preview).json["affected_bookings"] == []
    for refused in (desk, elsewhere, ops):
        assert refused.get(preview).status_code == 403
    assert snapshot(app) == before


# Page form posts (no OpenAPI entry, so declared here): (path, the form field, its allowed
# values, values each role must be refused with a 400 naming the allowed ones).
PAGE_FORMS = {"/account/language": ("locale", ("ko", "en"), ("fr", "", "EN", "ko,en", "k" * 500))}


def _locales(app) -> dict[str, str]:  # noqa: F811
    from app.db.outbox_tables import user_contacts

    with app.extensions["dolbom_db"].connect() as conn:
        return {r.user_id: r.locale for r in conn.execute(sa.select(user_contacts.c.user_id, user_contacts.c.locale))}


def test_account_language_for_every_role(app):  # noqa: F811
    """POST /account/language for every role: signed out it leads to sign-in; each signed-in role
    (guardian, provider staff, admin) sets its own account's language and no one else's, whatever
    user id the form names; a value other than ko or en is a 400 page naming them (never a 500);
    without the session's CSRF token it is refused. Every refusal changes nothing."""
    path = "/account/language"
    field, allowed, bad_values = PAGE_FORMS[path]
    accounts = people.accounts(app)
    ids = {"guardian": accounts.sign_up("mother@example.kr", PASSWORD).id,
           "another guardian": accounts.sign_up("other@example.kr", PASSWORD).id,
           "provider staff": accounts.sign_up("desk@centre.kr", PASSWORD, role="provider_staff",
                                              facility_id=CENTRE).id,
           "staff of another provider": accounts.sign_up("desk@elsewhere.kr", PASSWORD, role="provider_staff",
                                                         facility_id=OTHER).id,
           "admin": accounts.sign_up("ops@example.kr", PASSWORD, role="admin").id}
    emails = dict(zip(ids, ("mother@example.kr", "other@example.kr", "desk@centre.kr", "desk@elsewhere.kr",
                            "ops@example.kr"), strict=True))
    signed_in: dict[str, Person] = {}
    for who, email in emails.items():
        client = app.test_client()
        assert sign_in(client, email).status_code == 302
        signed_in[who] = Person(client)

    def state() -> tuple[dict[str, list[tuple]], dict[str, str]]:
        return snapshot(app), _locales(app)

    def refused(r, status: int, who: str, what: str) -> None:
        assert r.status_code == status, (who, what, r.status_code, r.get_data(as_text=True)[:300])
        assert state() == before, (who, what)

    # Signed out: without a CSRF token refused; with one (the sign-in page's) sent to sign in.
    anonymous = app.test_client()
    before = state()
    refused(anonymous.post(path, data={field: "en"}), 400, "signed out", "no CSRF token")
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      anonymous.get("/account/sign-in").get_data(as_text=True)).group(1)
    r = anonymous.post(path, data={field: "en", "csrf_token": token})
    refused(r, 302, "signed out", "with a CSRF token")
    assert urlsplit(r.headers["Location"]).path == "/account/sign-in"

    for who, person in signed_in.items():
        others = [p for w, p in signed_in.items() if w != who]
        before = state()
        # No token, and another person's token: refused, and the page's language named in the
        # URL (which a signed-in visit keeps as the account's) is not kept either.
        for url in (path, f"{path}?lang=en", f"{path}?lang=ko"):
            refused(person.client.post(url, data={field: "en"}), 400, who, f"no CSRF token: {url}")
            refused(person.client.post(url, data={field: "en", "csrf_token": others[0].token}), 400, who,
                    f"another session's CSRF token: {url}")
        # A bad value (or none): a 400 page naming the allowed values, in the page's language.
        for value in (*bad_values, None):
            for lang in ("ko", "en"):
                form = {"csrf_token": person.token} if value is None else {field: value, "csrf_token": person.token}
                r = person.client.post(path, data=form, headers={"Accept-Language": lang})
                refused(r, 400, who, repr(value))
                text = r.get_data(as_text=True)
                assert r.mimetype == "text/html" and f'lang="{lang}"' in text, (who, value, lang)
                assert ", ".join(allowed) in text and 'id="account-message"' in text, (who, value, lang, text[:1500])
        # Their own language, and only theirs, even when the form names another person's id.
        for value in ("en", "ko"):
            r = person.client.post(path, data={field: value, "csrf_token": person.token,
                                               "user_id": ids["another guardian" if who == "guardian" else "guardian"]})
            assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/account", (who, value)
            assert _locales(app) == {**before[1], ids[who]: value}, (who, value)
            assert snapshot(app) == before[0], (who, value)


def test_booking_pattern_paths_for_every_role(app):  # noqa: F811
    """GET /api/v1/booking-patterns/<id> and POST …/confirm|decline × role (tester 27): signed out
    401; another guardian and another provider's staff 404 (as for no such pattern: its existence
    is not told); the pattern's own guardian and the admin read it but may not answer it (403);
    only its provider's staff answer. Every refusal changes nothing."""
    from tests.care.test_weekly_bookings import PUPIL_BORN, published, weekly_body

    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    other_parent, _ = guardian(app, "other@example.kr", birth_date=PUPIL_BORN)
    desk = staff(app, "desk@centre.kr", CENTRE)
    elsewhere = staff(app, "desk@elsewhere.kr", OTHER)
    ops = admin(app)
    anonymous = Person.__new__(Person)
    anonymous.client, anonymous.token = app.test_client(), ""
    published(desk, 2)
    made = mother.send("POST", "/api/v1/bookings", weekly_body(child_id))
    assert made.status_code == 201, made.json
    pattern_id = made.json["bookings"][0]["pattern_id"]
    assert pattern_id and len(made.json["bookings"]) >= 2
    read, answers = f"/api/v1/booking-patterns/{pattern_id}", [f"/api/v1/booking-patterns/{pattern_id}/{a}"
                                                               for a in ("confirm", "decline")]
    # Every pattern path of the document has its rows here (a new one fails this test).
    doc = app.test_client().get("/api/v1/openapi.json").json
    assert {(m.upper(), p) for p, item in doc["paths"].items() for m in item
            if p.startswith("/api/v1/booking-patterns")} == {
        ("GET", "/api/v1/booking-patterns/{pattern_id}"), ("POST", "/api/v1/booking-patterns/{pattern_id}/{action}")}
    # (role, person, GET status, POST confirm/decline status): deny by default.
    rows = [("signed out", anonymous, 401, 401),
            ("another guardian", other_parent, 404, 404),
            ("staff of another provider", elsewhere, 404, 404),
            ("the pattern's guardian", mother, 200, 403),
            ("admin", ops, 200, 403)]
    for who, person, read_status, answer_status in rows:
        before = snapshot(app)
        r = person.get(read)
        assert r.status_code == read_status, (who, "GET", r.status_code, r.get_json())
        assert snapshot(app) == before, (who, "GET")
        for url in answers:
            r = person.send("POST", url, {"reason": "정원이 찼습니다"} if url.endswith("decline") else {})
            assert r.status_code == answer_status, (who, url, r.status_code, r.get_json())
            assert snapshot(app) == before, (who, url)
    # No such pattern: the same 404 as another's, for the provider's own staff too.
    for person in (desk, elsewhere, other_parent):
        assert person.get("/api/v1/booking-patterns/no-such-pattern").status_code == 404
        assert person.send("POST", "/api/v1/booking-patterns/no-such-pattern/confirm", {}).status_code == 404
    # Its provider's staff read it (with the child's first name) and answer it.
    assert desk.get(read).status_code == 200 and desk.get(read + "?include=first_name").json["first_name"]
    r = desk.send("POST", answers[0], {})
    assert r.status_code == 200 and r.json["done"] == len(made.json["bookings"]), r.json
