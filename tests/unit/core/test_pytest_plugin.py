"""The pytest plugin, tested in-process with pytester."""

from __future__ import annotations

import re

import pytest

from chaoslab.pytest_plugin import MARKERS, test_seed

# Inner runs get no ini of ours; this keeps pytest-asyncio from warning.
QUIET = ("-o", "asyncio_default_fixture_loop_scope=function")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


PASSING_CHAOS = """
import pytest
from chaoslab import ConnectionRefused, FirstN, injectable

@injectable("cache.get")
def get(key):
    return "value"

@pytest.mark.chaos
def test_chaos(chaos):
    chaos.inject("cache.*", ConnectionRefused(), FirstN(1))
    with pytest.raises(ConnectionRefusedError):
        get("k")
    assert get("k") == "value"

@pytest.mark.chaos_network
def test_network():
    pass

def test_plain():
    pass
"""


def test_markers_are_listed(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--markers")
    assert result.ret == 0
    for name in MARKERS:
        result.stdout.fnmatch_lines([f"@pytest.mark.{name}: *"])


def test_help_shows_the_options(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(["*--chaos-seed=N*", "*--chaos={include,exclude,only}*"])
    result.stdout.fnmatch_lines(["*chaos_seed*", "*chaos_mode*"])


def test_strict_markers_accept_every_chaos_marker(pytester: pytest.Pytester) -> None:
    marks = "\n".join(f"@pytest.mark.{name}" for name in MARKERS)
    pytester.makepyfile(f"import pytest\n{marks}\ndef test_x():\n    pass\n")
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)


def test_header_prints_the_given_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "--chaos-seed=1234")
    result.stdout.fnmatch_lines(
        ["chaoslab: seed=1234 (replay with --chaos-seed=1234), chaos tests: include"]
    )


def test_header_prints_a_random_seed_that_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester)
    match = re.search(r"chaoslab: seed=(\d+) \(replay with --chaos-seed=\1\)", result.stdout.str())
    assert match is not None


def test_ini_keys_mirror_the_options(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nchaos_seed = 77\nchaos_mode = exclude\n")
    pytester.makepyfile(PASSING_CHAOS)
    result = run(pytester)
    result.stdout.fnmatch_lines(["chaoslab: seed=77 *chaos tests: exclude"])
    result.assert_outcomes(passed=1, deselected=2)


def test_option_overrides_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nchaos_seed = 77\nchaos_mode = exclude\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "--chaos-seed=5", "--chaos=only")
    result.stdout.fnmatch_lines(["chaoslab: seed=5 *chaos tests: only"])


@pytest.mark.parametrize(
    ("mode", "outcomes"),
    [
        ("include", {"passed": 3}),
        ("exclude", {"passed": 1, "deselected": 2}),
        ("only", {"passed": 2, "deselected": 1}),
    ],
)
def test_chaos_mode_selects_tests(
    pytester: pytest.Pytester, mode: str, outcomes: dict[str, int]
) -> None:
    pytester.makepyfile(PASSING_CHAOS)
    result = run(pytester, f"--chaos={mode}")
    result.assert_outcomes(**outcomes)


def test_bad_ini_values_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nchaos_seed = twelve\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*chaos_seed: must be an integer, got 'twelve'*"])
    pytester.makeini("[pytest]\nchaos_mode = sometimes\n")
    result = run(pytester)
    result.stderr.fnmatch_lines(["*chaos_mode: must be one of include, exclude, only*"])


