"""WSGI entry for servers (``gunicorn app.wsgi:app``, ``flask --app app.wsgi run``):
the app with its registry read before the first request."""

from app import create_app
from app.extensions.registry import get_store

app = create_app()
with app.app_context():
    get_store().warm()
