"""The steady-state hypothesis: probes in order, each judged by its tolerance.

The first probe that fails or misses its tolerance ends the check (Chaos
Toolkit's rule). The state is `{steady_state_met, probes: [records with
tolerance_met]}`; `raised` says whether a probe failed rather than missed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from chaoslab.experiment._activity import ActivityExecutor
from chaoslab.experiment._journal import Phase
from chaoslab.experiment._model import Hypothesis
from chaoslab.experiment._tolerance import tolerance_met

__all__ = ["HypothesisResult", "check_hypothesis", "during_method"]


@dataclass
class HypothesisResult:
    """One check of the hypothesis."""

    met: bool
    raised: bool
    state: dict[str, Any] = field(default_factory=dict)


async def check_hypothesis(
    hypothesis: Hypothesis, executor: ActivityExecutor, phase: Phase
) -> HypothesisResult:
    """Run the probes and judge them."""
    records: list[dict[str, Any]] = []
    state: dict[str, Any] = {"steady_state_met": None, "probes": records}
    met, raised = True, False
    for probe in hypothesis.probes:
        record = await executor.run(probe, phase, records)
        if record.get("status") != "succeeded":
            record["tolerance_met"] = False
            met, raised = False, True
            break
        ok = executor.dry is not None or await tolerance_met(
            probe.tolerance, record["output"], executor.judge
        )
        record["tolerance_met"] = ok
        if not ok:
            met = False
            break
    state["steady_state_met"] = met
    return HypothesisResult(met, raised, state)


async def during_method(
    hypothesis: Hypothesis,
    executor: ActivityExecutor,
    *,
    frequency: float,
    states: list[dict[str, Any]],
    fail_fast: bool,
    on_miss: asyncio.Event,
) -> None:
    """Check the hypothesis every `frequency` seconds until cancelled.

    With `fail_fast`, the first miss sets `on_miss` and the loop ends.
    """
    while True:
        result = await check_hypothesis(hypothesis, executor, "hypothesis-during")
        states.append(result.state)
        if not result.met and fail_fast:
            on_miss.set()
            return
        await executor.ctx.clock.sleep_async(frequency)
