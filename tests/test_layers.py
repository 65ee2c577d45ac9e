"""The package's layers, held to: every import points down (docs/architecture.md).

Read from the source (every `import` and `from … import`, top level or inside a
function), so a lazy import counts as much as any other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "invite_bot"

# What each part of the bot may import of the bot's own; anything else is an arrow up.
ALLOWED: dict[str, set[str]] = {
    "domain": {"domain"},
    "config": {"config", "domain"},
    "gencove": {"gencove", "domain", "config"},
    "store": {"store", "domain", "config"},
    "slack": {"slack", "domain", "config", "gencove", "store"},
    "jobs": {"jobs", "slack", "domain", "config", "gencove", "store"},
    "features": {"features", "jobs", "slack", "domain", "config", "gencove", "store"},
}


def part_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "invite_bot" else None


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.startswith("invite_bot.")]


def modules(part: str) -> list[Path]:
    return sorted((PACKAGE / part).rglob("*.py"))


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_parts_under_it(part: str) -> None:
    up = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in modules(part)
        for name in imports_of(path)
        if (target := part_of(name)) is not None
        and target in ALLOWED
        and target not in ALLOWED[part]
    }
    assert not up, "imports that run up:\n" + "\n".join(sorted(up))


def test_the_platform_knows_no_feature_by_name() -> None:
    features = {
        p.name for p in (PACKAGE / "features").iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    named = {
        f"{path.relative_to(PACKAGE.parent)} names {word}"
        for part in ("slack", "jobs", "store", "gencove", "domain", "config")
        for path in modules(part)
        for name in imports_of(path)
        for word in features
        if f".features.{word}" in name
    }
    assert not named, "\n".join(sorted(named))


def test_features_import_each_other_one_way() -> None:
    edges: dict[str, set[str]] = {}
    for path in modules("features"):
        owner = path.relative_to(PACKAGE / "features").parts[0]
        for name in imports_of(path):
            parts = name.split(".")
            if len(parts) > 2 and parts[1] == "features" and parts[2] != owner:
                edges.setdefault(owner, set()).add(parts[2])

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in edges.get(start, set()) - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    circles = sorted(f for f in edges if reaches(f, f, set()))
    assert not circles, f"features in a circle of imports: {circles} ({edges})"
