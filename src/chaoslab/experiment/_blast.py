"""Blast-radius limits, checked when the file is validated.

From each chaoslab activity's `touches` (which proxy, service or injection
point it faults, for how long), in method order:

- every target must be allowed (`proxies`, `services`, `injection-points`
  globs; an absent list allows anything);
- with `max-fault-duration`, every fault needs a `duration` within it (an
  open-ended fault could outlive the limit);
- with `max-concurrent-faults`, the faults that may be active at once,
  counted conservatively (every background fault overlaps everything after
  it), stay within it.

The runner also refuses, at run time, a fault past the concurrency limit.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from chaoslab.experiment._model import BlastRadius
from chaoslab.experiment._registry import Touch

__all__ = ["Planned", "blast_problems"]


@dataclass(frozen=True, slots=True)
class Planned:
    """A touch at a place in the file."""

    path: str
    touch: Touch
    background: bool
    in_method: bool


def _allowed(radius: BlastRadius, touch: Touch) -> list[str] | None:
    if touch.kind == "proxy":
        return radius.proxies
    if touch.kind == "service":
        return radius.services
    return radius.injection_points


def _target_problems(radius: BlastRadius, plan: Planned) -> list[tuple[str, str]]:
    allowed = _allowed(radius, plan.touch)
    target = plan.touch.target
    if allowed is None or plan.touch.removes or not target:
        return []
    if any(target == a or fnmatch.fnmatchcase(target, a) for a in allowed):
        return []
    what = {"proxy": "proxies", "service": "services"}.get(plan.touch.kind, "injection-points")
    return [
        (
            f"{plan.path}.arguments",
            (
                f"{plan.touch.kind.replace('_', ' ')} {target!r} is outside the blast radius "
                f"(blast-radius.{what}: {', '.join(allowed) or 'none'})"
            ),
        )
    ]


def _duration_problems(radius: BlastRadius, plan: Planned) -> list[tuple[str, str]]:
    limit = radius.max_fault_duration
    touch = plan.touch
    if limit is None or touch.removes:
        return []
    if touch.duration is None:
        return [
            (
                f"{plan.path}.arguments.duration",
                f"required when blast-radius.max-fault-duration is set (at most {limit:g}s)",
            )
        ]
    if touch.duration > limit:
        return [
            (
                f"{plan.path}.arguments.duration",
                f"{touch.duration:g}s exceeds blast-radius.max-fault-duration ({limit:g}s)",
            )
        ]
    return []


def _concurrency_problems(radius: BlastRadius, plans: Sequence[Planned]) -> list[tuple[str, str]]:
    limit = radius.max_concurrent_faults
    if limit is None:
        return []
    open_ended: set[str] = set()
    background = 0
    for plan in plans:
        touch = plan.touch
        if not plan.in_method:
            continue
        if touch.removes:
            open_ended = {k for k in open_ended if not k.endswith(f"/{touch.fault}")}
            continue
        current = 1 if touch.duration is not None and not plan.background else 0
        if touch.duration is None:
            open_ended.add(f"{touch.kind}:{touch.target}/{touch.fault}")
        elif plan.background:
            background += 1
        count = len(open_ended) + background + current
        if count > limit:
            return [
                (
                    plan.path,
                    (
                        f"up to {count} faults could be active here; "
                        f"blast-radius.max-concurrent-faults is {limit}"
                    ),
                )
            ]
    return []


def blast_problems(radius: BlastRadius, plans: Sequence[Planned]) -> list[tuple[str, str]]:
    """Every blast-radius violation, with the path of the activity."""
    problems: list[tuple[str, str]] = []
    for plan in plans:
        problems += _target_problems(radius, plan)
        problems += _duration_problems(radius, plan)
    return problems + _concurrency_problems(radius, plans)
