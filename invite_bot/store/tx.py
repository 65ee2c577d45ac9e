"""`Tx`: one unit of work's view of the store, one repository per concern, all bound to
the one connection (and transaction) the store handed it.

A unit of work is a plain synchronous function of a `Tx`, run by `Store.write` (one
transaction: everything it wrote lands, or nothing does) or `Store.read` (read-only).
Reads through a write's `Tx` see that transaction's own writes. Repositories are made on
first use: a unit of work pays only for those it touches.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Connection

from invite_bot.store.repositories.audit import AuditLog
from invite_bot.store.repositories.claims import Claims
from invite_bot.store.repositories.deliveries import Deliveries
from invite_bot.store.repositories.drafts import Drafts
from invite_bot.store.repositories.home import HomeTabs
from invite_bot.store.repositories.invitations import Invitations, Reinvites
from invite_bot.store.repositories.jobs import Jobs
from invite_bot.store.repositories.links import Links
from invite_bot.store.repositories.notify import Preferences, Subscriptions
from invite_bot.store.repositories.outbox import Outbox
from invite_bot.store.repositories.reminders import Reminders, RequestReminders
from invite_bot.store.repositories.requests import Requests
from invite_bot.store.repositories.state import State
from invite_bot.store.repositories.transitions import Transitions
from invite_bot.store.repositories.workflow_steps import WorkflowSteps


class Tx:
    """The repositories on one connection; valid only while its unit of work runs."""

    def __init__(self, conn: Connection) -> None:
        # The connection itself, for the store's own statements (leases, migrations).
        self.conn = conn

    @cached_property
    def invitations(self) -> Invitations:
        return Invitations(self.conn)

    @cached_property
    def jobs(self) -> Jobs:
        return Jobs(self.conn)

    @cached_property
    def claims(self) -> Claims:
        return Claims(self.conn)

    @cached_property
    def transitions(self) -> Transitions:
        return Transitions(self.conn)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.conn)

    @cached_property
    def links(self) -> Links:
        return Links(self.conn)

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(self.conn)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.conn)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.conn)

    @cached_property
    def state(self) -> State:
        return State(self.conn)

    @cached_property
    def preferences(self) -> Preferences:
        return Preferences(self.conn)

    @cached_property
    def reminders(self) -> Reminders:
        return Reminders(self.conn)

    @cached_property
    def reinvites(self) -> Reinvites:
        return Reinvites(self.conn)

    @cached_property
    def requests(self) -> Requests:
        return Requests(self.conn)

    @cached_property
    def request_reminders(self) -> RequestReminders:
        return RequestReminders(self.conn)

    @cached_property
    def drafts(self) -> Drafts:
        return Drafts(self.conn)

    @cached_property
    def workflow_steps(self) -> WorkflowSteps:
        return WorkflowSteps(self.conn)

    @cached_property
    def home_tabs(self) -> HomeTabs:
        return HomeTabs(self.conn)
