"""The registry of chaoslab provider functions and their typed arguments.

Each function of the `chaoslab` provider type (`module: proxy, func:
add_toxic`) registers a pydantic model of its arguments, so a file is
checked when it is validated, not when it runs, and a `touches` function
that says which proxies, services or injection points it affects and for
how long (the blast radius is checked from that).

Registries are explicit objects: `default_registry()` builds a fresh one
with every built-in function; tests and embedders add their own.

Example:
    >>> from pydantic import BaseModel
    >>> class Args(BaseModel):
    ...     n: int
    >>> registry = ProviderRegistry()
    >>> @registry.register("demo", "double", Args)
    ... async def double(ctx, args):
    ...     return args.n * 2
    >>> registry.check("demo", "double", {"n": "x"}, "method[0].provider")
    (None, [('method[0].provider.arguments.n', "must be an integer (got 'x')")])
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from chaoslab.experiment._base import problems_from

if TYPE_CHECKING:
    from chaoslab.experiment._context import RunContext

__all__ = ["ProviderFunc", "ProviderRegistry", "Touch", "default_registry"]


@dataclass(frozen=True, slots=True)
class Touch:
    """What one activity affects: a fault on a target, or the removal of one."""

    kind: Literal["proxy", "service", "injection_point"]
    target: str
    fault: str
    duration: float | None = None
    removes: bool = False


Runner = Callable[["RunContext", Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ProviderFunc:
    """One registered function: its argument model, body and blast radius."""

    module: str
    func: str
    arguments: type[BaseModel]
    run: Runner
    touches: Callable[[Any], list[Touch]] | None = None


class ProviderRegistry:
    """Maps (module, func) to a `ProviderFunc`."""

    def __init__(self) -> None:
        self._funcs: dict[tuple[str, str], ProviderFunc] = {}

    def register(
        self,
        module: str,
        func: str,
        arguments: type[BaseModel],
        *,
        touches: Callable[[Any], list[Touch]] | None = None,
    ) -> Callable[[Runner], Runner]:
        """Decorator registering an async `fn(ctx, args)` as `module.func`."""

        def decorate(fn: Runner) -> Runner:
            self._funcs[(module, func)] = ProviderFunc(module, func, arguments, fn, touches)
            return fn

        return decorate

    def modules(self) -> list[str]:
        """Every registered module name."""
        return sorted({m for m, _ in self._funcs})

    def funcs(self, module: str) -> list[str]:
        """Every function name of `module`."""
        return sorted(f for m, f in self._funcs if m == module)

    def get(self, module: str, func: str) -> ProviderFunc:
        """The function, or KeyError saying what exists."""
        found = self._funcs.get((module, func))
        if found is None:
            raise KeyError(func)
        return found

    def check(
        self, module: str, func: str, arguments: Mapping[str, Any], path: str
    ) -> tuple[BaseModel | None, list[tuple[str, str]]]:
        """Parse `arguments`; return (typed arguments or None, problems)."""
        if module not in self.modules():
            return None, [
                (f"{path}.module", f"unknown module; allowed: {', '.join(self.modules())}")
            ]
        if (module, func) not in self._funcs:
            allowed = ", ".join(self.funcs(module))
            return None, [(f"{path}.func", f"unknown function of {module}; allowed: {allowed}")]
        model = self._funcs[(module, func)].arguments
        try:
            return model.model_validate(dict(arguments)), []
        except ValidationError as exc:
            return None, problems_from(exc, dict(arguments), f"{path}.arguments")


def default_registry() -> ProviderRegistry:
    """A new registry holding every built-in chaoslab provider function."""
    from chaoslab.experiment import _prov_inject, _prov_load, _prov_proxy, _prov_services

    registry = ProviderRegistry()
    for module in (_prov_proxy, _prov_services, _prov_inject, _prov_load):
        module.register(registry)
    return registry
