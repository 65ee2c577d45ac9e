"""Checking the Gencove sandbox's traffic against Gencove's OpenAPI document.

The document (`spec/gencove-openapi-invitations.json`, see `spec/NOTICE.md`) is checked
with openapi-core, which the test extra installs; the playground runs without it
(`available()` says whether it is there). Requests are checked as if they had been sent to
the spec's server (`https://api.gencove.com`): the sandbox's path is mapped onto it.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict

SPEC_ENV_VAR = "GENCOVE_OPENAPI_SPEC"
BUNDLED_SPEC = Path(__file__).resolve().parent / "spec" / "gencove-openapi-invitations.json"


def available() -> bool:
    """Whether openapi-core is installed (it is in the test extra, not a runtime need)."""
    return importlib.util.find_spec("openapi_core") is not None


def default_spec_path() -> Path:
    """`$GENCOVE_OPENAPI_SPEC`, else the document shipped in this package."""
    override = os.environ.get(SPEC_ENV_VAR)
    return Path(override) if override else BUNDLED_SPEC


@dataclass(frozen=True)
class SpecChecker:
    """One loaded document; `load()` caches it per file for the whole process."""

    api: Any  # openapi_core.OpenAPI
    host_url: str  # scheme://host of the spec's first server
    base_path: str  # path part of that server url ("" for https://api.gencove.com)

    @classmethod
    def load(cls, path: Path | None = None) -> SpecChecker:
        resolved = (path or default_spec_path()).resolve()
        checker = _CACHE.get(resolved)
        if checker is None:
            if not available():
                raise RuntimeError(
                    "checking Gencove traffic needs openapi-core: pip install -e '.[test]'"
                )
            from openapi_core import OpenAPI

            document = json.loads(resolved.read_text(encoding="utf-8"))
            servers = document.get("servers") or [{"url": "https://api.gencove.com"}]
            parts = urlsplit(servers[0]["url"])
            checker = cls(
                api=OpenAPI.from_dict(document),
                host_url=f"{parts.scheme}://{parts.netloc}",
                base_path=parts.path.rstrip("/"),
            )
            _CACHE[resolved] = checker
        return checker

    def request_problems(self, request: web.Request, body: bytes) -> tuple[bool, list[str]]:
        """(whether the spec knows the path and method, what a correct client never sends)."""
        from openapi_core.templating.paths.exceptions import PathError

        known = True
        problems = []
        for err in self.api.iter_request_errors(self._request(request, body)):
            if isinstance(err, PathError):
                known = False
            if _is_format_only(err):
                continue  # the server answers 400 for bad user data, like Gencove
            problems.append(_describe(err))
        return known, problems

    def response_problems(
        self,
        request: web.Request,
        body: bytes,
        status: int,
        data: bytes,
        content_type: str,
        headers: Mapping[str, str],
    ) -> list[str]:
        """How a 2xx answer breaks the spec (error answers are not described by it)."""
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        response = _SpecResponse(status, data, content_type, headers)
        return [
            _describe(err)
            for err in self.api.iter_response_errors(self._request(request, body), response)
            if not (isinstance(err, ResponseNotFound) and not 200 <= status < 300)
        ]

    def _request(self, request: web.Request, body: bytes) -> _SpecRequest:
        return _SpecRequest(self.host_url, self.base_path + request.path, request, body)


_CACHE: dict[Path, SpecChecker] = {}


class _SpecRequest:
    """openapi-core's `Request` protocol: the sandbox's request re-homed on the spec's server."""

    def __init__(self, host_url: str, path: str, request: web.Request, body: bytes) -> None:
        from openapi_core.datatypes import RequestParameters

        self.host_url = host_url
        self.path = path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=request.query, header=request.headers, cookie=MultiDict[str]()
        )
        self.body: bytes | None = body or None
        self.content_type = request.content_type if body else ""


class _SpecResponse:
    """openapi-core's `Response` protocol."""

    def __init__(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str]
    ) -> None:
        self.status_code = status
        self.data: bytes | None = data
        self.content_type = content_type
        self.headers = CIMultiDictProxy(CIMultiDict(headers))


def _describe(err: BaseException) -> str:
    """One-line text of an openapi-core error, with the schema errors behind it."""
    parts = [f"{type(err).__name__}: {err}"]
    schema_msgs: list[str] = []
    cause = err.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for se in schema_errors:
                where = "/".join(str(p) for p in getattr(se, "absolute_path", ())) or "<root>"
                schema_msgs.append(f"{where}: {getattr(se, 'message', se)}")
        elif str(cause) not in parts[0]:
            parts.append(str(cause))
        cause = cause.__cause__
    if schema_msgs:
        parts = [f"{type(err).__name__}: " + "; ".join(schema_msgs)]
    text = " <- ".join(parts)
    return text if len(text) <= 600 else text[:597] + "..."


def _is_format_only(err: BaseException) -> bool:
    """A body error whose every schema error is a `format` check (the server answers 400)."""
    from openapi_core.validation.request.exceptions import InvalidRequestBody

    if not isinstance(err, InvalidRequestBody):
        return False
    schema_errors: Sequence[Any] = getattr(err.__cause__, "schema_errors", None) or ()
    return bool(schema_errors) and all(
        getattr(se, "validator", None) == "format" for se in schema_errors
    )
