"""Which definitions a restructuring moved unchanged, which it changed, which it dropped.

    python scripts/check_moves.py BASE [HEAD] [--changed] [--package invite_bot]

Reads every module of the package at two git revisions (HEAD: the work tree when left
out), finds each top-level function and class, and each method, by name, and compares
their ASTs with docstrings left out: `same` (moved or not, byte for byte the same code),
`changed` (found under the same name, or as a method of that name, with different code),
`gone` (no definition of that name any more). A name defined more than once on a side
is matched by AST where it can.
With --changed only the changed and gone are listed, one a line, for review.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def sources_at(revision: str | None, package: str) -> dict[str, str]:
    """Path -> source of every .py file of `package` at `revision` (None: the work tree)."""
    if revision is None:
        return {str(p): p.read_text() for p in Path(package).rglob("*.py")}
    listed = git("ls-tree", "-r", "--name-only", revision, package).split()
    return {path: git("show", f"{revision}:{path}") for path in listed if path.endswith(".py")}


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return done.stdout


def definitions(tree: ast.Module) -> Iterator[tuple[str, Definition]]:
    """(qualified name, node) of each top-level definition and each method."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name, node
            if isinstance(node, ast.ClassDef):
                for inner in node.body:
                    if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        yield f"{node.name}.{inner.name}", inner


def shape(node: Definition) -> str:
    """The definition's AST without docstrings, as text."""
    copy = ast.parse(ast.unparse(node)).body[0]
    for inner in ast.walk(copy):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return ast.dump(copy)


def index(sources: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Name -> [(path, shape)] over every module."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, text in sources.items():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for name, node in definitions(tree):
            found[name].append((path, shape(node)))
    return found


def _by_last_part(found: dict[str, list[tuple[str, str]]], name: str) -> list[tuple[str, str]]:
    """Definitions that end in `name` (a function that became a method, or the reverse)."""
    last = name.rsplit(".", 1)[-1]
    return [
        entry
        for key, entries in found.items()
        if key.rsplit(".", 1)[-1] == last
        for entry in entries
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?")
    parser.add_argument("--package", default="invite_bot")
    parser.add_argument("--changed", action="store_true", help="list only changed and gone")
    args = parser.parse_args(argv)
    before = index(sources_at(args.base, args.package))
    after = index(sources_at(args.head, args.package))
    counts: dict[str, int] = defaultdict(int)
    for name in sorted(before):
        for path, old in before[name]:
            now = after.get(name, []) or _by_last_part(after, name)
            if any(new == old for _, new in now):
                where = next(p for p, new in now if new == old)
                verdict, detail = "same", f"{path} -> {where}" if where != path else path
            elif now:
                verdict, detail = "changed", f"{path} -> {', '.join(p for p, _ in now)}"
            else:
                verdict, detail = "gone", path
            counts[verdict] += 1
            if not args.changed or verdict != "same":
                print(f"{verdict:8} {name}  {detail}")
    total = sum(counts.values())
    print(
        f"\n{total} definitions: {counts['same']} the same, {counts['changed']} changed, "
        f"{counts['gone']} gone",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
