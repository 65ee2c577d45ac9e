"""``--interceptor MODULE:CALLABLE``, the stand-ins' standalone processes' one way to be
extended: the callable is imported the way ``python -m`` finds modules (the current
folder first) and, given the stand-in before it serves, returns its interceptor (see
``gencove/intercept.py`` and ``slack/intercept.py``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

HELP = "MODULE:CALLABLE that, given the stand-in, returns an interceptor for it"


def load_callable(spec: str) -> Callable[[Any], object]:
    """The callable ``MODULE:NAME`` (NAME may be dotted) names."""
    module_name, sep, name = spec.partition(":")
    if not (sep and module_name and name):
        raise ValueError(f"--interceptor wants MODULE:CALLABLE, not {spec!r}")
    found: object = importlib.import_module(module_name)
    for part in name.split("."):
        found = getattr(found, part)
    if not callable(found):
        raise TypeError(f"{spec} is not callable")
    return found