def test_chaos_fixture_is_seeded_per_test_and_active(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from chaoslab import current_injector
        from chaoslab.pytest_plugin import test_seed

        def test_a(chaos, chaos_seed, request):
            assert current_injector() is chaos
            assert chaos.seed == test_seed(chaos_seed, request.node.nodeid)
            print("SEED", chaos.seed)

        def test_after():
            assert current_injector() is None
        """
    )
    first = run(pytester, "--chaos-seed=9", "-s")
    second = run(pytester, "--chaos-seed=9", "-s")
    first.assert_outcomes(passed=2)
    seeds = [line for line in first.outlines if "SEED" in line]
    assert seeds == [line for line in second.outlines if "SEED" in line]
    assert (
        str(test_seed(9, "test_chaos_fixture_is_seeded_per_test_and_active.py::test_a"))
        in (seeds[0])
    )


def test_chaos_fixture_clears_injections_when_the_test_fails(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        KEPT = []

        @pytest.fixture
        def keep(chaos):
            KEPT.append(chaos)
            return chaos
        """
    )
    pytester.makepyfile(
        """
        from chaoslab import Error, current_injector
        from conftest import KEPT

        def test_fails(keep):
            keep.inject("x.*", Error(ValueError))
            assert False

        def test_then_clean():
            assert current_injector() is None
            assert KEPT[0].injections == ()
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)


def test_failure_report_shows_the_fault_timeline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from chaoslab import HTTPStatus, FirstN, injectable

        @injectable("llm.complete")
        def complete():
            return "ok"

        def test_fails(chaos):
            chaos.inject("llm.*", HTTPStatus(503), FirstN(2), name="llm-503")
            for _ in range(3):
                try:
                    complete()
                except RuntimeError:
                    pass
            assert False, "recovery not proven"

        def test_passes(chaos):
            chaos.inject("llm.*", HTTPStatus(503), FirstN(1))
        """
    )
    result = run(pytester, "--chaos-seed=3")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- chaoslab: fault timeline (call) -*",
            "injector seed=* (session: replay with --chaos-seed=3 test_*::test_fails)",
            "*fault.injection_added*llm-503*target=llm.*",
            "*fault.injected*llm.complete*fault=http 503*call=1",
            "*fault.injected*llm.complete*fault=http 503*call=2",
        ]
    )
    # Only the failing test gets a timeline.
    assert result.stdout.str().count("chaoslab: fault timeline") == 1


def test_virtual_clock_fixture_autojumps_and_drives_chaos(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        from chaoslab import Latency, injectable

        @injectable("slow.call")
        async def call():
            return 1

        async def test_latency(chaos, virtual_clock):
            assert chaos.clock is virtual_clock
            chaos.inject("slow.*", Latency(30.0))
            assert await call() == 1
            assert virtual_clock.now() == 30.0

        def test_sync_sleep(virtual_clock):
            virtual_clock.sleep(12.5)
            assert virtual_clock.now() == 12.5
        """
    )
    result = run(pytester, "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=2)


def test_test_seed_is_stable_and_distinct() -> None:
    assert test_seed(1, "a::b") == test_seed(1, "a::b")
    assert test_seed(1, "a::b") != test_seed(2, "a::b")
    assert test_seed(1, "a::b") != test_seed(1, "a::c")
    # A fixed value: the derivation must not depend on hash() randomisation.
    assert test_seed(0, "x") == int.from_bytes(
        __import__("hashlib").sha256(b"0:x").digest()[:8], "big"
    )


def test_xdist_workers_use_the_controllers_random_seed(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_seed(chaos_seed, n):
            print(f"WORKER-SEED {chaos_seed}")
        """
    )
    # Workers' output is not relayed; the junit report keeps each test's stdout.
    # Workers load every installed plugin; locust and hypothesis are slow to import.
    fast = ("-p", "no:locust", "-p", "no:hypothesispytest")
    result = run(pytester, *fast, "-n", "2", "--junitxml=out.xml", "-o", "junit_logging=all")
    result.assert_outcomes(passed=4)
    header = re.search(r"chaoslab: seed=(\d+)", result.stdout.str())
    assert header is not None
    xml = (pytester.path / "out.xml").read_text()
    assert re.findall(r"WORKER-SEED (\d+)", xml) == [header.group(1)] * 4
