"""알림톡 templates (app/care/notify/alimtalk.py): Kakao delivers a 알림톡 only when its content
matches the template registered for its code, so every message sent under a code must match that
code's one registrable text, and that text must be the one last registered."""

from __future__ import annotations

import copy

import pytest

from app.care.notify.alimtalk import matches, registered, template_text, templates, unregistered
from app.care.notify.messages import STAFF_AUDIENCE, RenderError, catalogue, render, topics

NAMES = {"demo-cc-00037": "교동지역아동센터", "demo-dc-00001": "아람어린이집"}.get
PAYLOAD = {"first_name": "하윤", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": "demo-cc-00037",
           "programme": "elementary_emergency", "reason": "preset:full",
           "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00",
           "respond_by": "2026-12-05T07:34:00+00:00", "deadline": "2026-12-05T07:34:00+00:00",
           "expires_at": "2026-12-05T07:34:00+00:00", "path": "/account/reset/x",
           "bookings": [{"booking_id": "b1", "programme": "elementary_emergency", "reference": "3F9A-2C7E",
                         "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00"}],
           "occurrences": [{"start": "2026-12-07T08:00:00+00:00", "end": "2026-12-07T10:00:00+00:00"},
                           {"start": "2026-12-14T08:00:00+00:00", "end": "2026-12-14T10:00:00+00:00"}]}


def test_a_field_takes_the_particle_after_it_and_other_particles_are_resolved():
    assert template_text("{facility}이(가) 답하지 않아 예약(예약번호 {reference})이(가) 풀렸습니다") == \
        "#{facility} 답하지 않아 예약(예약번호 #{reference})이 풀렸습니다"
    assert template_text("{first_name}의 예약을(를) 확정") == "#{first_name}의 예약을 확정"


def test_content_matches_a_template_only_with_its_fixed_text_exactly():
    t = "#{facility} 답하지 않아 #{first_name}의 예약이 풀렸습니다."
    assert matches(t, "아람어린이집이 답하지 않아 지우의 예약이 풀렸습니다.")
    assert not matches(t, "아람어린이집이 답하지 않아 지우의 예약이 풀렸어요.")
    assert not matches(t, " 답하지 않아 지우의 예약이 풀렸습니다.")  # a variable is never empty


def _rendered():
    """Every message the outbox can write: each topic, audience, language, with and without a
    deadline, a family's, the staff's and an administrator's cancellation, and a weekly pattern and a daily run."""
    variants = [PAYLOAD, {k: v for k, v in PAYLOAD.items() if k not in ("respond_by", "deadline")},
                {**PAYLOAD, "actor_role": "guardian"}, {**PAYLOAD, "actor_role": "provider_staff"},
                {**PAYLOAD, "actor_role": "admin"},
                {**PAYLOAD, "programme": "always_daycare", "facility_id": "demo-dc-00001"},
                {**PAYLOAD, "programme": "always_daycare", "facility_id": "demo-dc-00001",  # a daily run: "매일"
                 "occurrences": [{"start": f"2026-12-{d}T10:00:00+00:00", "end": f"2026-12-{d}T14:00:00+00:00"}
                                 for d in ("07", "08", "09")]}]
    for topic in topics():
        for audience in ("guardian", STAFF_AUDIENCE):
            for locale in ("ko", "en"):
                for payload in variants:
                    try:
                        yield topic, render(topic, payload, locale, NAMES, audience=audience, base_url="https://x.kr")
                    except RenderError:  # a topic whose every message has its deadline
                        assert "deadline" not in payload and "without_deadline" not in catalogue()["topics"][topic]


def test_every_message_sent_by_alimtalk_matches_its_codes_registrable_text():
    text_of = {t.code: t.text for t in templates()}
    seen = set()
    for topic, message in _rendered():
        if not message.alimtalk_template:
            continue
        seen.add(message.alimtalk_template)
        assert matches(text_of[message.alimtalk_template], message.body), \
            (topic, message.alimtalk_template, text_of[message.alimtalk_template], message.body)
    assert seen == set(text_of), set(text_of) - seen  # every code is reached by some message


def test_every_code_is_one_text_and_that_text_is_the_one_registered():
    assert unregistered() == []
    codes = [t.code for t in templates()]
    assert all(len(c) <= 20 for c in codes), [c for c in codes if len(c) > 20]  # Kakao's limit


def test_a_changed_text_a_shared_code_and_a_new_code_are_each_named():
    doc = copy.deepcopy(catalogue())
    record = registered()
    topic = doc["topics"]["booking.confirmed"]
    topic["ko"]["body"] = topic["ko"]["body"].replace("확정했습니다", "확정하였습니다")
    topic["staff"]["alimtalk"]["en"] = topic["alimtalk"]["en"]  # two texts, one code
    doc["topics"]["offer.expired"]["alimtalk"]["ko"] = "DBM_NEW_KO"
    problems = unregistered(doc, record)
    assert any(p.startswith("DBM_BK_CONF_KO: the text of booking.confirmed (ko) changed") for p in problems), problems
    assert any(p.startswith("DBM_BK_CONF_EN: one code for 2 texts") for p in problems), problems
    assert any(p.startswith("DBM_NEW_KO: never registered") for p in problems), problems
    assert len(problems) == 3, problems


@pytest.mark.parametrize("topic", ["booking.requested"])
def test_a_variant_in_other_words_goes_out_under_its_own_code(topic):
    with_deadline = render(topic, PAYLOAD, "ko", NAMES, audience=STAFF_AUDIENCE)
    without = render(topic, {k: v for k, v in PAYLOAD.items() if k not in ("respond_by", "deadline")}, "ko", NAMES,
                     audience=STAFF_AUDIENCE)
    assert with_deadline.body != without.body
    assert with_deadline.alimtalk_template != without.alimtalk_template


def test_the_command_lists_the_texts_and_fails_on_one_not_registered(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from app.care.notify import alimtalk
    from app.commands.care import alimtalk_templates

    ok = CliRunner().invoke(alimtalk_templates, [])
    assert ok.exit_code == 0 and "DBM_BK_REQ_ND_KO\tko\tbooking.requested/without_deadline" in ok.output
    assert "#{programme} 예약 요청이 왔습니다(예약번호 #{reference}): #{window}. 확정하거나" in ok.output
    stale = tmp_path / "registered.json"
    assert alimtalk.record_file(stale) == len({t.code for t in templates()})
    record = registered(stale)
    record["DBM_RQ_MATCH_KO"] = "#{facility}에서 예전 문구"
    monkeypatch.setattr(alimtalk, "registered", lambda path=None: record)
    bad = CliRunner().invoke(alimtalk_templates, [])
    assert bad.exit_code == 1
    assert "not registered: DBM_RQ_MATCH_KO: the text of request.matched (ko) changed" in bad.output
