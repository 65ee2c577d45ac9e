"""The Gencove organization's invitations: created, accepted, revoked and expired (lazily,
on the next read, dated at ``expires``), indexed by id, token, address and status in
creation order, so a listing page is a slice."""

from __future__ import annotations

import bisect
import heapq
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.model import (
    STATUSES,
    FakeInvitation,
    FakeUser,
    StatusChange,
    aware,
    order_key,
)

InvitationRef = uuid.UUID | str | FakeInvitation


class Ledger:
    """Every invitation, and the changes made to them as if in Gencove's web app."""

    def __init__(
        self,
        accounts: Accounts,
        admin_user: FakeUser,
        now: Callable[[], datetime],
        ttl: timedelta,
    ) -> None:
        self.accounts = accounts
        self.admin_user = admin_user  # who sends what is made outside the API
        self.now = now
        self.ttl = ttl
        self._invitations: dict[uuid.UUID, FakeInvitation] = {}
        self._by_token: dict[str, FakeInvitation] = {}
        self._by_email: dict[str, list[FakeInvitation]] = {}
        self._sorted_all: list[FakeInvitation] = []
        self._sorted_by_status: dict[str, list[FakeInvitation]] = {s: [] for s in STATUSES}
        self._expiry_heap: list[tuple[datetime, int, uuid.UUID]] = []
        self._expiry_seq = 0

    # ------------------------------------------------------------------ reading

    @property
    def invitations(self) -> dict[uuid.UUID, FakeInvitation]:
        """All invitations by id, in creation order (live dict; don't mutate it)."""
        self.sweep_expired()
        return self._invitations

    def listing(self, status: str) -> list[FakeInvitation]:
        """Invitations with ``status`` (or ``"all"``), oldest first (live list)."""
        return self._sorted_all if status == "all" else self._sorted_by_status[status]

    def counts(self) -> dict[str, int]:
        return {s: len(v) for s, v in self._sorted_by_status.items()}

    def by_id(self, inv_id: uuid.UUID) -> FakeInvitation | None:
        return self._invitations.get(inv_id)

    def by_token(self, token: str) -> FakeInvitation | None:
        return self._by_token.get(token)

    def find(self, email: str, status: str | None = None) -> list[FakeInvitation]:
        """Invitations for ``email`` (case-insensitive), in creation order."""
        self.sweep_expired()
        found = self._by_email.get(email.strip().lower(), [])
        if status is None:
            return list(found)
        return [inv for inv in found if inv.status_changes[-1].status == status]

    def has_pending(self, email: str) -> bool:
        return any(
            inv.status_changes[-1].status == "pending"
            for inv in self._by_email.get(email.lower(), ())
        )

    def get(self, ref: InvitationRef) -> FakeInvitation:
        """By FakeInvitation, uuid, id string or token; ``KeyError`` if unknown."""
        self.sweep_expired()
        if isinstance(ref, FakeInvitation):
            return ref
        if isinstance(ref, uuid.UUID):
            return self._invitations[ref]
        inv = self._by_token.get(ref)
        if inv is not None:
            return inv
        try:
            return self._invitations[uuid.UUID(ref)]
        except ValueError:
            raise KeyError(ref) from None

    # ------------------------------------------------------------------ changes

    def create(self, email: str, role: str, actor: FakeUser) -> FakeInvitation:
        """A pending invitation sent now by ``actor`` (what the API's create makes)."""
        now = self.now()
        return self._new_invitation(email, role, actor, now, now + self.ttl)

    def add(
        self,
        email: str,
        role: str = "member",
        status: str = "pending",
        created: datetime | None = None,
        expires: datetime | None = None,
    ) -> FakeInvitation:
        """Create an invitation directly (as if in Gencove's web app), sent by the org admin.

        ``expired`` without ``expires`` gets ``expires = min(created + ttl, now)``.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        now = self.now()
        created = aware(created) if created is not None else now
        if expires is None:
            expires = created + self.ttl
            if status == "expired":
                expires = min(expires, now)
        aware(expires)
        if status == "expired" and expires > now:
            raise ValueError("an expired invitation needs expires in the past")
        inv = self._new_invitation(email, role, self.admin_user, created, expires)
        at = max(created, min(now, expires))
        if status == "accepted":
            self.accept_for(inv, self._user_for(email), at)
        elif status == "revoked":
            self.set_status(inv, "revoked", self.admin_user, at)
        elif status == "expired":
            self.set_status(inv, "expired", self.admin_user, expires)
        self.sweep_expired()
        return inv

    def accept(self, ref: InvitationRef, user: FakeUser | None = None) -> FakeInvitation:
        """Accept a pending invitation as ``user`` (default: the user with its email,
        created if needed), who becomes an org member."""
        inv = self._pending(ref)
        self.accept_for(inv, user or self._user_for(inv.email), self.now())
        return inv

    def expire(self, ref: InvitationRef) -> FakeInvitation:
        """Move a pending invitation's ``expires`` into the past: it becomes ``expired``."""
        inv = self._pending(ref)
        inv.expires = min(inv.expires, self.now())
        self._schedule_expiry(inv)
        self.sweep_expired()
        return inv

    def expire_soon(self, ref: InvitationRef, within: timedelta) -> FakeInvitation:
        """Move a pending invitation's ``expires`` to ``within`` from now (if sooner)."""
        inv = self._pending(ref)
        inv.expires = min(inv.expires, self.now() + within)
        self._schedule_expiry(inv)
        return inv

    def revoke(self, ref: InvitationRef, actor: FakeUser | None = None) -> FakeInvitation:
        """Revoke a pending invitation (actor: the org admin by default)."""
        inv = self._pending(ref)
        self.set_status(inv, "revoked", actor or self.admin_user, self.now())
        return inv

    def seed(self, total: int, pending: int, *, domain: str = "seed.example.com") -> None:
        """Add ``total`` invitations, ``pending`` of them pending, the rest cycling through
        accepted/revoked/expired; created one second apart, newest = pending ones."""
        if not 0 <= pending <= total:
            raise ValueError("need 0 <= pending <= total")
        now = self.now()
        others = ("accepted", "revoked", "expired")
        for i in range(total):
            age = total - i  # ascending creation keeps the sorted inserts cheap
            is_pending = i >= total - pending
            status = "pending" if is_pending else others[i % 3]
            created = now - timedelta(seconds=age)
            if status == "expired":
                created -= self.ttl
            self.add(
                f"seed-{i:06d}@{domain}",
                role="member" if i % 4 else "viewer",
                status=status,
                created=created,
            )

    def set_status(
        self,
        inv: FakeInvitation,
        status: str,
        actor: FakeUser | None,
        at: datetime,
        *,
        actor_name: str | None = None,
    ) -> None:
        old_list = self._sorted_by_status[inv.status_changes[-1].status]
        idx = bisect.bisect_left(old_list, order_key(inv), key=order_key)
        while old_list[idx] is not inv:
            idx += 1
        del old_list[idx]
        actor_id = actor.id if actor is not None else self.admin_user.id
        name = actor.name if actor is not None else (actor_name or "")
        inv.status_changes.append(StatusChange(uuid.uuid4(), status, at, actor_id, name))
        bisect.insort(self._sorted_by_status[status], inv, key=order_key)

    def accept_for(self, inv: FakeInvitation, user: FakeUser, at: datetime) -> None:
        self.set_status(inv, "accepted", user, at)
        user.member = True
        if not user.admin:
            user.role = inv.role

    def sweep_expired(self) -> None:
        """Turn pending invitations past ``expires`` into expired ones (dated at expires)."""
        heap = self._expiry_heap
        if not heap:
            return
        now = self.now()
        while heap and heap[0][0] <= now:
            expires, _, inv_id = heapq.heappop(heap)
            inv = self._invitations.get(inv_id)
            if inv is None or inv.expires != expires:
                continue
            last = inv.status_changes[-1]
            if last.status != "pending":
                continue
            actor = self.accounts.users.get(last.actor_id)
            self.set_status(inv, "expired", actor, expires, actor_name=last.actor_name)

    # ------------------------------------------------------------------ internals

    def _pending(self, ref: InvitationRef) -> FakeInvitation:
        inv = self.get(ref)
        current = inv.status_changes[-1].status
        if current != "pending":
            raise ValueError(f"invitation {inv.id} is {current}")
        return inv

    def _user_for(self, email: str) -> FakeUser:
        return self.accounts.by_email(email) or self.accounts.add_user(email, created=self.now())

    def _new_invitation(
        self, email: str, role: str, actor: FakeUser, created: datetime, expires: datetime
    ) -> FakeInvitation:
        token = secrets.token_urlsafe(32)
        while token in self._by_token:  # pragma: no cover - astronomically unlikely
            token = secrets.token_urlsafe(32)
        inv = FakeInvitation(
            id=uuid.uuid4(),
            email=email,
            role=role,
            token=token,
            created=created,
            expires=expires,
            status_changes=[StatusChange(uuid.uuid4(), "pending", created, actor.id, actor.name)],
            _owner=self,
        )
        self._invitations[inv.id] = inv
        self._by_token[token] = inv
        self._by_email.setdefault(email.lower(), []).append(inv)
        bisect.insort(self._sorted_all, inv, key=order_key)
        bisect.insort(self._sorted_by_status["pending"], inv, key=order_key)
        self._schedule_expiry(inv)
        return inv

    def _schedule_expiry(self, inv: FakeInvitation) -> None:
        self._expiry_seq += 1
        heapq.heappush(self._expiry_heap, (inv.expires, self._expiry_seq, inv.id))
