"""Every toxic type passes the public conformance check (chaoslab.proxy.testing)."""

from __future__ import annotations

import pytest

from chaoslab.proxy import TOXIC_TYPES
from chaoslab.proxy.testing import CONFORMANCE, check_toxic


def test_every_type_has_a_conformance_entry() -> None:
    assert set(CONFORMANCE) == set(TOXIC_TYPES)


@pytest.mark.parametrize("type_", sorted(TOXIC_TYPES))
@pytest.mark.parametrize("seed", [0, 1])
async def test_check_toxic(type_: str, seed: int) -> None:
    await check_toxic(type_, seed=seed)


async def test_check_toxic_catches_a_toxic_that_loses_bytes() -> None:
    # The check must be able to fail: a limit_data that cuts early is caught
    # by the toxicity-0 and end-of-stream parts only if it changes bytes, so
    # pretend it keeps bytes and give it a tiny budget.
    CONFORMANCE["limit_data"]["keeps"] = True
    try:
        with pytest.raises(AssertionError, match="removal"):
            await check_toxic("limit_data", {"bytes": 10})
    finally:
        CONFORMANCE["limit_data"]["keeps"] = False
