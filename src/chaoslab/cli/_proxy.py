"""`chaoslab proxy`: serve the Toxiproxy-compatible proxy, and drive a running one.

    chaoslab proxy serve [--host 127.0.0.1] [--port 8474] [--config FILE] [--seed N]
    chaoslab proxy list | inspect NAME | create NAME -u HOST:PORT | toggle NAME
    chaoslab proxy delete NAME | reset
    chaoslab proxy toxic add PROXY -t latency -a latency=100 -a jitter=10
    chaoslab proxy toxic update PROXY -n latency_downstream -a jitter=20
    chaoslab proxy toxic remove PROXY -n latency_downstream

The client commands talk to `--url` (default `$TOXIPROXY_URL`, else
http://127.0.0.1:8474). Every failure prints one clear line and exits 1;
never a traceback for bad input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from chaoslab._net import is_loopback_host
from chaoslab.cli._app import app, console

if TYPE_CHECKING:
    from chaoslab.observe import EventBus
    from chaoslab.proxy._client import ProxyClient
    from chaoslab.proxy._client_core import ProxyInfo, ToxicInfo

proxy_app = typer.Typer(
    name="proxy",
    help="Toxiproxy-compatible TCP fault proxy: serve it, or drive a running one.",
    no_args_is_help=True,
)
toxic_app = typer.Typer(name="toxic", help="Add or remove toxics.", no_args_is_help=True)
proxy_app.add_typer(toxic_app)
app.add_typer(proxy_app)

_URL = typer.Option(
    "--url", envvar="TOXIPROXY_URL", help="API URL (default http://127.0.0.1:8474)."
)


# Errors go to stderr, so that `list` output piped elsewhere stays clean.
err_console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def _client(url: str | None) -> Iterator[ProxyClient]:
    """A client whose failures become one line on the console and exit code 1."""
    import httpx

    from chaoslab.errors import ChaoslabError
    from chaoslab.proxy._client import ProxyClient, default_url

    try:
        client = ProxyClient(url)
    except httpx.InvalidURL as exc:
        raise _fail(f"bad --url {url or default_url()!r}: {exc}") from None
    try:
        yield client
    except httpx.UnsupportedProtocol as exc:
        raise _fail(f"bad --url {client.url!r}: {exc}") from None
    except httpx.HTTPError as exc:
        raise _fail(
            f"cannot reach the proxy API at {client.url} ({exc}); "
            "is `chaoslab proxy serve` running? (set --url or TOXIPROXY_URL)"
        ) from None
    except ChaoslabError as exc:
        raise _fail(str(exc)) from None
    finally:
        client.close()


@proxy_app.command()
def serve(
    *,
    host: Annotated[str, typer.Option(help="Interface the API listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port (0: pick a free one).")] = 8474,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="JSON file of proxies, as for toxiproxy-server -config."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the toxicity rolls.")] = None,
    allow_remote_upstreams: Annotated[
        bool,
        typer.Option(
            "--allow-remote-upstreams", help="Allow upstreams outside 127.0.0.0/8 and ::1."
        ),
    ] = False,
    log_events: Annotated[
        bool,
        typer.Option("--log-events", help="Print every proxy event as a JSON line on stdout."),
    ] = False,
) -> None:
    """Run the proxy server (a drop-in for toxiproxy-server) until SIGINT or SIGTERM."""
    import random

    from chaoslab.errors import ChaoslabError
    from chaoslab.proxy._serve import run

    if not 0 <= port <= 65535:
        raise _fail(f"--port {port}: expected 0..65535 (0: pick a free one)")
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)

    def ready(url: str) -> None:
        console.print(f"chaoslab proxy API listening on {url} (seed {seed})", highlight=False)
        if not is_loopback_host(host):
            err_console.print(
                f"[yellow]warning:[/yellow] the API on {host} is reachable from other machines; "
                "anyone who reaches it can create proxies on this one",
                highlight=False,
            )

    try:
        run(
            host=host,
            port=port,
            config=config,
            seed=seed,
            allow_remote_upstreams=allow_remote_upstreams,
            ready=ready,
            events=_event_log() if log_events else None,
        )
    except ChaoslabError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass  # a second Ctrl-C while stopping: stop without a traceback
    console.print("chaoslab proxy stopped", highlight=False)


def _event_log() -> EventBus:
    """A bus whose events are printed as JSON lines (Toxiproxy logs JSON too)."""
    import logging
    import sys

    from chaoslab.observe import EventBus, JsonLogHook

    logger = logging.getLogger("chaoslab.proxy.events")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    bus = EventBus()
    bus.subscribe(JsonLogHook(logger))
    return bus


def _proxies_table(proxies: list[ProxyInfo]) -> Table:
    table = Table(title="proxies")
    for column in ("name", "listen", "upstream", "enabled", "toxics"):
        table.add_column(column)
    for p in proxies:
        toxics = ", ".join(f"{t.name} ({t.type}, {t.stream})" for t in p.toxics) or "-"
        table.add_row(p.name, p.listen, p.upstream, "yes" if p.enabled else "[red]no[/red]", toxics)
    return table


@proxy_app.command("list")
def list_proxies(url: Annotated[str | None, _URL] = None) -> None:
    """List the proxies and their toxics."""
    with _client(url) as client:
        proxies = [p.info for p in client.proxies().values()]
    console.print(_proxies_table(proxies))


@proxy_app.command()
def create(
    name: Annotated[str, typer.Argument(help="Name of the new proxy.")],
    *,
    upstream: Annotated[str, typer.Option("--upstream", "-u", help="host:port to forward to.")],
    listen: Annotated[
        str, typer.Option("--listen", "-l", help="host:port to listen on.")
    ] = "127.0.0.1:0",
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Create it without listening.")
    ] = False,
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Create a proxy."""
    with _client(url) as client:
        proxy = client.create(name, upstream=upstream, listen=listen, enabled=not disabled)
    console.print(_proxies_table([proxy.info]))


