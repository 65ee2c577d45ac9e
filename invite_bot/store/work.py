"""The repositories, and the unit of work: the same repositories on one transaction.

What must be written together is written inside one `Store.unit_of_work()`: every write
made through it lands, or none does, and reads through it see its own writes.
"""

from __future__ import annotations

from .audit import AuditLog
from .claims import Claims
from .db import Connections, Transaction
from .deliveries import Deliveries
from .invitations import Invitations
from .jobs import Jobs
from .links import Links
from .outbox import Outbox
from .preferences import Preferences
from .reinvites import Reinvites
from .reminders import Reminders
from .requests import Requests
from .state import State
from .subscriptions import Subscriptions
from .transitions import Transitions


class Repositories:
    """One repository per concern, all getting their connections from `db`."""

    def __init__(self, db: Connections) -> None:
        self.invitations = Invitations(db)
        self.jobs = Jobs(db)
        self.claims = Claims(db)
        self.transitions = Transitions(db)
        self.outbox = Outbox(db)
        self.links = Links(db)
        self.deliveries = Deliveries(db)
        self.subscriptions = Subscriptions(db)
        self.audit = AuditLog(db)
        self.state = State(db)
        self.preferences = Preferences(db)
        self.reminders = Reminders(db)
        self.reinvites = Reinvites(db)
        self.requests = Requests(db)


class UnitOfWork(Repositories):
    """The repositories on one open transaction; usable only inside its `async with`, and
    only by the task that opened it."""

    def __init__(self, transaction: Transaction) -> None:
        super().__init__(transaction)
