"""Package attributes that load on first use (PEP 562).

The pytest plugins import chaoslab's packages in every pytest session of
every project that installs chaoslab, so a package's `__init__` names its
exports without importing their modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose `names` live in the given modules.

    Example:
        >>> ns: dict[str, Any] = {"__all__": ["dumps"]}
        >>> getattr_, dir_ = lazy_exports("pkg", {"dumps": "json"}, ns)
        >>> getattr_("dumps").__name__, "dumps" in ns
        ('dumps', True)
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - it is the module's __getattr__
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:  # noqa: N807 - it is the module's __dir__
        return sorted(namespace["__all__"])

    return __getattr__, __dir__
