"""WSGI entry for servers (``gunicorn app.wsgi:app``, ``flask --app app.wsgi run``):
the app with its registry read before the first request, and the care clock running in this
process (deadlines, the outbox, the retention purge) unless ``CARE_CLOCK_IN_PROCESS`` is off.

A setting that stops start-up (:class:`app.settings_env.SettingError`: a missing care-notes key,
a misspelt ``DOLBOM_*`` variable …) ends the process with its one-line message, no traceback."""

from app import create_app
from app.extensions.care import start_clock
from app.extensions.registry import get_store
from app.settings_env import SettingError

try:
    app = create_app()
except SettingError as refused:
    raise SystemExit(f"dolbom: cannot start: {refused}") from None
with app.app_context():
    get_store().warm()
if app.config["CARE_CLOCK_IN_PROCESS"]:
    start_clock(app)
