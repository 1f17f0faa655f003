"""Pipeline: strategies composed in a stated order, one object for sync and async.

The first strategy given is the outermost. The recommended order (Polly's
standard pipeline and Microsoft's HTTP resilience handler, with chaos
innermost) is::

    Fallback              sees every failure, rejections and open circuits included
    Cache (KeyedCache)    a hit skips everything below; a failure below can serve stale
    RateLimiter/Bulkhead  limits admitted calls, not attempts, so retries don't queue twice
    Timeout (total)       bounds the attempts *and* the waits between them
    Retry / Hedging       outside the breaker, so an open circuit ends retries fast
    CircuitBreaker        counts each attempt's outcome, timeouts included
    Timeout (attempt)     inside the breaker, so a slow attempt counts as a failure
    Chaos                 innermost: faults hit the call exactly where a real one would

A pipeline whose known strategies break this order emits a
`PipelineOrderWarning` when it is built (`order="strict"` raises
`ConfigError` instead, `order="free"` says nothing). Warning rather than
refusing is deliberate: some orders off this list are sound on purpose (a
breaker outside retry to count whole operations, resilience4j's limiter
inside retry to limit attempts), and the author should be able to say so.

Example:
    >>> from chaoslab.resilience import Fallback, Pipeline
    >>> pipeline = Pipeline(Fallback(value="cached answer"))
    >>> @pipeline
    ... def ask() -> str:
    ...     raise TimeoutError("upstream too slow")
    >>> ask()
    'cached answer'
"""

from __future__ import annotations

import contextvars
import functools
import warnings
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Literal, ParamSpec, TypeVar

from chaoslab.errors import ConfigError
from chaoslab.resilience._strategy import Strategy
from chaoslab.resilience._support import decorate

__all__ = ["Pipeline", "PipelineOrderWarning", "current_pipeline"]

T = TypeVar("T")
P = ParamSpec("P")

# Ranks of the recommended order, by strategy class name (so that any
# strategy, ours or a user's subclass, is placed by what it is). A Timeout
# may stand in two places: total (outside retry) or per attempt (inside the breaker).
_RANKS: dict[str, tuple[int, ...]] = {
    "Fallback": (0,),
    "KeyedCache": (1,),
    "RateLimiter": (2,),
    "Bulkhead": (2,),
    "Timeout": (3, 6),
    "Retry": (4,),
    "Hedging": (4,),
    "CircuitBreaker": (5,),
    "Chaos": (7,),
}
_ROLE = {
    0: "fallback",
    1: "cache",
    2: "rate limit/bulkhead",
    3: "total timeout",
    4: "retry/hedging",
    5: "circuit breaker",
    6: "attempt timeout",
    7: "chaos",
}

_current: contextvars.ContextVar[tuple[Pipeline, ...]] = contextvars.ContextVar(
    "chaoslab_pipeline", default=()
)


class PipelineOrderWarning(UserWarning):
    """A pipeline's strategies are not in the recommended order."""


def _rank_of(strategy: object) -> tuple[int, ...] | None:
    for klass in type(strategy).__mro__:
        ranks = _RANKS.get(klass.__name__)
        if ranks is not None:
            return ranks
    return None


def _order_problems(strategies: tuple[Strategy, ...]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    floor = -1
    previous = ""
    for index, strategy in enumerate(strategies):
        ranks = _rank_of(strategy)
        if ranks is None:
            continue
        fitting = [r for r in ranks if r >= floor]
        if not fitting:
            problems.append(
                (
                    f"strategies[{index}]",
                    f"{type(strategy).__name__} ({_ROLE[ranks[0]]}) should come before "
                    f"{previous} ({_ROLE[floor]}); recommended order: "
                    + ", ".join(_ROLE[r] for r in sorted(_ROLE)),
                )
            )
            continue
        floor = fitting[0]
        previous = type(strategy).__name__
    return problems


def current_pipeline() -> Pipeline | None:
    """The innermost pipeline entered with `with pipeline:` in this context, if any."""
    stack = _current.get()
    return stack[-1] if stack else None


class Pipeline:
    """Strategies composed outermost first; usable as a decorator, a call wrapper or a context.

    - `pipeline.call(fn)` / `await pipeline.call_async(fn)` run a zero-argument call;
    - `@pipeline` decorates a sync or an async function;
    - `with pipeline:` makes it `current_pipeline()` for the block (threads and
      asyncio tasks started inside inherit it), so code deep in a call stack
      (an adapter, a client helper) can run its calls through the pipeline
      without having it passed down.

    A Pipeline is itself a `Strategy`, so pipelines nest.

    Args:
        strategies: outermost first.
        order: "warn" (default), "strict" or "free"; see the module docstring.
        name: for repr and error messages.
    """

    __slots__ = ("name", "strategies")

    def __init__(
        self,
        *strategies: Strategy,
        order: Literal["warn", "strict", "free"] = "warn",
        name: str = "pipeline",
    ) -> None:
        for index, strategy in enumerate(strategies):
            if not isinstance(strategy, Strategy):
                raise ConfigError(
                    [(f"strategies[{index}]", f"{strategy!r} has no call()/call_async()")]
                )
        if order not in ("warn", "strict", "free"):
            raise ConfigError([("order", f"must be 'warn', 'strict' or 'free', got {order!r}")])
        self.strategies: tuple[Strategy, ...] = strategies
        self.name = name
        problems = [] if order == "free" else _order_problems(strategies)
        if problems and order == "strict":
            raise ConfigError(problems)
        for path, message in problems:
            warnings.warn(f"{name}: {path}: {message}", PipelineOrderWarning, stacklevel=2)

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self.strategies)
        return f"Pipeline({inner})"

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn()` through every strategy, the first one outermost."""
        # functools.partial binds in C: no Python closure per layer per call.
        for strategy in reversed(self.strategies):
            fn = functools.partial(strategy.call, fn)
        return fn()

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` through every strategy, the first one outermost."""
        for strategy in reversed(self.strategies):
            fn = functools.partial(strategy.call_async, fn)
        return await fn()

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a sync or async function: each call runs through the pipeline."""
        return decorate(self, func)

    def __enter__(self) -> Pipeline:
        _current.set((*_current.get(), self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _current.set(_current.get()[:-1])
