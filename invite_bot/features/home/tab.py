"""The Home tab: published to a person when they open it, and again when what it shows
changes (`refresh.py`), only to people who opened it, and only when it differs from what
they were last shown (a hash of the view, kept in the store).

Everything it shows is read from the store (the watcher keeps the invitations there as
Gencove has them), so showing a Home costs no Gencove call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from invite_bot.domain.policy import Decision, Refused
from invite_bot.features.home.blocks import (
    COUNTED_DAYS,
    SHOWN_REQUESTS,
    HomeFacts,
    home_tab,
)
from invite_bot.slack.blockkit import MAX_VIEW_BLOCKS
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.outbound import Outbound
from invite_bot.store import HomeViewer, Store, Tx
from invite_bot.store.schema import utcnow

log = logging.getLogger(__name__)


class InviterCheck(Protocol):
    async def check(self, user_id: str) -> Decision: ...


class HomeTab:
    """Shows people their Home tab (see the module's docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        outbound: Outbound,
        inviters: InviterCheck,
        linking_on: bool,
        notify_channel: str | None,
    ) -> None:
        self.store = store
        self.outbound = outbound
        self.inviters = inviters
        self.linking_on = linking_on
        self.notify_channel = notify_channel

    async def opened(self, user_id: str, channel_id: str | None) -> None:
        """They opened the Home tab: remember them (so it is kept up to date) and show it."""
        channel = channel_id or await self._dm(user_id)
        now = utcnow()
        await self.store.write(lambda tx: tx.home_tabs.opened(user_id, channel, now))
        await self.publish(HomeViewer(user_id, channel, None))

    async def refresh_all(self) -> int:
        """Publish again every opened Home tab whose content changed; how many were."""
        published = 0
        for viewer in await self.store.read(lambda tx: tx.home_tabs.viewers()):
            try:
                published += await self.publish(viewer)
            except Exception:
                log.exception("the Home tab of %s was not refreshed", viewer.slack_user_id)
        return published

    async def publish(self, viewer: HomeViewer) -> bool:
        """Publish the viewer's Home tab unless it is what they were last shown."""
        user_id = viewer.slack_user_id
        view = home_tab(await self.facts(user_id), channel_id=viewer.channel_id)
        digest = view_hash(view)
        if digest == viewer.published_hash:
            return False
        failure = await self.outbound.views.publish_home(user_id, view)
        if failure is not None:
            log.warning("the Home tab of %s was not published: %s", user_id, failure.error)
            return False
        now = utcnow()
        await self.store.write(lambda tx: tx.home_tabs.published(user_id, digest, now))
        return True

    async def facts(self, user_id: str) -> HomeFacts:
        """What `user_id`'s Home tab shows; a member's never names others' invitations."""
        as_inviter = not isinstance(await self.inviters.check(user_id), Refused)
        since = utcnow() - timedelta(days=COUNTED_DAYS)
        linking_on, fixed = self.linking_on, self.notify_channel

        def read(tx: Tx) -> HomeFacts:
            own = tx.requests.open_requests(requester=user_id, limit=SHOWN_REQUESTS)
            mine = HomeFacts(
                user_id=user_id,
                as_inviter=as_inviter,
                linking_on=linking_on,
                linked=tx.links.get(user_id),
                notify_me=tx.preferences.personal(user_id),
                own_requests=own,
                channels=[s.channel_id for s in tx.subscriptions.all()],
                fixed_channel=fixed,
            )
            if not as_inviter:
                return mine
            pending, total = tx.home_tabs.pending(limit=MAX_VIEW_BLOCKS)
            return replace(
                mine,
                open_requests=tx.requests.open_requests(limit=SHOWN_REQUESTS),
                open_request_count=tx.home_tabs.open_request_count(),
                pending=pending,
                pending_total=total,
                counts=tx.home_tabs.status_counts(since),
            )

        return await self.store.read(read)

    async def _dm(self, user_id: str) -> str | None:
        found = await self.outbound.conversation_with(user_id)
        return None if isinstance(found, SlackFailure) else found


def view_hash(view: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
