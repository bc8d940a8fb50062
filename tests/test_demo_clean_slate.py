"""``flask demo accounts`` run again leaves the demo guardian clean: the bookings and requests
of earlier runs are cancelled (each recorded, its place given back) and the command says which,
so the README's walk books the same window again instead of meeting a duplicate booking."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from app import create_app
from tests.conftest import tiny_config


def run(app, *args):
    return app.test_cli_runner().invoke(args=["demo", *args])


def test_a_second_run_cancels_the_guardians_earlier_bookings(tmp_path):
    from app.extensions.care import get_bookings, get_children, get_desk
    from app.extensions.registry import get_index
    from app.pages import account_sessions as people

    app = create_app(tiny_config(), instance_path=str(tmp_path / "instance"))
    first = run(app, "accounts")
    assert first.exit_code == 0, first.output
    assert "no earlier booking or request to cancel" in first.output
    staff_of = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password \S+\s+— provider staff of .*?\((\S+), ",
                               first.output))
    password = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password (\S+)", first.output))["parent@demo.dolbom.kr"]
    with app.app_context():
        tz = get_index().locale.tz
        guardian = people.accounts().sign_in("parent@demo.dolbom.kr", password)
        kids = {c.given_name: c for c in get_children().list_for_guardian(guardian.id)}
        now = datetime.now(tz)
        tomorrow = now.date() + timedelta(days=1)
        start, end = datetime.combine(tomorrow, time(19), tz), datetime.combine(tomorrow, time(21), tz)
        booked, _ = get_desk().book(guardian.id, kids["지우"].id, staff_of["daycare@demo.dolbom.kr"],
                                    "always_daycare", start, end, now)
        assert booked.status == "accepted"

    again = run(app, "accounts")
    assert again.exit_code == 0, again.output
    assert "earlier bookings and requests (1)" in again.output
    assert f"cancelled booking of 지우 at {staff_of['daycare@demo.dolbom.kr']}, {tomorrow} 19:00-21:00 (accepted)" \
        in again.output
    password = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password (\S+)", again.output))["parent@demo.dolbom.kr"]
    with app.app_context():
        assert get_bookings().get(booked.id).status == "cancelled"
        # the README's booking goes through again, not refused as the child's second at that time
        rebooked, _ = get_desk().book(guardian.id, kids["지우"].id, staff_of["daycare@demo.dolbom.kr"],
                                      "always_daycare", start, end, datetime.now(tz))
        assert rebooked.status == "accepted"
    third = run(app, "accounts")
    assert "earlier bookings and requests (1)" in third.output  # only the live one, not the cancelled
    app.extensions["dolbom_db"].dispose()
