"""Configuration, secrets, `--var`/`--var-file`, and `${name}` substitution.

Chaos Toolkit's rules: a configuration value is a literal or
`{"type": "env", "key": ..., "default": ..., "env_var_type": ...}`; a secret
is a literal or `{"type": "env", "key": ...}`; `--var k[:type]=v` overrides
configuration; a `--var-file` (.json/.yaml with `configuration` and
`secrets`, or `.env` lines) overrides both, a secrets group as a whole.
`${name}` (and `$name`) is replaced by configuration, then secrets; a string
that is exactly `${name}` keeps the value's type.

Example:
    >>> resolve_values({"api": {"type": "env", "key": "API", "default": "x"}}, env={})
    ({'api': 'x'}, [])
    >>> substitute({"url": "${api}/health", "n": "${n}"}, {"api": "http://h", "n": 3})
    {'url': 'http://h/health', 'n': 3}
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chaoslab.errors import ConfigError

__all__ = ["Vars", "load_var_file", "parse_var", "resolve_values", "substitute"]

_ENV_TYPES = ("str", "int", "float", "bytes", "bool", "json")


@dataclass
class Vars:
    """Overrides from the command line: configuration, secret groups, env lines."""

    configuration: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Vars) -> Vars:
        """`other` wins; a secrets group is replaced whole (Chaos Toolkit does so)."""
        return Vars(
            {**self.configuration, **other.configuration},
            {**self.secrets, **other.secrets},
            {**self.env, **other.env},
        )


def parse_var(text: str) -> tuple[str, Any]:
    """`k=v` or `k:type=v` (type: str, int, float, bytes, bool, json)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--var {text!r}: write KEY=VALUE or KEY:TYPE=VALUE")
    name, _, kind = key.partition(":")
    return name, convert(value, kind or "str", f"--var {name}")


def convert(value: str, kind: str, what: str) -> Any:
    """Convert an environment or `--var` string to `kind`."""
    try:
        if kind == "str":
            return value
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bytes":
            return value.encode()
        if kind == "bool":
            return value.strip().lower() not in ("false", "0", "no", "")
        if kind == "json":
            return json.loads(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a valid {kind}") from None
    raise ValueError(f"{what}: unknown type {kind!r}; allowed: {', '.join(_ENV_TYPES)}")


def read_text(file: Path) -> str:
    """A file's UTF-8 text; ConfigError naming the file if it cannot be read."""
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([(str(file), f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([(str(file), f"cannot read: not UTF-8 text ({exc})")]) from None


def read_mapping(file: Path, what: str) -> dict[str, Any]:
    """A JSON (`.json`) or YAML file holding a mapping; ConfigError naming the file if not."""
    text = read_text(file)
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if file.suffix == ".json" else "YAML"
        raise ConfigError([(str(file), f"not valid {kind}: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError([(str(file), what)])
    return data


def load_var_file(path: str | Path) -> Vars:
    """Read a `--var-file`: JSON/YAML `{configuration, secrets}` or `.env` lines.

    A file that cannot be read or parsed raises ConfigError naming it.
    """
    file = Path(path)
    if file.suffix in (".json", ".yaml", ".yml"):
        data = read_mapping(file, "a var file holds a mapping of configuration and secrets")
        return Vars(dict(data.get("configuration") or {}), dict(data.get("secrets") or {}))
    text = read_text(file)
    env: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip("\"'")
    return Vars(env=env)


def resolve_values(
    raw: Mapping[str, Any],
    *,
    env: Mapping[str, str],
    prefix: str = "configuration",
    secret: bool = False,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Resolve literal and `env` values; return (values, problems)."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in raw.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict) and value.get("type") == "env":
            try:
                values[key] = _from_env(value, env, path, secret=secret)
            except ValueError as exc:
                problems.append((path, str(exc)))
        elif isinstance(value, dict) and value.get("type") in ("probe", "vault"):
            problems.append((path, f"{value['type']!r} values are not supported by chaoslab"))
        else:
            values[key] = value
    return values, problems


def _from_env(spec: Mapping[str, Any], env: Mapping[str, str], path: str, *, secret: bool) -> Any:
    key = spec.get("key")
    if not isinstance(key, str) or not key:
        raise ValueError("an env value needs a non-empty 'key'")
    kind = spec.get("env_var_type", "str")
    if key in env:
        return convert(env[key], str(kind), f"environment variable {key}")
    if "default" in spec and not secret:
        return spec["default"]
    raise ValueError(f"environment variable {key} is not set and has no default")


class _Template(string.Template):
    # Chaos Toolkit's placeholders are Python identifiers; so are ours.
    pass


def substitute(value: Any, mapping: Mapping[str, Any]) -> Any:
    """Replace `${name}`/`$name` recursively; unknown names are left as they are."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}") and value[2:-1] in mapping:
            return mapping[value[2:-1]]
        if "$" not in value:
            return value
        return _Template(value).safe_substitute({k: str(v) for k, v in mapping.items()})
    if isinstance(value, dict):
        return {k: substitute(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, mapping) for v in value]
    return value
