"""``flask demo accounts`` (app.commands.demo): made only for a synthetic registry; a second
run gives new passwords to the same accounts; the providers' next days are bookable."""

from __future__ import annotations

import re
from pathlib import Path

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
        assert len(children.list_for_guardian(guardian.id)) == 1  # not a second child
    engine.dispose()


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
