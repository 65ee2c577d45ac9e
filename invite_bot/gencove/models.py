"""Pydantic models of the parts of Gencove's Back API v2 the bot uses.

Field names follow `openapi-invitations.json`; extra fields are ignored so that Gencove
can grow its responses without breaking the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from invite_bot.gencove.errors import NOT_UNDERSTOOD, GencoveUnreadable

InvitationStatus = Literal["pending", "accepted", "expired", "revoked"]
# What a list can be filtered by: a status, or "all".
ListStatus: TypeAlias = Literal["pending", "accepted", "expired", "revoked", "all"]
STATUSES: tuple[InvitationStatus, ...] = ("pending", "accepted", "expired", "revoked")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Actor(_Model):
    id: str
    name: str | None = None


class StatusChange(_Model):
    """One entry of an invitation's history: the status it moved to, when and by whom."""

    id: str
    status: str
    created: datetime | None = None
    actor: Actor | None = None


class Invitation(_Model):
    """An invitation as the organization sees it (`Invitation` schema)."""

    id: str
    email: str | None = None
    last_status: StatusChange
    expires: datetime
    role: str = ""

    @property
    def status(self) -> str:
        return self.last_status.status

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


class InvitationPage(_Model):
    """One page of `GET /api/v2/invitations/` plus the total count."""

    count: int
    next: str | None = None
    previous: str | None = None
    results: tuple[Invitation, ...] = ()


class Organization(_Model):
    id: str
    name: str


class InvitationDetails(_Model):
    """An invitation as its invitee sees it (`InvitationDetails` schema)."""

    token: str
    last_status: StatusChange
    expires: datetime
    organization: Organization
    role: str = ""

    @property
    def status(self) -> str:
        return self.last_status.status


class Role(_Model):
    name: str
    permissions: tuple[object, ...] = ()


class User(_Model):
    id: str
    email: str
    name: str | None = None


class MemberRole(_Model):
    """A role a member holds (`UserRoleObject` schema)."""

    id: str | None = None
    name: str


class OrganizationUser(_Model):
    """A member of the organization (`OrganizationUser` schema of
    `GET /api/v2/organization-users/`); `roles` maps what a role applies to
    ("organization", ...) to the role held."""

    id: str
    email: str
    name: str | None = None
    is_active: bool = True
    roles: dict[str, MemberRole] = Field(default_factory=dict)


@dataclass(frozen=True)
class Credentials:
    """Who a request is made as: an API key or a JWT. The secret never shows in repr()."""

    scheme: Literal["Api-Key", "Bearer"]
    secret: SecretStr = field(repr=False)

    @classmethod
    def api_key(cls, key: str | SecretStr) -> Credentials:
        return cls("Api-Key", key if isinstance(key, SecretStr) else SecretStr(key))

    @classmethod
    def jwt(cls, token: str | SecretStr) -> Credentials:
        return cls("Bearer", token if isinstance(token, SecretStr) else SecretStr(token))

    def header(self) -> str:
        return f"{self.scheme} {self.secret.get_secret_value()}"


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """`data` (decoded JSON) as a `model`; anything else is `GencoveUnreadable`."""
    try:
        return model.model_validate(data)
    except ValidationError:
        pass  # raised outside: pydantic's error quotes the data, which may hold a token
    raise GencoveUnreadable(NOT_UNDERSTOOD)
