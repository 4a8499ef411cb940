"""Alembic's entry: run the migrations on the connection matcher hands over (``database.migrate``),
or, from the alembic command line, on ``MATCHER_DATABASE_URL``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from matcher.store.tables import Base


def run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    engine = create_engine(os.environ["MATCHER_DATABASE_URL"])
    with engine.connect() as connection:
        run(connection)
