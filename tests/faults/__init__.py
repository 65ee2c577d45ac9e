"""Fault injection, for the tests only: the stand-ins the playground ships
(``invite_bot.playground.gencove``, ``invite_bot.playground.slack``) carry no fault of
their own, only an interceptor they consult before answering a request; these are the
tests' interceptors.

- ``GencoveFaults(gencove)`` (fixture ``gencove_faults``) with ``Fault``: an error status,
  a hang, a reset, the hostile answers of issue 15; queued per method and path prefix, or
  a seeded share of all requests (``fail_rate``).
- ``SlackFaults(slack)`` (fixture ``slack_faults``) with ``SlackFault``: a 429, a 5xx, an
  error, a reset, a delay, a garbled or lost answer; queued per Web API method (or
  "response_url"), or a seeded share.

In a stand-in's own process: ``--interceptor tests.faults:GencoveFaults`` (or
``tests.faults:SlackFaults``), run from the repository's root; each adds its actions to
the stand-in's ``/_fake/`` control API (``inject`` and more, see their modules).
"""

from tests.faults.gencove import Fault, GencoveFaults
from tests.faults.slack import SlackFault, SlackFaults

__all__ = ["Fault", "GencoveFaults", "SlackFault", "SlackFaults"]
