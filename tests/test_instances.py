"""Two bots in one process share nothing: what lives as long as the app belongs to the app
(job kinds, locks, paces, leases, what its Slack redaction has learnt), and no module
of the bot keeps mutable state of its own."""

from __future__ import annotations

import ast
from pathlib import Path

from invite_bot.app import Bot, build_bot
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.slack.blockkit import note
from invite_bot.store import Store
from tests.support.harness import bot_environment, settings_for, sqlite_url

PACKAGE = Path(__file__).resolve().parents[1] / "invite_bot"
MUTABLE = ("dict", "list", "set", "defaultdict", "deque", "WeakSet", "KeyedLocks", "TtlCache")
# Logging is the process's (one record factory): its installed redactors are, too.
ALLOWED = {("config/logs.py", "_installed")}


MUTATORS = {
    "append",
    "add",
    "update",
    "pop",
    "clear",
    "setdefault",
    "discard",
    "remove",
    "extend",
    "lock",
    "put",
    "get_or_load",  # KeyedLocks and TtlCache fill themselves as they are used
}


def mutated(tree: ast.Module, name: str) -> bool:
    """Whether the module changes the container bound to `name` anywhere."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
            and node.attr in MUTATORS
        ):
            return True
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else []
        if isinstance(node, ast.AugAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and getattr(target.value, "id", None) == name:
                return True
    return False


def module_state(path: Path) -> list[str]:
    """Names a module binds at its top level to a container it then changes."""
    found = []
    tree = ast.parse(path.read_text())
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or value is None:
            continue
        made = isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp)
        if isinstance(value, ast.Call):
            called = value.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            made = name in MUTABLE
        if made and mutated(tree, target.id):
            found.append(target.id)
    return found


def test_no_module_of_the_bot_keeps_mutable_state() -> None:
    kept = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "playground" not in path.parts
        for name in module_state(path)
        if (str(path.relative_to(PACKAGE)), name) not in ALLOWED
    ]
    assert kept == []


async def two_bots(gencove: FakeGencove, slack: FakeSlack, tmp_path: Path) -> list[Bot]:
    bots = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        settings = settings_for(bot_environment(gencove, slack, sqlite_url(folder)))
        bots.append(build_bot(settings, await Store.open(settings.database_url)))
    return bots


async def close(bot: Bot) -> None:
    await bot.gencove.close()
    if bot.slack.session:
        await bot.slack.session.close()
    await bot.store.close()


async def test_two_bots_in_one_process_share_nothing(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    one, two = await two_bots(gencove, slack, tmp_path)
    try:
        assert one.jobs.kinds is not two.jobs.kinds
        assert one.jobs.holding.running is not two.jobs.holding.running
        assert one.features.revoking is not two.features.revoking
        assert one.features.bulk_kind is not two.features.bulk_kind
        one.jobs.holding.running.add(7)
        assert 7 not in two.jobs.holding.running
        # A personal key one bot learnt is redacted from what that bot sends, only.
        one.features.keys.learn("gc-personal-key-of-ana")
        said = note("the key gc-personal-key-of-ana").text
        assert "gc-personal-key-of-ana" not in str(one.outbound.shown({"text": said}))
        assert "gc-personal-key-of-ana" in str(two.outbound.shown({"text": said}))
    finally:
        await close(one)
        await close(two)
