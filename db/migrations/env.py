"""Alembic environment: runs on the connection handed in by db.engine.upgrade (or a URL given by -x url=...)."""

from alembic import context
from sqlalchemy import create_engine

from db.models import Base

target_metadata = Base.metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # developers generating a revision: alembic -x url=sqlite:///scratch.db revision --autogenerate
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).connect() as conn:
        run(conn)
        conn.commit()
