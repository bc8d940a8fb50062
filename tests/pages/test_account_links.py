"""After sign-in, ``/account`` links to the pages each role opens: guardians to 우리 가족
(/family), provider staff to their inbox (/provider/inbox), admins to the unmatched requests
(/admin/care-requests) — and to no page the person's roles do not open."""

from __future__ import annotations

import re

from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)
from tests.pages.test_care_request_pages import admin_client
from tests.pages.test_family_pages import DAYCARE, guardian_client, staff_client


def links_of(client, lang: str = "ko") -> dict[str, str]:
    r = client.get(f"/account?lang={lang}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    return {m.group(1): m.group(2) for m in re.finditer(r'<a id="(link-[a-z]+)" href="([^"]+)">', html)}


def test_a_guardian_is_linked_to_the_family_page(app):  # noqa: F811
    client = guardian_client(app)
    assert links_of(client) == {"link-family": "/family?lang=ko"}
    assert links_of(client, "en") == {"link-family": "/family?lang=en"}
    assert "My family" in client.get("/account?lang=en").get_data(as_text=True)
    assert client.get("/family").status_code == 200


def test_staff_are_linked_to_their_inbox(app):  # noqa: F811
    client = staff_client(app, "desk@dc.kr", DAYCARE)
    assert links_of(client) == {"link-inbox": "/provider/inbox?lang=ko"}
    assert client.get("/provider/inbox").status_code == 200


def test_an_admin_is_linked_to_the_unmatched_requests(app):  # noqa: F811
    client = admin_client(app)
    assert links_of(client) == {"link-queue": "/admin/care-requests?lang=ko"}
    assert client.get("/admin/care-requests").status_code == 200


def test_each_roles_links_come_first_in_both_languages(app):  # noqa: F811
    """Tester 27, finding 6: each role's link, in Korean and English, comes right after who is
    signed in, above the language form (an admin lands on /account after sign-in)."""
    expected = {"guardian": ("link-family", "우리 가족", "My family"),
                "staff": ("link-inbox", "예약 받은 편지함", "Bookings inbox"),
                "admin": ("link-queue", "연결되지 않은 긴급돌봄 요청", "Unmatched emergency requests")}
    clients = {"guardian": guardian_client(app), "staff": staff_client(app, "desk@dc.kr", DAYCARE),
               "admin": admin_client(app)}
    for role, (link_id, ko, en) in expected.items():
        for lang, label in (("ko", ko), ("en", en)):
            html = clients[role].get(f"/account?lang={lang}").get_data(as_text=True)
            assert f'<a id="{link_id}" href="' in html and f">{label}</a>" in html, (role, lang)
            assert html.index('id="account-links"') < html.index('id="message-language"'), (role, lang)
