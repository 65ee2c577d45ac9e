"""The audit export: the audit log of a period as a CSV, streamed to a file and shared.

The entries are read in keyset pages (`tx.audit.page`, a page at a time by id) and each
page is written to a temporary CSV file as it arrives, off the event loop, so a long log is
never one list or one string in this process; `Outbound.uploads.share_file` redacts it
line by line into a copy and streams that to Slack's upload URL, shared in the inviter's
DM. The cells are spreadsheet safe (`domain.audit.audit_row`). An empty period uploads
nothing and says so.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from invite_bot.domain.audit import AUDIT_HEADER, audit_row
from invite_bot.features.audit.blocks import file_comment, file_title, not_sent, nothing_in, sent
from invite_bot.slack.blockkit import Message
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.outbound import Outbound
from invite_bot.store import AuditEntry, Store, Tx
from invite_bot.store.schema import utcnow

PAGE = 1000  # audit entries per read


class AuditExport:
    """Writes and shares the audit log of a period (see the module doc)."""

    def __init__(self, *, store: Store, outbound: Outbound, page: int = PAGE) -> None:
        self.store = store
        self.outbound = outbound
        self.page = page

    async def export(self, user: str, since: timedelta) -> Message:
        """Send `user` the log of the last `since` by DM; what to tell them."""
        now = utcnow()
        with tempfile.TemporaryDirectory(prefix="invite-bot-audit-") as folder:
            path = Path(folder) / f"gencove-audit-{now:%Y-%m-%d}.csv"
            count = await self._write(path, now - since)
            if count == 0:
                return nothing_in(since)
            where = await self.outbound.conversation_with(user)
            if isinstance(where, SlackFailure):
                return not_sent(where.sentence)
            failure = await self.outbound.uploads.share_file(
                where,
                path,
                filename=path.name,
                title=file_title(since),
                comment=file_comment(count, since),
            )
        if failure is not None:
            return not_sent(failure.sentence)
        # Who took a copy of the log is itself on the log.
        detail = {"since_hours": since // timedelta(hours=1), "entries": count}
        await self.store.write(
            lambda tx: tx.audit.add(actor_slack_id=user, action="audit_exported", detail=detail)
        )
        return sent(count, since)

    async def _write(self, path: Path, start: datetime) -> int:
        """The entries since `start` as CSV in `path`, page by page; how many there were."""
        count, after = 0, 0
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write("\ufeff")  # a BOM: spreadsheets then read the file as UTF-8
            await asyncio.to_thread(_write_rows, out, [AUDIT_HEADER])
            while True:
                entries = await self.store.read(
                    functools.partial(_page, since=start, after_id=after, limit=self.page)
                )
                if not entries:
                    return count
                await asyncio.to_thread(_write_rows, out, [audit_row(e) for e in entries])
                count += len(entries)
                after = entries[-1].id
                if len(entries) < self.page:
                    return count


def _page(tx: Tx, *, since: datetime, after_id: int, limit: int) -> list[AuditEntry]:
    return tx.audit.page(since=since, after_id=after_id, limit=limit)


def _write_rows(out: TextIO, rows: Sequence[Sequence[str]]) -> None:
    csv.writer(out, lineterminator="\r\n").writerows(rows)
