"""Dolbom Map (돌봄지도): find the nearest child care that can take a child when it is needed."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the application: defaults, then ``instance/config.py``, then ``DOLBOM_*`` env vars,
    then ``test_config``. Loads the registry once; nothing happens at import time.

    ``instance_path`` overrides Flask's instance folder (tests use a temporary one).
    """
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object("app.config")
    app.config.from_pyfile("config.py", silent=True)
    from app import config as defaults
    from app import settings_env

    # DOLBOM_<NAME> variables, each converted by the type of its default (not Flask's
    # from_prefixed_env, which keeps "False" a truthy string); a misspelt name or a value that
    # does not convert stops start-up with a SettingError naming the variable.
    settings_env.apply_environment(app.config, defaults, os.environ)
    if test_config:
        app.config.update(test_config)
    settings_env.check(app.config)  # a bad origin stops start-up, naming it
    os.makedirs(app.instance_path, exist_ok=True)
    from app.api.jsonsafe import BoundedJSONProvider

    app.json = BoundedJSONProvider(app)  # request JSON nested too deep is a 400, not a 500
    app.json.ensure_ascii = False  # Hangul as text, not \u escapes

    from app import api, assets, commands, errors, extensions, i18n, pages, privacy, security

    errors.init_app(app)
    privacy.init_app(app)
    security.init_app(app)
    assets.init_app(app)  # compression, versioned static URLs and their caching
    i18n.init_app(app)
    extensions.init_app(app)
    commands.init_app(app)
    pages.init_app(app)
    api.init_app(app)
    return app
