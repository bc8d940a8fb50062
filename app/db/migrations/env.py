"""Alembic environment: runs the migrations against the URL the app configured."""

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run() -> None:
    given = config.attributes.get("connection")  # app.db.engine.upgrade passes a locked one
    if given is not None:
        context.configure(connection=given, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run()
