"""`chaoslab load` against a real local server running in a thread."""

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

import chaoslab.cli._load  # noqa: F401 - registers `chaoslab load`
from chaoslab.cli._app import app


@pytest.fixture
def server_url() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def start() -> None:
        app_ = web.Application()
        app_.router.add_get("/", hello)
        runner = web.AppRunner(app_, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert ready.wait(10)
    yield f"http://127.0.0.1:{holder['port']}/"
    runner = holder["runner"]
    assert isinstance(runner, web.AppRunner)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_load_command_runs_and_writes_the_result(server_url: str, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        app, ["load", server_url, "--rate", "100", "--duration", "1", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overall"]["requests"] == 100
    assert data["overall"]["errors"] == 0
    assert data["mode"] == "open"
    assert "overall" in result.output


def test_load_command_refuses_bad_input(server_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["load", server_url, "--duration", "1"])
    assert result.exit_code == 2
    assert "exactly one of --rate" in result.output
    result = runner.invoke(app, ["load", "http://10.9.8.7/", "--users", "2"])
    assert result.exit_code == 1
    assert "allow_remote" in " ".join(result.output.split())
    result = runner.invoke(app, ["load", server_url, "--users", "2", "--duration", "0"])
    assert result.exit_code == 1
    assert "duration" in result.output
