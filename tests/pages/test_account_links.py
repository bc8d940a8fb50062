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
