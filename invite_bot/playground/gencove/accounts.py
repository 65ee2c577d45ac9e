"""The Gencove organization's people: its users (members or not), their API keys and
JWTs, and the roles an organization and a project have."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime

from invite_bot.playground.gencove.model import FakeUser

DEFAULT_ORG_ROLES: dict[str, list[str]] = {
    "owner": [
        "organization.view",
        "organization.manage",
        "organization.billing",
        "members.view",
        "members.invite",
        "members.remove",
        "projects.view",
        "projects.manage",
    ],
    "admin": [
        "organization.view",
        "organization.manage",
        "members.view",
        "members.invite",
        "members.remove",
        "projects.view",
        "projects.manage",
    ],
    "member": ["organization.view", "members.view", "projects.view", "projects.manage"],
    "viewer": ["organization.view", "projects.view"],
}
DEFAULT_PROJECT_ROLES: dict[str, list[str]] = {
    "project_admin": ["project.view", "project.manage", "samples.upload", "samples.delete"],
    "project_member": ["project.view", "samples.upload"],
    "project_viewer": ["project.view"],
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Accounts:
    """Users by id, API key, email and JWT; the roles (each with a stable id)."""

    def __init__(self) -> None:
        self.users: dict[uuid.UUID, FakeUser] = {}
        self._by_key: dict[str, FakeUser] = {}
        self._by_email: dict[str, FakeUser] = {}
        self._jwts: dict[str, FakeUser] = {}
        self.roles: dict[str, list[str]] = {k: list(v) for k, v in DEFAULT_ORG_ROLES.items()}
        self.project_roles: dict[str, list[str]] = {
            k: list(v) for k, v in DEFAULT_PROJECT_ROLES.items()
        }
        self.role_ids: dict[str, uuid.UUID] = {}

    def add_user(
        self,
        email: str,
        *,
        created: datetime,
        name: str | None = None,
        api_key: str | None = None,
        member: bool = False,
        admin: bool = False,
    ) -> FakeUser:
        """A Gencove user (``admin`` implies ``member``), authenticating with ``api_key``."""
        if email.lower() in self._by_email:
            raise ValueError(f"user {email!r} already exists")
        key = api_key or "gc-user-" + secrets.token_hex(20)
        if key in self._by_key:
            raise ValueError("api key already in use")
        user = FakeUser(
            id=uuid.uuid4(),
            email=email,
            name=name if name is not None else email.split("@", 1)[0],
            api_key=key,
            admin=admin,
            member=member or admin,
            role="admin" if admin else ("member" if member else None),
            created=created,
        )
        self.users[user.id] = user
        self._by_key[key] = user
        self._by_email[email.lower()] = user
        return user

    def by_email(self, email: str) -> FakeUser | None:
        return self._by_email.get(email.strip().lower())

    def by_api_key(self, key: str) -> FakeUser | None:
        return self._by_key.get(key)

    def by_jwt(self, token: str) -> FakeUser | None:
        return self._jwts.get(token)

    def add_jwt(self, user: FakeUser) -> str:
        """A JWT-looking bearer token (``Authorization: Bearer <token>``) for ``user``."""
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        payload = _b64(json.dumps({"user_id": str(user.id), "jti": secrets.token_hex(16)}).encode())
        token = f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"
        self._jwts[token] = user
        return token

    def members(self) -> list[FakeUser]:
        return [u for u in self.users.values() if u.member]

    def role_id(self, name: str) -> uuid.UUID:
        return self.role_ids.setdefault(name, uuid.uuid4())
