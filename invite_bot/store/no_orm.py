"""SQLAlchemy's asyncio engine without its ORM (about 6 MiB the store never uses).

`sqlalchemy.ext.asyncio/__init__.py` imports `AsyncSession`, and with it all of
`sqlalchemy.orm`, although the store runs Core statements on `AsyncEngine` and
`AsyncConnection` only. Imported first by `invite_bot.store`, this module registers that
package with just its engine and result modules, under their usual names, so every
`from sqlalchemy.ext.asyncio import AsyncEngine` works unchanged. Any other name asked of
it (`AsyncSession`, ...) runs the real `__init__` then, ORM and all: nothing breaks, it
only costs what it cost before. Where the package was imported already, nothing changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

PACKAGE = "sqlalchemy.ext.asyncio"
# What the package's `__init__` takes from these two modules (the rest is ORM sessions).
_CORE_NAMES = {
    "engine": (
        "AsyncConnection",
        "AsyncEngine",
        "AsyncTransaction",
        "async_engine_from_config",
        "create_async_engine",
        "create_async_pool_from_url",
    ),
    "result": ("AsyncMappingResult", "AsyncResult", "AsyncScalarResult", "AsyncTupleResult"),
}


def install() -> None:
    """Register the ORM-free package, unless `sqlalchemy.ext.asyncio` is loaded already."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)  # its __init__ is not run
    parent, _, child = PACKAGE.rpartition(".")
    sys.modules[PACKAGE] = package
    setattr(sys.modules[parent], child, package)  # as the import system does
    try:
        for module_name, names in _CORE_NAMES.items():
            module = importlib.import_module(f"{PACKAGE}.{module_name}")
            for name in names:
                setattr(package, name, getattr(module, name))
    except (ImportError, AttributeError):  # another SQLAlchemy layout: the real package
        del sys.modules[PACKAGE]
        delattr(sys.modules[parent], child)
        importlib.import_module(PACKAGE)
        return

    def __getattr__(name: str) -> Any:  # a module's __getattr__ (PEP 562)
        if name.startswith("__") or _is_submodule(name):
            raise AttributeError(name)  # let the import system load a submodule itself
        del package.__getattr__
        assert spec.loader is not None
        spec.loader.exec_module(package)  # the real __init__, into this same module
        return getattr(package, name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]


def _is_submodule(name: str) -> bool:
    return importlib.util.find_spec(f"{PACKAGE}.{name}") is not None


install()
