"""The schema says the same to SQLite and PostgreSQL as it did with PostgreSQL's dialect
imported up front: JSONB there, JSON text here, and the partial index's WHERE on both."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from invite_bot.store.schema import audit_log, invite_requests, outbox


def dialect(name: str) -> Dialect:
    return make_url(f"{name}://").get_dialect()()


@pytest.mark.parametrize("name", ["sqlite", "postgresql"])
def test_the_message_update_index_is_partial_on_both_databases(name: str) -> None:
    (index,) = [i for i in outbox.indexes if i.name == "uq_outbox_message_update"]

    ddl = str(CreateIndex(index).compile(dialect=dialect(name)))

    assert ddl == (
        "CREATE UNIQUE INDEX uq_outbox_message_update ON outbox (invitation_id, new_status)"
        " WHERE kind = 'message_update'"
    )


@pytest.mark.parametrize(("name", "kind"), [("sqlite", "JSON"), ("postgresql", "JSONB")])
def test_json_documents_are_jsonb_on_postgresql_and_json_on_sqlite(name: str, kind: str) -> None:
    for table, column in (
        (outbox, "payload"),
        (audit_log, "detail"),
        (invite_requests, "addresses"),
    ):
        ddl = str(CreateTable(table).compile(dialect=dialect(name)))

        assert f"\t{column} {kind} NOT NULL" in ddl
