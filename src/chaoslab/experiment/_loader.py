"""Read, resolve and validate an experiment file: every problem at once.

`load_experiment` reads JSON or YAML, resolves configuration and secrets
(values, environment, `--var`/`--var-file`), substitutes `${name}`, builds
the frozen model, then checks what a schema cannot: chaoslab provider
arguments against their typed models, python functions and their
signatures, process paths, `ref`s, and the blast radius. It raises one
`ConfigError` whose `problems` name the path of each field.

Example:
    >>> exp = load_experiment({"title": "t", "description": "d", "method": []})
    >>> exp.title, exp.method
    ('t', [])
    >>> load_experiment({"title": "", "description": "d"})
    Traceback (most recent call last):
    ...
    chaoslab.errors.ConfigError: title: String should have at least 1 character (got '')
    method: required
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaoslab.errors import ConfigError
from chaoslab.experiment._base import problems_from
from chaoslab.experiment._blast import Planned, blast_problems
from chaoslab.experiment._config import Vars, read_mapping, resolve_values, substitute
from chaoslab.experiment._model import (
    ChaoslabSettings,
    Experiment,
    ProcessProvider,
    PythonProvider,
)
from chaoslab.experiment._prov_ctk import process_problems, signature_problems
from chaoslab.experiment._registry import ProviderRegistry, default_registry

__all__ = ["load_experiment", "notes_for", "read_document"]

Problems = list[tuple[str, str]]


def read_document(source: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a JSON or YAML experiment file into a mapping (ConfigError if it is not one)."""
    return read_mapping(Path(source), "an experiment is a mapping of keys (title, method, ...)")


def _resolve(
    raw: Mapping[str, Any], overrides: Vars
) -> tuple[dict[str, Any], dict[str, Any], Problems]:
    env = {**os.environ, **overrides.env}
    problems: Problems = []
    raw_config = raw.get("configuration") or {}
    raw_secrets = raw.get("secrets") or {}
    if not isinstance(raw_config, dict):
        return {}, {}, [("configuration", "must be a mapping")]
    if not isinstance(raw_secrets, dict):
        return {}, {}, [("secrets", "must be a mapping of groups")]
    config, found = resolve_values(raw_config, env=env)
    problems += found
    config.update(overrides.configuration)
    secrets: dict[str, Any] = {}
    for group, values in raw_secrets.items():
        if not isinstance(values, dict):
            problems.append((f"secrets.{group}", "a secrets group is a mapping"))
            continue
        secrets[group], found = resolve_values(
            values, env=env, prefix=f"secrets.{group}", secret=True
        )
        problems += found
    secrets.update(overrides.secrets)
    return config, secrets, problems


