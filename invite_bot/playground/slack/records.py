"""What the local Slack records: every request it received (``Call``), the messages,
ephemeral notes and views the bot made, and every request Slack would have refused
(``Violation``), plus their JSON form for the ``/_fake/`` control API."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

JSONDict = dict[str, Any]


@dataclass
class Call:
    """One request the fake received (``method`` is "response_url" for response_url posts)."""

    method: str
    args: JSONDict  # decoded: blocks / view / attachments are Python objects; no token
    token: str | None
    time: float  # time.monotonic()
    http_method: str = "POST"
    path: str = ""
    status: int = 200
    response: JSONDict | None = None
    fault: str | None = None  # what an interceptor did to it, in its word (intercept.py)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))


@dataclass
class Message:
    """A message the bot posted (or a person sent, ``user``); ``history`` holds every
    version, oldest first."""

    channel: str
    ts: str
    text: str | None
    blocks: list[Any] | None
    thread_ts: str | None = None
    user: str = ""
    deleted: bool = False
    history: list[JSONDict] = field(default_factory=list)
    metadata: JSONDict | None = None
    subtype: str | None = None  # "file_share": a person's message with files
    files: list[str] = field(default_factory=list)  # the ids of its files


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str | None
    blocks: list[Any] | None
    message_ts: str
    thread_ts: str | None = None
    time: float = 0.0


@dataclass
class OpenedView:
    id: str
    view: JSONDict  # as Slack answers it (with id, hash, state...)
    trigger_id: str | None
    external_id: str | None
    history: list[JSONDict] = field(default_factory=list)
    pushed: bool = False  # views.push: on top of the person's open modal, not a new one


@dataclass
class Violation:
    """A request Slack would have refused because the bot built it wrong."""

    method: str
    error: str
    details: list[str]
    args: JSONDict

    def __str__(self) -> str:
        return f"{self.method}: {self.error}: {'; '.join(self.details)}"


def string_leaves(obj: Any) -> Iterator[str]:
    """Every string inside ``obj`` (nested dicts, lists and tuples)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from string_leaves(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from string_leaves(value)


def jsonable(obj: Any) -> Any:
    """A record as a dict (a Call with its ``ok``); anything else as it is."""
    if isinstance(obj, (Call, Message, Ephemeral, OpenedView, Violation)):
        data = asdict(obj)
        if isinstance(obj, Call):
            data["ok"] = obj.ok
        return data
    return obj
