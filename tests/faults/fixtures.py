"""The fixtures of fault injection (a pytest plugin, named in tests/conftest.py): each
plugs fault injection into the stand-in of the test's own fixture."""

from __future__ import annotations

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.faults.gencove import GencoveFaults
from tests.faults.slack import SlackFaults


@pytest.fixture
def gencove_faults(gencove: FakeGencove) -> GencoveFaults:
    """Faults for the ``gencove`` fixture's sandbox: ``gencove_faults.inject(...)``."""
    return GencoveFaults(gencove)


@pytest.fixture
def slack_faults(slack: FakeSlack) -> SlackFaults:
    """Faults for the ``slack`` fixture's local Slack: ``slack_faults.inject(...)``."""
    return SlackFaults(slack)
