"""The sandbox's hostile fault kinds (issue 15) through its JSON control API, as a test
driving a separate bot process would inject them."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from tests.faults import Fault, GencoveFaults

KINDS: list[tuple[dict[str, Any], Fault]] = [
    ({"kind": "page_loop"}, Fault.page_loop()),
    ({"kind": "endless_pages", "repeat": 0}, Fault.endless_pages().times(0)),
    ({"kind": "extra_rows", "rows": 3}, Fault.extra_rows(3)),
    ({"kind": "oversized", "size": 5000, "chunked": True}, Fault.oversized(5000, chunked=True)),
    ({"kind": "drip", "seconds": 0.2, "chunk": 4}, Fault.drip(0.2, 4)),
    ({"kind": "truncated", "keep": 10, "abort": False}, Fault.truncated(10, abort=False)),
    ({"kind": "retry_date", "retry_after": 30, "code": 503}, Fault.retry_date(30, 503)),
    ({"kind": "maintenance", "message": "Soon.", "eta": None}, Fault.maintenance("Soon.", None)),
    ({"kind": "status", "code": 503, "repeat": 3}, Fault.status(503).times(3)),
]


@pytest.mark.parametrize(("data", "fault"), KINDS)
def test_each_hostile_kind_reads_from_json_and_round_trips(
    data: dict[str, Any], fault: Fault
) -> None:
    assert Fault.from_json(data) == fault
    assert Fault.from_json(fault.to_json()) == fault


def test_the_older_kinds_show_as_before() -> None:
    assert Fault.status(503).to_json() == {
        "kind": "status",
        "code": 503,
        "body": None,
        "retry_after": None,
        "seconds": 0.0,
        "after_effect": False,
    }


async def test_the_control_api_injects_a_repeated_hostile_fault(
    gencove: FakeGencove, gencove_faults: GencoveFaults
) -> None:
    gencove.seed(3, 3)
    async with aiohttp.ClientSession() as session:
        inject = {"method": "GET", "path_prefix": "/api/v2/invitations/", "faults": [KINDS[0][0]]}
        async with session.post(f"{gencove.url}/_fake/inject", json=inject) as answer:
            assert answer.status == 200
        inject["faults"] = [{"kind": "extra_rows", "rows": 2, "repeat": 2}]
        async with session.post(f"{gencove.url}/_fake/inject", json=inject) as answer:
            assert answer.status == 200
        async with session.get(f"{gencove.url}/_fake/state?invitations=0") as answer:
            pending = (await answer.json())["pending_faults"]
        assert [(f["kind"], f.get("repeat", 1)) for f in pending] == [
            ("page_loop", 1),
            ("extra_rows", 2),
        ]
        headers = {"Authorization": f"Api-Key {gencove.org_api_key}"}
        url = f"{gencove.url}/api/v2/invitations/?status=pending&limit=1&offset=0"
        sizes = []
        for _ in range(4):
            async with session.get(url, headers=headers) as answer:
                page = await answer.json()
                sizes.append((len(page["results"]), page["meta"]["next"] == url))
        async with session.post(f"{gencove.url}/_fake/stop_drips", json={}) as answer:
            assert answer.status == 200
    assert sizes == [(1, True), (3, False), (3, False), (1, False)]
    assert gencove_faults.pending_faults == []
