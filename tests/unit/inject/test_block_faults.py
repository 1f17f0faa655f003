"""A block applies faults on entry; faults that need a result to spoil are refused up front."""

import pytest

from chaoslab.errors import UnsupportedFaultError
from chaoslab.faults import ConnectionRefused, Malformed
from chaoslab.inject import FaultInjector


def test_malformed_into_a_block_is_refused_at_inject_time() -> None:
    chaos = FaultInjector(seed=1)
    chaos.point("cache.block-only").block()
    with pytest.raises(UnsupportedFaultError, match="cannot apply 'malformed'"):
        chaos.inject("cache.block-only", Malformed())


def test_a_block_still_raises_the_faults_it_supports() -> None:
    chaos = FaultInjector(seed=1)
    block = chaos.point("cache.refusing").block()
    refused = chaos.inject("cache.refusing", ConnectionRefused())
    with refused, pytest.raises(ConnectionRefusedError), block:
        pass
