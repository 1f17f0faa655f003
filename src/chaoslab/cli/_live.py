"""The `chaoslab run` progress display: Rich Live on a terminal, plain lines otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from chaoslab.experiment import LiveStatus
    from chaoslab.observe import Event


def _fmt_latency(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _render(status: LiveStatus) -> Group:
    head = Text.assemble(
        (f"{status.phase}", "bold cyan"),
        "  ",
        (status.activity or "-", "bold"),
        f"   elapsed {status.elapsed:.1f}s",
        f"   remaining ~{status.remaining:.0f}s" if status.remaining is not None else "",
    )
    metrics = Text(f"p99 {_fmt_latency(status.p99)}   errors {_fmt_rate(status.error_rate)}")
    rails = Table(box=None, show_header=True, padding=(0, 2))
    rails.add_column("guard rail")
    rails.add_column("margin")
    for name, margin, tripped in status.rails:
        shown = "TRIPPED" if tripped else ("-" if margin is None else f"{margin:+.0%}")
        style = "red" if tripped or (margin is not None and margin < 0.2) else "green"
        rails.add_row(Text(name), Text(shown, style=style))
    return Group(head, metrics, rails) if status.rails else Group(head, metrics)


class LiveDisplay:
    """A Rich Live panel refreshed on every tick of the runner."""

    def __init__(self, console: Console) -> None:
        self._live = Live(console=console, refresh_per_second=8, transient=False)

    def update(self, status: LiveStatus) -> None:
        """Show `status`."""
        self._live.update(_render(status))

    def __enter__(self) -> LiveDisplay:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)


class PlainDisplay:
    """Plain lines for logs and CI: one per activity that ends, per phase change, per trip."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._last_metrics: float | None = None
        self._t0 = 0.0

    def on_event(self, event: Event) -> None:
        """Print what happened (subscribed to the run's event bus)."""
        from chaoslab.experiment import ActivityEnded, ExperimentStarted, GuardTripped

        if isinstance(event, ExperimentStarted):
            self._t0 = event.at
        elif isinstance(event, ActivityEnded):
            self._console.print(
                f"[{event.at - self._t0:7.2f}s] {event.phase}: {event.name} "
                f"{event.status or 'cut short'} ({event.duration:.2f}s)",
                highlight=False,
                markup=False,
            )
        elif isinstance(event, GuardTripped):
            self._console.print(
                f"[{event.at - self._t0:7.2f}s] guard rail {event.rail} TRIPPED: {event.condition}",
                style="red",
                highlight=False,
                markup=False,
            )

    def update(self, status: LiveStatus) -> None:
        """Every 5 s of run time under load, a line of live metrics."""
        if status.p99 is None and status.error_rate is None:
            return
        if self._last_metrics is not None and status.elapsed - self._last_metrics < 5.0:
            return
        self._last_metrics = status.elapsed
        self._console.print(
            f"[{status.elapsed:7.2f}s] p99 {_fmt_latency(status.p99)}  "
            f"errors {_fmt_rate(status.error_rate)}",
            highlight=False,
            markup=False,
        )

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
