"""Chaos Toolkit's providers: python, process and http, with its semantics.

- python: `module.func(**arguments)`; `configuration=`/`secrets=` passed when
  the function takes them; async functions are awaited in the run's loop
  (so they run on the run's clock), others run in a worker thread. Any
  exception fails the activity with `"ExcType: message"`.
- process: argv from a list (None/"" dropped) or a shell line from a
  string; output `{status, stdout, stderr}`; a non-zero exit is a success;
  `timeout` kills the process and fails the activity.
- http: output `{status, headers, body}`, the body JSON-decoded when the
  response's Content-Type is exactly `application/json`; 4xx/5xx are
  successes unless `expected_status` says otherwise; connection errors
  and timeouts fail the activity.

Process and HTTP timeouts are real seconds: they wait on real I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import os
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from chaoslab._tls import shared_ssl_context
from chaoslab.experiment._context import ActivityFailed, RunContext
from chaoslab.experiment._model import HttpProvider, ProcessProvider, PythonProvider

__all__ = ["process_problems", "run_http", "run_process", "run_python", "signature_problems"]


def _function(provider: PythonProvider) -> Any:
    module = importlib.import_module(provider.module)
    fn = getattr(module, provider.func, None)
    if fn is None or not callable(fn):
        raise LookupError(f"module {provider.module!r} has no function {provider.func!r}")
    return fn


def signature_problems(provider: PythonProvider, path: str) -> list[tuple[str, str]]:
    """Chaos Toolkit's validation: the module imports, the function exists, arguments bind."""
    try:
        fn = _function(provider)
    except ImportError as exc:
        return [(f"{path}.module", f"cannot import {provider.module!r}: {exc}")]
    except LookupError as exc:
        return [(f"{path}.func", str(exc))]
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return []
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    problems = [
        (f"{path}.arguments.{name}", "is not part of the function's signature")
        for name in provider.arguments
        if (name not in params and not takes_kwargs)
        or (name in params and params[name].kind is params[name].POSITIONAL_ONLY)
    ]
    for name, param in params.items():
        required = param.default is param.empty and param.kind in (
            param.POSITIONAL_ONLY,
            param.POSITIONAL_OR_KEYWORD,
            param.KEYWORD_ONLY,
        )
        if required and name not in provider.arguments and name not in ("configuration", "secrets"):
            problems.append((f"{path}.arguments.{name}", "required by the function, missing"))
    return problems


def _secrets(ctx: RunContext, groups: list[str] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for group in groups or []:
        merged.update(ctx.secrets.get(group, {}))
    return merged


async def run_python(
    ctx: RunContext, provider: PythonProvider, extra: Mapping[str, Any] | None = None
) -> Any:
    """Call the function; `extra` arguments (a probe tolerance's `value`) are added."""
    fn = _function(provider)
    kwargs = {**provider.arguments, **(extra or {})}
    params = inspect.signature(fn).parameters
    if "configuration" in params:
        kwargs["configuration"] = dict(ctx.configuration)
    if "secrets" in params:
        kwargs["secrets"] = _secrets(ctx, provider.secrets)
    try:
        if inspect.iscoroutinefunction(fn):
            return await fn(**kwargs)
        return await asyncio.to_thread(fn, **kwargs)
    except ActivityFailed:
        raise
    except Exception as exc:
        raise ActivityFailed(f"{type(exc).__name__}: {exc}") from exc


def _argv(provider: ProcessProvider) -> tuple[list[str] | None, str | None]:
    program = str(Path(provider.path).expanduser())
    path = shutil.which(program) or program
    args = provider.arguments
    if isinstance(args, str):
        return None, f"{shlex.quote(path)} {args}"
    if isinstance(args, dict):
        flat = [str(x) for k, v in args.items() for x in (k, v) if x not in (None, "")]
        return [path, *flat], None
    return [path, *(str(a) for a in (args or []) if a not in (None, ""))], None


async def run_process(ctx: RunContext, provider: ProcessProvider) -> dict[str, Any]:
    """Run the process; `{status, stdout, stderr}`."""
    argv, line = _argv(provider)
    try:
        if line is not None:
            proc = await asyncio.create_subprocess_shell(
                line, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
        else:
            assert argv is not None
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
    except OSError as exc:
        raise ActivityFailed(f"{type(exc).__name__}: {exc}") from exc
    try:
        out, err = await asyncio.wait_for(proc.communicate(), provider.timeout)
    except TimeoutError:
        raise ActivityFailed(f"process ran past its timeout of {provider.timeout}s") from None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    return {
        "status": proc.returncode,
        "stdout": out.decode(errors="replace"),
        "stderr": err.decode(errors="replace"),
    }


def process_problems(provider: ProcessProvider, path: str) -> list[tuple[str, str]]:
    """The program must be found and executable (Chaos Toolkit checks this too)."""
    program = str(Path(provider.path).expanduser())
    if shutil.which(program) is None and not os.access(program, os.X_OK):
        return [(f"{path}.path", f"{provider.path!r} is not an executable on PATH")]
    return []


def _request_kwargs(provider: HttpProvider) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": provider.headers}
    args = provider.arguments
    if args is None:
        return kwargs
    if provider.method.upper() == "GET":
        kwargs["params"] = args
    elif provider.headers.get("Content-Type") == "application/json":
        kwargs["json"] = args
    else:
        kwargs["data"] = args
    return kwargs


def _timeout(provider: HttpProvider) -> httpx.Timeout:
    value = provider.timeout
    if isinstance(value, tuple):
        return httpx.Timeout(value[1], connect=value[0])
    return httpx.Timeout(value if value is not None else 30.0)


async def run_http(ctx: RunContext, provider: HttpProvider) -> dict[str, Any]:
    """Send the request; `{status, headers, body}`."""
    verify = shared_ssl_context() if provider.verify_tls else False
    transport = httpx.AsyncHTTPTransport(retries=provider.max_retries, verify=verify)
    async with httpx.AsyncClient(transport=transport, timeout=_timeout(provider)) as client:
        try:
            response = await client.request(
                provider.method.upper(), provider.url, **_request_kwargs(provider)
            )
        except httpx.HTTPError as exc:
            raise ActivityFailed(f"{type(exc).__name__}: {exc}") from exc
    body: Any = response.text
    if response.headers.get("content-type") == "application/json":
        with contextlib.suppress(ValueError):
            body = response.json()
    if provider.expected_status is not None and response.status_code != provider.expected_status:
        raise ActivityFailed(
            f"expected status {provider.expected_status}, got {response.status_code}"
        )
    return {"status": response.status_code, "headers": dict(response.headers), "body": body}
