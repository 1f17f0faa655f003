"""`chaoslab demo` end to end, as a new user runs it: the console script in a child process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pydantic
import pytest

from chaoslab.experiment import Journal, read_journal

# The console script next to this interpreter (a venv's bin/), else the one on PATH.
CHAOSLAB = Path(sys.executable).with_name("chaoslab")
if not CHAOSLAB.exists():
    CHAOSLAB = Path(shutil.which("chaoslab") or CHAOSLAB)
FAULTS = {"redis-latency": "redis", "redis-reset": "redis", "upstream-429": "llm"}
_URL = re.compile(r"^\s+(service|proxy API|redis|upstream)\s+(\S+)(?:.* at (\S+))?", re.M)


def _env() -> dict[str, str]:
    # Unbuffered, so that the ready lines arrive while the demo runs; no colours.
    return {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "100"}


def _addresses(output: str) -> list[tuple[str, int]]:
    """Every host:port the demo said it listens on (service, API, Redis, upstream, proxies)."""
    found = []
    for match in _URL.finditer(output):
        for text in match.groups()[1:]:
            if text:
                hostport = re.sub(r"^\w+://", "", text).split("/")[0]
                host, _, port = hostport.rpartition(":")
                found.append((host, int(port)))
    return found


def _assert_all_stopped(addresses: list[tuple[str, int]]) -> None:
    assert len(addresses) == 6, addresses
    for host, port in addresses:
        assert host == "127.0.0.1"
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((host, port)) != 0, f"{host}:{port} still listening"
    redis_port = addresses[2][1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended while we looked
        assert not (any(b"redis-server" in a for a in args) and str(redis_port).encode() in args), (
            f"redis-server on port {redis_port} still running: {args}"
        )


def test_demo_quick_runs_the_game_day_and_writes_journal_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [str(CHAOSLAB), "demo", "--quick", "--out", str(out), "--seed", "7"],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=tmp_path,
        env=_env(),
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output

    journal = read_journal(out / "journal.json")
    pydantic.TypeAdapter(Journal).validate_python(journal)
    assert journal["status"] == "completed"
    assert journal["deviated"] is False
    section = journal["chaoslab"]
    assert section["seed"] == 7
    windows = {w["activity"]: w for w in section["fault_windows"]}
    assert set(windows) == set(FAULTS)
    for activity, proxy in FAULTS.items():
        window = windows[activity]
        assert window["target"] == proxy
        assert window["end"] - window["start"] == pytest.approx(3.0, abs=0.5)  # --quick
    assert [w["fault"] for w in section["recovery"]["windows"]] == [
        windows[a]["name"] for a in FAULTS
    ]
    [load] = section["loads"]
    assert sum(s["requests"] for s in load["slices"]) > 1000  # 100/s for ~20 s
    assert section["guard_events"] == []

    report = (out / "report.html").read_text(encoding="utf-8")
    for activity in FAULTS:
        assert activity in report
    assert "redis-slow" in report
    assert "llm-429" in report

    # Progress (plain lines: the output is not a terminal), one per activity.
    for activity in FAULTS:
        assert f"method: {activity} succeeded" in done.stdout
    # The summary table names every phase, and the paths are printed.
    for phase in ("baseline", *FAULTS, "recovery"):
        assert phase in done.stdout
    assert str(out / "journal.json") in done.stdout.replace("\n", "")
    assert str(out / "report.html") in done.stdout.replace("\n", "")
    _assert_all_stopped(_addresses(done.stdout))


def _wait_for_toxic(api: str, proxy: str, child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, "the demo ended before its first fault"
        toxics = httpx.get(f"{api}/proxies/{proxy}/toxics", timeout=2).json()
        if toxics:
            return
        time.sleep(0.1)
    pytest.fail("no toxic appeared within 60 s")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_rolls_back_and_stops_everything(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    out = tmp_path / "out"
    child = subprocess.Popen(
        [str(CHAOSLAB), "demo", "--quick", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=_env(),
    )
    try:
        assert child.stdout is not None
        head = ""
        while len(_addresses(head)) < 6 and (line := child.stdout.readline()):
            head += line
        addresses = _addresses(head)
        api = next(f"http://{h}:{p}" for h, p in addresses[1:2])
        _wait_for_toxic(api, "redis", child)  # the first fault is on
        child.send_signal(signum)
        rest, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    output = head + rest
    assert child.returncode == code, output
    journal = read_journal(out / "journal.json")
    assert journal["status"] == "interrupted"
    assert journal["chaoslab"]["interrupted_by"] == signum.name
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded"]
    assert all(w["end"] is not None for w in journal["chaoslab"]["fault_windows"])
    assert (out / "report.html").exists()
    _assert_all_stopped(addresses)
