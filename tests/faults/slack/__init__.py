"""Fault injection for the local Slack: ``SlackFault`` and the ``FaultPlan`` of queued
and seeded-random ones (``faults.py``), and ``SlackFaults``, which plugs them into a
local Slack as its interceptor (``interceptor.py``)."""

from tests.faults.slack.faults import SlackFault
from tests.faults.slack.interceptor import SlackFaults

__all__ = ["SlackFault", "SlackFaults"]
