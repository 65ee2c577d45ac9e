"""The Gencove sandbox: an in-memory Gencove invitation API ("Back API v2").

The playground's Gencove, and the stand-in every test and benchmark talks to.
``FakeGencove`` is an aiohttp server on 127.0.0.1 that behaves like the invitation API of one
real Gencove organization (Django REST Framework semantics: DRF error bodies, limit/offset
pagination with absolute ``next``/``previous`` URLs, ``-created`` ordering).  When
openapi-core is installed (the test extra) it checks the traffic against Gencove's OpenAPI
document (`invite_bot.playground.spec_check`); the playground needs nothing beyond the
runtime dependencies.

Layout
------
``fake.py`` is ``FakeGencove``, a façade over the parts: ``model.py`` (the records),
``accounts.py`` (users, keys, roles) and ``ledger.py`` (invitations and their states);
``invitation_api.py`` and ``account_api.py`` (the API's operations, on ``routing.py``'s
table and authentication, answered through ``replies.py``, ``pages.py``, ``shapes.py``
and ``emails.py``); ``pipeline.py`` (one request, from recording to answer);
``intercept.py`` (the one extension point: an interceptor consulted before a request is
answered; the tests' fault injection, ``tests/faults/``, is one); ``limits.py`` (the
create rate limit); ``control.py`` (``/_fake/``); ``server.py`` (the aiohttp server) and
``standalone.py`` (its own process).

Violations
----------
Every problem found is appended to ``fake.violations`` as ``"<METHOD> <path>: <error>"``
(request side) or ``"<METHOD> <path> -> <status> response: <error>"`` (response side).
Tests assert the list is empty at teardown.  The rule for the request side:

* A violation is something a *correct client must never send*: an unknown path or method
  (answered 404 ``{"detail": "Not found."}``), a missing ``Authorization`` header or one
  whose scheme is neither ``Api-Key`` nor ``Bearer``, a path parameter that does not match
  its schema (e.g. a non-uuid ``invitation_id``), a query parameter of the wrong type or
  outside its enum (``status=bogus``), an unsupported or unparsable request body (not JSON /
  form data), and a body that breaks the schema's structure (missing required ``email``,
  wrong JSON types, read-only fields).
* Not a violation: a body whose only problem is a ``format`` (e.g. ``email`` that is not an
  address).  Checking user-supplied data is the server's job; Gencove answers it with a DRF
  400 (``{"email": ["Enter a valid email address."]}``) and so does the fake.  Likewise
  wrong credentials (401), missing permissions (403), unknown ids/tokens (404) and business
  rule failures (400) are normal answers, not violations.

On the response side every 2xx answer must match the spec exactly.  Error answers (4xx/5xx)
are not described by the spec, so their status being unknown to it is not a violation.
An interceptor's answers (such as the tests' injected faults) and the create limit's
429s are the deliberate choice of whoever set them and are not validated.

``validate=None`` (the default) checks when openapi-core is installed; use
``validate=False`` only for benchmarks; the cheap structural checks (unknown routes,
authorization scheme) are still recorded.

State changes made "outside" the API (as if in Gencove's web app) go through methods
(``add_invitation``, ``accept``, ``expire``, ``revoke``, ``add_user``); the clock is
``fake.now``.  A pending invitation whose ``expires`` has passed turns ``expired`` lazily,
on the next read, with its status record dated at ``expires``.

Standalone: ``python -m invite_bot.playground.gencove --port 0`` prints
``READY http://127.0.0.1:PORT`` and serves until SIGTERM; the JSON control API under
``/_fake/`` (also served in-process) is documented in ``control.py``.
"""

from invite_bot.playground.gencove.fake import FakeGencove
from invite_bot.playground.gencove.intercept import Interceptor
from invite_bot.playground.gencove.model import (
    STATUSES,
    FakeInvitation,
    FakeUser,
    Organization,
    RecordedRequest,
    StatusChange,
)
from invite_bot.playground.gencove.pages import DEFAULT_LIMIT, MAX_LIMIT
from invite_bot.playground.gencove.standalone import main

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "STATUSES",
    "FakeGencove",
    "FakeInvitation",
    "FakeUser",
    "Interceptor",
    "Organization",
    "RecordedRequest",
    "StatusChange",
    "main",
]
