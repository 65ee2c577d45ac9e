"""A file shared in a conversation, on the playground's page: the bulk invite's report in
its progress message's thread (`/playground/api/messages`, the page's HTML) and the
playground's link to its bytes (`/playground/files/…`), with its headers; and the card,
the thread and the headers for names and contents that try to be markup."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urljoin

from invite_bot.domain.bulk_progress import REPORT_HEADER
from invite_bot.playground import panes
from invite_bot.playground.conversations import Entry
from invite_bot.playground.shared_files import (
    content_disposition,
    file_card,
    may_see,
    served,
    size_label,
)
from invite_bot.playground.slack_files import SlackFile
from invite_bot.playground.world import BOT_USER_ID, person
from tests.playground.control import Page

ADMIN, MEMBER = person("admin"), person("member")


def shared(name: str = "report.csv", content: bytes = b"a,b\r\n1,2\r\n", **more: Any) -> SlackFile:
    fields: dict[str, Any] = {
        "id": "F000000001",
        "name": name,
        "title": name,
        "user": "bot",
        "content": content,
        "length": len(content),
        "by_bot": True,
        "completed": True,
        "channels": ["C0GENERAL"],
        "shared_at": 1_700_000_000.0,
        **more,
    }
    return SlackFile(**fields)


async def bulk_report(page: Page, addresses: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bulk invite of `addresses` from a CSV in the invite modal (all good: it starts at
    once); its finished progress message and the report's file message."""
    await page.invite_from_csv("team.csv", "\n".join(addresses))
    done = await page.message_with("is done", kind="message")
    report = await page.message_with("The report of this bulk invite", kind="file")
    return done, report


async def test_the_report_is_a_file_message_in_the_thread_and_its_link_serves_it(
    page: Page,
) -> None:
    addresses = [f"report{i:02d}@lab.org" for i in range(12)]
    done, report = await bulk_report(page, addresses)
    assert report["thread_ts"] == done["ts"]
    assert report["from"] == BOT_USER_ID
    file = report["file"]
    assert file["name"].startswith("bulk-invite-")
    assert file["name"].endswith(".csv")
    assert "12 invited" in file["title"]
    assert file["rows"] == 12

    async with page.session.get(urljoin(page.api, file["download_url"])) as saved:
        assert saved.status == 200
        assert saved.headers["Content-Type"] == "text/csv; charset=utf-8"
        disposition = saved.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f'filename="{file["name"]}"' in disposition
        assert saved.headers["X-Content-Type-Options"] == "nosniff"
        body = await saved.read()
    assert len(body) == file["size"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == REPORT_HEADER
    assert sorted(row[0] for row in rows[1:]) == addresses
    assert {row[2] for row in rows[1:]} == {"created"}

    async with page.session.get(urljoin(page.api, file["url"])) as shown:
        assert shown.status == 200
        assert shown.headers["Content-Type"] == "text/plain; charset=utf-8"  # shown, not saved
        assert shown.headers["Content-Disposition"].startswith("inline;")
        assert await shown.read() == body

    # the member is in #general too: the file is theirs to open; a wrong name is no file
    [seen] = [m for m in await page.messages(user="member") if m["kind"] == "file"]
    assert seen["file"]["id"] == file["id"]
    assert "user=member" in seen["file"]["url"]
    wrong = file["url"].replace(file["name"], "other.csv")
    async with page.session.get(urljoin(page.api, wrong)) as missing:
        assert missing.status == 404
        assert b"report00@lab.org" not in await missing.read()


async def test_the_page_shows_the_report_under_its_message_as_one_reply(
    page: Page,
) -> None:
    done, report = await bulk_report(page, ["thread1@lab.org", "thread2@lab.org"])
    state = await page.get("/state", user="admin", channel="general")
    html = state["conversation"]
    parent = html.index(f'data-entry="m:{done["ts"]}"')
    thread = html.index(f'data-thread-of="m:{done["ts"]}"')
    card = html.index(f'data-file-id="{report["file"]["id"]}"')
    assert parent < thread < card
    assert '<span class="thread-count">1 reply</span>' in html[thread:card]
    assert "2 rows" in html[card:]


def test_a_reply_goes_under_its_message_and_one_without_its_message_stays_in_view() -> None:
    def entry(entry_id: str, at: float, ts: str | None, thread_ts: str | None = None) -> Entry:
        return Entry(entry_id, "message", "C0GENERAL", at, BOT_USER_ID, entry_id, None, ts=ts,
                     thread_ts=thread_ts)  # fmt: skip

    parent = entry("m:1.0", 1.0, "1.0")
    reply = entry("m:2.0", 2.0, "2.0", thread_ts="1.0")
    lost = entry("m:3.0", 3.0, "3.0", thread_ts="0.5")  # its message was deleted
    shown, replies = panes.threads([parent, reply, lost])
    assert shown == [parent, lost]
    assert replies == {"1.0": [reply]}
    page_html = panes.conversation([parent, reply, lost], ADMIN)
    assert page_html.index('data-thread-of="m:1.0"') < page_html.index('data-entry="m:2.0"')
    assert page_html.count('class="thread"') == 1


def test_a_file_name_title_or_cell_that_looks_like_markup_is_shown_as_text() -> None:
    name = '<img src=x onerror="alert(1)">.csv'
    content = b'address,error\r\n<script>alert(2)</script>@lab.org,"<b>bold</b>"\r\n'
    found = shared(name, content, title="<i>title</i> & more", filetype="csv")
    card = file_card(found, ADMIN, "<u>someone</u>")
    for markup in ("<img", "<script", "<b>", "<i>", "<u>"):
        assert markup not in card
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.csv" in card
    assert "&lt;i&gt;title&lt;/i&gt; &amp; more" in card
    assert "&lt;script&gt;alert(2)&lt;/script&gt;@lab.org" in card
    assert "1 row" in card
    assert "shared by &lt;u&gt;someone&lt;/u&gt;" in card
    assert "%3Cimg%20src%3Dx" in card  # the name in the links is URL-quoted


def test_a_file_is_served_as_text_or_as_itself_never_as_something_a_browser_runs() -> None:
    page_file = shared("page.html", b"<script>alert(1)</script>", mimetype="text/html",
                       filetype="html")  # fmt: skip
    for download in (False, True):
        headers = served(page_file, download=download).headers
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert headers["Content-Security-Policy"].startswith("sandbox")
    binary = shared("x.bin", b"\x00\xff", mimetype="application/octet-stream", filetype="binary")
    headers = served(binary, download=False).headers
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    latin = shared("people.csv", b"ana\xe9@lab.org\n")  # not UTF-8: no charset claimed
    assert served(latin, download=True).headers["Content-Type"] == "text/csv"


def test_a_name_cannot_break_out_of_its_header() -> None:
    header = content_disposition("attachment", 'a"b\r\nSet-Cookie: x=1;é.csv')
    assert "\r" not in header
    assert "\n" not in header
    assert header.startswith('attachment; filename="a_b__Set-Cookie_ x_1__.csv";')
    assert header.endswith("filename*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1%3B%C3%A9.csv")
    assert size_label(940) == "940 B"
    assert size_label(3 * 1024) == "3 KB"
    assert size_label(1536 * 1024) == "1.5 MB"


def test_a_file_in_someones_dm_is_theirs_alone() -> None:
    in_dm = shared(channels=[ADMIN.dm_channel])
    assert may_see(in_dm, ADMIN)
    assert not may_see(in_dm, MEMBER)
    assert may_see(shared(), MEMBER)  # #general
    assert not may_see(shared(channels=[]), ADMIN)  # given to a modal only: in no conversation
