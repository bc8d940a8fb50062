"""Tester 27, finding 11: the messages' wording. No English article before a programme's name ("A
Elementary …"); e-mails name a programme as the pages do (app/translations programme_<code>, one
source); no nested parentheses around an English window ("(Sat 5 Dec 19:00–21:00 (Korea time))");
a lapse said in the page's words (시간 초과 … 풀렸습니다); and the staff's new-booking message
says by when to answer (the hold's deadline, the payload's respond_by)."""

from __future__ import annotations

import re

import pytest

from app.care.notify.messages import AUDIENCES, LOCALES, render, topics
from app.i18n import catalogue

PAYLOAD = {"first_name": "서준", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": "demo-cc-00037",
           "programme": "elementary_emergency",
           "window_start": "2026-12-05T10:00:00+00:00", "window_end": "2026-12-05T12:00:00+00:00",
           "respond_by": "2026-12-03T13:42:02+00:00", "deadline": "2026-12-03T13:42:02+00:00",
           "expires_at": "2026-12-03T13:42:02+00:00", "path": "/account/reset/confirm?token=abc",
           "actor_role": "guardian", "reason": "정원이 찼습니다",
           "occurrences": [{"start": "2026-12-05T10:00:00+00:00", "end": "2026-12-05T12:00:00+00:00"},
                           {"start": "2026-12-09T10:00:00+00:00", "end": "2026-12-09T12:00:00+00:00"}],
           "bookings": [{"programme": "elementary_emergency", "window_start": "2026-12-05T10:00:00+00:00",
                         "window_end": "2026-12-05T12:00:00+00:00", "reference": "3F9A-2C7E"}]}
NAMES = {"demo-cc-00037": "교동지역아동센터"}.get
PROGRAMMES = ("elementary_emergency", "always_daycare", "home_visit_emergency")


def _texts(locale: str, programme: str):
    for topic in topics():
        for audience in AUDIENCES:
            for actor in ("guardian", "provider_staff", "system"):
                text = render(topic, {**PAYLOAD, "programme": programme, "actor_role": actor}, locale, NAMES,
                              base_url="https://dolbom.example.kr", audience=audience)
                yield topic, audience, text.title + "\n" + text.body


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_no_english_article_before_a_programme_and_the_pages_name(programme):
    name = catalogue("en")[f"programme_{programme}"]
    seen = 0
    for topic, audience, text in _texts("en", programme):
        assert not re.search(rf"\b(a|an|the) {re.escape(name)}", text, re.IGNORECASE), (topic, audience, text)
        assert "at centres" not in text, (topic, audience, text)
        seen += name in text
    assert seen  # the programme is named, by the pages' name


@pytest.mark.parametrize("locale", LOCALES)
def test_messages_name_a_programme_as_the_pages_do(locale):
    for programme in PROGRAMMES:
        body = render("booking.confirmed", {**PAYLOAD, "programme": programme}, locale, NAMES).body
        name = catalogue(locale)[f"programme_{programme}"]
        assert (f"({name})" if locale == "en" else f"서준의 {name} 예약") in body, body


def test_no_english_text_nests_parentheses():
    for topic, audience, text in _texts("en", "elementary_emergency"):
        depth = 0
        for ch in text:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth <= 1, (topic, audience, text)
    confirmed = render("booking.declined", PAYLOAD, "en", NAMES).body
    assert "on Sat 5 Dec 19:00–21:00 Korea time." in confirmed, confirmed


def test_a_lapse_is_said_in_the_pages_words():
    page_state, page_text = catalogue("ko")["booking_state_expired"], catalogue("ko")["family_booking_expired"]
    assert page_state == "시간 초과" and "풀렸습니다" in page_text
    for topic in ("booking.expired", "booking.pattern_expired"):
        ko = render(topic, PAYLOAD, "ko", NAMES)
        assert ko.title.startswith("시간 초과") and "풀렸습니다" in ko.body and "만료" not in ko.title + ko.body, ko
        assert "교동지역아동센터가 시간 안에 답하지 않아" in ko.body, ko.body
        en = render(topic, PAYLOAD, "en", NAMES)
        assert "did not answer in time" in en.body and "lapsed" in en.title + en.body and "expired" not in en.body


@pytest.mark.parametrize("topic", ["booking.requested", "booking.pattern_requested"])
def test_the_staffs_new_booking_message_says_by_when_to_answer(topic):
    ko = render(topic, PAYLOAD, "ko", NAMES, audience="staff")
    assert "12월 3일(목) 22:42까지" in ko.body and "22:42:02" not in ko.body, ko.body
    en = render(topic, PAYLOAD, "en", NAMES, audience="staff")
    assert "by Thu 3 Dec 22:42 Korea time" in en.body, en.body
    # a payload without a hold deadline is still written, without one
    bare = {k: v for k, v in PAYLOAD.items() if k not in ("respond_by", "deadline")}
    assert "까지" not in render(topic, bare, "ko", NAMES, audience="staff").body
    assert "or decline" in render(topic, bare, "en", NAMES, audience="staff").body
