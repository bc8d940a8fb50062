"""Tester 28, findings 4 and 7: the e-mails and SMS a provider's staff get about a new booking, a
weekly pattern and a hold about to lapse name the booking by its reference (예약번호), programme
and window, never the child (the inbox shows the child only on a logged "Show the child"); the
family's own messages keep the first name. The weekly pattern's staff text asks for one answer
for all its dates, as the inbox answers it (모두 수락 / 모두 거절), dates one by one still possible."""

from __future__ import annotations

import pytest

from app.care.notify.messages import GUARDIAN_AUDIENCE, STAFF_AUDIENCE, render

NAMES = {"demo-cc-00037": "교동지역아동센터"}.get
PAYLOAD = {"first_name": "도윤", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": "demo-cc-00037",
           "programme": "elementary_emergency", "window_start": "2026-12-09T11:00:00+00:00",
           "window_end": "2026-12-09T12:00:00+00:00", "respond_by": "2026-12-08T03:00:00+00:00",
           "deadline": "2026-12-08T03:00:00+00:00", "actor_role": "guardian",
           "occurrences": [{"start": "2026-12-09T11:00:00+00:00", "end": "2026-12-09T12:00:00+00:00"},
                           {"start": "2026-12-16T11:00:00+00:00", "end": "2026-12-16T12:00:00+00:00"}]}
STAFF_NEWS = ("booking.requested", "booking.pattern_requested", "booking.expiring", "booking.confirmed",
              "booking.pattern_confirmed", "booking.expired", "booking.pattern_expired")


@pytest.mark.parametrize("topic", STAFF_NEWS)
@pytest.mark.parametrize("locale", ["ko", "en"])
def test_staff_read_the_reference_programme_and_window_not_the_child(topic, locale):
    text = render(topic, PAYLOAD, locale, NAMES, audience=STAFF_AUDIENCE)
    assert "도윤" not in text.title + text.body, text.body
    assert ("예약번호 3F9A-2C7E" if locale == "ko" else "ref. 3F9A-2C7E") in text.body, text.body
    assert ("초등 시설형 긴급돌봄" if locale == "ko" else "Elementary emergency care") in text.body, text.body
    days = {"ko": "12월 9", "en": "Dec 9"} if "pattern" in topic else {"ko": "12월 9일", "en": "9 Dec"}
    day = days[locale]
    assert "20:00" in text.body and day in text.body, text.body


def test_the_new_booking_e_mail_in_both_languages():
    ko = render("booking.requested", PAYLOAD, "ko", NAMES, audience=STAFF_AUDIENCE)
    assert ko.body == ("초등 시설형 긴급돌봄 예약 요청이 왔습니다(예약번호 3F9A-2C7E): 12월 9일(수) 20:00–21:00. "
                       "12월 8일(화) 12:00까지 확정하거나 거절해 주세요. 답이 없으면 예약이 풀립니다."), ko.body
    en = render("booking.requested", PAYLOAD, "en", NAMES, audience=STAFF_AUDIENCE)
    assert en.body.startswith("New booking request, ref. 3F9A-2C7E (Elementary emergency care): Wed 9 Dec "
                              "20:00–21:00 Korea time."), en.body


@pytest.mark.parametrize("topic", ["booking.confirmed", "booking.pattern_confirmed", "booking.expired",
                                   "booking.pattern_expired", "booking.cancelled"])
@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_familys_own_messages_keep_the_first_name(topic, locale):
    text = render(topic, PAYLOAD, locale, NAMES, audience=GUARDIAN_AUDIENCE)
    assert "도윤" in text.body, text.body


def test_the_staffs_weekly_pattern_text_asks_for_one_answer_for_all_dates():
    ko = render("booking.pattern_requested", PAYLOAD, "ko", NAMES, audience=STAFF_AUDIENCE).body
    assert "12월 8일(화) 12:00까지 모두 수락하거나 거절해 주세요(날짜별로도 답할 수 있습니다)." in ko, ko
    assert "날짜마다 확정하거나" not in ko
    en = render("booking.pattern_requested", PAYLOAD, "en", NAMES, audience=STAFF_AUDIENCE).body
    assert "Please accept or decline them all by Tue 8 Dec 12:00 Korea time (you can also answer date by date)" \
        in en, en
    assert "each date" not in en
    bare = {k: v for k, v in PAYLOAD.items() if k not in ("respond_by", "deadline")}
    assert "모두 수락하거나 거절해 주세요(날짜별로도 답할 수 있습니다)." in \
        render("booking.pattern_requested", bare, "ko", NAMES, audience=STAFF_AUDIENCE).body
    assert "Please accept or decline them all (you can also answer date by date)." in \
        render("booking.pattern_requested", bare, "en", NAMES, audience=STAFF_AUDIENCE).body