def _activities(raw: Mapping[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(path, activity dict, in the method) for every activity in the document."""
    hypothesis = raw.get("steady-state-hypothesis")
    if isinstance(hypothesis, dict) and isinstance(hypothesis.get("probes"), list):
        for i, probe in enumerate(hypothesis["probes"]):
            yield f"steady-state-hypothesis.probes[{i}]", probe, False
            tolerance = probe.get("tolerance") if isinstance(probe, dict) else None
            if isinstance(tolerance, dict) and tolerance.get("type") == "probe":
                yield f"steady-state-hypothesis.probes[{i}].tolerance", tolerance, False
    for key in ("method", "rollbacks"):
        items = raw.get(key)
        if isinstance(items, list):
            for i, item in enumerate(items):
                yield f"{key}[{i}]", item, key == "method"


def _provider_checks(
    raw: Mapping[str, Any], registry: ProviderRegistry, *, check_imports: bool
) -> tuple[Problems, list[Planned]]:
    problems: Problems = []
    plans: list[Planned] = []
    for path, activity, in_method in _activities(raw):
        provider = activity.get("provider") if isinstance(activity, dict) else None
        if not isinstance(provider, dict):
            continue
        ppath = f"{path}.provider"
        kind = provider.get("type")
        if kind == "chaoslab":
            module, func = provider.get("module"), provider.get("func")
            arguments = provider.get("arguments") or {}
            if not (
                isinstance(module, str) and isinstance(func, str) and isinstance(arguments, dict)
            ):
                continue  # the model reports these
            args, found = registry.check(module, func, arguments, ppath)
            problems += found
            spec = registry.get(module, func) if args is not None else None
            if spec is not None and spec.touches is not None:
                background = bool(activity.get("background"))
                plans += [Planned(ppath, t, background, in_method) for t in spec.touches(args)]
        elif kind == "python" and check_imports:
            problems += _python_checks(provider, ppath)
        elif kind == "process" and check_imports:
            with contextlib.suppress(ValidationError):  # the model reports those
                problems += process_problems(ProcessProvider.model_validate(provider), ppath)
    return problems, plans


def _python_checks(provider: Mapping[str, Any], path: str) -> Problems:
    try:
        model = PythonProvider.model_validate(provider)
    except ValidationError:
        return []  # the model reports these
    return signature_problems(model, path)


def _settings(raw: Mapping[str, Any]) -> tuple[ChaoslabSettings, Problems]:
    extensions = raw.get("extensions")
    if not isinstance(extensions, list):
        return ChaoslabSettings(), []
    for i, ext in enumerate(extensions):
        if isinstance(ext, dict) and ext.get("name") == "chaoslab":
            try:
                return ChaoslabSettings.model_validate(ext), []
            except ValidationError as exc:
                return ChaoslabSettings(), problems_from(exc, ext, f"extensions[{i}]")
    return ChaoslabSettings(), []


def _ref_problems(document: Mapping[str, Any]) -> Problems:
    """`ref`s must name a method activity or a hypothesis probe (read from the document)."""
    names = {
        item.get("name")
        for path, item, _ in _activities(document)
        if isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and not path.startswith("rollbacks")
        and "tolerance" not in path
    }
    method = document.get("method")
    return [
        (f"method[{i}].ref", f"no method activity or hypothesis probe is named {item['ref']!r}")
        for i, item in enumerate(method if isinstance(method, list) else [])
        if isinstance(item, dict)
        and isinstance(item.get("ref"), str)
        and item["ref"]
        and item["ref"] not in names
    ]


def _in_document_order(document: Mapping[str, Any], problems: Problems) -> Problems:
    keys = list(document)

    def order(problem: tuple[str, str]) -> tuple[int, list[tuple[int, str]]]:
        path = problem[0]
        head = re.split(r"[.\[]", path, maxsplit=1)[0]
        rank = keys.index(head) if head in keys else len(keys)
        parts = [
            (int(p), "") if p.isdecimal() and p.isascii() else (-1, p)
            for p in re.split(r"[.\[\]]+", path)
        ]
        return rank, parts

    return sorted(dict.fromkeys(problems), key=order)


def _rail_load_problems(document: Mapping[str, Any], settings: ChaoslabSettings) -> Problems:
    """A rail `on LOAD` must name a load of the file (declared, or started by the method)."""
    names = {spec.name for spec in settings.loads}
    for _, item, _ in _activities(document):
        provider = item.get("provider") if isinstance(item, dict) else None
        if isinstance(provider, dict) and (provider.get("module"), provider.get("func")) == (
            "load",
            "start",
        ):
            arguments = provider.get("arguments")
            name = arguments.get("name", "load") if isinstance(arguments, dict) else None
            names.add(name if isinstance(name, str) else "load")
    extensions = document.get("extensions")
    index = next(
        (
            i
            for i, e in enumerate(extensions if isinstance(extensions, list) else [])
            if isinstance(e, dict) and e.get("name") == "chaoslab"
        ),
        0,
    )
    return [
        (
            f"extensions[{index}].guard-rails[{i}].condition",
            f"no load named {rail.parsed.load!r} (loads: {', '.join(sorted(names)) or 'none'})",
        )
        for i, rail in enumerate(settings.guard_rails)
        if rail.parsed is not None
        and rail.parsed.load is not None
        and rail.parsed.load not in names
    ]


def notes_for(raw: Mapping[str, Any]) -> list[str]:
    """Warnings for keys Chaos Toolkit knows that chaoslab ignores."""
    notes = []
    if raw.get("controls"):
        notes.append("controls are not supported by chaoslab and are ignored")
    for path, activity, _ in _activities(raw):
        if isinstance(activity, dict) and activity.get("controls"):
            notes.append(f"{path}.controls: not supported by chaoslab, ignored")
    return notes


def load_experiment(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    overrides: Vars | None = None,
    registry: ProviderRegistry | None = None,
    check_imports: bool = True,
) -> Experiment:
    """Load and validate an experiment (a file path or an already-read mapping)."""
    raw = dict(source) if isinstance(source, Mapping) else read_document(source)
    registry = registry or default_registry()
    config, secrets, problems = _resolve(raw, overrides or Vars())
    mapping = {k: v for group in secrets.values() for k, v in group.items()} | config
    body = {k: v for k, v in raw.items() if k not in ("configuration", "secrets")}
    document = substitute(body, mapping) | {"configuration": config, "secrets": secrets}
    experiment: Experiment | None = None
    try:
        experiment = Experiment.model_validate(document)
    except ValidationError as exc:
        problems += problems_from(exc, document)
    settings, found = _settings(document)
    problems += found
    found, plans = _provider_checks(document, registry, check_imports=check_imports)
    problems += found
    problems += blast_problems(settings.blast_radius, plans)
    problems += _rail_load_problems(document, settings)
    problems += _ref_problems(document)
    if problems or experiment is None:
        raise ConfigError(_in_document_order(document, problems))
    loaded = experiment.model_copy(update={"chaoslab": settings})
    loaded._raw = raw
    loaded._notes = notes_for(raw)
    return loaded
