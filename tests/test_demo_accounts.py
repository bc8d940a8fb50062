"""``flask demo accounts`` (app.commands.demo): made only for a synthetic registry; a second
run gives new passwords to the same accounts; the providers' next days are bookable; on the
demo registry the README's care-cycle walkthrough goes through as written (two children, a
provider for each near 수원시청, tomorrow 19:00-21:00 booked: confirmed at once at the 언제나
어린이집, waiting for the centre's staff at the 지역아동센터)."""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.db.engine import booking_capacity, users
from tests.conftest import tiny_config


def run(app, *args):
    return app.test_cli_runner().invoke(args=["demo", *args])


def test_demo_accounts_on_the_synthetic_registry_and_again(tmp_path):
    app = create_app(tiny_config(), instance_path=str(tmp_path / "instance"))
    first = run(app, "accounts")
    assert first.exit_code == 0, first.output
    # the command cannot know serve's port: the paths, on the address serve printed (finding 10)
    assert ":5000" not in first.output
    assert "Sign in at /account/sign-in on the address `python3 manage.py serve` printed" in first.output
    passwords = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password (\S+)", first.output))
    assert set(passwords) == {"parent@demo.dolbom.kr", "daycare@demo.dolbom.kr", "centre@demo.dolbom.kr"}
    engine = app.extensions["dolbom_db"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 3
        published = conn.execute(sa.select(booking_capacity.c.facility_id).distinct()).scalars().all()
    assert sorted(published) == ["tiny-cc-01", "tiny-dc-07"]
    again = run(app, "accounts")
    assert again.exit_code == 0, again.output
    new = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password (\S+)", again.output))
    assert new.keys() == passwords.keys() and all(new[k] != passwords[k] for k in new)
    from app.pages import account_sessions as people

    with app.app_context():
        assert people.accounts().sign_in("parent@demo.dolbom.kr", new["parent@demo.dolbom.kr"]).email
        children = app.extensions["dolbom_care"]["children"]
        guardian = people.accounts().sign_in("parent@demo.dolbom.kr", new["parent@demo.dolbom.kr"])
        assert len(children.list_for_guardian(guardian.id)) == 2  # not made again
    engine.dispose()


def test_the_sign_in_address_is_serves_and_the_public_one_is_labelled():
    from app.commands.demo import sign_in_address

    # serve's address first, always; the public one (e-mailed links) labelled beside it (tester pass 26)
    for base in ("http://127.0.0.1:5024/", "https://dolbom.example.kr"):
        said = sign_in_address(base)
        assert said.startswith("/account/sign-in on the address `python3 manage.py serve` printed"), said
        assert f"(NOTIFY_PUBLIC_BASE_URL) is {base.rstrip('/')}/account/sign-in" in said, said
    for unknown in ("", None):
        assert sign_in_address(unknown).startswith("/account/sign-in on the address")


def test_no_demo_accounts_on_a_real_registry(tmp_path):
    real = tmp_path / "real.geojson"
    content = Path(tiny_config()["REGISTRY_PATH"]).read_text(encoding="utf-8").replace(
        '"synthetic": true', '"synthetic": false', 1)
    real.write_text(content, encoding="utf-8")
    app = create_app({**tiny_config(), "REGISTRY_PATH": str(real)}, instance_path=str(tmp_path / "instance"))
    result = run(app, "accounts")
    assert result.exit_code != 0 and "not the synthetic demo" in result.output
    with app.extensions["dolbom_db"].connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 0
    app.extensions["dolbom_db"].dispose()


def distance_m(facility) -> float:
    """Great-circle metres from 수원시청 (127.0286, 37.2636), the README's home."""
    lat0, lat, dlon = math.radians(37.2636), math.radians(facility.lat), math.radians(facility.lon - 127.0286)
    h = math.sin((lat - lat0) / 2) ** 2 + math.cos(lat0) * math.cos(lat) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_the_readme_walkthrough_on_the_demo(tmp_path):
    """The README's care cycle, steps 1 and 2, as the demo's accounts make them true."""
    from app.care.rules import NotEligible, age_in_months
    from app.care.windows import WindowError
    from app.extensions.care import get_children, get_desk
    from app.extensions.registry import get_index
    from app.pages import account_sessions as people

    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    result = run(app, "accounts")
    assert result.exit_code == 0, result.output
    passwords = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password (\S+)", result.output))
    staff_of = dict(re.findall(r"(\S+@demo\.dolbom\.kr)\s+password \S+\s+— provider staff of .*?\((\S+), ",
                               result.output))
    assert staff_of == {"daycare@demo.dolbom.kr": "demo-dc-09396", "centre@demo.dolbom.kr": "demo-cc-00037"}
    assert "아람어린이집" in result.output and "교동지역아동센터" in result.output
    with app.app_context():
        index = get_index()
        tz, today = index.locale.tz, index.locale.now().date()
        guardian = people.accounts().sign_in("parent@demo.dolbom.kr", passwords["parent@demo.dolbom.kr"])
        kids = {c.given_name: c for c in get_children().list_for_guardian(guardian.id)}
        assert {name: age_in_months(c.birth_date, today) // 12 for name, c in kids.items()} == {"지우": 4, "서준": 8}
        daycare = index.by_id[staff_of["daycare@demo.dolbom.kr"]]
        centre = index.by_id[staff_of["centre@demo.dolbom.kr"]]
        # The centre is a walk from 수원시청; the 언제나 어린이집 (five in 경기도, none in 수원) is the
        # nearest of them reporting a free place.
        assert distance_m(centre) < 2_000 and centre.kind == "community_child_center"
        always = [f for f in index.by_id.values() if "always_daycare" in f.programmes]
        assert distance_m(daycare) < 40_000
        assert daycare == min((f for f in always if f.vacancies.get("always_daycare", 0) > 0), key=distance_m)

        desk = get_desk()
        tomorrow = today + timedelta(days=1)
        start, end = datetime.combine(tomorrow, time(19), tz), datetime.combine(tomorrow, time(21), tz)
        now = datetime.combine(today, time(16), tz)  # after 15:00: same-day 언제나 bookings are closed
        jiwoo, seojun = kids["지우"], kids["서준"]
        # Neither child fits the other's programme.
        with pytest.raises(NotEligible):
            desk.quote(guardian.id, jiwoo.id, centre.id, "elementary_emergency", start, end, now)
        with pytest.raises(NotEligible):
            desk.quote(guardian.id, seojun.id, daycare.id, "always_daycare", start, end, now)
        # Tonight at the 언제나 어린이집 is refused after 15:00.
        with pytest.raises(WindowError, match="until 15:00"):
            desk.quote(guardian.id, jiwoo.id, daycare.id, "always_daycare",
                       datetime.combine(today, time(19), tz), datetime.combine(today, time(21), tz), now)
        quote = desk.quote(guardian.id, jiwoo.id, daycare.id, "always_daycare", start, end, now)
        assert quote.estimate_krw == 6_000 and quote.confirms_at_once
        booked, _ = desk.book(guardian.id, jiwoo.id, daycare.id, "always_daycare", start, end, now)
        assert booked.status == "accepted"
        booked, quote = desk.book(guardian.id, seojun.id, centre.id, "elementary_emergency", start, end, now)
        assert booked.status == "requested" and not quote.confirms_at_once and booked.hold_expires_at is not None
    app.extensions["dolbom_db"].dispose()


@pytest.mark.parametrize("month", range(1, 13))
def test_demo_children_are_their_age_all_year(month):
    """지우 is 4 and 서준 8 whatever the month the demo is made in (not 3 years 9 months in January)."""
    from datetime import date

    from app.care.rules import age_in_months
    from app.commands.demo import birth_date_for

    for day in (1, 28):
        today = date(2026, month, day)
        for years in (4, 8):
            assert age_in_months(birth_date_for(years, today), today) // 12 == years
