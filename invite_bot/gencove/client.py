"""The one asynchronous client for Gencove's invitation API.

One shared `aiohttp.ClientSession` (pooled connections), a cap on requests in flight of
which listing reads may not take the share writes and accepts need (`wire.Slots`), one
deadline per call across its tries (`transport`), bodies read up to a cap
(`wire.read_capped`), listings bounded (`paging.Listing`), and retries with exponential
backoff and full jitter that honour `Retry-After` (seconds or an HTTP date). Answers are
decoded by the pure `decode_response`.

Retry rules
-----------
* GET, DELETE and the token PATCH are retried on 429, 502, 503, 504, timeouts and
  connection errors: repeating them cannot do anything twice. (A DELETE whose first
  attempt took effect answers 400/404 on the retry; callers re-read the real status.)
  A DELETE or PATCH whose answer is lost (its last try timed out or lost its connection
  after sending, or its answer cannot be read) is looked up before anything is said: a
  revoke in the pending list (still there: the plain failure; gone:
  `GencoveNoLongerPending`, a `GencoveValidationError`, like Gencove's own "only pending
  invitations can be revoked"), an accept by its token (accepted: that is the answer).
  When even that read fails, `GencoveUncertain`: the caller must look before repeating.
  A DELETE answered 2xx succeeded whatever its body says.
* A 503 saying Gencove is under maintenance is never retried (`GencoveMaintenance`).
* POST (create) must never produce two invitations. It is retried as is only when the
  request provably never reached Gencove: the connection could not be opened, or Gencove
  throttled it (429 is answered before the view runs). After any other failure the request
  may have taken effect, so the pending list is searched for the address first: if an
  invitation is there, that one is returned; only if none is found is the POST sent again.
  An answer that cannot be read (not JSON, the wrong shape, too large, cut off) is such a
  failure too, and is looked up at once: Gencove said 2xx. A POST answered with "already
  pending" after an ambiguous failure is resolved the same way. The remaining window (an
  earlier attempt still in flight at Gencove while the list is read) is closed by Gencove
  itself refusing a second pending invitation for an address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from invite_bot.gencove.by_address import InvitationsByAddress
from invite_bot.gencove.errors import (
    NOT_UNDERSTOOD,
    GencoveError,
    GencoveNoLongerPending,
    GencoveUncertain,
    GencoveUnreadable,
    GencoveValidationError,
    never_reached_gencove,
)
from invite_bot.gencove.models import (
    Credentials,
    Invitation,
    InvitationDetails,
    InvitationPage,
    ListStatus,
    OrganizationUser,
    Role,
    User,
    parse,
)
from invite_bot.gencove.paging import Listing
from invite_bot.gencove.transport import MAX_RETRY_AFTER, UNCONFIRMED, Transport
from invite_bot.gencove.wire import Deadline, invitation_id_segment, segment

__all__ = ["API", "MAX_PAGE_SIZE", "MAX_RETRY_AFTER", "GencoveClient"]

log = logging.getLogger(__name__)

API = "/api/v2"
MAX_PAGE_SIZE = 100


class GencoveClient(Transport):
    """Talks to Gencove as the organization (its API key) or as a given user.

    `timeout` bounds each try, `deadline` (default: twice `timeout`) a whole call with
    its retries; `max_concurrency` requests in flight, of which listing reads may hold
    all but a reserved share. Use as an async context manager, or call `close()`.
    """

    # -- invitations --------------------------------------------------------------------

    async def create_invitation(
        self, email: str, role: str = "", *, credentials: Credentials | None = None
    ) -> Invitation:
        """Invite `email` to the organization; never creates two invitations (see module)."""
        body = {"email": email, "role": role}
        deadline = Deadline(self._deadline)
        attempts = self._max_retries + 1
        ambiguous = False
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                data = await self._send(
                    "POST", f"{API}/invitations/", credentials, json=body, deadline=deadline
                )
                return parse(Invitation, data)
            except GencoveValidationError:
                if not ambiguous:
                    raise
                # An earlier attempt may have created it: that one is the answer.
                existing = await self._find_pending(email, credentials, deadline)
                if existing is None:
                    raise
                return existing
            except GencoveUnreadable as exc:
                # Gencove answered 2xx: the invitation is made, only the answer is unusable.
                ambiguous = True
                existing = await self._find_pending(email, credentials, deadline)
                if existing is not None:
                    log.info("gencove create: answer unreadable; found the invitation it made")
                    return existing
                if last or not self.has_time_for("POST", 0.0, deadline):
                    raise GencoveUncertain(UNCONFIRMED, exc) from exc
                self._retrying("POST", f"{API}/invitations/")
            except GencoveError as exc:
                if not exc.retryable or last:
                    raise
                wait = self._wait_for(exc, attempt)
                if never_reached_gencove(exc):
                    if not self.has_time_for("POST", wait, deadline):
                        raise
                    await asyncio.sleep(wait)
                    self._retrying("POST", f"{API}/invitations/")
                    continue
                if not self.has_time_for("GET", wait, deadline):
                    raise
                ambiguous = True
                await asyncio.sleep(wait)
                existing = await self._find_pending(email, credentials, deadline)
                if existing is not None:
                    log.info("gencove create recovered an invitation made by an earlier try")
                    return existing
                if not self.has_time_for("POST", 0.0, deadline):
                    raise  # no whole try left for another POST
                self._retrying("POST", f"{API}/invitations/")
        raise AssertionError("unreachable")  # pragma: no cover

    async def list_invitations_page(
        self,
        status: ListStatus = "pending",
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        *,
        credentials: Credentials | None = None,
    ) -> InvitationPage:
        """One page of the organization's invitations, with the total `count`."""
        path = f"{API}/invitations/"
        params = {"status": status, "limit": str(limit), "offset": str(offset)}
        listing = Listing("invitations", path, params, limit)
        data = await self._request("GET", path, credentials, params=params, listing=True)
        return _page(*listing.take(data))

    async def iter_invitations(
        self,
        status: ListStatus = "pending",
        page_size: int = MAX_PAGE_SIZE,
        *,
        credentials: Credentials | None = None,
    ) -> AsyncIterator[Invitation]:
        """Every invitation with `status`, following `meta.next` across pages."""
        async for page in self.iter_pages(status, page_size, credentials=credentials):
            for invitation in page.results:
                yield invitation

    async def iter_pages(
        self,
        status: ListStatus = "pending",
        page_size: int = MAX_PAGE_SIZE,
        *,
        credentials: Credentials | None = None,
    ) -> AsyncIterator[InvitationPage]:
        """The pages of a listing, in order; stop iterating to stop fetching. A listing
        that does not end (see `paging`) raises `GencoveProtocolError`."""
        async for page in self._pages(status, page_size, credentials, None):
            yield page

    async def _pages(
        self,
        status: ListStatus,
        page_size: int,
        credentials: Credentials | None,
        deadline: Deadline | None,
    ) -> AsyncIterator[InvitationPage]:
        async for rows, meta in self._rows(status, page_size, credentials, deadline):
            yield _page(rows, meta)

    async def pending_by_address(self) -> InvitationsByAddress:
        """Every pending invitation, by lower-cased address, each parsed when looked up."""
        found = InvitationsByAddress()
        async for rows, _meta in self._rows("pending", MAX_PAGE_SIZE, None, None):
            found.add(rows)
        return found

    async def _rows(
        self,
        status: ListStatus,
        page_size: int,
        credentials: Credentials | None,
        deadline: Deadline | None,
    ) -> AsyncIterator[tuple[list[Any], dict[str, Any]]]:
        """Each page's (rows, meta), the rows not yet parsed, following `meta.next`."""
        path = f"{API}/invitations/"
        params = {"status": status, "limit": str(page_size), "offset": "0"}
        listing = Listing("invitations", path, params, page_size)
        while True:
            data = await self._request(
                "GET", path, credentials, params=params, listing=True, deadline=deadline
            )
            rows, meta = listing.take(data)
            link = _next_link(meta)
            yield rows, meta
            if not link:
                return
            path, params = self._same_origin(link)
            listing.follow(path, params)

    async def find_pending(
        self, email: str, *, credentials: Credentials | None = None
    ) -> Invitation | None:
        """The pending invitation for `email` (case-insensitive), if there is one."""
        return await self._find_pending(email, credentials, None)

    async def _find_pending(
        self, email: str, credentials: Credentials | None, deadline: Deadline | None
    ) -> Invitation | None:
        wanted = email.strip().lower()
        async for page in self._pages("pending", MAX_PAGE_SIZE, credentials, deadline):
            for invitation in page.results:
                if (invitation.email or "").lower() == wanted:
                    return invitation
        return None

    async def revoke_invitation(
        self, invitation_id: str, *, credentials: Credentials | None = None
    ) -> None:
        """Revoke a pending invitation (`DELETE /api/v2/invitations/{id}`). An id that is
        not a UUID raises `GencoveInvalidId` before any request."""
        canonical = invitation_id_segment(invitation_id)
        try:
            await self._request(
                "DELETE", f"{API}/invitations/{canonical}", credentials, expect_body=False
            )
        except GencoveUncertain as exc:
            # Its answer was lost: the pending list says whether it took effect.
            pending = await self._is_pending(canonical, credentials)
            if pending is None:
                raise
            log.info("gencove revoke unconfirmed; the invitation is %s", _still(pending))
            if pending:
                raise exc.cause from None  # it did not: the plain failure, nothing done
            raise GencoveNoLongerPending from None

    async def _is_pending(self, invitation_id: str, credentials: Credentials | None) -> bool | None:
        """Whether the invitation is in the pending list (None: Gencove cannot say now).
        A read of its own, with its own deadline, after a write that ran out of time."""
        try:
            async for page in self._pages("pending", MAX_PAGE_SIZE, credentials, None):
                if any(inv.id.lower() == invitation_id for inv in page.results):
                    return True
        except GencoveError:
            return None
        return False

    # -- invitee side -------------------------------------------------------------------

    async def get_invitation_by_token(
        self, token: str, *, credentials: Credentials | None = None
    ) -> InvitationDetails:
        path = f"{API}/invitations-token/{segment(token, 'invitation token')}"
        return parse(InvitationDetails, await self._request("GET", path, credentials))

    async def accept_invitation(self, token: str, credentials: Credentials) -> InvitationDetails:
        """Accept as the invitee. Credentials are required: never the organization key."""
        if credentials == self._org:
            raise ValueError("an invitation must be accepted with the invitee's own key")
        path = f"{API}/invitations-token/{segment(token, 'invitation token')}"
        try:
            return parse(
                InvitationDetails, await self._request("PATCH", path, credentials, json={})
            )
        except GencoveUnreadable as exc:  # answered 2xx, but unusably
            unconfirmed = GencoveUncertain(UNCONFIRMED, exc)
        except GencoveUncertain as exc:  # timed out, or lost its connection, after sending
            unconfirmed = exc
        # The answer was lost: the invitation itself says whether it is accepted now.
        try:
            now = await self.get_invitation_by_token(token, credentials=credentials)
        except GencoveError:
            now = None
        if now is None:
            raise unconfirmed
        log.info("gencove accept unconfirmed; the invitation is %s", now.status)
        if now.status == "accepted":
            return now
        raise unconfirmed.cause

    # -- organization and user ----------------------------------------------------------

    async def list_roles(self) -> list[Role]:
        """The organization's roles, every page."""
        roles: list[Role] = []
        path, params = f"{API}/roles/organization", {"limit": str(MAX_PAGE_SIZE)}
        listing = Listing("roles", path, params, MAX_PAGE_SIZE)
        while True:
            data = await self._request("GET", path, None, params=params, listing=True)
            rows, meta = listing.take(data)
            roles.extend(parse(Role, item) for item in rows)
            link = _next_link(meta)
            if link is None:
                return roles
            path, params = self._same_origin(link)
            listing.follow(path, params)

    async def find_member(
        self, email: str, *, credentials: Credentials | None = None
    ) -> OrganizationUser | None:
        """The organization's member with this address (case-insensitive), if any:
        `GET /api/v2/organization-users/?search=<email>`, whose matches are by substring
        of name, email or id, so each row is compared in full."""
        wanted = email.strip().lower()
        if not wanted:
            return None
        path = f"{API}/organization-users/"
        params = {"search": email.strip(), "limit": str(MAX_PAGE_SIZE), "offset": "0"}
        listing = Listing("organization users", path, params, MAX_PAGE_SIZE)
        while True:
            data = await self._request("GET", path, credentials, params=params, listing=True)
            rows, meta = listing.take(data)
            for row in rows:
                user = parse(OrganizationUser, row)
                if user.email.strip().lower() == wanted:
                    return user
            link = _next_link(meta)
            if link is None:
                return None
            path, params = self._same_origin(link)
            listing.follow(path, params)

    async def is_member(self, email: str, *, credentials: Credentials | None = None) -> bool:
        """Whether `email` belongs to a member of the organization (active or not)."""
        return await self.find_member(email, credentials=credentials) is not None

    async def current_user(self, credentials: Credentials | None = None) -> User:
        """The Gencove user behind `credentials` (the organization key by default)."""
        return parse(User, await self._request("GET", f"{API}/user/", credentials))


def _still(pending: bool) -> str:
    return "still pending" if pending else "no longer pending"


def _next_link(meta: Mapping[str, Any]) -> str | None:
    link = meta.get("next")
    if not link:
        return None
    if not isinstance(link, str):
        raise GencoveUnreadable(NOT_UNDERSTOOD)
    return link


def _page(rows: list[Any], meta: Mapping[str, Any]) -> InvitationPage:
    return parse(
        InvitationPage,
        {
            "count": meta.get("count", len(rows)),
            "next": meta.get("next"),
            "previous": meta.get("previous"),
            "results": rows,
        },
    )
