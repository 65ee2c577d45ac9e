"""Fault injection for the Gencove sandbox: ``Fault`` (``faults.py``), the queue and the
seeded failures (``injection.py``), the hostile answers (``hostile.py``), and
``GencoveFaults``, which plugs them into a sandbox as its interceptor
(``interceptor.py``)."""

from tests.faults.gencove.faults import Fault
from tests.faults.gencove.interceptor import GencoveFaults

__all__ = ["Fault", "GencoveFaults"]
