"""The chaoslab pytest plugin: markers, options, and the core fixtures.

Registered through the `pytest11` entry point, so installing chaoslab is
enough. It gives:

- markers `chaos`, `chaos_network`, `chaos_service`, `chaos_middleware` and
  `slow`, registered so that `--strict-markers` accepts them;
- `--chaos-seed N` (ini `chaos_seed`): the session seed; by default a random
  one, printed in the report header so that a failing run can be replayed;
- `--chaos include|exclude|only` (ini `chaos_mode`, default `include`):
  run chaos tests with the others, skip them, or run only them;
- fixtures `chaos` (a fresh, active `FaultInjector` per test, seeded from the
  session seed and the test's node id, cleared afterwards) and
  `virtual_clock` (an autojumping `VirtualClock`);
- on failure, the timeline of the faults the `chaos` fixture injected, as a
  report section.

Example (a test file):

    import pytest
    from chaoslab import ConnectionRefused, FirstN, injectable

    @injectable("cache.get")
    def get(key):
        return "value"

    @pytest.mark.chaos
    def test_cache_refuses_once(chaos):
        chaos.inject("cache.*", ConnectionRefused(), FirstN(1))
        with pytest.raises(ConnectionRefusedError):
            get("k")
        assert get("k") == "value"
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chaoslab.clock import VirtualClock
    from chaoslab.inject import FaultInjector

__all__ = ["MARKERS", "ChaosSettings", "test_seed"]

#: The markers the plugin registers, with their descriptions.
MARKERS: dict[str, str] = {
    "chaos": "a chaos test: faults are injected (select with --chaos=include|exclude|only)",
    "chaos_network": "a chaos test of network faults (a kind of chaos test)",
    "chaos_service": "a chaos test that stops, kills or pauses a real service",
    "chaos_middleware": "a chaos test of middleware (caches, queues, brokers)",
    "slow": "a slow test (seconds rather than milliseconds)",
}
_CHAOS_MARKERS = frozenset(name for name in MARKERS if name.startswith("chaos"))
_MODES = ("include", "exclude", "only")


@dataclass(frozen=True, slots=True)
class ChaosSettings:
    """The effective settings of a session: the seed and which tests run."""

    seed: int
    mode: str


_SETTINGS = pytest.StashKey[ChaosSettings]()
_INJECTOR = pytest.StashKey["FaultInjector"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--chaos-seed` and `--chaos`, each mirrored by an ini key."""
    group = parser.getgroup("chaoslab", "chaoslab: chaos engineering")
    group.addoption(
        "--chaos-seed",
        dest="chaos_seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of every fault injector in the session (ini: chaos_seed); "
        "default: random, printed in the header so that a run can be replayed",
    )
    group.addoption(
        "--chaos",
        dest="chaos_mode",
        choices=_MODES,
        default=None,
        help="include chaos tests (marked chaos*) with the others, exclude them, "
        "or run only them (ini: chaos_mode; default: include)",
    )
    parser.addini("chaos_seed", "seed of every fault injector (default: random)", default="")
    parser.addini("chaos_mode", "include, exclude or only chaos tests", default="include")


def _settings_from(config: pytest.Config) -> ChaosSettings:
    seed: int | None = config.getoption("chaos_seed")
    if seed is None:
        raw = str(config.getini("chaos_seed")).strip()
        if raw:
            try:
                seed = int(raw)
            except ValueError:
                raise pytest.UsageError(f"chaos_seed: must be an integer, got {raw!r}") from None
    mode = config.getoption("chaos_mode") or str(config.getini("chaos_mode")).strip()
    if mode not in _MODES:
        raise pytest.UsageError(f"chaos_mode: must be one of {', '.join(_MODES)}, got {mode!r}")
    worker_seed = getattr(config, "workerinput", {}).get("chaos_seed")
    if seed is None and worker_seed is not None:
        seed = int(worker_seed)  # an xdist worker replays the controller's seed
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)  # once per session, then printed
    return ChaosSettings(seed=seed, mode=mode)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and settle the session's settings."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.stash[_SETTINGS] = _settings_from(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """With pytest-xdist, hand the controller's seed to every worker."""
    node.workerinput["chaos_seed"] = node.config.stash[_SETTINGS].seed


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Print the effective settings, with the command that replays the seed."""
    settings = config.stash[_SETTINGS]
    return [
        (
            f"chaoslab: seed={settings.seed} (replay with --chaos-seed={settings.seed}), "
            f"chaos tests: {settings.mode}"
        )
    ]


def _is_chaos(item: pytest.Item) -> bool:
    return any(mark.name in _CHAOS_MARKERS for mark in item.iter_markers())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect chaos tests (`--chaos=exclude`) or the others (`--chaos=only`)."""
    mode = config.stash[_SETTINGS].mode
    if mode == "include":
        return
    keep_chaos = mode == "only"
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:  # one walk of each item's markers, not two
        (kept if _is_chaos(item) == keep_chaos else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def test_seed(session_seed: int, nodeid: str) -> int:
    """The seed of one test's injector: stable across runs, processes and Pythons.

    Each test gets its own seed, so a test replays the same faults however
    many tests ran before it.

    Example:
        >>> test_seed(42, "tests/test_a.py::test_x") == test_seed(42, "tests/test_a.py::test_x")
        True
    """
    digest = hashlib.sha256(f"{session_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


test_seed.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever its name


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """A `VirtualClock(autojump=True)`: sleeps end at once, at exact virtual times."""
    from chaoslab.clock import VirtualClock

    return VirtualClock(autojump=True)


@pytest.fixture(scope="session")
def chaos_seed(pytestconfig: pytest.Config) -> int:
    """The session's seed (from `--chaos-seed`, the ini, or chosen at random)."""
    return pytestconfig.stash[_SETTINGS].seed


@pytest.fixture
def chaos(request: pytest.FixtureRequest, chaos_seed: int) -> Iterator[FaultInjector]:
    """A fresh `FaultInjector` for this test, active as the current injector.

    Seeded from the session seed and the test's node id. It uses the test's
    `virtual_clock` when the test asks for one too, else the system clock.
    Every injection is cleared after the test, also when it fails.
    """
    from chaoslab.inject import FaultInjector

    clock = request.getfixturevalue("virtual_clock") if _wants_clock(request) else None
    injector = FaultInjector(seed=test_seed(chaos_seed, request.node.nodeid), clock=clock)
    request.node.stash[_INJECTOR] = injector
    with injector.activate():
        yield injector


def _wants_clock(request: pytest.FixtureRequest) -> bool:
    return "virtual_clock" in request.fixturenames


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the fault timeline to the report of a failing test."""
    report = yield
    injector = item.stash.get(_INJECTOR, None)
    if report.failed and injector is not None:
        settings = item.config.stash[_SETTINGS]
        lines = [
            (
                f"injector seed={injector.seed} "
                f"(session: replay with --chaos-seed={settings.seed} {item.nodeid})"
            ),
            *(injector.timeline() or ["(no fault events)"]),
        ]
        report.sections.append((f"chaoslab: fault timeline ({call.when})", "\n".join(lines)))
    return report