@proxy_app.command()
def inspect(
    name: Annotated[str, typer.Argument(help="Proxy to show.")],
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Show one proxy, its toxics and its statistics."""
    with _client(url) as client:
        proxy = client.get(name)
        stats = proxy.stats()
    console.print(_proxies_table([proxy.info]))
    console.print(_toxics_table(f"toxics of {name}", list(proxy.toxics)))
    table = Table(title=f"statistics of {name}")
    table.add_column("counter")
    table.add_column("value", justify="right")
    for key, value in stats.items():
        if key != "name":
            table.add_row(key, str(value))
    console.print(table)


@proxy_app.command()
def toggle(
    name: Annotated[str, typer.Argument(help="Proxy to enable or disable.")],
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Disable an enabled proxy (connections refused), or enable a disabled one."""
    with _client(url) as client:
        proxy = client.get(name)
        proxy.set_enabled(not proxy.enabled)
    console.print(f"proxy {name} is now {'enabled' if proxy.enabled else 'disabled'}")


@proxy_app.command()
def delete(
    name: Annotated[str, typer.Argument(help="Proxy to delete.")],
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Delete a proxy (its connections are closed)."""
    with _client(url) as client:
        client.delete(name)
    console.print(f"deleted proxy {name}", highlight=False)


@proxy_app.command()
def reset(url: Annotated[str | None, _URL] = None) -> None:
    """Enable every proxy and remove every toxic."""
    with _client(url) as client:
        client.reset()
    console.print("reset: every proxy enabled, every toxic removed", highlight=False)


def _toxics_table(title: str, toxics: list[ToxicInfo]) -> Table:
    table = Table(title=title)
    for column in ("name", "type", "stream", "toxicity", "attributes"):
        table.add_column(column)
    for toxic in toxics:
        attrs = ", ".join(f"{k}={v}" for k, v in toxic.attributes.items()) or "-"
        table.add_row(toxic.name, toxic.type, toxic.stream, f"{toxic.toxicity:g}", attrs)
    return table


def _attribute(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise _fail(f"attribute {text!r}: expected key=value, e.g. latency=100")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw  # a bare word is a string, as toxiproxy-cli sends it
    return key.strip(), value


@toxic_app.command("add")
def toxic_add(
    proxy: Annotated[str, typer.Argument(help="Proxy to add the toxic to.")],
    *,
    type_: Annotated[str, typer.Option("--type", "-t", help="Toxic type, e.g. latency.")],
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Toxic name (default <type>_<stream>).")
    ] = None,
    upstream: Annotated[
        bool, typer.Option("--upstream", "-u", help="On client->server data.")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", "-d", help="On server->client data.")
    ] = False,
    toxicity: Annotated[float, typer.Option("--toxicity", "--tox", help="Probability 0..1.")] = 1.0,
    attribute: Annotated[
        list[str] | None, typer.Option("--attribute", "-a", help="key=value, repeatable.")
    ] = None,
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Add a toxic to a proxy."""
    if upstream and downstream:
        raise _fail("choose one stream: --upstream or --downstream")
    attributes = dict(_attribute(a) for a in attribute or [])
    stream = "upstream" if upstream else "downstream"
    with _client(url) as client:
        toxic = client.get(proxy).add_toxic(
            type_, name=name, stream=stream, toxicity=toxicity, attributes=attributes
        )
    console.print(_toxics_table(f"toxic added to {proxy}", [toxic]))


@toxic_app.command("update")
def toxic_update(
    proxy: Annotated[str, typer.Argument(help="Proxy the toxic is on.")],
    *,
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the toxic.")],
    toxicity: Annotated[
        float | None, typer.Option("--toxicity", "--tox", help="New probability 0..1.")
    ] = None,
    attribute: Annotated[
        list[str] | None, typer.Option("--attribute", "-a", help="key=value; others kept.")
    ] = None,
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Change a toxic's toxicity or some attributes (the others keep their values)."""
    attributes = dict(_attribute(a) for a in attribute or []) or None
    with _client(url) as client:
        toxic = client.get(proxy).update_toxic(name, toxicity=toxicity, attributes=attributes)
    console.print(_toxics_table(f"toxic updated on {proxy}", [toxic]))


@toxic_app.command("remove")
def toxic_remove(
    proxy: Annotated[str, typer.Argument(help="Proxy to remove the toxic from.")],
    *,
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the toxic.")],
    url: Annotated[str | None, _URL] = None,
) -> None:
    """Remove a toxic from a proxy."""
    with _client(url) as client:
        client.get(proxy).remove_toxic(name)
    console.print(f"removed toxic {name} from {proxy}", highlight=False)


def toxiproxy_server_main(argv: list[str] | None = None) -> int:
    """`chaoslab-toxiproxy-server`: `toxiproxy-server`'s own flags, for scripts and images.

    Accepts `-host`, `-port`, `-config`, `-seed` and `-version` in Go's
    spellings (`-x`, `--x`, `-x=v`); `-proxy-metrics` and `-runtime-metrics`
    are accepted and ignored with a note (chaoslab has no /metrics). Unlike
    Toxiproxy's, the default host is 127.0.0.1.

    Example:
        >>> toxiproxy_server_main(["-version"])
        toxiproxy-server version v2.12.0+chaoslab...
        0
    """
    import argparse
    import sys

    from chaoslab._version import __version__

    parser = argparse.ArgumentParser(prog="chaoslab-toxiproxy-server", allow_abbrev=False)
    for flag, kind, default in (("host", str, "127.0.0.1"), ("port", int, 8474)):
        parser.add_argument(f"-{flag}", f"--{flag}", type=kind, default=default)
    parser.add_argument("-config", "--config", type=Path, default=None)
    parser.add_argument("-seed", "--seed", type=int, default=None)
    for flag in ("version", "proxy-metrics", "runtime-metrics"):
        parser.add_argument(f"-{flag}", f"--{flag}", action="store_true")
    args = parser.parse_args(argv)
    if args.version:
        print(f"toxiproxy-server version v2.12.0+chaoslab.{__version__}")
        return 0
    if args.proxy_metrics or args.runtime_metrics:
        print("note: chaoslab has no /metrics; see GET /proxies/{name}/stats", file=sys.stderr)
    try:
        serve(host=args.host, port=args.port, config=args.config, seed=args.seed)
    except typer.Exit as exc:
        return exc.exit_code
    return 0


def toxiproxy_server() -> None:
    """Entry point of the `chaoslab-toxiproxy-server` console script."""
    raise SystemExit(toxiproxy_server_main())
