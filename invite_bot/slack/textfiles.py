"""Text files the bot shares, redacted without holding them in memory (`Outbound.upload_file`)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path


def redacted_copy(source: Path, redact: Callable[[str], str]) -> Path:
    """A redacted copy of the UTF-8 text file `source`, written line by line to a temporary
    file (the caller removes it). A secret never spans lines: each is redacted whole."""
    with (
        source.open(encoding="utf-8", newline="") as reading,
        tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", suffix=source.suffix, delete=False
        ) as writing,
    ):
        for line in reading:
            writing.write(redact(line))
    return Path(writing.name)
