"""WSGI entry for servers (``gunicorn app.wsgi:app``, ``flask --app app.wsgi run``):
the app with its registry read before the first request, and the care clock running in this
process (deadlines, the outbox, the retention purge) unless ``CARE_CLOCK_IN_PROCESS`` is off."""

from app import create_app
from app.extensions.care import start_clock
from app.extensions.registry import get_store

app = create_app()
with app.app_context():
    get_store().warm()
if app.config["CARE_CLOCK_IN_PROCESS"]:
    start_clock(app)
