"""`chaoslab proxy ...`: serve as a process (config, signals, errors) and the client commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from chaoslab.cli._app import _register_commands as register
from chaoslab.cli._app import app
from tests.integration.proxy_api._support import (
    GO_FLAGS_SERVE,
    SERVE,
    api_in_thread,
    chaoslab_serve,
    echo_server,
    refuses,
    round_trip,
)

register()
runner = CliRunner()


@pytest.fixture(scope="module")
def echo() -> Iterator[int]:
    with echo_server() as port:
        yield port


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with api_in_thread(seed=4) as base:
        yield base


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["proxy", *args], env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.output


def test_serve_loads_a_config_file_and_stops_gracefully_on_sigint(
    tmp_path: Path, echo: int
) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "cfg", "upstream": f"127.0.0.1:{echo}"}]))
    with chaoslab_serve("--config", str(config), "--seed", "7") as server:
        proxy = httpx.get(f"{server.url}/proxies/cfg").json()
        port = int(proxy["listen"].rsplit(":", 1)[1])
        assert round_trip(port)[0] == b"ping"
        api_port = urlsplit(server.url).port
        assert api_port is not None
        server.process.send_signal(signal.SIGINT)
        code, output = server.wait_exit()
    assert code == 0
    assert "stopped" in output
    assert "Traceback" not in output
    assert refuses(port)  # the proxy's listener is gone with the process
    assert refuses(api_port)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('[{"name": "x"}]', "missing required field: upstream at proxy 1"),
        ("{not json", "bad request body"),
        ('[{"name": "x", "upstream": "10.0.0.1:80"}]', "--allow-remote-upstreams"),
    ],
)
def test_serve_refuses_a_bad_config_with_one_clear_line(
    tmp_path: Path, content: str, fragment: str
) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(content)
    done = subprocess.run(
        [*SERVE, "--port", "0", "--config", str(config)],
        capture_output=True, text=True, timeout=30, check=False,
        env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    assert done.returncode == 1
    assert fragment in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_serve_refuses_a_config_that_is_not_text(tmp_path: Path) -> None:
    config = tmp_path / "proxies.json"
    config.write_bytes(b"\xff\xfe[]")
    code, out = cli("serve", "--port", "0", "--config", str(config))
    assert code == 1
    assert f"{config}: not UTF-8 text" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("port", ["-1", "65536", "99999"])
def test_serve_refuses_a_port_out_of_range(port: str) -> None:
    code, out = cli("serve", "--port", port)
    assert code == 1
    assert f"--port {port}: expected 0..65535" in out


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("http://[::1", "Invalid port"),
        ("notaurl", "missing an 'http://'"),
        ("ftp://127.0.0.1:8474", "unsupported protocol"),
    ],
)
def test_a_bad_url_is_one_clear_line(bad: str, fragment: str) -> None:
    for args in (["list", "--url", bad], ["list"]):
        code, out = cli(*args, env={"TOXIPROXY_URL": bad})
        assert code == 1
        assert f"error: bad --url {bad!r}" in out
        assert fragment in out
        assert out.count("\n") == 1, out


def test_serve_reports_a_port_in_use(url: str) -> None:
    port = str(urlsplit(url).port)
    done = subprocess.run(
        [*SERVE, "--port", port], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_client_commands_print_tables_and_act(url: str, echo: int) -> None:
    code, out = cli("create", "clip", "--upstream", f"127.0.0.1:{echo}", "--url", url)
    assert code == 0, out
    assert "clip" in out
    listen = httpx.get(f"{url}/proxies/clip").json()["listen"]
    port = int(listen.rsplit(":", 1)[1])

    code, out = cli("toxic", "add", "clip", "-t", "latency", "-a", "latency=150", "--url", url)
    assert code == 0, out
    assert "latency_downstream" in out
    assert round_trip(port)[1] >= 0.15

    code, out = cli("list", env={"TOXIPROXY_URL": url})
    assert code == 0, out
    assert "clip" in out
    assert "latency_downstream" in out

    code, out = cli("toxic", "remove", "clip", "-n", "latency_downstream", "--url", url)
    assert code == 0, out
    assert httpx.get(f"{url}/proxies/clip/toxics").json() == []

    cli("toxic", "add", "clip", "-t", "timeout", "--upstream", "--url", url)
    httpx.post(f"{url}/proxies/clip", json={"enabled": False})
    code, out = cli("reset", "--url", url)
    assert code == 0, out
    assert httpx.get(f"{url}/proxies/clip").json()["toxics"] == []
    assert round_trip(port)[0] == b"ping"

    code, out = cli("delete", "clip", "--url", url)
    assert code == 0, out
    assert refuses(port)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["toxic", "add", "nope", "-t", "latency"], "proxy not found"),
        (["create", "dup", "-u", "127.0.0.1:9"], "proxy already exists"),
        (["toxic", "add", "dup", "-t", "latency", "-a", "latency=-5"], "attributes.latency"),
        (["toxic", "add", "dup", "-t", "latency", "-a", "latency"], "expected key=value"),
        (["toxic", "add", "dup", "-t", "latency", "-u", "-d"], "choose one stream"),
        (["toxic", "remove", "dup", "-n", "nope"], "toxic not found"),
        (["create", "far", "-u", "10.0.0.1:80"], "--allow-remote-upstreams"),
    ],
)
def test_client_commands_fail_with_one_clear_line(url: str, args: list[str], fragment: str) -> None:
    httpx.post(f"{url}/proxies", json={"name": "dup", "upstream": "127.0.0.1:9"})
    code, out = cli(*args, "--url", url)
    assert code == 1
    assert fragment in out
    assert "Traceback" not in out


def test_an_unreachable_api_is_explained() -> None:
    code, out = cli("list", "--url", "http://127.0.0.1:9")
    assert code == 1
    assert "cannot reach the proxy API at http://127.0.0.1:9" in out


class _NotAnApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>some other web server</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_url_that_is_not_a_proxy_api_is_one_clear_line() -> None:
    web = ThreadingHTTPServer(("127.0.0.1", 0), _NotAnApi)
    thread = threading.Thread(target=web.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        code, out = cli("list", "--url", f"http://127.0.0.1:{web.server_port}")
    finally:
        web.shutdown()
        web.server_close()
        thread.join(5)
    assert code == 1
    assert out.startswith("error: not a proxy API reply from http://127.0.0.1:")
    assert "some other web server" in out
    assert "Traceback" not in out


def test_inspect_toggle_and_toxic_update(url: str, echo: int) -> None:
    cli("create", "insp", "-u", f"127.0.0.1:{echo}", "--url", url)
    port = int(httpx.get(f"{url}/proxies/insp").json()["listen"].rsplit(":", 1)[1])
    cli("toxic", "add", "insp", "-t", "latency", "-a", "latency=5", "--url", url)
    code, out = cli("toxic", "update", "insp", "-n", "latency_downstream", "-a", "jitter=2",
                    "--tox", "0.5", "--url", url)  # fmt: skip
    assert code == 0, out
    toxic = httpx.get(f"{url}/proxies/insp/toxics/latency_downstream").json()
    assert (toxic["attributes"], toxic["toxicity"]) == ({"latency": 5, "jitter": 2}, 0.5)

    assert round_trip(port)[0] == b"ping"
    code, out = cli("inspect", "insp", "--url", url)
    assert code == 0, out
    assert "latency_downstream" in out
    assert "connections_total" in out
    assert "bytes_upstream" in out

    code, out = cli("toggle", "insp", "--url", url)
    assert (code, "disabled" in out) == (0, True)
    assert refuses(port)
    code, out = cli("toggle", "insp", "--url", url)
    assert (code, "enabled" in out) == (0, True)
    assert round_trip(port)[0] == b"ping"
    cli("delete", "insp", "--url", url)


def test_serve_can_log_every_event_as_json(echo: int) -> None:
    with chaoslab_serve("--log-events") as server:
        created = httpx.post(
            f"{server.url}/proxies", json={"name": "logged", "upstream": f"127.0.0.1:{echo}"}
        ).json()
        httpx.post(f"{server.url}/proxies/logged/toxics", json={"type": "latency"})
        assert round_trip(int(created["listen"].rsplit(":", 1)[1]))[0] == b"ping"
        code, output = server.stop()
    assert code == 0
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    kinds = [e["kind"] for e in events]
    assert kinds[:2] == ["proxy.created", "proxy.toxic_added"]
    assert {"proxy.connection_opened", "proxy.toxic_applied"} <= set(kinds)
    assert all(e["source"] == "proxy:logged" for e in events)


def test_toxiproxy_servers_go_flags_work_too(tmp_path: Path, echo: int) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "go", "upstream": f"127.0.0.1:{echo}"}]))
    flags = ("-host=127.0.0.1", "-config", str(config), "-seed", "3", "-proxy-metrics")
    with chaoslab_serve(*flags, command=tuple(GO_FLAGS_SERVE)) as server:
        listen = httpx.get(f"{server.url}/proxies/go").json()["listen"]
        assert round_trip(int(listen.rsplit(":", 1)[1]))[0] == b"ping"
        code, _ = server.stop()
    assert code == 0
    assert "no /metrics" in server.preamble
