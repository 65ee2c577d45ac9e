"""The list page's Block Kit: Previous and Next only where there are pages."""

from __future__ import annotations

from invite_bot.domain.records import InviteRow
from invite_bot.features.listing.blocks import ListPage, invitation_list


def test_list_page_offers_previous_and_next_only_where_there_are_pages() -> None:
    rows_ = [InviteRow(f"p{i}@lab.org", "pending", invitation_id=f"id-{i}") for i in range(20)]
    first = invitation_list(ListPage("pending", 0, 45, rows_))
    middle = invitation_list(ListPage("pending", 20, 45, rows_))
    labels = [
        [e["text"]["text"] for b in m.blocks if b["type"] == "actions" for e in b["elements"]]
        for m in (first, middle)
    ]
    assert labels == [["Next"], ["Previous", "Next"]]
    assert "45 pending invitations" in first.text
