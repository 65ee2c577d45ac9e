"""`StoreUnavailable`: the one exception for "the database cannot be used right now".

The store's connection helpers (`db.Database.read()` / `write()`) raise it, in place of
whatever the driver raised, when the database cannot serve the bot: unreachable, its file
gone or replaced, its schema missing, read-only, full, locked past the busy timeout. A
statement the database refuses for its own content (a constraint, a bad query) stays the
driver's error: that is a bug or a race, not an outage. `kind` is a few words for logs
and /healthz ("database unavailable: read-only"), never the driver's text (it may quote
values or a URL).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError

# SQLite's messages (sqlite3.OperationalError) and PostgreSQL's SQLSTATE codes, by kind.
_SQLITE_KINDS = (
    ("no such table", "schema missing"),
    ("readonly database", "read-only"),
    ("read-only", "read-only"),
    ("disk is full", "disk full"),
    ("unable to open database file", "cannot open the database file"),
    ("disk i/o error", "disk I/O error"),
    ("malformed", "database file corrupt"),
    ("not a database", "database file corrupt"),
    ("database is locked", "locked"),
)
_SQLSTATE_KINDS = (
    ("42P01", "schema missing"),  # undefined_table
    ("25006", "read-only"),  # read_only_sql_transaction
    ("53100", "disk full"),
    ("53", "out of resources"),
    ("08", "unreachable"),  # connection exceptions
    ("57P", "shutting down"),  # admin_shutdown, crash_shutdown, cannot_connect_now
)


class StoreUnavailable(Exception):
    """The database cannot be used now. `took_effect` names what was done outside the
    database before it failed (e.g. the addresses Gencove invited that the bot could not
    record), so the user can be told what was made instead of "nothing changed"."""

    def __init__(self, kind: str, *, took_effect: Sequence[str] = ()) -> None:
        super().__init__(f"database unavailable: {kind}")
        self.kind = kind
        self.took_effect = tuple(took_effect)

    def after(self, took_effect: Sequence[str]) -> StoreUnavailable:
        """The same failure, once `took_effect` had been done elsewhere."""
        failure = StoreUnavailable(self.kind, took_effect=took_effect)
        failure.__cause__ = self.__cause__
        return failure


def unavailable(exc: BaseException, *, os_errors: bool = True) -> StoreUnavailable | None:
    """The `StoreUnavailable` that `exc` amounts to, or None if it is no outage.

    `os_errors=False` for exceptions that came from the caller's own code inside a
    transaction: a `TimeoutError` there may be Slack's, not the database's."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, DBAPIError):
        kind = _kind(exc)
        return None if kind is None else StoreUnavailable(kind)
    if os_errors and isinstance(exc, OSError):  # includes TimeoutError, ConnectionError
        if isinstance(exc, FileNotFoundError):
            return StoreUnavailable("database file gone")
        return StoreUnavailable("timed out" if isinstance(exc, TimeoutError) else "unreachable")
    return None


def _kind(exc: DBAPIError) -> str | None:
    code = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    if code:
        for prefix, kind in _SQLSTATE_KINDS:
            if code.startswith(prefix):
                return kind
    text = str(exc.orig).lower()
    for needle, kind in _SQLITE_KINDS:
        if needle in text:
            return kind
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return "unreachable"
    # SQLite calls a syntax error or an unknown column "operational" too: those are bugs.
    from_sqlite = type(exc.orig).__module__.startswith("sqlite3")
    if isinstance(exc, OperationalError) and not from_sqlite:
        return "unreachable"
    if isinstance(exc, ProgrammingError) and "does not exist" in text and "relation" in text:
        return "schema missing"
    return None
